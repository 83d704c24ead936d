"""Erasure after a crash: a run killed with SIGKILL between upsert and commit leaves a pending version
whose points are searchable; erasing its subject must find them (reconcile first), never answer
"matched 0, verified". A run whose process lives is not rolled back: the erasure refuses instead, with
no receipt. Killed runs do not stay "running". Real components; synthetic data (Faker, fixed seed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from faker import Faker

from flows.operations.erase import register_request, run_erase
from flows.operations.ingest import run_ingest
from flows.settings import IngestSettings, StoreSettings
from indexers.document_catalog import DocumentCatalog
from indexers.erasure import AlreadyErasedError
from indexers.erasure_store import ErasureStore
from indexers.errors import ErasureError
from indexers.lineage import INTERRUPTED, RUNNING, LineageStore
from indexers.qdrant_store import VectorStore, close_local_clients
from indexers.receipt_log import ReceiptLog
from indexers.run_log import RunLog
from indexers.version_ledger import ChunkRow, PendingVersion, VersionLedger
from masking import MaskingKeys
from tests.conftest import REPO, TEST_SECRET
from tests.scripts import run_python

KEYS = MaskingKeys(TEST_SECRET.encode())

CRASH_BEFORE_COMMIT = """
import os, signal, sys
from pathlib import Path
from flows.operations.ingest import run_ingest
from flows.settings import IngestSettings, StoreSettings
from indexers.version_ledger import VersionLedger

def killed(*_args, **_kwargs):  # the process dies after the upsert, before the commit
    os.kill(os.getpid(), signal.SIGKILL)

VersionLedger.commit_versions = killed
run_ingest([Path(sys.argv[1])], IngestSettings(stores=StoreSettings(data_dir=Path(sys.argv[2])).resolved()))
"""


def subject() -> dict[str, str]:
    fake = Faker("en_US")
    fake.seed_instance(5151)
    return {"name": fake.name(), "email": f"{fake.user_name()}@example.com", "filler": fake.paragraph()}


S = subject()


def settings_for(data_dir: Path) -> IngestSettings:
    return IngestSettings(stores=StoreSettings(data_dir=data_dir).resolved())


def note_corpus(tmp_path: Path, other: str | None = None) -> Path:
    """A corpus of note.txt naming the subject (and other.txt, if given)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text(f"{S['name']} wrote from {S['email']}. {S['filler']}", encoding="utf-8")
    if other is not None:
        (corpus / "other.txt").write_text(other, encoding="utf-8")
    return corpus


def ingested(tmp_path: Path, other: str | None = None) -> tuple[Path, IngestSettings]:
    corpus = note_corpus(tmp_path, other)
    settings = settings_for(tmp_path / "data")
    run_ingest([corpus], settings, keys=KEYS)
    return corpus, settings


def payload_text(settings: IngestSettings) -> str:
    store = VectorStore(settings.stores.qdrant, settings.stores.collection)
    return json.dumps([r.payload for r in store.scroll()])


def test_erasure_after_a_killed_ingest_finds_the_half_written_version(tmp_path: Path) -> None:
    corpus = note_corpus(tmp_path)
    data = tmp_path / "data"
    crashed = run_python(["-c", CRASH_BEFORE_COMMIT, str(corpus), str(data)])
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    settings = settings_for(data)
    lineage = LineageStore(settings.stores.lineage)
    [pending] = VersionLedger(lineage).unfinished("ragmask")
    store = VectorStore(settings.stores.qdrant, "ragmask")
    # searchable, though never committed
    assert store.existing(pending.point_ids) == set(pending.point_ids)

    request_id = register_request(settings.stores, KEYS, identifiers=[("email", S["email"])])
    receipt = run_erase(settings, request_id)

    assert receipt["verified"] is True
    assert store.existing(pending.point_ids) == set()
    assert VersionLedger(lineage).unfinished("ragmask") == []
    # not "running" forever
    assert RunLog(lineage).run_status(pending.run_id) == INTERRUPTED
    assert "<EMAIL_ADDRESS_" not in payload_text(settings)
    with pytest.raises(ErasureError, match="already completed"):
        run_erase(settings, request_id)
    close_local_clients()


def test_erasure_refuses_while_a_live_run_writes_and_can_run_again(tmp_path: Path) -> None:
    _corpus, settings = ingested(tmp_path)
    lineage = LineageStore(settings.stores.lineage)
    # this process: alive
    RunLog(lineage).start_run("live-run", "ingest", "ragmask", {})
    VersionLedger(lineage).write_pending_many(
        "ragmask", "live-run", [PendingVersion("doc_busy", 1, "0" * 64, {}, [ChunkRow("busy-point", 0, 1)])]
    )
    erasures = ErasureStore(lineage)
    receipts_before = len(ReceiptLog(lineage).receipts())
    request_id = register_request(settings.stores, KEYS, identifiers=[("email", S["email"])])

    with pytest.raises(ErasureError, match="live-run is still writing"):
        run_erase(settings, request_id)
    # no receipt for what was not done
    assert len(ReceiptLog(lineage).receipts()) == receipts_before
    request = erasures.request(request_id)
    assert (
        request is not None
        and request.status == "failed"
        and RunLog(lineage).run_status("live-run") == RUNNING
    )

    RunLog(lineage).finish_run("live-run", "completed", {})
    VersionLedger(lineage).drop_version("ragmask", "doc_busy", 1)
    # a failed request may be run again
    receipt = run_erase(settings, request_id)
    assert receipt["verified"] is True and receipt["matched"]["documents"] == 1
    close_local_clients()


def test_a_dead_process_on_this_host_is_interrupted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lineage.db'}"
    starts_and_dies = (
        "from indexers.lineage import LineageStore; from indexers.run_log import RunLog; "
        f"RunLog(LineageStore({url!r})).start_run('gone', 'ingest', 'ragmask', {{}})"
    )
    subprocess.run([sys.executable, "-c", starts_and_dies], cwd=REPO, check=True, timeout=120)
    lineage = LineageStore(url)
    assert RunLog(lineage).run_status("gone") == RUNNING
    RunLog(lineage).start_run("mine", "ingest", "ragmask", {})
    # this process lives; the other is gone
    assert RunLog(lineage).live_runs("ragmask") == {"mine"}
    assert RunLog(lineage).run_status("gone") == INTERRUPTED


KILLED_DOCUMENT_ERASURE = """
import os, signal, sys
from pathlib import Path
from flows.operations.erase import register_request, run_erase
from flows.settings import IngestSettings, StoreSettings
from indexers.lineage_deletion import LineageDeletion
from masking import load_keys

def killed(*_args, **_kwargs):  # dies after the points and rows are deleted, before the receipt
    os.kill(os.getpid(), signal.SIGKILL)

LineageDeletion.destroy_document_vault = killed
settings = IngestSettings(stores=StoreSettings(data_dir=Path(sys.argv[2])).resolved())
run_erase(settings, register_request(settings.stores, load_keys(), documents=[sys.argv[1]]))
"""


def test_a_killed_document_erasure_is_finished_by_running_it_again(tmp_path: Path) -> None:
    corpus, settings = ingested(tmp_path, other=f"Nothing personal here. {S['filler']}")
    close_local_clients()
    killed = run_python(["-c", KILLED_DOCUMENT_ERASURE, str(corpus / "note.txt"), str(tmp_path / "data")])
    assert killed.returncode == -9, killed.stderr[-2000:]
    lineage = LineageStore(settings.stores.lineage)
    # the work was half done, and no receipt says otherwise
    assert ReceiptLog(lineage).receipts() == []

    request_id = register_request(settings.stores, KEYS, documents=[str(corpus / "note.txt")])
    # the same command again resumes the same request
    receipt = run_erase(settings, request_id)
    assert receipt["request"]["resumed"] is True and receipt["verified"] is True
    # the unchanged source stays erased
    again = run_ingest([corpus], settings, keys=KEYS)
    assert again.counts.documents_indexed == 0 and again.counts.documents_unchanged == 2
    store = VectorStore(settings.stores.qdrant, "ragmask")
    assert {r.payload["metadata"]["source"] for r in store.scroll() if r.payload} == {"other .txt"}
    close_local_clients()


def test_erasing_an_erased_document_again_is_a_clear_no_op(tmp_path: Path) -> None:
    corpus, settings = ingested(tmp_path)
    first = run_erase(settings, register_request(settings.stores, KEYS, documents=[str(corpus / "note.txt")]))
    with pytest.raises(AlreadyErasedError) as again:
        register_request(settings.stores, KEYS, documents=[str(corpus / "note.txt")])
    assert again.value.request_id == first["request"]["request_id"]
    close_local_clients()


def test_a_commit_that_fails_leaves_no_pending_version_live_or_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk fails the lineage's commit after the points were upserted (the stand-in here: the first
    commit raises the OSError a full disk gives). The run still reports, but first rolls back what it left
    pending: no point of an uncommitted version stays live, and points_total counts committed ones only."""
    corpus = note_corpus(tmp_path, other="The refund was approved on Monday.")
    commit = VersionLedger.commit_versions
    calls = []

    def full_disk_once(self: VersionLedger, *args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return commit(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(VersionLedger, "commit_versions", full_disk_once)
    settings = settings_for(tmp_path / "data").changed(batch_documents=1)
    result = run_ingest([corpus], settings, keys=KEYS)
    assert result.counts.documents_failed == 1 and result.counts.documents_indexed == 1
    lineage = LineageStore(settings.stores.lineage)
    try:
        assert VersionLedger(lineage).unfinished(settings.stores.collection) == []
        committed_points = len(DocumentCatalog(lineage).committed_point_ids(settings.stores.collection))
    finally:
        lineage.close()
    assert (
        result.points_total
        == committed_points
        == VectorStore(settings.stores.qdrant, settings.stores.collection).count()
    )
    close_local_clients()
