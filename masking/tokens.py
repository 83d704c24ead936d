"""Stable tokens: ``<TYPE_xxxxxxxx>`` = keyed HMAC of (scope, type, normalised value), truncated.

Same document + same value -> same token on every run and machine; the same value in two documents
-> two unlinkable tokens (scope "document"). A collision of the short form inside one document is
resolved by lengthening, in a deterministic order, so distinct values never share a token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

TOKEN_HEX_LENGTH = 8
MAX_TOKEN_HEX_LENGTH = 64
TOKEN_PATTERN = re.compile(r"<([A-Z][A-Z0-9_]*?)(?:_([0-9a-f]{8,64}))?>")
_TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class TokenScope(StrEnum):
    """How widely a value shares its token: within a document (default) or across the corpus."""

    DOCUMENT = "document"
    CORPUS = "corpus"


def redaction_marker(entity_type: str) -> str:
    """The unlinkable replacement used by the "redact" action."""
    return f"<{_checked_type(entity_type)}>"


def _checked_type(entity_type: str) -> str:
    if not _TYPE_NAME.match(entity_type):
        raise ValueError(f"entity type {entity_type!r} is not a valid token type name")
    return entity_type


def token_digest(key: bytes, scope_id: str, entity_type: str, normalised: str) -> str:
    """Full hex HMAC-SHA256 of the token message; fields are length-prefixed so none can bleed."""
    parts = (scope_id, entity_type, normalised)
    message = b"".join(len(p.encode()).to_bytes(4, "big") + p.encode() for p in parts)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class TokenMinter:
    """Mints the tokens of one document; lengthens a token whose short form collides with another's."""

    def __init__(self, key: bytes, doc_id: str, scope: TokenScope = TokenScope.DOCUMENT) -> None:
        self._key = key
        self._scope_id = doc_id if scope is TokenScope.DOCUMENT else ""
        self._issued: dict[tuple[str, str], str] = {}
        self._by_token: dict[str, tuple[str, str]] = {}

    def mint_all(self, values: Iterable[tuple[str, str]]) -> None:
        """Mint (type, normalised value) pairs in sorted order, so collisions resolve the same every run."""
        for entity_type, normalised in sorted(set(values)):
            self.token(entity_type, normalised)

    def token(self, entity_type: str, normalised: str) -> str:
        wanted = (_checked_type(entity_type), normalised)
        if wanted in self._issued:
            return self._issued[wanted]
        digest = token_digest(self._key, self._scope_id, entity_type, normalised)
        for length in range(TOKEN_HEX_LENGTH, MAX_TOKEN_HEX_LENGTH + 1):
            candidate = f"<{entity_type}_{digest[:length]}>"
            if candidate not in self._by_token:
                self._issued[wanted] = candidate
                self._by_token[candidate] = wanted
                return candidate
        # a full SHA-256 collision: unreachable in practice
        raise RuntimeError("token space exhausted")


def substitute_tokens(text: str, replacements: Mapping[str, str]) -> tuple[str, int]:
    """``text`` with every token that ``replacements`` names replaced in one pass (others, and redaction
    markers, stay); returns it and how many occurrences were replaced. Redaction on erasure and
    rehydration from the vault both go through here."""
    replaced = 0

    def substitute(match: re.Match[str]) -> str:
        nonlocal replaced
        token = match.group(0)
        if token in replacements:
            replaced += 1
            return replacements[token]
        return token

    return TOKEN_PATTERN.sub(substitute, text), replaced


def find_tokens(text: str) -> list[re.Match[str]]:
    """Every token and redaction marker in ``text`` (used to skip them in leak checks and chunking)."""
    return list(TOKEN_PATTERN.finditer(text))
