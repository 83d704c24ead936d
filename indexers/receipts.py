"""Deletion receipts: an append-only hash chain, each receipt signed, the chain's head exported.

Each receipt's ``hash`` is the SHA-256 of its canonical JSON (sorted keys, no whitespace) without the
``hash`` and ``signature`` fields; that JSON includes ``prev_hash`` (the previous receipt's hash, 64
zeros for the first), ``store_id`` (the lineage store's identity) and ``signature_scheme``. New receipts
are signed with Ed25519 over the hash, by a private key derived from the receipt key, which lives outside
the data directory (RAGMASK_RECEIPT_KEY or a 0600 key file). Anyone holding the exported public key can
check them; no secret is needed. Receipts written before Ed25519 carry no scheme and an HMAC-SHA256
signature: the receipt key checks them, and a public key checks them through the first Ed25519 receipt
after them, whose ``prev_hash`` chain covers them. After each receipt the chain's head (its length and
hash, itself signed) is appended to a log file outside the database (RAGMASK_RECEIPT_LOG).

What ``verify_chain`` detects, given a key and the head log: an edited receipt (its hash), a receipt
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
from typing import Any, ClassVar, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from indexers.errors import ErasureError
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
ED25519 = "ed25519"
# receipts and head-log lines written before Ed25519 name no scheme
HMAC_SHA256 = "hmac-sha256"


@dataclass(frozen=True)
class ReceiptKey(DerivedKeys):
    """Signs receipts and chain heads with Ed25519; its ``key_id`` is written into each receipt."""

    namespace: ClassVar[str] = "receipt-"
    kind: ClassVar[str] = "receipt key"

    def mac(self, message: str) -> str:
        """The HMAC-SHA256 signature receipts carried before Ed25519 (checked, no longer written)."""
        return hmac.new(self._derive("sign"), message.encode(), hashlib.sha256).hexdigest()

    def private_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self._derive("ed25519"))

    def sign(self, message: str) -> str:
        return self.private_key().sign(message.encode()).hex()

    def public_key(self) -> Ed25519PublicKey:
        return self.private_key().public_key()


def public_key_pem(key: Ed25519PublicKey) -> str:
    """The public key as a PEM block (SubjectPublicKeyInfo), for ``receipts verify --public-key``."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def public_key_id(key: Ed25519PublicKey) -> str:
    """A short label of a public key (the SHA-256 of its raw bytes), to tell keys apart in reports."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:12]


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file; anything else is a one-line error naming the file."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as error:
        raise ErasureError(f"cannot read the public key {path}: {error.strerror}") from None
    except ValueError:
        raise ErasureError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ErasureError(f"{path} holds a {type(key).__name__}, not an Ed25519 public key")
    return key


class SignatureCheck(Protocol):
    """What checks a signature: True or False, or None where this check cannot tell (a public key and
    an HMAC signature)."""

    @property
    def label(self) -> str: ...

    def verdict(self, scheme: str, message: str, signature: str) -> bool | None: ...


def _ed25519_verdict(key: Ed25519PublicKey, message: str, signature: str) -> bool:
    try:
        key.verify(bytes.fromhex(signature), message.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class KeyHolderCheck:
    """The receipt key's holder: checks both schemes."""

    key: ReceiptKey

    @property
    def label(self) -> str:
        return f"receipt key {self.key.key_id}"

    def verdict(self, scheme: str, message: str, signature: str) -> bool | None:
        if scheme == ED25519:
            return _ed25519_verdict(self.key.public_key(), message, signature)
        return scheme == HMAC_SHA256 and hmac.compare_digest(signature, self.key.mac(message))


@dataclass(frozen=True)
class PublicKeyCheck:
    """An auditor with the exported public key and no secret: checks Ed25519 signatures only."""

    key: Ed25519PublicKey

    @property
    def label(self) -> str:
        return f"public key {public_key_id(self.key)}"

    def verdict(self, scheme: str, message: str, signature: str) -> bool | None:
        if scheme == ED25519:
            return _ed25519_verdict(self.key, message, signature)
        return None


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
    """An append-only JSON-lines file of chain heads, each line signed with the receipt key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, head: ChainHead, key: ReceiptKey) -> None:
        line: dict[str, Any] = asdict(head)
        line |= {"signature_scheme": ED25519, "signature": key.sign(canonical(line).decode())}
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="ascii") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def heads(self, check: SignatureCheck) -> tuple[list[ChainHead], int]:
        """The heads whose signature checks, and the number of lines that do not (an edited log). A line
        this check cannot tell (an HMAC line, read with a public key) is neither."""
        if not self.path.exists():
            return [], 0
        good: list[ChainHead] = []
        bad = 0
        for raw in self.path.read_text(encoding="ascii").splitlines():
            try:
                line = json.loads(raw)
                legacy = "mac" in line
                signature = str(line.pop("mac") if legacy else line.pop("signature"))
                scheme = HMAC_SHA256 if legacy else str(line.pop("signature_scheme"))
                head = ChainHead(**line)
            except (ValueError, TypeError, KeyError):
                bad += 1
                continue
            verdict = check.verdict(scheme, canonical(line).decode(), signature)
            if verdict:
                good.append(head)
            elif verdict is False:
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
            "signature_scheme": ED25519,
        }
        digest = receipt_hash(chained)
        return {**chained, "hash": digest, "signature": self.key.sign(digest)}

    def export_head(self, length: int, receipt: dict[str, Any]) -> ChainHead:
        head = ChainHead(self.store_id, self.location, length, receipt["receipt_id"], receipt["hash"])
        self.head_log.append(head, self.key)
        return head

    def chain(self) -> ChainOf:
        """The chain this signer extends, for checking with its own key."""
        return ChainOf(self.store_id, self.location, self.head_log)


@dataclass(frozen=True)
class ChainOf:
    """Whose chain is checked: the lineage store's identity and location, and where its heads went."""

    store_id: str
    location: str
    head_log: HeadLog


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
    # the key the signatures were checked with
    checked_with: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "receipts": self.receipts,
            "valid": self.valid,
            "first_bad": self.first_bad,
            "reason": self.reason,
            "anchored": self.anchored,
            "checked_with": self.checked_with,
        }


def _receipt_fault(
    receipt: StoredReceipt, expected_prev: str, chain: ChainOf, check: SignatureCheck
) -> tuple[str | None, bool | None]:
    """What is wrong with one receipt (None: nothing), and whether its signature was checked (None: this
    check cannot tell its scheme)."""
    try:
        body = json.loads(receipt.body)
    except json.JSONDecodeError:
        return "not valid JSON", False
    if not isinstance(body, dict) or body.get("receipt_id") != receipt.receipt_id:
        return "the body does not match its row", False
    if not (body.get("prev_hash") == expected_prev == receipt.prev_hash):
        return "its prev_hash does not link to the receipt before it (removed or reordered)", False
    if not (body.get("hash") == receipt.hash == receipt_hash(body)):
        return "its hash does not match its content (edited)", False
    if body.get("store_id") != chain.store_id:
        return "it belongs to another lineage store", False
    scheme = str(body.get("signature_scheme", HMAC_SHA256))
    verdict = check.verdict(scheme, receipt.hash, str(body.get("signature", "")))
    if verdict is False:
        return "its signature does not check (rewritten, or signed with another key)", False
    return None, verdict


def verify_chain(stored: Sequence[StoredReceipt], chain: ChainOf, check: SignatureCheck) -> ChainCheck:
    """Every receipt's link, hash and signature in order, then the chain against the newest exported head.
    A receipt whose signature this check cannot tell (HMAC, read with a public key) is covered by a later
    Ed25519 receipt's chain; one with none after it fails the check."""
    expected_prev = GENESIS_HASH
    unchecked_since_signed = 0
    for receipt in stored:
        fault, verdict = _receipt_fault(receipt, expected_prev, chain, check)
        if fault:
            return ChainCheck(
                len(stored),
                False,
                receipt.receipt_id,
                f"receipt {receipt.receipt_id}: {fault}",
                0,
                check.label,
            )
        unchecked_since_signed = 0 if verdict else unchecked_since_signed + 1
        expected_prev = receipt.hash
    if unchecked_since_signed:
        return ChainCheck(
            len(stored),
            False,
            None,
            f"the last {unchecked_since_signed} receipt(s) are HMAC-signed, from before Ed25519, with no "
            "Ed25519 receipt after them: check them with the receipt key",
            0,
            check.label,
        )
    return _against_head(stored, chain, check)


def _against_head(stored: Sequence[StoredReceipt], chain: ChainOf, check: SignatureCheck) -> ChainCheck:
    """The chain against the newest head this check can authenticate in the head log."""
    heads, bad_lines = chain.head_log.heads(check)

    def invalid(reason: str, first_bad: str | None = None) -> ChainCheck:
        return ChainCheck(len(stored), False, first_bad, reason, 0, check.label)

    if bad_lines:
        return invalid(f"{bad_lines} line(s) of {chain.head_log.path} do not authenticate")
    if any(h.location == chain.location and h.store_id != chain.store_id for h in heads):
        return invalid(
            "the lineage store at this location had another store id "
            "in the head log (its identity, and its receipts, were replaced?)"
        )
    mine = [h for h in heads if h.store_id == chain.store_id]
    if not mine:
        if stored:
            return invalid(
                f"no exported chain head for this store in {chain.head_log.path} signed by this key"
            )
        return ChainCheck(0, True, None, None, 0, check.label)
    newest = max(mine, key=lambda h: h.length)
    if len(stored) < newest.length:
        missing = newest.length - len(stored)
        return invalid(f"{missing} receipt(s) missing: the exported head has {newest.length}")
    at_head = stored[newest.length - 1]
    if at_head.hash != newest.hash:
        return invalid(f"receipt {at_head.receipt_id} differs from the exported head", at_head.receipt_id)
    return ChainCheck(len(stored), True, None, None, newest.length, check.label)
