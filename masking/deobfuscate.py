"""Obfuscations undone before detection, with a map back to the original offsets.

People and systems write values so that a plain pattern misses them: a full-width "＠", an HTML entity
("&#64;"), percent-encoding ("%40"), zero-width or bidi control characters inside a word, "jane [at]
example [dot] com". File names, paths and
underscore-joined words are identifiers whose parts are words ("/docs/Jane_Doe.txt", "JaneDoe-notes.md"):
their "_", "-" and "." between letters, and their camelCase joins, are read as spaces.
Detection reads the plain form; the spans it finds are mapped back, so masking
replaces the original characters and the stored text keeps its shape.

Usage::

    plain = Plain.of("jane\u200b＠example.com")
    plain.text                   # "jane@example.com"
    plain.original_span(0, 16)   # (0, 17): the whole obfuscated address in the original
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

# zero-width characters, bidi marks, embeddings, overrides and isolates, the word joiner, the BOM
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# the blocks whose compatibility forms stand in for ASCII: full-width and small forms, letter-like and
# enclosed alphanumerics, super- and subscripts, ligatures, mathematical alphanumerics
COMPATIBLE = re.compile(
    "[\u2070-\u209f\u2100-\u214f\u2460-\u24ff\ufb00-\ufb06\ufe50-\ufe6f\uff01-\uff5e\U0001d400-\U0001d7ff]+"
)  # fmt: skip
ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
PERCENT = re.compile(r"%[2-7][0-9A-Fa-f]")
# "[at]", "(at)", "{at}", " at " between an address's parts; "[dot]", " dot " between its domain's labels
_AT = r"(?:\s*[\[({]\s*(?:at|AT|At)\s*[\])}]\s*|\s+(?:at|AT)\s+)"
_DOT = r"(?:\s*[\[({]\s*(?:dot|DOT|Dot)\s*[\])}]\s*|\s+(?:dot|DOT)\s+|\.)"
SPELLED_ADDRESS = re.compile(
    rf"(?<![\w.@+\-])[A-Za-z0-9][A-Za-z0-9._+\-]*(?P<at>{_AT})[A-Za-z0-9][A-Za-z0-9\-]*"
    rf"(?:{_DOT}[A-Za-z0-9][A-Za-z0-9\-]*)*{_DOT}[A-Za-z]{{2,24}}(?![\w@])"
)  # fmt: skip
_SEPARATOR = re.compile(rf"{_AT}|{_DOT}")
# a file name or path ("/docs/Jane_Doe.txt", "HR\\JaneDoe-review.docx") or words joined by underscores
# ("Jane_Doe"): identifiers, never prose, whose parts are read as words
# each alternative starts only where a token starts, so a long token is read once, not once per character
IDENTIFIER = re.compile(
    r"(?<![^\s\"'<>()\[\]{},;|])[^\s\"'<>()\[\]{},;|]*[/\\][^\s\"'<>()\[\]{},;|]+"
    r"|(?<![\w\-.])[\w\-.]+\.(?:txt|md|pdf|docx?|xlsx?|xlsm|csv|tsv|html?|json|eml|msg|pptx?|rtf|odt|png|jpe?g)\b"
    r"|(?<!\w)[A-Za-z][a-z]+(?:_[A-Za-z][a-z]+)+\b"
)  # fmt: skip
_IDENTIFIER_BREAK = re.compile(r"(?<=[^\W\d_])[_.\-](?=[^\W\d_])|(?<=[a-z])(?=[A-Z][a-z])")
_MARKERS = re.compile(r"[&%\[({/\\_]|\s(?:at|AT|dot|DOT)\s|\.[a-z]{2,4}\b")


@dataclass(frozen=True)
class Plain:
    """A text with its obfuscations undone; ``edits`` are (plain start, original start, plain length,
    original length) of each replaced stretch, in order (none: the text was plain already)."""

    text: str
    original: str = field(repr=False)
    edits: tuple[tuple[int, int, int, int], ...] = ()

    @classmethod
    def of(cls, text: str) -> Plain:
        """The plain form of ``text``; a text with nothing to undo is returned as it is, cheaply."""
        if text.isascii() and not _MARKERS.search(text):
            return cls(text, text)
        replacements = sorted(_replacements(text))
        pieces: list[str] = []
        edits: list[tuple[int, int, int, int]] = []
        position = plain_length = 0
        for start, end, new in replacements:
            if start < position:
                # overlaps an earlier replacement: the first one found wins
                continue
            pieces.append(text[position:start])
            plain_length += start - position
            edits.append((plain_length, start, len(new), end - start))
            pieces.append(new)
            plain_length += len(new)
            position = end
        if not edits:
            return cls(text, text)
        pieces.append(text[position:])
        return cls("".join(pieces), text, tuple(edits))

    @property
    def changed(self) -> bool:
        return bool(self.edits)

    def original_offset(self, offset: int, *, end: bool = False) -> int:
        """The original offset of a plain offset; inside a replaced stretch, its start (or its end, for the
        end of a span), so a span never cuts an obfuscated character in two."""
        if not self.edits:
            return offset
        index = bisect_right(self.edits, (offset, len(self.original) + 1)) - 1
        if index < 0:
            return offset
        plain_start, original_start, plain_len, original_len = self.edits[index]
        if offset < plain_start + plain_len:
            return original_start + original_len if end and offset > plain_start else original_start
        return offset - (plain_start + plain_len) + original_start + original_len

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.original_offset(start), self.original_offset(end, end=True)


def plain_text(text: str) -> str:
    """The plain form of a value (fingerprints: "jane&#64;example.com" is "jane@example.com")."""
    return Plain.of(text).text


def _replacements(text: str) -> list[tuple[int, int, str]]:
    """(start, end, plain form) of every obfuscated stretch of ``text``."""
    found = [(m.start(), m.end(), "") for m in INVISIBLE.finditer(text)]
    for match in COMPATIBLE.finditer(text):
        for offset, character in enumerate(match.group()):
            plain = unicodedata.normalize("NFKC", character)
            if plain != character:
                found.append((match.start() + offset, match.start() + offset + 1, plain))
    for match in ENTITY.finditer(text):
        plain = html.unescape(match.group())
        if plain != match.group() and len(plain) == 1 and plain.isprintable():
            found.append((match.start(), match.end(), plain))
    for match in PERCENT.finditer(text):
        plain = chr(int(match.group()[1:], 16))
        if plain.isprintable() and plain != "%":
            found.append((match.start(), match.end(), plain))
    for match in SPELLED_ADDRESS.finditer(text):
        found.extend(_spelled_separators(match))
    for match in IDENTIFIER.finditer(text):
        # an address inside a path is read as an address
        if "@" not in match.group():
            found.extend(
                (match.start() + b.start(), match.start() + b.end(), " ")
                for b in _IDENTIFIER_BREAK.finditer(match.group())
            )
    return found


def _spelled_separators(match: re.Match[str]) -> list[tuple[int, int, str]]:
    """The "[at]" and "[dot]" of a spelled-out address as "@" and "."; a plain " at " counts only with a
    spelled dot ("jane at example dot com"), so "look at example.com" stays prose."""
    at = match.group("at")
    separators = [s for s in _SEPARATOR.finditer(match.group()) if s.group() != "."]
    spelled_dot = any("dot" in s.group().casefold() for s in separators)
    if at.strip() == "at" and not spelled_dot:
        return []
    found = []
    for separator in separators:
        symbol = (
            "@" if "at" in separator.group().casefold() and "dot" not in separator.group().casefold() else "."
        )
        found.append((match.start() + separator.start(), match.start() + separator.end(), symbol))
    return found
