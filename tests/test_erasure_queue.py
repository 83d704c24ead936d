"""Erasure requests queued and carried out later: `ragmask erase ... --queue` registers a request (keyed
fingerprints only) and runs nothing; `ragmask erase --pending` (the erase deployment's default) carries
out every open request of the collection, oldest first, each with a verified receipt. On the example
corpus, whose gold values are synthetic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from flows.cli import cli
from flows.operations.erase import verify_receipts
from flows.operations.ingest import run_ingest
from flows.settings import IngestSettings, ReceiptsSettings, StoreSettings
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import MaskingKeys
from tests.conftest import TEST_SECRET
from tests.test_flows import ERASED_EMAIL
from tests.test_ingest_e2e import CORPUS

KEYS = MaskingKeys(TEST_SECRET.encode())


def invoke(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args))
    return done.exit_code, done.stdout


def stored_text(data: Path) -> str:
    store = VectorStore(StoreSettings(data_dir=data).resolved().qdrant, "docs")
    text = json.dumps([record.payload for record in store.scroll()])
    close_local_clients()
    return text


def test_queued_requests_wait_and_the_pending_run_carries_them_out(tmp_path: Path) -> None:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(CORPUS, corpus)
    settings = IngestSettings(stores=StoreSettings(data_dir=data, collection="docs").resolved())
    run_ingest([corpus], settings, keys=KEYS)
    close_local_clients()
    stores = ["--data-dir", str(data), "--collection", "docs"]
    points_before = stored_text(data).count('"doc_id"')

    queued: list[dict[str, Any]] = []
    for request in (
        ["--email", ERASED_EMAIL],
        ["--document", str(corpus / "notes" / "no_pii.txt")],
        ["--document", str(corpus / "support" / "ticket_1042.md"), "--mode", "delete"],
    ):
        code, out = invoke("erase", *request, "--queue", "--json", *stores)
        assert code == 0, out
        queued.append(json.loads(out))
    assert all(q["request_id"].startswith("er_") and q["collection"] == "docs" for q in queued)
    # nothing ran: every point is still there, no receipt was written
    assert stored_text(data).count('"doc_id"') == points_before
    assert verify_receipts(ReceiptsSettings(stores=StoreSettings(data_dir=data))).receipts == 0
    # --pending carries out what is queued: naming a subject with it is a usage error
    assert invoke("erase", "--pending", "--email", ERASED_EMAIL, *stores)[0] == 2

    code, out = invoke("erase", "--pending", "--json", *stores)
    assert code == 0, out
    done = json.loads(out.splitlines()[-1])
    assert (done["requests"], done["erased"], done["unverified"], done["failed"]) == (3, 3, 0, {})
    # oldest first, each with its receipt
    assert [r["request"]["request_id"] for r in done["receipts"]] == [q["request_id"] for q in queued]
    assert all(r["verified"] for r in done["receipts"])
    assert stored_text(data).count('"doc_id"') < points_before
    assert verify_receipts(ReceiptsSettings(stores=StoreSettings(data_dir=data))).receipts == 3

    # nothing left open
    code, out = invoke("erase", "--pending", "--json", *stores)
    assert code == 0 and json.loads(out.splitlines()[-1])["requests"] == 0
