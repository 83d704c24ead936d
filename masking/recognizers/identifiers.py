"""Identifiers recognised by their label: medical record, account/policy/member, licence, device numbers.

Such numbers have no checksum and no fixed shape; what marks them is the word before them
("MRN: 4471-22", "policy no. PX-99812"). A value must contain digits, so "account details" is safe.
Vehicle identification numbers also have a check digit, so they are found without a label.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

from masking.recognizers.base import RuleRecognizer

VALUE = regex.compile(
    r"[ \t]*(?:(?:number|num|no\.?|nr\.?|id|code|\#)[ \t]*)?(?:is|[:#=\-])?[ \t]*(?:\*\*[ \t]*)?"
    r"(?P<value>[A-Z0-9](?:[A-Z0-9]|[\-/.](?=[A-Z0-9])){4,24})(?![A-Za-z0-9])",
    regex.IGNORECASE,
)
MIN_DIGITS = 3


class LabelledIdentifierRecognizer(RuleRecognizer):
    """An identifier that follows one of ``LABELS``; subclasses set ENTITY and LABELS."""

    LABELS: regex.Pattern[str]
    VALUE: regex.Pattern[str] = VALUE
    MIN_DIGITS: int = MIN_DIGITS
    MAX_DIGITS: int = 64
    SCORE = 0.7

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for label in self.LABELS.finditer(text):
            match = self.VALUE.match(text, label.end())
            if match and self.MIN_DIGITS <= sum(c.isdigit() for c in match.group("value")) <= self.MAX_DIGITS:
                yield match.start("value"), match.end("value"), self.SCORE


class LabelledCardRecognizer(LabelledIdentifierRecognizer):
    """A number called a card number is one, checksum or not (a mistyped card is still a card)."""

    ENTITY = "CREDIT_CARD"
    LABELS = regex.compile(r"\b(?:card|cc|visa|mastercard|amex|maestro)\b", regex.IGNORECASE)
    VALUE = regex.compile(
        r"[ \t]*(?:(?:number|num|no\.?|\#)[ \t]*)?(?:is|ending(?:[ \t]+in)?|[:#=])?[ \t]*"
        r"(?P<value>\d(?:[ \-]?\d){11,18})(?![\w\-])",
        regex.IGNORECASE,
    )
    MIN_DIGITS = 12
    MAX_DIGITS = 19
    SCORE = 0.6


class MedicalRecordNumberRecognizer(LabelledIdentifierRecognizer):
    ENTITY = "MEDICAL_RECORD_NUMBER"
    LABELS = regex.compile(
        r"\b(?:MRN|medical[ \t]+record|patient[ \t]+(?:id|number|no)|chart[ \t]+(?:number|no)"
        r"|hospital[ \t]+(?:number|no))\b",
        regex.IGNORECASE,
    )


class AccountNumberRecognizer(LabelledIdentifierRecognizer):
    ENTITY = "ACCOUNT_NUMBER"
    LABELS = regex.compile(
        r"\b(?:account|acct|a/c|policy|member(?:ship)?|customer|subscriber|beneficiary|health[ \t]+plan"
        r"|insurance|claim|loyalty|employee|staff|personnel|payroll|badge)\b",
        regex.IGNORECASE,
    )


class LicenseNumberRecognizer(LabelledIdentifierRecognizer):
    ENTITY = "LICENSE_NUMBER"
    LABELS = regex.compile(r"\b(?:licen[cs]e|certificate|permit|passport|registration)\b", regex.IGNORECASE)


class DeviceIdRecognizer(LabelledIdentifierRecognizer):
    ENTITY = "DEVICE_ID"
    LABELS = regex.compile(r"\b(?:serial|s/n|imei|device[ \t]+id|udid)\b", regex.IGNORECASE)


VIN = regex.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b")
_VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True))}
_VIN_VALUES.update(dict(zip("JKLMNPR", [1, 2, 3, 4, 5, 7, 9], strict=True)))
_VIN_VALUES.update(dict(zip("STUVWXYZ", range(2, 10), strict=True)))
_VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def vin_valid(vin: str) -> bool:
    """ISO 3779 check digit (position 9), as used in North America."""
    if not any(c.isalpha() for c in vin) or not any(c.isdigit() for c in vin):
        return False
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return vin[8] == ("X" if total == 10 else str(total))


class VehicleIdRecognizer(RuleRecognizer):
    ENTITY = "VEHICLE_ID"
    PLATE_LABEL = regex.compile(
        r"\b(?:(?:licen[cs]e|number|registration|reg\.?)[ \t]+)?plate[ \t]*(?:number|no\.?)?[ \t]*[:#]?[ \t]*"
        r"(?P<value>[A-Z0-9][A-Z0-9 \-]{2,9}[A-Z0-9])\b",
        regex.IGNORECASE,
    )

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in VIN.finditer(text):
            if vin_valid(match.group()):
                yield match.start(), match.end(), 0.85
        for match in self.PLATE_LABEL.finditer(text):
            yield match.start("value"), match.end("value"), 0.7
