"""Closure: the masker reads its own output again, as an audit of it would, and masks what it finds.

A masked text is not the text that was detected: "Facilis Jane Doe blanditiis" became "Facilis <PERSON_1a2b>
blanditiis", and the NER model, seeing a token where a name was, may now call "Facilis" a person; a given name
may stand raw beside its surname's token ("Owner - Ilona <PERSON_1a2b>"). So after the first pass the
detector runs again over the masked text where that can change anything, its findings join the document's
detections, and the document is masked again, until nothing new turns up (``DetectorConfig.closure_rounds``).

Where it reads: around every PERSON token, a name part beside it (``token_neighbours``) takes the token
without any model (the adjacent word joins the token's span); the layout is read again (masking.structure: a
label's or a name column's value outside its tokens); and every sentence that still holds a word that may be a
name (capitalised in the middle of the sentence and no common English word: ``closure_regions``) goes to the
context-sensitive recognizers again (the NER model, its entities' and the name cues' readers).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

import regex

from masking.names.evidence import WordKind, word_kind
from masking.names.shape import CASED_WORD
from masking.normalise import TITLES
from masking.tokens import TOKEN_PATTERN

# a sentence read again, at most this far each way from the word that asked for it
MAX_REGION_CHARS = 300
_BOUNDARY = regex.compile(r"[.!?](?=\s)|\n")
_CAPITALISED = regex.compile(rf"(?<![\p{{L}}\p{{N}}_<])(?:{CASED_WORD})(?![\p{{L}}\p{{N}}_>])")
_BEFORE_TOKEN = regex.compile(rf"(?:^|(?<=[\s(\[\"'“]))(?P<word>{CASED_WORD})[ \t]+$")
_AFTER_TOKEN = regex.compile(rf"[ \t]+(?P<word>{CASED_WORD})(?![\p{{L}}\p{{N}}_])")
# Words before a name that are not part of it ("Dear", "Hi", "Thanks"); titles stay outside the token too.
_NOT_NAME_PARTS = frozenset(
    "dear hi hello hey thanks thank cc to from by with and or per attn regards".split()
)
_OPENS = regex.compile(r"(?:^|[.!?:;]\s+|\n[ \t>*\-•|#]*|[(\[\"“|][ \t]*)$")


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from the boundary before to the boundary after (bounded)."""
    floor = max(0, start - MAX_REGION_CHARS)
    before = [m.end() for m in _BOUNDARY.finditer(text, floor, start)]
    after = _BOUNDARY.search(text, end, min(len(text), end + MAX_REGION_CHARS))
    return (before[-1] if before else floor), (
        after.end() if after else min(len(text), end + MAX_REGION_CHARS)
    )


def closure_regions(masked: str) -> list[tuple[int, int]]:
    """Sentences of the masked text to read again: those holding a capitalised word outside tokens, in the
    middle of the sentence (where no word is capitalised for being first), that may be a name (no common
    English word); merged, in order."""
    tokens = [(m.start(), m.end()) for m in TOKEN_PATTERN.finditer(masked)]
    starts = [start for start, _ in tokens]
    found = []
    for match in _CAPITALISED.finditer(masked):
        before = bisect_right(starts, match.start()) - 1
        if before >= 0 and match.start() < tokens[before][1]:
            continue
        if _OPENS.search(masked, max(0, match.start() - 8), match.start()):
            continue
        if word_kind(match.group()) is not WordKind.WORD:
            found.append(_sentence(masked, match.start(), match.end()))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def token_neighbours(masked: str) -> list[tuple[int, int]]:
    """Words right beside a PERSON token that may be part of the name ("Ilona <PERSON_1a2b>", "<PERSON_1a2b>
    Lantz"): name-shaped, not a common word, a title or a greeting. Ranges of the masked text."""
    found = []
    for token in TOKEN_PATTERN.finditer(masked):
        if token.group(1) != "PERSON":
            continue
        line_start = masked.rfind("\n", 0, token.start()) + 1
        before = _BEFORE_TOKEN.search(masked, line_start, token.start())
        after = _AFTER_TOKEN.match(masked, token.end())
        for match in (before, after):
            if match and _neighbour_is_a_name_part(match.group("word")):
                found.append(match.span("word"))
    return found


def _neighbour_is_a_name_part(word: str) -> bool:
    key = word.casefold().rstrip(".")
    if key in TITLES or key in _NOT_NAME_PARTS:
        return False
    return word_kind(word) is not WordKind.WORD


class EditMap:
    """Positions of a masked text in the original text, from the edits that made it ((start, end, rendered)
    in original offsets, sorted, not overlapping)."""

    def __init__(self, edits: Sequence[tuple[int, int, str]]) -> None:
        self._masked_starts: list[int] = []
        self._edits = list(edits)
        shift = 0
        for start, end, rendered in self._edits:
            self._masked_starts.append(start + shift)
            shift += len(rendered) - (end - start)

    def tokens_in(self, start: int, end: int) -> list[tuple[int, int]]:
        """The masked ranges of the tokens that overlap [start, end), in order."""
        first = max(0, bisect_right(self._masked_starts, start) - 1)
        found = []
        for index in range(first, len(self._edits)):
            token_start = self._masked_starts[index]
            if token_start >= end:
                break
            token_end = token_start + len(self._edits[index][2])
            if token_end > start:
                found.append((token_start, token_end))
        return found

    def token_at(self, position: int) -> tuple[int, int] | None:
        """The masked range of the token covering ``position``, if one does."""
        index = bisect_right(self._masked_starts, position) - 1
        if index < 0:
            return None
        start = self._masked_starts[index]
        rendered = self._edits[index][2]
        return (start, start + len(rendered)) if position < start + len(rendered) else None

    def original(self, position: int) -> int:
        """The original offset of a masked position outside every token (or at a token's edge)."""
        index = bisect_right(self._masked_starts, position) - 1
        if index < 0:
            return position
        start, end, rendered = self._edits[index]
        masked_start = self._masked_starts[index]
        if position <= masked_start:
            return start
        if position < masked_start + len(rendered):
            raise ValueError("a position inside a token has no original offset")
        return end + (position - masked_start - len(rendered))
