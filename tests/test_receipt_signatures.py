"""Receipts an auditor can verify: Ed25519 signatures checked with the exported public key and no secret
present, any edit caught, and receipts signed with the HMAC scheme of earlier versions still verifying.
Real lineage store (SQLite), real erasures through the CLI; synthetic data."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from flows.cli import cli
from flows.operations.ingest import run_ingest
from flows.settings import IngestSettings, StoreSettings
from indexers.document_catalog import DocumentCatalog
from indexers.lineage import LineageStore
from indexers.qdrant_store import close_local_clients
from indexers.receipt_log import ReceiptLog
from indexers.receipts import (
    ChainHead,
    ChainOf,
    HeadLog,
    KeyHolderCheck,
    PublicKeyCheck,
    ReceiptKey,
    ReceiptSigner,
    default_head_log,
    public_key_pem,
    receipt_hash,
    verify_chain,
)
from masking import MaskingKeys
from tests.conftest import TEST_SECRET
from tests.test_erasure import attack, rewrite_chain
from tests.test_ingest_e2e import CORPUS

KEYS = MaskingKeys(TEST_SECRET.encode())


def invoke(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args))
    return done.exit_code, done.stdout


def erased_twice(tmp_path: Path) -> Path:
    """A data directory whose chain holds two receipts: two documents erased through the CLI."""
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    run_ingest([CORPUS / "hr", CORPUS / "notes"], settings, keys=KEYS)
    close_local_clients()
    lineage = LineageStore(settings.stores.lineage)
    documents = DocumentCatalog(lineage).documents_in_collection("ragmask")
    lineage.close()
    assert len(documents) == 2
    for doc_id in documents:
        code, _ = invoke(
            "erase", "--document", doc_id, "--mode", "delete", "--data-dir", str(tmp_path / "data")
        )
        assert code == 0
    return tmp_path / "data"


def test_an_auditor_verifies_the_chain_with_the_public_key_and_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # this test's own receipt key and head log: it takes the key away
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    data_dir = erased_twice(tmp_path)
    code, pem = invoke("receipts", "public-key", "--data-dir", str(data_dir))
    assert code == 0 and pem.startswith("-----BEGIN PUBLIC KEY-----")
    public_key = tmp_path / "auditor" / "receipts.pub"
    public_key.parent.mkdir()
    public_key.write_text(pem, encoding="ascii")
    # the auditor's machine: no receipt key anywhere
    receipt_key = tmp_path / "config" / "ragmask" / "receipt.key"
    assert receipt_key.is_file()
    shutil.move(receipt_key, tmp_path / "receipt.key.elsewhere")

    def verify(key: Path = public_key) -> tuple[int, dict[str, Any]]:
        code, out = invoke(
            "receipts", "verify", "--data-dir", str(data_dir), "--json", "--public-key", str(key)
        )
        return code, json.loads(out.splitlines()[0]) if out.strip() else {}

    code, ok = verify()
    assert code == 0 and ok["valid"] and ok["receipts"] == 2 == ok["anchored"]
    assert ok["checked_with"].startswith("public key ")
    # without the public key there is nothing to check with
    assert invoke("receipts", "verify", "--data-dir", str(data_dir))[0] == 1
    any_edit_fails(data_dir / "lineage.db", verify)

    other = tmp_path / "auditor" / "other.pub"
    other.write_text(public_key_pem(Ed25519PrivateKey.generate().public_key()), encoding="ascii")
    code, wrong_key = verify(other)
    assert code == 1 and "signature" in wrong_key["reason"]
    not_a_key = tmp_path / "auditor" / "notes.txt"
    not_a_key.write_text("not a key", encoding="ascii")
    assert verify(not_a_key)[0] == 1
    head_log = default_head_log()
    lines = head_log.read_text(encoding="ascii").splitlines()
    head_log.write_text("\n".join([*lines[:-1], lines[-1].replace('"length": 2', '"length": 1')]) + "\n")
    code, forged_head = verify()
    assert code == 1 and "do not authenticate" in forged_head["reason"]


def any_edit_fails(database: Path, verify: Callable[[], tuple[int, dict[str, Any]]]) -> None:
    """An edited body, a chain rewritten with recomputed hashes and a dropped receipt all fail the check."""
    pristine = database.read_bytes()
    with closing(sqlite3.connect(database)) as connection:
        first_id = json.loads(connection.execute("SELECT body FROM receipts ORDER BY seq").fetchone()[0])[
            "receipt_id"
        ]

    def attacked(sql: Callable[[sqlite3.Connection], Any]) -> dict[str, Any]:
        return attack(database, pristine, verify, sql)

    edited = attacked(
        lambda c: c.execute(
            "UPDATE receipts SET body = replace(body, '\"verified\": true', '\"verified\": false')"
        )
    )
    assert edited["first_bad"] == first_id and "edited" in edited["reason"]
    # the writer recomputes every hash and link, but has no private key
    rehashed = attacked(lambda c: rewrite_chain(c, lambda r: r.update(verified=False)))
    assert rehashed["first_bad"] == first_id and "signature" in rehashed["reason"]
    dropped = attacked(
        lambda c: c.execute("DELETE FROM receipts WHERE seq = (SELECT max(seq) FROM receipts)")
    )
    assert dropped["reason"] == "1 receipt(s) missing: the exported head has 2"
    database.write_bytes(pristine)


class HmacSigner(ReceiptSigner):
    """The writer of earlier versions: no scheme named, an HMAC-SHA256 signature, MAC'd head lines."""

    def seal(self, body: dict[str, Any], prev_hash: str) -> dict[str, Any]:
        chained = {
            **body,
            "prev_hash": prev_hash,
            "store_id": self.store_id,
            "signing_key_id": self.key.key_id,
        }
        digest = receipt_hash(chained)
        return {**chained, "hash": digest, "signature": self.key.mac(digest)}

    def export_head(self, length: int, receipt: dict[str, Any]) -> ChainHead:
        head = ChainHead(self.store_id, self.location, length, receipt["receipt_id"], receipt["hash"])
        line: dict[str, Any] = {**head.__dict__}
        line["mac"] = self.key.mac(json.dumps(line, sort_keys=True, separators=(",", ":")))
        with self.head_log.path.open("a", encoding="ascii") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")
        return head


def test_receipts_signed_with_the_earlier_hmac_scheme_still_verify(tmp_path: Path) -> None:
    lineage = LineageStore(f"sqlite:///{tmp_path / 'lineage.db'}")
    key = ReceiptKey(b"receipt-secret-for-the-legacy-chain-test")
    head_log = HeadLog(tmp_path / "heads.jsonl")
    legacy = HmacSigner(key, lineage.store_id(), lineage.url, head_log)
    current = ReceiptSigner(key, lineage.store_id(), lineage.url, head_log)
    log = ReceiptLog(lineage)

    def append(signer: ReceiptSigner, number: int) -> dict[str, Any]:
        body = {"receipt_id": f"rc_{number}", "request": {"request_id": f"rq_{number}"}, "verified": True}
        receipt, length = log.append_receipt(body, signer)
        signer.export_head(length, receipt)
        return receipt

    chain = ChainOf(lineage.store_id(), lineage.url, head_log)
    by_key, by_public_key = KeyHolderCheck(key), PublicKeyCheck(key.public_key())
    old = [append(legacy, n) for n in (1, 2)]
    assert "signature_scheme" not in old[0]
    assert verify_chain(log.receipts(), chain, by_key).valid
    # nothing Ed25519 covers them yet
    unchecked = verify_chain(log.receipts(), chain, by_public_key)
    assert not unchecked.valid and "last 2 receipt(s) are HMAC-signed" in str(unchecked.reason)

    new = append(current, 3)
    assert new["signature_scheme"] == "ed25519" and new["prev_hash"] == old[1]["hash"]
    for check in (by_key, by_public_key):
        result = verify_chain(log.receipts(), chain, check)
        assert result.valid and result.anchored == 3, result
    # an HMAC receipt edited under the Ed25519 one breaks the chain the public key checks
    with lineage.transaction() as tx:
        tx.exec_driver_sql(
            "UPDATE receipts SET body = replace(body, '\"verified\": true', '\"verified\": false') WHERE receipt_id = 'rc_1'"
        )
    edited = verify_chain(log.receipts(), chain, by_public_key)
    assert not edited.valid and edited.first_bad == "rc_1"
    lineage.close()
