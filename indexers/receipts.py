"""Deletion receipts as an append-only hash chain.

Each receipt's ``hash`` is the SHA-256 of its canonical JSON (sorted keys, no whitespace) without the
``hash`` field, and that JSON includes ``prev_hash``, the previous receipt's hash (64 zeros for the
first). Editing, removing or reordering any stored receipt breaks every hash after it, and
``verify_chain`` names the first receipt that no longer checks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def receipt_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in body.items() if k != "hash"})).hexdigest()


def seal(body: dict[str, Any], prev_hash: str) -> dict[str, Any]:
    """``body`` with ``prev_hash`` and its own ``hash``."""
    chained = {**body, "prev_hash": prev_hash}
    return {**chained, "hash": receipt_hash(chained)}


@dataclass(frozen=True)
class StoredReceipt:
    receipt_id: str
    body: str  # the JSON as stored
    prev_hash: str  # the row's columns, which must agree with the body
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    receipts: int
    valid: bool
    first_bad: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"receipts": self.receipts, "valid": self.valid, "first_bad": self.first_bad}


def verify_chain(stored: Sequence[StoredReceipt]) -> ChainCheck:
    """Recompute every hash in order; the first receipt that fails makes the chain invalid."""
    expected_prev = GENESIS_HASH
    for receipt in stored:
        try:
            body = json.loads(receipt.body)
        except json.JSONDecodeError:
            return ChainCheck(len(stored), False, receipt.receipt_id)
        ok = (
            isinstance(body, dict)
            and body.get("receipt_id") == receipt.receipt_id
            and body.get("prev_hash") == expected_prev == receipt.prev_hash
            and body.get("hash") == receipt.hash == receipt_hash(body)
        )
        if not ok:
            return ChainCheck(len(stored), False, receipt.receipt_id)
        expected_prev = receipt.hash
    return ChainCheck(len(stored), True, None)
