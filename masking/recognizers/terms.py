"""Special-category terms (GDPR Art. 9): health, religion, politics, sexuality. Strict preset only.

A list, not a model: it flags the terms that make a sentence about a person sensitive. spaCy's NORP
(nationalities, religious and political groups) complements it as the NRP entity.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

from masking.recognizers.base import RuleRecognizer

TERMS = {
    "health": (
        "hiv", "aids", "cancer", "diabetes", "diabetic", "depression", "anxiety disorder", "schizophrenia",
        "bipolar", "autism", "dementia", "alzheimer's", "epilepsy", "asthma", "hepatitis", "tuberculosis",
        "pregnant", "pregnancy", "miscarriage", "abortion", "chemotherapy", "dialysis", "hiv-positive",
        "ptsd", "adhd", "anorexia", "bulimia", "substance abuse", "alcoholism", "addiction", "disability",
        "disabled", "wheelchair", "paralysed", "paralyzed", "stroke", "heart attack", "multiple sclerosis",
    ),
    "religion": (
        "muslim", "christian", "catholic", "protestant", "jewish", "jew", "hindu", "buddhist", "sikh",
        "atheist", "agnostic", "mormon", "jehovah's witness", "evangelical", "orthodox",
    ),
    "politics": (
        "democrat", "republican", "labour party", "conservative party", "socialist", "communist",
        "trade union", "union member", "green party", "libertarian",
    ),
    "sexuality": ("gay", "lesbian", "bisexual", "transgender", "homosexual", "queer", "non-binary"),
}  # fmt: skip
TERM_PATTERN = regex.compile(
    r"(?<![\p{L}\-])(?:"
    + "|".join(
        regex.escape(t) for t in sorted({t for ts in TERMS.values() for t in ts}, key=len, reverse=True)
    )
    + r")(?![\p{L}\-])",
    regex.IGNORECASE,
)


class SensitiveTermRecognizer(RuleRecognizer):
    ENTITY = "SENSITIVE_CATEGORY"

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for match in TERM_PATTERN.finditer(text):
            yield match.start(), match.end(), 0.6
