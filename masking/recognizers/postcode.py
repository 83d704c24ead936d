"""Postcodes: distinctive national formats on their own, plain digit runs only with context."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

POSTCODE_CONTEXT = ["zip", "zipcode", "postcode", "postal", "post code", "plz", "cp", "code postal", "cap"]


class PostcodeRecognizer(PatternRecognizer):
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("uk_postcode", r"\b[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[ABD-HJLNP-UW-Z]{2}\b", 0.6),
        Pattern(
            "ca_postcode", r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ \t]?\d[ABCEGHJ-NPRSTV-Z]\d\b", 0.6
        ),
        # A US state (or other 2-letter region) code followed by a ZIP: "IL 62704", "AP 15730".
        Pattern("zip_after_state", r"(?<=\b[A-Z]{2}[ \t])\d{5}(?:-\d{4})?\b", 0.6),
        Pattern("zip_plus_four", r"\b\d{5}-\d{4}\b", 0.4),
        Pattern("nl_postcode", r"\b[1-9]\d{3}[ \t]?(?!SA|SD|SS)[A-Z]{2}\b", 0.2),
        Pattern("digits", r"\b\d{4,6}\b", 0.05),
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="POSTCODE",
            patterns=self.PATTERNS,
            context=POSTCODE_CONTEXT,
            supported_language="en",
            name="PostcodeRecognizer",
        )
