"""Dates of birth (a date with birth context nearby) and ages (strict preset).

A date alone is not a direct identifier; a date of birth is (HIPAA, and the seeds' DOB field). Only
a date preceded by birth context ("born", "DOB", "date of birth", "birthday") becomes DATE_OF_BIRTH.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

from masking.recognizers.base import RuleRecognizer, preceded_by

MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
DATE = regex.compile(
    rf"""\b(?:
        \d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})
      | \d{{4}}[/.\-]\d{{1,2}}[/.\-]\d{{1,2}}
      | \d{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?{MONTH},?[ \t]+\d{{4}}
      | {MONTH}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}
    )\b""",
    regex.VERBOSE | regex.IGNORECASE,
)
BIRTH_CONTEXT = regex.compile(
    r"(?i)\b(?:born|birth|birthday|birthdate|dob|d\.o\.b|b\.|geboren|geb\.|né|née|date de naissance)\b"
)


class DateOfBirthRecognizer(RuleRecognizer):
    ENTITY = "DATE_OF_BIRTH"

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in DATE.finditer(text):
            if preceded_by(text, match.start(), BIRTH_CONTEXT, window=40):
                yield match.start(), match.end(), 0.85


AGE_PATTERNS = [
    regex.compile(r"\b(\d{1,3})[ \t\-]*(?:years?|yrs?|y/o|yo)[ \t\-]*old\b", regex.IGNORECASE),
    regex.compile(r"\b(\d{1,3})[ \t\-]*(?:y/o|yo)\b", regex.IGNORECASE),
    regex.compile(r"\b(?:aged?|age:)[ \t]*(\d{1,3})\b", regex.IGNORECASE),
    regex.compile(r"\b(?:turn(?:ed|ing|s)?|I'm|I am)[ \t]+(\d{1,3})\b(?![ \t]*(?:%|am|pm|[:.]\d))"),
]
MAX_AGE = 120


class AgeRecognizer(RuleRecognizer):
    ENTITY = "AGE"

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for pattern in AGE_PATTERNS:
            for match in pattern.finditer(text):
                if int(match.group(1)) <= MAX_AGE:
                    yield match.start(1), match.end(1), 0.6
