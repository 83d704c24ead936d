"""Erasure fingerprints: a keyed HMAC of (type group, normalised value), the same across the corpus.

Stored only in the lineage store, they let an erasure request that names an e-mail, phone or name
find every chunk that mentioned it, without the value itself being stored anywhere.
"""

from __future__ import annotations

import hashlib
import hmac

from masking.entities import type_group
from masking.normalise import normalise


def fingerprint(key: bytes, group: str, normalised: str) -> str:
    message = group.encode() + b"\x00" + normalised.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def fingerprint_value(key: bytes, entity_type: str, value: str) -> str:
    """The fingerprint of a raw value as an erasure request would name it (normalised here)."""
    return fingerprint(key, type_group(entity_type), normalise(entity_type, value))
