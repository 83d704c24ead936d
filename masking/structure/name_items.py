"""The names in a value where a layout says names go: "Jane Doe", "Doe, Jane", "Ana Ruiz, Bo Li and Kai
Ott", "Dr. Jane Doe (CFO) <jane@example.com>", "Jane to send the figures".

``strong``: the place says "a person" (a person label, a name column, a signature), so a name's shape and
the lists' consent are enough (masking.names ``in_field``); otherwise a listed name is needed (``in_text``).
"""

from __future__ import annotations

import regex

from masking.names.evidence import name_evidence
from masking.names.shape import NAME_PHRASE, is_name_shaped
from masking.names.vocabulary import is_placeholder
from masking.normalise import TITLES
from masking.structure.lines import outside_tokens, strip_range

_TITLE = "|".join(sorted((regex.escape(t) for t in TITLES), key=len, reverse=True))
_LEADING_TITLE = regex.compile(rf"(?i:{_TITLE})\.?[ \t]+")
_SEPARATOR = regex.compile(r"[ \t]*(?:[,;/+&]|[ \t](?:and|und|et|en|og|och|oraz)(?=[ \t]))[ \t]*")
# What may follow a name in an item: a role in brackets, an address in angle brackets, a dash and a role.
_TRAILER = regex.compile(r"[ \t]*(?:\([^)\n]*\)|\[[^\]\n]*\]|<[^>\n]*>|[-–—|][ \t].*)[ \t]*$")
_NAME = regex.compile(NAME_PHRASE)
# After a name at the start of an item, a sentence that goes on: "Jane to send", "Jane: noted".
_GOES_ON = regex.compile(r"(?:[ \t]+\p{Ll}|[ \t]*[.:!?](?:[ \t]|$))")


def _plausible(phrase: str, strong: bool) -> bool:
    if not is_name_shaped(phrase) or is_placeholder(phrase):
        return False
    evidence = name_evidence(phrase)
    return evidence.in_field() if strong else evidence.in_text()


def _name_in_item(text: str, start: int, end: int, strong: bool) -> tuple[int, int] | None:
    title = _LEADING_TITLE.match(text, start, end)
    if title:
        start = title.end()
    trailer = _TRAILER.search(text, start, end)
    if trailer and trailer.start() > start:
        end = trailer.start()
    start, end = strip_range(text, start, end, " \t\"'“”‘’*_")
    if end <= start:
        return None
    if _plausible(text[start:end], strong):
        return start, end
    head = _NAME.match(text, start, end)
    goes_on = strong and head is not None and head.end() < end and _GOES_ON.match(text, head.end(), end)
    if goes_on and head is not None and _plausible(head.group(), strong):
        return head.start(), head.end()
    return None


def _inverted(text: str, start: int, end: int) -> bool:
    """ "Doe, Jane": one comma between two single name words."""
    value = text[start:end]
    if value.count(",") != 1 or _SEPARATOR.sub(",", value).count(",") != 1:
        return False
    last, first = (part.strip() for part in value.split(","))
    return " " not in last and " " not in first and is_name_shaped(last) and is_name_shaped(first)


def names_in(text: str, start: int, end: int, strong: bool) -> list[tuple[int, int]]:
    """The name spans in text[start:end], tokens of a masked text left out."""
    found: list[tuple[int, int]] = []
    for piece_start, piece_end in outside_tokens(text, start, end):
        if _inverted(text, piece_start, piece_end):
            last, first = (part.strip() for part in text[piece_start:piece_end].split(","))
            if _plausible(f"{first} {last}", strong):
                found.append((piece_start, piece_end))
            continue
        position = piece_start
        for separator in [*_SEPARATOR.finditer(text, piece_start, piece_end), None]:
            item_end = separator.start() if separator else piece_end
            name = _name_in_item(text, position, item_end, strong)
            if name:
                found.append(name)
            position = separator.end() if separator else piece_end
    return found
