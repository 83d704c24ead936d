"""A document's edits: the replacements its first pass chose, the text they produce, and how a span found
in that masked text maps back to the original (closure and the second pass work through it)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from masking.closure import EditMap, token_neighbours
from masking.entities import DetectedSpan
from masking.spans import (
    NEIGHBOUR,
)
from masking.tokens import TokenMinter

# a name part found right beside a PERSON token
NEIGHBOUR_SCORE = 0.6


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int
    entity_type: str
    # canonical normalised value: used for the token and fingerprints, never stored
    value_key: str
    score: float
    propagated: bool


@dataclass
class EditPlan:
    """A document's first pass: the spans kept, their replacements and tokens, and the masked text."""

    spans: list[DetectedSpan]
    replacements: list[Replacement]
    minter: TokenMinter
    first_pass: list[tuple[int, int, str]]
    masked_text: str

    @cached_property
    def edit_map(self) -> EditMap:
        return EditMap(self.first_pass)

    @cached_property
    def _starts(self) -> list[int]:
        return [start for start, _end, _rendered in self.first_pass]

    def covers(self, span: DetectedSpan) -> bool:
        """Whether [start, end) of the original text is inside one replacement already."""
        index = bisect_right(self._starts, span.start) - 1
        return index >= 0 and span.end <= self.first_pass[index][1]

    def outside_tokens(self, found: Sequence[DetectedSpan], offset: int) -> list[DetectedSpan]:
        """Spans found in the masked text (at ``offset``) as spans of the original text: a span reaching into
        a token keeps only its part outside it ("Ilona <PERSON_1a2b>" -> "Ilona")."""
        spans = []
        for span in found:
            start, end = offset + span.start, offset + span.end
            for token_start, token_end in self.edit_map.tokens_in(start, end):
                if token_start <= start:
                    start = max(start, token_end)
                else:
                    end = min(end, token_start)
                    break
            piece = self.masked_text[start:end]
            start, end = start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())
            if end <= start:
                continue
            spans.append(
                DetectedSpan(
                    self.edit_map.original(start),
                    self.edit_map.original(end),
                    span.entity_type,
                    span.score,
                    span.recognizer,
                )
            )
        return spans

    def neighbours(self) -> list[DetectedSpan]:
        """Name parts right beside a PERSON token, as spans of the original text."""
        return [
            DetectedSpan(
                self.edit_map.original(a), self.edit_map.original(b), "PERSON", NEIGHBOUR_SCORE, NEIGHBOUR
            )
            for a, b in token_neighbours(self.masked_text)
        ]


def splice(text: str, replacements: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with non-overlapping [start, end) ranges replaced."""
    pieces, position = [], 0
    for start, end, replacement in sorted(replacements):
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def merge_edits(
    first_pass: list[tuple[int, int, str]], second_pass: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Every replacement in the original text's coordinates: ``second_pass`` ranges (in the text the first
    pass produced) mapped back through ``first_pass``; a range that reaches into a first-pass token takes
    in that token's original range. Lets a caller cut any slice of the original text and mask it exactly
    as the whole was masked (scrub cuts a rebuilt document back into its chunks)."""

    def original(position: int, is_end: bool) -> int:
        shift = 0
        for start, end, rendered in first_pass:
            token_start = start + shift
            if position < token_start or (is_end and position == token_start):
                break
            if position < token_start + len(rendered) or (not is_end and position == token_start):
                return end if is_end else start
            shift += len(rendered) - (end - start)
        return position - shift

    mapped = [(original(start, False), original(end, True), rendered) for start, end, rendered in second_pass]
    merged: list[tuple[int, int, str]] = []
    for start, end, rendered in sorted([*first_pass, *mapped]):
        # a second-pass range took in a first-pass token: it wins
        if merged and start < merged[-1][1]:
            if end - start > merged[-1][1] - merged[-1][0]:
                merged[-1] = (start, end, rendered)
            continue
        merged.append((start, end, rendered))
    return merged


def overlaps(span: DetectedSpan, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(span.start < end and start < span.end for start, end in ranges)
