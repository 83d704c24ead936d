"""What the structure recognizers report: spans to mask, and ranges where no person is (a role column, a
role in brackets), so that a name the NER model sees there is dropped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from masking.entities import DetectedSpan

# The recognizer names structure spans carry: the layout said "a name goes here", so the precision rules for
# what the NER model found (common words, roles) do not apply to them.
STRUCTURE_RECOGNIZERS = frozenset(
    {
        "TableColumnRecognizer",
        "LabelRecognizer",
        "RoleLineRecognizer",
        "MailHeaderRecognizer",
        "SignatureRecognizer",
        "IdentifierNameRecognizer",
    }
)


@dataclass
class StructureFindings:
    spans: list[DetectedSpan] = field(default_factory=list)
    not_person: list[tuple[int, int]] = field(default_factory=list)

    def add(self, start: int, end: int, entity_type: str, score: float, recognizer: str) -> None:
        if end > start:
            self.spans.append(DetectedSpan(start, end, entity_type, score, recognizer))

    def add_all(
        self, ranges: Iterable[tuple[int, int]], entity_type: str, score: float, recognizer: str
    ) -> None:
        for start, end in ranges:
            self.add(start, end, entity_type, score, recognizer)
