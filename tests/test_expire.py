"""`ragmask expire`: documents indexed before the retention's cutoff are erased through the erasure path
with verified receipts and tombstones; newer ones stay; run records age out; a dry run only counts; the
flow runs under Prefect with its receipts artifact. Synthetic corpus (examples/corpus)."""

from __future__ import annotations

import json
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.cli import cli
from flows.operations.erase import verify_receipts
from flows.operations.expire import RetentionError, run_expire
from flows.operations.ingest import run_ingest
from flows.settings import IngestSettings, ReceiptsSettings, StoreSettings
from indexers.document_catalog import DocumentCatalog
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import MaskingKeys
from tests.conftest import TEST_SECRET
from tests.test_ingest_e2e import CORPUS, CORPUS_DOCUMENTS, leaked_values

# RAGMASK_SECRET_KEY in the test environment
KEYS = MaskingKeys(TEST_SECRET.encode())


def test_documents_past_their_retention_are_erased_with_receipts(tmp_path: Path) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    run_ingest([tmp_path / "corpus" / "hr"], settings, keys=KEYS)
    time.sleep(2.0)
    # two seconds younger
    run_ingest([tmp_path / "corpus" / "notes"], settings, keys=KEYS)
    store = VectorStore(settings.stores.qdrant, "ragmask")
    before = store.count()

    preview = run_expire(settings, timedelta(seconds=1.5), dry_run=True)
    assert preview.documents_expired == 1 and preview.receipts == [] and store.count() == before

    done = run_expire(settings, timedelta(seconds=1.5))
    assert done.documents_expired == 1 and len(done.receipts) == 1
    # hr's document gone, notes' kept
    assert 0 < store.count() < before
    assert (
        DocumentCatalog(LineageStore(settings.stores.lineage)).documents_in_collection("ragmask")
        and verify_receipts(ReceiptsSettings(stores=settings.stores)).valid
    )
    # the first ingest's run record; the second finished after the cutoff
    assert done.run_rows_deleted == 1
    # unchanged: stays erased
    again = run_ingest([tmp_path / "corpus" / "hr"], settings, keys=KEYS)
    assert again.counts.documents_indexed == 0 and again.counts.documents_unchanged == 1
    with pytest.raises(RetentionError):
        run_expire(settings, timedelta(0))
    close_local_clients()
    assert leaked_values(settings.stores.data_path) == []


def test_cli_expire_json(tmp_path: Path) -> None:
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    run_ingest([CORPUS], settings, keys=KEYS)
    close_local_clients()
    done = CliRunner().invoke(
        cli,
        ["expire", "--retention-days", "30", "--data-dir", str(tmp_path / "data"), "--json"],
        env={"PREFECT_API_URL": ""},
    )
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["documents_expired"] == 0 and result["retention_days"] == 30 and result["receipts"] == []
    assert VectorStore(settings.stores.qdrant, "ragmask").count() >= CORPUS_DOCUMENTS
    refused = CliRunner().invoke(
        cli, ["expire", "--retention-days", "0", "--data-dir", str(tmp_path / "data")]
    )
    # a usage error: the retention must be longer than zero
    assert refused.exit_code == 2
