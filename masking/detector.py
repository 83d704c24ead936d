"""Detection: Presidio's analyzer on our spaCy engine and recognizer registry, batched and windowed.

Texts are cut into overlapping windows, the windows of many documents are analysed together through
spaCy's ``pipe`` (BatchAnalyzerEngine: about twice the per-text speed), and spans are shifted back to
document offsets. Windows go to spaCy in groups bounded by count and by characters, so memory stays
flat whatever the length of a text. A group that fails is retried window by window, so one bad
document fails alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from presidio_analyzer import (
    AnalyzerEngine,
    BatchAnalyzerEngine,
    EntityRecognizer,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)

from masking.context import IndexedLemmaContextEnhancer
from masking.deobfuscate import Plain
from masking.detector_config import DetectorConfig
from masking.entities import DetectedSpan
from masking.errors import DetectorError
from masking.matrix_products import one_blas_thread
from masking.nlp import load_nlp_engine, model_version
from masking.policy import Policy
from masking.recognizers import build_registry
from masking.structure import find_structure
from masking.structure.identifiers import identifier_names
from masking.windows import windows

logger = logging.getLogger(__name__)
# Presidio logs context words and matched text at DEBUG/INFO. Capped here, where the analyzer is built,
# so that no logging setup of a host application (a Prefect worker, a notebook at DEBUG) can route
# document text into its logs; flows/runtime/logging_setup.py caps it again for the CLI.
PRESIDIO_LOGGERS = ("presidio-analyzer", "presidio_analyzer")

# The recognizers whose findings depend on the words around a value: the NER model's, and ours that read its
# entities or a name's cue words. What closure runs again over masked text.
CONTEXT_SENSITIVE = frozenset({"SpacyRecognizer", "GivenNameRecognizer", "PersonCueRecognizer"})
# spaCy labels that Presidio ignores by default but a policy may ask for.
_LABELS_FOR_TYPE = {"ORGANIZATION": frozenset({"ORG", "ORGANIZATION"})}


@dataclass
class Detection:
    """What the detector found in one text: spans in document offsets, or the error that stopped it;
    ``not_person``: ranges the layout says hold no person (a role column, a role in brackets)."""

    spans: list[DetectedSpan] = field(default_factory=list)
    windows: int = 0
    error: DetectorError | None = None
    not_person: list[tuple[int, int]] = field(default_factory=list)


def _to_original(plain: Plain, detection: Detection) -> None:
    """A detection in a plain text moved to the original's offsets."""
    detection.spans = [
        replace(span, start=start, end=end)
        for span in detection.spans
        for start, end in [plain.original_span(span.start, span.end)]
    ]
    detection.not_person = [plain.original_span(start, end) for start, end in detection.not_person]


def _deny_list_recognizers(policy: Policy) -> list[EntityRecognizer]:
    return [
        PatternRecognizer(supported_entity=entity, deny_list=list(terms), name=f"DenyList_{entity}")
        for entity, terms in sorted(policy.deny_list.items())
    ]


class Detector:
    """Finds candidate PII spans; knows nothing about tokens or actions."""

    def __init__(
        self,
        policy: Policy,
        config: DetectorConfig | None = None,
        extra_recognizers: Iterable[EntityRecognizer] = (),
    ) -> None:
        self.config = config or DetectorConfig()
        for name in PRESIDIO_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        unignore = frozenset().union(*(_LABELS_FOR_TYPE.get(t, frozenset()) for t in policy.masked_types))
        nlp_engine = load_nlp_engine(self.config.model, unignore)
        registry = build_registry([*extra_recognizers, *_deny_list_recognizers(policy)])
        self._analyzer = AnalyzerEngine(
            nlp_engine=nlp_engine,
            registry=registry,
            supported_languages=["en"],
            context_aware_enhancer=IndexedLemmaContextEnhancer(),
        )
        self._batch = BatchAnalyzerEngine(self._analyzer)
        self.entities = sorted(policy.masked_types)
        # Closure reads masked text again for what a token's context changes: the persons that the NER model
        # and the recognizers reading its entities and cues find (masking.closure), nothing else.
        persons = RecognizerRegistry(supported_languages=["en"])
        persons.recognizers = [r for r in registry.recognizers if type(r).__name__ in CONTEXT_SENSITIVE]
        self._persons = BatchAnalyzerEngine(
            AnalyzerEngine(
                nlp_engine=nlp_engine,
                registry=persons,
                supported_languages=["en"],
                context_aware_enhancer=IndexedLemmaContextEnhancer(),
            )
        )
        self.model_version = model_version(nlp_engine, self.config.model)

    def _groups(self, texts: Sequence[str]) -> Iterator[list[tuple[int, int, int]]]:
        """(text index, start, end) of each window, grouped under the count and character bounds."""
        group: list[tuple[int, int, int]] = []
        chars = 0
        for index, text in enumerate(texts):
            for start, end in windows(text, self.config.window_chars, self.config.window_overlap):
                if group and (
                    len(group) >= self.config.group_windows or chars + end - start > self.config.group_chars
                ):
                    yield group
                    group, chars = [], 0
                group.append((index, start, end))
                chars += end - start
        if group:
            yield group

    def detect_many(self, texts: Sequence[str]) -> list[Detection]:
        """One Detection per text, in order; a failing text carries a DetectorError (type only, no text).
        Each text is read in its plain form (masking.deobfuscate: "jane&#64;example.com" is an e-mail), and
        what is found is mapped back to the original offsets."""
        plains = [Plain.of(text) for text in texts]
        found = [Detection() for _ in texts]
        # one masking process per core already
        with one_blas_thread():
            self._detect_groups([plain.text for plain in plains], found)
        for plain, detection in zip(plains, found, strict=True):
            if detection.error is None:
                self._detect_structure(plain.text, detection)
            if plain.changed:
                _to_original(plain, detection)
            if detection.error is None and "PERSON" in self.entities:
                detection.spans.extend(identifier_names(plain.original))
        return found

    def _detect_structure(self, text: str, detection: Detection) -> None:
        """The layout's findings over the whole text (masking.structure), for the types the policy masks."""
        try:
            structure = find_structure(text)
        except Exception as error:
            # a rule that breaks on a text fails that document closed
            logger.warning("structure detection failed (%s)", type(error).__name__)
            detection.error, detection.spans = DetectorError(f"detector failed: {type(error).__name__}"), []
            return
        wanted = set(self.entities)
        detection.spans.extend(s for s in structure.spans if s.entity_type in wanted)
        detection.not_person = structure.not_person

    def _detect_groups(self, texts: Sequence[str], found: list[Detection]) -> None:
        """Fill ``found`` group by group; a group's failure is isolated to its failing windows."""
        for group in self._groups(texts):
            for index, _start, _end in group:
                found[index].windows += 1
            live = [job for job in group if found[job[0]].error is None]
            for (index, start, _end), result in zip(live, self._analyze_group(texts, live), strict=True):
                detection = found[index]
                if detection.error is not None:
                    continue
                if isinstance(result, DetectorError):
                    detection.error, detection.spans = result, []
                else:
                    detection.spans.extend(
                        DetectedSpan(start + s.start, start + s.end, s.entity_type, s.score, s.recognizer)
                        for s in result
                    )

    def detect_persons(self, texts: Sequence[str]) -> list[Detection]:
        """PERSON spans of the context-sensitive recognizers only (closure: masked text read again)."""
        found = [Detection() for _ in texts]
        if "PERSON" not in self.entities:
            return found
        with one_blas_thread():
            results = self._persons.analyze_iterator(
                list(texts), language="en", batch_size=self.config.batch_size, entities=["PERSON"]
            )
            for detection, result in zip(found, results, strict=True):
                detection.spans = self._convert(result)
        return found

    def detect(self, text: str) -> list[DetectedSpan]:
        detection = self.detect_many([text])[0]
        if detection.error is not None:
            raise detection.error
        return detection.spans

    def _analyze_group(
        self, texts: Sequence[str], jobs: Sequence[tuple[int, int, int]]
    ) -> Iterator[list[DetectedSpan] | DetectorError]:
        pieces = [texts[index][start:end] for index, start, end in jobs]
        try:
            batches = self._batch.analyze_iterator(
                pieces,
                language="en",
                batch_size=self.config.batch_size,
                n_process=self.config.n_process,
                entities=self.entities,
            )
            yield from (self._convert(results) for results in batches)
            return
        except Exception as error:
            # isolate the failing window below
            if len(pieces) == 1:
                logger.warning("detector failed on a window (%s)", type(error).__name__)
                yield DetectorError(f"detector failed: {type(error).__name__}")
                return
        for job in jobs:
            yield from self._analyze_group(texts, [job])

    @staticmethod
    def _convert(results: Iterable[RecognizerResult]) -> list[DetectedSpan]:
        return [
            DetectedSpan(
                r.start,
                r.end,
                r.entity_type,
                float(r.score),
                str((r.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, "")),
            )
            for r in results
        ]
