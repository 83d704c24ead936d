"""Detection: Presidio's analyzer on our spaCy engine and recognizer registry, batched and windowed.

Texts are cut into overlapping windows, the windows of many documents are analysed together through
spaCy's ``pipe`` (BatchAnalyzerEngine: about twice the per-text speed), and spans are shifted back to
document offsets. A batch that fails is retried window by window, so one bad document fails alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from presidio_analyzer import (
    AnalyzerEngine,
    BatchAnalyzerEngine,
    EntityRecognizer,
    PatternRecognizer,
    RecognizerResult,
)

from masking.entities import DetectedSpan
from masking.errors import DetectorError
from masking.nlp import DEFAULT_SPACY_MODEL, load_nlp_engine, model_version
from masking.policy import Policy
from masking.recognizers import build_registry
from masking.windows import DEFAULT_OVERLAP_CHARS, DEFAULT_WINDOW_CHARS, windows

logger = logging.getLogger(__name__)

# spaCy labels that Presidio ignores by default but a policy may ask for.
_LABELS_FOR_TYPE = {"ORGANIZATION": frozenset({"ORG", "ORGANIZATION"})}


@dataclass(frozen=True)
class DetectorConfig:
    model: str = DEFAULT_SPACY_MODEL
    window_chars: int = DEFAULT_WINDOW_CHARS
    window_overlap: int = DEFAULT_OVERLAP_CHARS
    batch_size: int = 32
    n_process: int = 1


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
        unignore = frozenset().union(*(_LABELS_FOR_TYPE.get(t, frozenset()) for t in policy.masked_types))
        nlp_engine = load_nlp_engine(self.config.model, unignore)
        registry = build_registry([*extra_recognizers, *_deny_list_recognizers(policy)])
        self._analyzer = AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])
        self._batch = BatchAnalyzerEngine(self._analyzer)
        self.entities = sorted(policy.masked_types)
        self.model_version = model_version(nlp_engine, self.config.model)

    def window_count(self, text: str) -> int:
        return sum(1 for _ in windows(text, self.config.window_chars, self.config.window_overlap))

    def detect_many(self, texts: Sequence[str]) -> list[list[DetectedSpan] | DetectorError]:
        """Spans per text, or a DetectorError (exception type only, never text) for a text that failed."""
        found: list[list[DetectedSpan] | DetectorError] = [[] for _ in texts]
        jobs = (
            (index, start, end)
            for index, text in enumerate(texts)
            for start, end in windows(text, self.config.window_chars, self.config.window_overlap)
        )
        group_size = self.config.batch_size * 4
        while group := list(islice(jobs, group_size)):
            live = [job for job in group if not isinstance(found[job[0]], DetectorError)]
            for (index, start, _end), result in zip(live, self._analyze_group(texts, live), strict=True):
                slot = found[index]
                if isinstance(slot, DetectorError):
                    continue
                if isinstance(result, DetectorError):
                    found[index] = result
                else:
                    slot.extend(DetectedSpan(start + s.start, start + s.end, s.entity_type, s.score, s.recognizer)
                                for s in result)  # fmt: skip
        return found

    def detect(self, text: str) -> list[DetectedSpan]:
        result = self.detect_many([text])[0]
        if isinstance(result, DetectorError):
            raise result
        return result

    def _analyze_group(
        self, texts: Sequence[str], jobs: Sequence[tuple[int, int, int]]
    ) -> Iterator[list[DetectedSpan] | DetectorError]:
        pieces = [texts[index][start:end] for index, start, end in jobs]
        try:
            batches = self._batch.analyze_iterator(
                pieces, language="en", batch_size=self.config.batch_size, n_process=self.config.n_process,
                entities=self.entities,
            )  # fmt: skip
            yield from (self._convert(results) for results in batches)
            return
        except Exception as error:  # isolate the failing window below
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
