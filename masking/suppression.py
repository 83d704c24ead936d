"""Erased subjects stay erased: tokens of a suppressed subject become unlinkable ``<TYPE>`` markers.

An erasure leaves the subject's fingerprints on a suppression list (keyed hashes only). When a
document is masked again (a changed source, a full re-index), every entity of that subject is
redacted here, before chunking, and its fingerprints are dropped, so nothing links the new chunks to
the subject and a scheduled re-index does not bring the erased data back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from masking.fingerprints import SubjectFingerprints
from masking.tokens import redaction_marker, substitute_tokens

if TYPE_CHECKING:
    from masking.masker import MaskedDocument


def redact_markers(tokens: Iterable[tuple[str, str]]) -> dict[str, str]:
    """token -> ``<TYPE>`` for (token, entity type) pairs."""
    return {token: redaction_marker(entity_type) for token, entity_type in tokens}


def suppress(result: MaskedDocument, subjects: SubjectFingerprints) -> tuple[MaskedDocument, int]:
    """``result`` with the suppressed subjects' entities redacted; returns it and how many were."""
    if result.masked_text is None or not (subjects.strong or subjects.weak):
        return result, 0
    erased = [e for e in result.entities if e.fingerprints and subjects.matches(e.fingerprints)]
    if not erased:
        return result, 0
    markers = redact_markers((e.token, e.entity_type) for e in erased)
    kept = [e for e in result.entities if e.token not in markers]
    fields = {name: substitute_tokens(value, markers)[0] for name, value in result.masked_fields.items()}
    # never vaulted
    values = {token: value for token, value in result.values.items() if token not in markers}
    masked = replace(
        result,
        masked_text=substitute_tokens(result.masked_text, markers)[0],
        entities=kept,
        masked_fields=fields,
        values=values,
    )
    return masked, len(erased)
