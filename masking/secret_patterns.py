"""Formats of credentials that must never reach an index: provider keys, tokens, private keys.

Shared by the SECRET recognizer and the leak check: a credential format is a fact, not a heuristic,
so both detectors use the same list.
"""

from __future__ import annotations

import math
import re
from collections import Counter

SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "aws_access_key": re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    "github_token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    "gitlab_token": re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
    "slack_token": re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}\b"),
    "stripe_key": re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}\b"),
    "google_api_key": re.compile(r"\bAIza[0-9A-Za-z\-_]{35}\b"),
    "openai_key": re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{32,}\b"),
    "jwt": re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\b"),
    "private_key": re.compile(
        r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----"
    ),
}

# "password = hunter2xyz", "api_key: 'abc...'": the value after a credential keyword.
ASSIGNED_SECRET = re.compile(
    r"(?i)\b(?:api[_\-\s]?key|secret(?:[_\-\s]?key)?|access[_\-\s]?token|auth[_\-\s]?token|password|passwd|pwd)"
    r"\s*(?:is|=|:)\s*['\"]?(?P<value>[^\s'\"<>]{8,})"
)


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def looks_random(value: str) -> bool:
    """An assigned value counts as a secret when it is not a plain word (mixed classes or high entropy)."""
    classes = sum(bool(re.search(pattern, value)) for pattern in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return classes >= 2 and shannon_entropy(value) >= 2.5


def find_secrets(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every credential in ``text``."""
    found = [(m.start(), m.end(), kind) for kind, p in SECRET_PATTERNS.items() for m in p.finditer(text)]
    for match in ASSIGNED_SECRET.finditer(text):
        value = match.group("value")
        if looks_random(value):
            found.append((match.start("value"), match.end("value"), "assigned_secret"))
    return found
