"""Erasure fingerprints: a keyed HMAC of (type group, normalised value), the same across the corpus.

Stored only in the lineage store, they let an erasure request that names an e-mail, phone or name
find every chunk that mentioned it, without the value itself being stored anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from masking.entities import type_group
from masking.normalise import normalise
from masking.propagation import is_usable_variant, name_variants


def fingerprint(key: bytes, group: str, normalised: str) -> str:
    message = group.encode() + b"\x00" + normalised.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def person_fingerprint_values(full_name: str) -> list[str]:
    """The normalised full name and its usable variants: erasure by any of them finds the person."""
    variants = [v for v in name_variants(full_name) if is_usable_variant(v)]
    return list(dict.fromkeys([full_name, *variants]))


def entity_fingerprints(key: bytes, entity_type: str, normalised: str) -> list[str]:
    """What ingestion stores for one distinct value: its own fingerprint first, then its name variants'."""
    values = person_fingerprint_values(normalised) if entity_type == "PERSON" else [normalised]
    group = type_group(entity_type)
    return [fingerprint(key, group, v) for v in values]


def fingerprint_value(key: bytes, entity_type: str, value: str) -> str:
    """The fingerprint of a raw value as an erasure request would name it (normalised here)."""
    return fingerprint(key, type_group(entity_type), normalise(entity_type, value))


# hex characters of an audit finding's fingerprint: typed by an operator who accepts it
FINDING_LENGTH = 32


def finding_fingerprint(key: bytes, entity_type: str, value: str) -> str:
    """An audit finding's fingerprint: keyed, of the normalised value, kept apart from the erasure
    fingerprints (its own group), so a report's fingerprint matches no lineage row."""
    return fingerprint(key, f"finding|{type_group(entity_type)}", normalise(entity_type, value))[
        :FINDING_LENGTH
    ]


# What an erasure request names, and the entity type its value is fingerprinted as.
REQUEST_TYPES: dict[str, str] = {"email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER", "name": "PERSON"}


@dataclass(frozen=True)
class SubjectFingerprints:
    """Fingerprints an erasure request looks for. ``strong`` ones match any entity row; ``weak`` ones (a
    surname alone) match only an entity whose own value it is, never a variant of another full name:
    "Jane Doe" finds the document that only says "Ms Doe", but not John Doe's."""

    strong: frozenset[str]
    weak: frozenset[str] = frozenset()

    def __or__(self, other: SubjectFingerprints) -> SubjectFingerprints:
        return SubjectFingerprints(self.strong | other.strong, self.weak | other.weak)

    def matches(self, fingerprints: Sequence[str]) -> bool:
        """Whether an entity (its own fingerprint first, then its name variants') is this subject."""
        own, variants = fingerprints[0], fingerprints[1:]
        return own in self.strong or own in self.weak or any(fp in self.strong for fp in variants)


def subject_fingerprints(key: bytes, entity_type: str, value: str) -> SubjectFingerprints:
    """Normalised and fingerprinted exactly as at ingestion ("Jane.Doe@Example.com" finds the lower-cased
    address, "+1 (555) 010-2000" finds "555-010-2000")."""
    normalised = normalise(entity_type, value)
    group = type_group(entity_type)
    if entity_type != "PERSON":
        return SubjectFingerprints(frozenset({fingerprint(key, group, normalised)}))
    words = normalised.split()
    variants = person_fingerprint_values(normalised)[1:]
    first_and_last = [v for v in variants if " " in v]
    surname = [v for v in variants if " " not in v and v != words[0]]
    return SubjectFingerprints(
        frozenset(fingerprint(key, group, v) for v in [normalised, *first_and_last]),
        frozenset(fingerprint(key, group, v) for v in surname),
    )
