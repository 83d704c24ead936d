"""The leak check: an independent second detector over masked text, outside tokens.

Validated regexes only (Luhn, IBAN mod-97, SSN rules, IP parsing, phonenumbers validation, credential
formats): no NER and no Presidio, so a miss of the first detector is not repeated here. A finding is
a ``redaction_miss``: re-masked, or in strict mode the document is quarantined.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

import phonenumbers

from masking.deobfuscate import Plain
from masking.secret_patterns import find_secrets
from masking.tokens import TOKEN_PATTERN
from masking.validators import digits_of, iban_valid, ip_valid, luhn_valid, ssn_valid

EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,5}(?:[ .\-]\d{2,5}){1,4}(?!\w)"
)
CARD = re.compile(r"(?<![\w\-])(?:\d[ \-]?){12,18}\d(?![\w\-])")
SSN = re.compile(r"(?<![\w\-])\d{3}([ \-])\d{2}\1\d{4}(?![\w\-])")
IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?!\w)")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
MIN_PHONE_DIGITS = 9


@dataclass(frozen=True)
class LeakFinding:
    """A suspected unmasked value: its type and position in the checked text (never the value)."""

    entity_type: str
    start: int
    end: int


def _phone_valid(candidate: str) -> bool:
    if len(digits_of(candidate)) < MIN_PHONE_DIGITS:
        return False
    try:
        number = phonenumbers.parse(candidate, None if candidate.startswith("+") else "US")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def _scan(segment: str) -> Iterator[tuple[str, int, int]]:
    checks: list[tuple[str, re.Pattern[str], Callable[[str], bool] | None]] = [
        ("EMAIL_ADDRESS", EMAIL, None),
        ("IBAN_CODE", IBAN, iban_valid),
        ("CREDIT_CARD", CARD, luhn_valid),
        ("US_SSN", SSN, ssn_valid),
        ("IP_ADDRESS", IPV4, ip_valid),
        ("IP_ADDRESS", IPV6, lambda c: c.count(":") >= 2 and ip_valid(c)),
        ("PHONE_NUMBER", PHONE, _phone_valid),
    ]
    for entity_type, pattern, validate in checks:
        for match in pattern.finditer(segment):
            if validate is None or validate(match.group()):
                yield entity_type, match.start(), match.end()
    for start, end, _kind in find_secrets(segment):
        yield "SECRET", start, end


def _segments(text: str) -> Iterator[tuple[int, str]]:
    """The stretches of ``text`` between tokens, with their offsets."""
    position = 0
    for token in TOKEN_PATTERN.finditer(text):
        if token.start() > position:
            yield position, text[position : token.start()]
        position = token.end()
    if position < len(text):
        yield position, text[position:]


def leak_check(text: str, types: Collection[str] | None = None) -> list[LeakFinding]:
    """Non-overlapping findings outside tokens, first-found wins; ``types`` limits what counts. The text is
    read in its plain form (masking.deobfuscate), the findings given in the original's offsets."""
    plain = Plain.of(text)
    findings: list[LeakFinding] = []
    for offset, segment in _segments(plain.text):
        taken: list[tuple[int, int]] = []
        for entity_type, start, end in _scan(segment):
            if types is not None and entity_type not in types:
                continue
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            findings.append(LeakFinding(entity_type, *plain.original_span(offset + start, offset + end)))
    return sorted(findings, key=lambda f: f.start)
