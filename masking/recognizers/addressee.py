"""The name on top of an address block: the addressee of a letter, a label or a signature.

Address labels, letter heads and e-mail signatures put a name on its own line and the street a few
lines below it, sometimes with a job title or a company in between:

    Ilse Marchetti              >Tomas Brevik
                                >Hollis, Grant and Webb
    2217 Lindenkatu 14          >88 Quarry Lane

The small NER model misses many such names (no sentence around them). A line that is only a
capitalised name, followed within a few lines by a line where a street pattern starts, is taken as a
person; a line with a form word first ("Billing Department") or a company word anywhere ("Acme
Technologies Ltd") is not.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

from masking.recognizers.address import CORES
from masking.recognizers.base import RuleRecognizer
from masking.recognizers.person import FULL_NAME, NOT_NAMES
from masking.spans import NOT_A_PERSON

NAME_LINE = regex.compile(rf"(?m)^[ \t>]*(?P<name>{FULL_NAME})[ \t]*$")
LINE_PREFIX = regex.compile(r"[ \t>]*")
# How far below the name the street may start: blank lines do not count, other lines do.
MAX_LINES_BETWEEN = 3
# The street patterns that start a block; a bare unit line ("Suite 4") is not enough.
STREET_STARTS = [pattern for pattern, score in CORES if score >= 0.5]
ORGANISATION_WORDS = frozenset(
    """
    inc ltd llc llp plc gmbh ag bv nv sa sas srl spa oy ab as aps corp corporation company co group
    holdings technologies technology solutions systems services partners associates bank university
    college school hospital clinic office headquarters department dept store shop hotel restaurant
    """.split()
)


def _street_starts_within(text: str, position: int) -> bool:
    """True when one of the next few non-blank lines after ``position`` starts with a street."""
    lines_seen = 0
    while lines_seen <= MAX_LINES_BETWEEN and position < len(text):
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end
        start = LINE_PREFIX.match(text, position).end()  # type: ignore[union-attr]
        if start < line_end:
            if any(pattern.match(text, start) for pattern in STREET_STARTS):
                return True
            lines_seen += 1
        position = line_end + 1
    return False


class AddresseeRecognizer(RuleRecognizer):
    """A name alone on its line above a street address."""

    ENTITY = "PERSON"
    SCORE = 0.55

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for line in NAME_LINE.finditer(text):
            name = line.group("name")
            words = name.casefold().split()
            if (
                len(words) < 2
                or words[0] in NOT_A_PERSON
                or words[0] in NOT_NAMES
                or any(word.strip(".,") in ORGANISATION_WORDS for word in words)
            ):
                continue
            if _street_starts_within(text, line.end() + 1):
                yield line.start("name"), line.end("name"), self.SCORE
