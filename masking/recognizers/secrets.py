"""Credentials (API keys, tokens, private keys, assigned passwords) as the SECRET entity."""

from __future__ import annotations

from collections.abc import Iterator

from masking.recognizers.base import RuleRecognizer
from masking.secret_patterns import find_secrets


class SecretRecognizer(RuleRecognizer):
    ENTITY = "SECRET"

    def find(self, text: str) -> Iterator[tuple[int, int, float]]:
        for start, end, _kind in find_secrets(text):
            yield start, end, 0.9
