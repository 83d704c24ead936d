"""Names inside identifiers: file names and paths ("/docs/Jane_Doe.txt", "hr/ana_ruiz-review.md",
"JaneDoe.pdf") and words joined by underscores.

The NER model reads prose, and an identifier's parts, even split into words (masking.deobfuscate), are no
sentence: lower-case "ana ruiz" there is no name to it. A file is often named after the person it is about,
so a given name followed by one or two listed surnames among an identifier's parts is a person; a stop
word or a role is no surname there ("april_may", "jane_manager").
"""

from __future__ import annotations

import re

from masking.deobfuscate import IDENTIFIER
from masking.entities import DetectedSpan
from masking.names.evidence import WordKind, word_kind
from masking.names.lists import fold, given_names, surnames

RECOGNIZER = "IdentifierNameRecognizer"
SCORE = 0.7
# an identifier's word parts: camelCase humps, runs of letters between "_", "-", "." and "/"
_PART = re.compile(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[^\W\d_A-Z][^\W\d_]*")
MAX_SURNAMES = 2


def identifier_names(text: str) -> list[DetectedSpan]:
    """PERSON spans over the name parts of every identifier in ``text`` (offsets in ``text``)."""
    found = []
    for match in IDENTIFIER.finditer(text):
        if "@" in match.group():
            continue
        parts = [(match.start() + p.start(), match.start() + p.end()) for p in _PART.finditer(match.group())]
        index = 0
        while index < len(parts) - 1:
            end = _name_end(text, parts, index)
            if end is None:
                index += 1
                continue
            found.append(DetectedSpan(parts[index][0], parts[end][1], "PERSON", SCORE, RECOGNIZER))
            index = end + 1
    return found


def _name_end(text: str, parts: list[tuple[int, int]], index: int) -> int | None:
    """The index of the last surname of a name that starts with a given name at ``index``, if any."""
    given = text[parts[index][0] : parts[index][1]]
    if fold(given) not in given_names() or word_kind(given) is WordKind.WORD:
        return None
    end = None
    for following in range(index + 1, min(index + 1 + MAX_SURNAMES, len(parts))):
        word = text[parts[following][0] : parts[following][1]]
        # a stop word or a role is no surname here, listed or not: "april_may", "jane_manager"
        if fold(word) not in surnames() or word_kind(word) is WordKind.WORD:
            break
        end = following
    return end
