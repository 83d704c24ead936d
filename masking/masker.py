"""mask_document for one or many documents: detect -> policy -> propagate -> tokens -> leak check.

Fail closed: a detector error, any exception while masking, or (strict mode) a leak-check finding
quarantines the document; a quarantined document has no masked text at all, never a partial one.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from presidio_analyzer import EntityRecognizer

from masking.closure import closure_regions
from masking.detector import Detection, Detector
from masking.detector_config import DetectorConfig
from masking.edit_plan import EditPlan, Replacement, merge_edits, overlaps, splice
from masking.entities import DetectedSpan, MaskedEntity
from masking.errors import DetectorError
from masking.fields import join_fields, split_fields
from masking.fingerprints import entity_fingerprints
from masking.keys import MaskingKeys
from masking.leak_check import leak_check
from masking.normalise import normalise
from masking.policy import Action, Policy, load_policy
from masking.propagation import PROPAGATED, propagate
from masking.report import MaskingReport, RedactionMiss, ScoreSummary, detector_versions
from masking.spans import (
    drop_false_positives,
    join_adjacent_persons,
    resolve_overlaps,
    trim,
    where_no_person_is,
)
from masking.stage_clock import StageClock
from masking.structure import find_structure
from masking.tokens import TOKEN_PATTERN, TokenMinter, redaction_marker

MASKED = "masked"
QUARANTINED = "quarantined"


@dataclass(frozen=True)
class TextDocument:
    """A document to mask; ``fields`` (title, source URI, ...) are masked with it, see masking.fields."""

    doc_id: str
    text: str = field(repr=False)
    fields: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def chars(self) -> int:
        """What masking reads: the text and its fields (a scrubbed chunk's text is all fields)."""
        return len(self.text) + sum(len(value) for value in self.fields.values())


@dataclass
class MaskedDocument:
    """The masked text, its entities (tokens and fingerprints) and report; ``spans`` are the masked
    ranges of the original text (offsets and types only, kept in memory for previews and benchmarks);
    ``edits`` are the replacements, (start, end, token) in the original text with its fields joined
    (``splice(text, edits)`` is the masked text), kept in memory for cutting a document into slices.
    ``values`` (token -> original value) is filled only by a masker built with ``keep_values`` for the
    vault, which seals it at once; it is never logged, stored in clear or passed on."""

    doc_id: str
    masked_text: str | None
    entities: list[MaskedEntity]
    report: MaskingReport
    spans: list[DetectedSpan] = field(default_factory=list)
    masked_fields: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict, repr=False)
    # see Masker._apply
    edits: list[tuple[int, int, str]] = field(default_factory=list, repr=False)

    @property
    def quarantined(self) -> bool:
        return self.report.status == QUARANTINED


# How a caller masks a batch: documents in, masked documents out in input order, told whether more
# batches follow (Masker.mask_many here, or MaskingWorkers.masked over worker processes).
MaskMany = Callable[[Sequence[TextDocument], bool], list[MaskedDocument]]


class Masker:
    """Masks documents under one policy and key. Build once per process: it loads the NLP model."""

    def __init__(
        self,
        keys: MaskingKeys,
        policy: Policy | None = None,
        *,
        detector_config: DetectorConfig | None = None,
        extra_recognizers: Iterable[EntityRecognizer] = (),
        run_id: str | None = None,
        keep_values: bool = False,
    ) -> None:
        self.keys = keys
        self.keep_values = keep_values
        self.policy = policy or load_policy()
        self.detector = Detector(self.policy, detector_config, extra_recognizers)
        # detect, propagate_tokenise, leak_check
        self.clock = StageClock()
        self.run_id = run_id or uuid.uuid4().hex
        self._versions = detector_versions(self.detector.model_version)

    @property
    def versions(self) -> dict[str, str]:
        """Detector, model and library versions, as the masking report states them."""
        return dict(self._versions)

    def mask(self, doc_id: str, text: str) -> MaskedDocument:
        return self.mask_many([TextDocument(doc_id, text)])[0]

    def masked(self, documents: Sequence[TextDocument], more_to_come: bool = True) -> list[MaskedDocument]:
        """``mask_many`` as a ``MaskMany``, masking here whatever follows (MaskingWorkers.masked splits it
        over worker processes)."""
        return self.mask_many(documents)

    def mask_many(self, documents: Sequence[TextDocument]) -> list[MaskedDocument]:
        """Mask a batch; detection runs over the whole batch at once (and closure over every document's
        masked text at once), results keep input order."""
        started_at = datetime.now(UTC).isoformat()
        clock = time.perf_counter()
        joined = [join_fields(d.text, d.fields) for d in documents]
        try:
            with self.clock("detect"):
                detections = self.detector.detect_many([text or "" for text in joined])
        except Exception as error:
            # the detector itself broke: the whole batch is quarantined
            failure = DetectorError(f"detector failed: {type(error).__name__}")
            detections = [Detection(error=failure) for _ in documents]
        total_chars = sum(len(d.text) for d in documents) or 1
        detect_seconds = time.perf_counter() - clock
        reports = [
            self._new_report(d, found.windows, started_at)
            for d, found in zip(documents, detections, strict=True)
        ]
        plans: dict[int, EditPlan] = {}
        failures: dict[int, str] = {}
        for index, (document, text, detected) in enumerate(zip(documents, joined, detections, strict=True)):
            if text is None:
                failures[index] = "a field holds the field separator"
            elif detected.error is not None:
                failures[index] = str(detected.error)
            else:
                try:
                    with self.clock("propagate_tokenise"):
                        plans[index] = self._plan(document, text, detected)
                except Exception as error:
                    failures[index] = f"masking failed: {type(error).__name__}"
        if plans and self.detector.config.closure_rounds:
            with self.clock("closure"):
                self._close(documents, joined, detections, plans, failures)
        results = []
        for index, (document, text) in enumerate(zip(documents, joined, strict=True)):
            doc_clock = time.perf_counter()
            report = reports[index]
            if index in failures or text is None:
                result = self._quarantine(document, report, failures.get(index, "masking failed"))
            else:
                try:
                    result = self._finish(document, text, plans[index], report)
                except Exception as error:
                    result = self._quarantine(document, report, f"masking failed: {type(error).__name__}")
            share = detect_seconds * len(document.text) / total_chars
            report.elapsed_ms = round((share + time.perf_counter() - doc_clock) * 1000, 3)
            results.append(result)
        return results

    def _close(
        self,
        documents: Sequence[TextDocument],
        texts: Sequence[str | None],
        detections: Sequence[Detection],
        plans: dict[int, EditPlan],
        failures: dict[int, str],
    ) -> None:
        """Read the masked texts again where masking changed the context or a name may remain (masking.closure),
        add what is found there to each document's detections and mask again, until nothing new turns up."""
        open_plans = dict(plans)
        for _ in range(self.detector.config.closure_rounds):
            new: dict[int, list[DetectedSpan]] = defaultdict(list)
            jobs = [
                (i, start, end)
                for i, plan in open_plans.items()
                for start, end in closure_regions(plan.masked_text)
            ]
            found = self.detector.detect_persons([open_plans[i].masked_text[a:b] for i, a, b in jobs])
            for i, plan in open_plans.items():
                new[i] += plan.outside_tokens(find_structure(plan.masked_text).spans, 0)
            for i, plan in open_plans.items():
                new[i] += plan.neighbours()
            for (i, offset, _end), detection in zip(jobs, found, strict=True):
                if detection.error is not None:
                    failures[i] = f"closure: {detection.error}"
                    continue
                new[i] += open_plans[i].outside_tokens(detection.spans, offset)
            still_open: dict[int, EditPlan] = {}
            for i, spans in new.items():
                text, document = texts[i], documents[i]
                if i in failures or text is None:
                    continue
                fresh = [s for s in spans if self._keeps(text, s) and not open_plans[i].covers(s)]
                if not fresh:
                    continue
                detections[i].spans.extend(fresh)
                try:
                    plans[i] = still_open[i] = self._plan(document, text, detections[i])
                except Exception as error:
                    failures[i] = f"masking failed: {type(error).__name__}"
            if not still_open:
                return
            open_plans = still_open

    def _new_report(self, document: TextDocument, windows: int, started_at: str) -> MaskingReport:
        return MaskingReport(
            doc_id=document.doc_id,
            run_id=self.run_id,
            status=MASKED,
            started_at=started_at,
            text_chars=len(document.text),
            windows=windows,
            policy={"name": self.policy.name, "version": self.policy.version},
            detector=dict(self._versions),
            key_id=self.keys.key_id,
            scope=self.policy.scope.value,
        )

    @staticmethod
    def _quarantine(document: TextDocument, report: MaskingReport, reason: str) -> MaskedDocument:
        report.status = QUARANTINED
        report.quarantine_reason = reason
        return MaskedDocument(document.doc_id, None, [], report)

    def _keeps(self, text: str, span: DetectedSpan) -> bool:
        rule = self.policy.rule(span.entity_type)
        if rule.action is Action.KEEP or span.score < rule.threshold:
            return False
        return not self.policy.is_allowed(text[span.start : span.end])

    def _select_spans(
        self, text: str, detected: Detection
    ) -> tuple[list[DetectedSpan], dict[tuple[str, str], str]]:
        # already masked: keep whole
        tokens = [(m.start(), m.end()) for m in TOKEN_PATTERN.finditer(text)]
        candidates = [
            s
            for s in drop_false_positives(text, detected.spans, detected.not_person)
            if self._keeps(text, s) and not overlaps(s, tokens)
        ]
        spans = resolve_overlaps(t for s in candidates if (t := trim(text, s)) is not None)
        canonical: dict[tuple[str, str], str] = {}
        if self.policy.propagate:
            propagation = propagate(text, spans)
            canonical = propagation.canonical
            extra = [
                s
                for s in propagation.spans
                if not self.policy.is_allowed(text[s.start : s.end])
                and not overlaps(s, tokens)
                and not (s.entity_type == "PERSON" and where_no_person_is(text, s, detected.not_person))
            ]
            spans = resolve_overlaps([*spans, *extra])
        return join_adjacent_persons(text, spans), canonical

    def _replacements(
        self, text: str, spans: Sequence[DetectedSpan], canonical: dict[tuple[str, str], str]
    ) -> list[Replacement]:
        replacements = []
        for span in spans:
            normalised = normalise(span.entity_type, text[span.start : span.end])
            value_key = canonical.get((span.entity_type, normalised), normalised)
            replacements.append(
                Replacement(
                    span.start,
                    span.end,
                    span.entity_type,
                    value_key,
                    span.score,
                    span.recognizer == PROPAGATED,
                )
            )
        return replacements

    def _render(self, minter: TokenMinter, replacement: Replacement) -> str:
        if self.policy.rule(replacement.entity_type).action is Action.REDACT:
            return redaction_marker(replacement.entity_type)
        return minter.token(replacement.entity_type, replacement.value_key)

    def _plan(self, document: TextDocument, text: str, detected: Detection) -> EditPlan:
        """What the first pass replaces, and the masked text it makes."""
        spans, canonical = self._select_spans(text, detected)
        replacements = self._replacements(text, spans, canonical)
        minter = TokenMinter(self.keys.token_key, document.doc_id, self.policy.scope)
        minter.mint_all(
            (r.entity_type, r.value_key)
            for r in replacements
            if self.policy.rule(r.entity_type).action is Action.TOKENIZE
        )
        first_pass = sorted((r.start, r.end, self._render(minter, r)) for r in replacements)
        return EditPlan(spans, replacements, minter, first_pass, splice(text, first_pass))

    def _finish(
        self, document: TextDocument, text: str, plan: EditPlan, report: MaskingReport
    ) -> MaskedDocument:
        """The leak check over the masked text, then the entities, the report and the fields."""
        minter, replacements, first_pass = plan.minter, list(plan.replacements), plan.first_pass
        masked_text, edits = plan.masked_text, list(first_pass)
        values = self._surface_forms(minter, text, replacements)
        with self.clock("leak_check"):
            findings = leak_check(masked_text, types=self.policy.masked_types)
        report.redaction_misses = [RedactionMiss(f.entity_type, f.start) for f in findings]
        if findings and self.policy.strict:
            return self._quarantine(document, report, f"strict mode: {len(findings)} redaction_miss")
        if findings:
            misses = [
                Replacement(
                    f.start,
                    f.end,
                    f.entity_type,
                    normalise(f.entity_type, masked_text[f.start : f.end]),
                    1.0,
                    False,
                )
                for f in findings
            ]
            values = self._surface_forms(minter, masked_text, misses) | values
            masked_text = splice(masked_text, ((m.start, m.end, self._render(minter, m)) for m in misses))
            edits = merge_edits(first_pass, [(m.start, m.end, self._render(minter, m)) for m in misses])
            replacements += misses

        entities = self._entities(minter, replacements)
        self._summarise(report, replacements, entities)
        parts = split_fields(masked_text, list(document.fields))
        if parts is None:
            return self._quarantine(document, report, "a masked value crossed the field separator")
        body, masked_fields = parts
        return MaskedDocument(
            document.doc_id, body, entities, report, list(plan.spans), masked_fields, values, edits
        )

    def _surface_forms(
        self, minter: TokenMinter, text: str, replacements: Sequence[Replacement]
    ) -> dict[str, str]:
        """token -> the value as written, for the vault (empty unless ``keep_values``): the first
        occurrence written in the canonical form ("Jane Doe", not "Ms Doe"), else the first one."""
        if not self.keep_values:
            return {}
        forms: dict[str, str] = {}
        for r in sorted(replacements, key=lambda r: r.start):
            if self.policy.rule(r.entity_type).action is not Action.TOKENIZE:
                continue
            token, surface = minter.token(r.entity_type, r.value_key), text[r.start : r.end]
            if token not in forms or (
                normalise(r.entity_type, surface) == r.value_key
                and normalise(r.entity_type, forms[token]) != r.value_key
            ):
                forms[token] = surface
        return forms

    def _entities(self, minter: TokenMinter, replacements: Sequence[Replacement]) -> list[MaskedEntity]:
        by_token: dict[str, MaskedEntity] = {}
        for r in replacements:
            if self.policy.rule(r.entity_type).action is not Action.TOKENIZE:
                continue
            token = minter.token(r.entity_type, r.value_key)
            entity = by_token.get(token)
            if entity is None:
                fingerprints = entity_fingerprints(self.keys.fingerprint_key, r.entity_type, r.value_key)
                entity = MaskedEntity(token, r.entity_type, Action.TOKENIZE.value, fingerprints)
                by_token[token] = entity
            entity.occurrences += 1
        return sorted(by_token.values(), key=lambda e: e.token)

    def _summarise(
        self, report: MaskingReport, replacements: Sequence[Replacement], entities: Sequence[MaskedEntity]
    ) -> None:
        scores: dict[str, list[float]] = defaultdict(list)
        for r in replacements:
            scores[r.entity_type].append(r.score)
        report.entity_counts = {t: len(v) for t, v in sorted(scores.items())}
        report.scores = {
            t: ScoreSummary(round(min(v), 4), round(sum(v) / len(v), 4), round(max(v), 4))
            for t, v in sorted(scores.items())
        }
        report.actions = {t: self.policy.rule(t).action.value for t in sorted(scores)}
        report.propagated = sum(r.propagated for r in replacements)
        report.distinct_values = len(entities) + len(
            {
                (r.entity_type, r.value_key)
                for r in replacements
                if self.policy.rule(r.entity_type).action is Action.REDACT
            }
        )
