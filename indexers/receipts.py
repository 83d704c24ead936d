"""Deletion receipts: an append-only hash chain, each receipt signed, the chain's head exported.

Each receipt's ``hash`` is the SHA-256 of its canonical JSON (sorted keys, no whitespace) without the
``hash`` and ``signature`` fields; that JSON includes ``prev_hash`` (the previous receipt's hash, 64
zeros for the first) and ``store_id`` (the lineage store's identity). ``signature`` is an HMAC-SHA256
of the hash under the receipt key, which lives outside the data directory (RAGMASK_RECEIPT_KEY or a
0600 key file). After each receipt the chain's head (its length and hash, itself MAC'd) is appended to
a log file outside the database (RAGMASK_RECEIPT_LOG).

What ``verify_chain`` detects, given the key and the head log: an edited receipt (its hash), a receipt
rewritten with recomputed hashes (its signature: the writer has no key), reordering (prev_hash), and
removal of any receipt, the newest and all of them included (the exported head). What it cannot: an
attacker holding the receipt key, or one who can also rewrite the head log; ship that log to storage
the database's writers cannot change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from masking.keys import DerivedKeys, SecretSource, load_secret

GENESIS_HASH = "0" * 64
UNHASHED = ("hash", "signature")
RECEIPT_SECRET = SecretSource(
    "receipt key",
    "RAGMASK_RECEIPT_KEY",
    "RAGMASK_RECEIPT_KEY_FILE",
    "receipt.key",
    "receipts signed with it verify only with it; keep it from whoever can write the lineage store",
)
HEAD_LOG_ENV = "RAGMASK_RECEIPT_LOG"


@dataclass(frozen=True)
class ReceiptKey(DerivedKeys):
    """Signs receipts and chain heads; its ``key_id`` is written into each receipt."""

    namespace: ClassVar[str] = "receipt-"
    kind: ClassVar[str] = "receipt key"

    def sign(self, message: str) -> str:
        return hmac.new(self._derive("sign"), message.encode(), hashlib.sha256).hexdigest()


def load_receipt_key(
    *, key_file: Path | None = None, data_dir: Path | None = None, create_missing: bool = False
) -> ReceiptKey:
    """The receipt key from RAGMASK_RECEIPT_KEY, else its key file (created 0600 if ``create_missing``)."""
    return ReceiptKey(
        load_secret(RECEIPT_SECRET, key_file=key_file, data_dir=data_dir, create_missing=create_missing)
    )


def default_head_log() -> Path:
    """``$RAGMASK_RECEIPT_LOG``, else ``$XDG_STATE_HOME/ragmask/receipt-heads.jsonl`` (outside any data
    directory, like the key files)."""
    if os.environ.get(HEAD_LOG_ENV):
        return Path(os.environ[HEAD_LOG_ENV])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ragmask" / "receipt-heads.jsonl"


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def receipt_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in body.items() if k not in UNHASHED})).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    """The chain as it stood after a receipt: which store, how long, the last hash."""

    store_id: str
    # the lineage store's URL, password hidden
    location: str
    length: int
    receipt_id: str
    hash: str


class HeadLog:
    """An append-only JSON-lines file of chain heads, each line MAC'd with the receipt key."""

    def __init__(self, path: Path, key: ReceiptKey) -> None:
        self.path = path
        self.key = key

    def append(self, head: ChainHead) -> None:
        line = asdict(head)
        line["mac"] = self.key.sign(canonical(line).decode())
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="ascii") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def heads(self) -> tuple[list[ChainHead], int]:
        """The heads whose MAC checks, and the number of lines that do not (an edited log)."""
        if not self.path.exists():
            return [], 0
        good: list[ChainHead] = []
        bad = 0
        for raw in self.path.read_text(encoding="ascii").splitlines():
            try:
                line = json.loads(raw)
                mac = line.pop("mac")
                head = ChainHead(**line)
            except (ValueError, TypeError, KeyError):
                bad += 1
                continue
            if hmac.compare_digest(mac, self.key.sign(canonical(line).decode())):
                good.append(head)
            else:
                bad += 1
        return good, bad


@dataclass(frozen=True)
class ReceiptSigner:
    """What a new receipt is sealed with: the key, the store's identity, and where its head goes."""

    key: ReceiptKey
    store_id: str
    location: str
    head_log: HeadLog

    def seal(self, body: dict[str, Any], prev_hash: str) -> dict[str, Any]:
        """``body`` chained (prev_hash), tied to the store, hashed and signed."""
        chained = {
            **body,
            "prev_hash": prev_hash,
            "store_id": self.store_id,
            "signing_key_id": self.key.key_id,
        }
        digest = receipt_hash(chained)
        return {**chained, "hash": digest, "signature": self.key.sign(digest)}

    def export_head(self, length: int, receipt: dict[str, Any]) -> ChainHead:
        head = ChainHead(self.store_id, self.location, length, receipt["receipt_id"], receipt["hash"])
        self.head_log.append(head)
        return head


@dataclass(frozen=True)
class StoredReceipt:
    receipt_id: str
    # the JSON as stored
    body: str
    # the row's columns, which must agree with the body
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    receipts: int
    valid: bool
    first_bad: str | None
    reason: str | None = None
    # receipts covered by the newest exported head
    anchored: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "receipts": self.receipts,
            "valid": self.valid,
            "first_bad": self.first_bad,
            "reason": self.reason,
            "anchored": self.anchored,
        }


def _receipt_fault(receipt: StoredReceipt, expected_prev: str, signer: ReceiptSigner) -> str | None:
    try:
        body = json.loads(receipt.body)
    except json.JSONDecodeError:
        return "not valid JSON"
    if not isinstance(body, dict) or body.get("receipt_id") != receipt.receipt_id:
        return "the body does not match its row"
    if not (body.get("prev_hash") == expected_prev == receipt.prev_hash):
        return "its prev_hash does not link to the receipt before it (removed or reordered)"
    if not (body.get("hash") == receipt.hash == receipt_hash(body)):
        return "its hash does not match its content (edited)"
    if body.get("store_id") != signer.store_id:
        return "it belongs to another lineage store"
    if not hmac.compare_digest(str(body.get("signature", "")), signer.key.sign(receipt.hash)):
        return "its signature does not check (rewritten, or signed with another receipt key)"
    return None


def verify_chain(stored: Sequence[StoredReceipt], signer: ReceiptSigner) -> ChainCheck:
    """Every receipt's link, hash and signature in order, then the chain against the newest exported head."""
    expected_prev = GENESIS_HASH
    for receipt in stored:
        fault = _receipt_fault(receipt, expected_prev, signer)
        if fault:
            return ChainCheck(
                len(stored), False, receipt.receipt_id, f"receipt {receipt.receipt_id}: {fault}"
            )
        expected_prev = receipt.hash
    heads, bad_lines = signer.head_log.heads()
    if bad_lines:
        return ChainCheck(
            len(stored), False, None, f"{bad_lines} line(s) of {signer.head_log.path} do not authenticate"
        )
    other = {h.store_id for h in heads if h.location == signer.location and h.store_id != signer.store_id}
    if other:
        return ChainCheck(
            len(stored),
            False,
            None,
            "the lineage store at this location had another store id "
            "in the head log (its identity, and its receipts, were replaced?)",
        )
    mine = [h for h in heads if h.store_id == signer.store_id]
    if not mine:
        if stored:
            return ChainCheck(
                len(stored), False, None, f"no exported chain head for this store in {signer.head_log.path}"
            )
        return ChainCheck(0, True, None)
    newest = max(mine, key=lambda h: h.length)
    if len(stored) < newest.length:
        missing = newest.length - len(stored)
        return ChainCheck(
            len(stored), False, None, f"{missing} receipt(s) missing: the exported head has {newest.length}"
        )
    at_head = stored[newest.length - 1]
    if at_head.hash != newest.hash:
        return ChainCheck(
            len(stored),
            False,
            at_head.receipt_id,
            f"receipt {at_head.receipt_id} differs from the exported head",
        )
    return ChainCheck(len(stored), True, None, None, newest.length)
