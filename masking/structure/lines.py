"""A text as lines with their offsets, the unit the structure recognizers read."""

from __future__ import annotations

from dataclasses import dataclass

from masking.tokens import TOKEN_PATTERN


@dataclass(frozen=True, slots=True)
class Line:
    start: int
    # the line break excluded
    end: int


def text_lines(text: str) -> list[Line]:
    lines, position = [], 0
    while position <= len(text):
        end = text.find("\n", position)
        end = len(text) if end == -1 else end
        lines.append(Line(position, end - 1 if end > position and text[end - 1] == "\r" else end))
        position = end + 1
    return lines


def strip_range(text: str, start: int, end: int, chars: str = " \t\r") -> tuple[int, int]:
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


def outside_tokens(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The stretches of [start, end) between ragmask tokens, stripped (a masked text read again)."""
    pieces, position = [], start
    for token in TOKEN_PATTERN.finditer(text, start, end):
        pieces.append(strip_range(text, position, token.start()))
        position = token.end()
    pieces.append(strip_range(text, position, end))
    return [(a, b) for a, b in pieces if b > a]


def is_token(text: str, start: int, end: int) -> bool:
    return TOKEN_PATTERN.fullmatch(text, start, end) is not None
