"""Entity types, their groups, and the span/entity records passed between masking stages."""

from __future__ import annotations

from dataclasses import dataclass, field

# Erasure requests name a person by e-mail, phone, name or "other identifier": fingerprints are keyed
# by these groups so that the same value found as two different types (e.g. an account number detected
# as US_BANK_NUMBER in one document and ACCOUNT_NUMBER in another) still matches one request.
TYPE_GROUPS: dict[str, str] = {
    "PERSON": "name",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "iban",
    "US_SSN": "national_id",
    "US_ITIN": "national_id",
    "UK_NHS": "health_id",
    "MEDICAL_RECORD_NUMBER": "health_id",
    "US_BANK_NUMBER": "account",
    "ACCOUNT_NUMBER": "account",
    "STREET_ADDRESS": "address",
    "IP_ADDRESS": "ip",
}


def type_group(entity_type: str) -> str:
    """The fingerprint group of an entity type; unknown types are their own group."""
    return TYPE_GROUPS.get(entity_type, entity_type.lower())


@dataclass(frozen=True, slots=True)
class DetectedSpan:
    """One detection in a document's original text: [start, end) with its type and score."""

    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str = ""

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, other: DetectedSpan) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(slots=True)
class MaskedEntity:
    """A distinct value of a document after masking: its token and erasure fingerprints, never the value."""

    token: str
    entity_type: str
    action: str
    # the value's own first, then its name variants'
    fingerprints: list[str] = field(default_factory=list)
    occurrences: int = 0
