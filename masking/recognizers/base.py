"""The one small interface our recognizers implement: ``find(text)`` yields (start, end, score).

Presidio's registry stays the plug-in mechanism; this base only removes the RecognizerResult
boilerplate so each recognizer module is about its patterns and rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts


class RuleRecognizer(LocalRecognizer):
    """A recognizer for one entity type, defined by a ``find`` method over the raw text."""

    ENTITY: str = ""

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.ENTITY], supported_language="en", name=type(self).__name__)

    def load(self) -> None:
        """Rules are compiled at import time; nothing to load."""

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        raise NotImplementedError

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if self.ENTITY not in entities:
            return []
        return [
            RecognizerResult(
                entity_type=self.ENTITY,
                start=start,
                end=end,
                score=score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for start, end, score in self.find(text)
            if end > start
        ]


def preceded_by(text: str, start: int, keywords: object, window: int = 48) -> bool:
    """True when a keyword pattern matches in the ``window`` characters before ``start``."""
    search = getattr(keywords, "search", None)
    return bool(search and search(text[max(0, start - window) : start]))
