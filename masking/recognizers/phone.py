"""Phone numbers that phonenumbers cannot validate, found by their label or their written shape.

Presidio's recognizer (phonenumbers) finds valid international (+44 ...) and national numbers of its
configured regions. "Mobile: 98 412203", "call me on 312 5517" or "644 210 937 office" have no
country to validate against; the label before or after them is the evidence. A number written in
the North American 3-3-4 shape with separators ("001-291-278-2793x1152", "(390) 484-8254") is a
phone number whether or not its area code is assigned: fictional and mistyped numbers still
identify someone.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

from masking.recognizers.base import RuleRecognizer

NUMBER = r"(?:\+\d{1,3}[ \t.\-]?)?(?:\(\d{1,4}\)[ \t.\-]?)?\d{2,12}(?:[ \t.\-]\d{2,8}){0,4}(?:[ \t]*(?:x|ext\.?)[ \t]*\d{1,5})?"
LABEL = (
    r"(?i:phone|tel|telephone|mobile|cell|fax|desk|office|home|work|whatsapp|call(?:[ \t]+(?:me|us|him|her|them))?(?:[ \t]+(?:on|at))?"
    r"|reach[ \t]+me[ \t]+(?:on|at)|answering[ \t]+at|messages[ \t]+to|text[ \t]+me[ \t]+(?:on|at)|number"
    r"|(?:direct[ \t]+)?line|contact|extension|ext)"
)
# "Phone: ...", "**Mobile:** ...", "my direct line is ...", "reported by phone (...)"
BEFORE = regex.compile(
    rf"\b{LABEL}\b(?:[ \t]+(?i:is))?[ \t]*(?:\*\*)?[:\-(]?(?:\*\*)?[ \t]*\n?[ \t]*(?P<value>{NUMBER})(?![\w\-])"
)
AFTER = regex.compile(
    rf"(?<![\w+\-])(?P<value>{NUMBER})[ \t]*[\-,]?[ \t]*\b(?i:office|fax|mobile|cell|home|work|desk)\b"
)
MIN_DIGITS, MAX_DIGITS = 7, 15
NORTH_AMERICAN = regex.compile(
    r"(?<![\w+\-.])(?:(?:\+1|001|1)[ \t.\-]?)?(?:\(\d{3}\)[ \t.\-]?|\d{3}[ \t.\-])\d{3}[.\-]\d{4}"
    r"(?:[ \t]*(?:x|ext\.?)[ \t]*\d{1,5})?(?![\w\-]|\.\d)"
)


class LabelledPhoneRecognizer(RuleRecognizer):
    ENTITY = "PHONE_NUMBER"

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for pattern in (BEFORE, AFTER):
            for match in pattern.finditer(text):
                value = match.group("value")
                digits = sum(c.isdigit() for c in value.split("x")[0].split("ext")[0])
                if MIN_DIGITS <= digits <= MAX_DIGITS:
                    yield match.start("value"), match.end("value"), 0.55


class NorthAmericanPhoneRecognizer(RuleRecognizer):
    """3-3-4 digits with separators, optional +1/001 and extension; a lower score than a labelled one."""

    ENTITY = "PHONE_NUMBER"

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in NORTH_AMERICAN.finditer(text):
            yield match.start(), match.end(), 0.45
