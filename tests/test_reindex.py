"""`ragmask reindex` on real components: new documents added, changed ones replaced, vanished ones erased
through the erasure path with verified receipts, a corrupt file's documents kept, other paths' documents
left alone, a second run a no-op, and a change of settings refused before anything is written. Synthetic
data (examples/corpus and Faker with a fixed seed)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from faker import Faker

from flows.cli import cli
from flows.operations.erase import verify_receipts
from flows.operations.ingest import run_ingest
from flows.operations.reindex import FullReindexRefusedError, run_reindex
from flows.pipeline.ingest_pipeline import SettingsChangedError
from flows.settings import IngestSettings, ReceiptsSettings, StoreSettings
from indexers.collection_profiles import CollectionProfiles
from indexers.document_catalog import DocumentCatalog
from indexers.errors import LineageError
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import MaskingKeys
from tests.test_ingest_e2e import CORPUS, CORPUS_DOCUMENTS, GOLD_VALUES, leaked_values

KEYS = MaskingKeys(b"ragmask-reindex-test-secret")


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[IngestSettings]:
    yield IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved(), batch_documents=8)
    close_local_clients()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return tmp_path / "corpus"


def doc_points(settings: IngestSettings) -> dict[str, int]:
    """doc id -> points in the collection."""
    found: dict[str, int] = {}
    for record in VectorStore(settings.stores.qdrant, settings.stores.collection).scroll():
        doc_id = (record.payload or {})["metadata"]["doc_id"]
        found[doc_id] = found.get(doc_id, 0) + 1
    return found


def test_reindex_adds_replaces_and_erases_what_vanished(settings: IngestSettings, corpus: Path) -> None:
    first = run_reindex([corpus], settings, keys=KEYS)
    assert first.ingest.counts.documents_added == CORPUS_DOCUMENTS and first.documents_removed == 0
    before = doc_points(settings)

    fake = Faker("en_US")
    fake.seed_instance(5150)
    (corpus / "notes" / "new_note.txt").write_text(
        f"{fake.name()} asked for a callback. {fake.paragraph()}\n"
    )
    edited = corpus / "notes" / "no_pii.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more paragraph about caching.\n")
    gone = corpus / "hr" / "offer_letter.txt"
    gone.unlink()
    broken = next(corpus.rglob("*.docx"))
    # unreadable: its document stays
    broken.write_bytes(b"PK\x03\x04 this is no longer a valid archive")

    second = run_reindex([corpus], settings, keys=KEYS)
    counts = second.ingest.counts
    assert (counts.documents_added, counts.documents_changed, counts.documents_failed) == (1, 1, 1)
    assert second.documents_removed == 1 and len(second.receipts) == 1
    after = doc_points(settings)
    removed = set(before) - set(after)
    # one gone, one new; the broken DOCX's stays
    assert len(removed) == 1 and len(after) == len(before)
    assert second.points_total == sum(after.values())
    check = verify_receipts(ReceiptsSettings(stores=settings.stores))
    assert check.valid and check.receipts == 1

    # nothing changed since: a no-op
    third = run_reindex([corpus], settings, keys=KEYS)
    assert third.documents_removed == 0 and third.ingest.counts.documents_indexed == 0
    assert doc_points(settings) == after
    close_local_clients()
    assert leaked_values(settings.stores.data_path) == []


def test_reindex_of_one_path_leaves_another_paths_documents(settings: IngestSettings, corpus: Path) -> None:
    run_ingest([corpus / "hr"], settings, keys=KEYS)
    run_ingest([corpus / "notes"], settings, keys=KEYS)
    hr_note = next((corpus / "hr").glob("*.txt"))
    hr_note.unlink()
    counted = len(doc_points(settings))

    elsewhere = run_reindex([corpus / "notes"], settings, keys=KEYS)
    assert elsewhere.documents_removed == 0 and len(doc_points(settings)) == counted
    named = run_reindex([corpus / "hr"], settings, keys=KEYS)
    assert named.documents_removed == 1 and len(doc_points(settings)) == counted - 1


def test_a_file_named_directly_covers_only_itself(settings: IngestSettings, corpus: Path) -> None:
    run_ingest([corpus], settings, keys=KEYS)
    (corpus / "clinic" / "visit_note.txt").unlink()
    only = run_reindex(
        [corpus / "hr" / "offer_letter.txt"],
        settings,
        keys=KEYS,
        # nothing else is in its scope
    )
    assert only.documents_removed == 0 and only.ingest.counts.documents_unchanged == 1
    whole = run_reindex([corpus], settings, keys=KEYS)
    assert whole.documents_removed == 1


def test_a_change_of_settings_is_refused_before_anything_is_written(
    settings: IngestSettings, corpus: Path
) -> None:
    run_ingest([corpus / "notes"], settings, keys=KEYS)
    points = VectorStore(settings.stores.qdrant, "ragmask").count()
    runs = LineageStore(settings.stores.lineage).table_counts()["runs"]
    with pytest.raises(SettingsChangedError, match="another policy: an incremental run would mix versions"):
        run_reindex([corpus], settings.changed(policy="strict"), keys=KEYS)
    # a store holds one key
    with pytest.raises(LineageError, match="written with masking key"):
        run_ingest([corpus], settings, keys=MaskingKeys(b"another-secret-entirely-0123"))
    assert VectorStore(settings.stores.qdrant, "ragmask").count() == points
    assert LineageStore(settings.stores.lineage).table_counts()["runs"] == runs


def test_cli_reindex_json(settings: IngestSettings, corpus: Path) -> None:
    # the CLI's direct path
    env = {"PREFECT_API_URL": ""}
    arguments = ["reindex", str(corpus / "notes"), "--data-dir", str(settings.stores.data_path), "--json"]
    first = CliRunner().invoke(cli, arguments, env=env)
    assert first.exit_code == 0, first.stderr
    next((corpus / "notes").glob("*.txt")).unlink()
    done = CliRunner().invoke(cli, arguments, env=env)
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert {
        "run_id",
        "collection",
        "documents_added",
        "documents_changed",
        "documents_removed",
        "documents_unchanged",
        "documents_failed",
        "chunks_indexed",
        "points_total",
        "receipts",
    } <= set(result)
    assert result["documents_removed"] == 1 and len(result["receipts"]) == 1
    assert not [v for v in GOLD_VALUES if v in done.stdout or v in done.stderr]

    refused = CliRunner().invoke(cli, [*arguments, "--policy", "strict"], env=env)
    assert refused.exit_code == 1
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith("ragmask: error: collection 'ragmask' was indexed with another policy")
    )


def test_a_full_reindex_swaps_in_a_fresh_collection_and_keeps_the_previous_one(
    settings: IngestSettings, corpus: Path
) -> None:
    # a plain collection, as ingest makes it
    run_ingest([corpus], settings, keys=KEYS)
    hipaa = settings.changed(policy="hipaa")
    with pytest.raises(SettingsChangedError):
        run_reindex([corpus], hipaa, keys=KEYS)

    first = run_reindex([corpus], hipaa, keys=KEYS, full=True)
    live = VectorStore(settings.stores.qdrant, "ragmask")
    assert first.full and first.swapped_in is not None and first.swapped_in.startswith("ragmask__")
    # a plain one cannot be kept
    assert live.physical() == first.swapped_in and first.previous_kept is None
    assert first.points_total == live.count() == first.ingest.counts.chunks_indexed
    assert set(doc_points(settings)) == set(
        DocumentCatalog(LineageStore(settings.stores.lineage)).documents_in_collection("ragmask")
    )
    assert run_reindex([corpus], hipaa, keys=KEYS).ingest.counts.documents_unchanged == CORPUS_DOCUMENTS

    (corpus / "clinic" / "visit_note.txt").unlink()
    # back to the default policy
    second = run_reindex([corpus], settings, keys=KEYS, full=True)
    assert second.previous_kept == first.swapped_in and live.physical() == second.swapped_in
    assert second.documents_removed == 1 and len(second.receipts) == 1
    # the removal was an erasure: it dropped the kept collection, which the lineage cannot reach into
    assert live.siblings() == [second.swapped_in]
    assert CollectionProfiles(LineageStore(settings.stores.lineage)).retired("ragmask") == []
    close_local_clients()
    assert leaked_values(settings.stores.data_path) == []


def test_a_full_reindex_that_does_not_audit_clean_changes_nothing(
    settings: IngestSettings, corpus: Path, tmp_path: Path
) -> None:
    run_ingest([corpus], settings, keys=KEYS)
    live = VectorStore(settings.stores.qdrant, "ragmask")
    points, physical = doc_points(settings), live.physical()
    lineage_before = LineageStore(settings.stores.lineage).table_counts()
    # a policy that keeps e-mail addresses: the audit's leak check finds them
    careless = tmp_path / "careless.yaml"
    careless.write_text("name: careless\nextends: default\nentities:\n  EMAIL_ADDRESS: keep\n")
    with pytest.raises(
        FullReindexRefusedError, match=r"more than --max-quarantined 1%\): dropped; 'ragmask' is unchanged"
    ):
        run_reindex([corpus], settings.changed(policy=str(careless)), keys=KEYS, full=True)
    assert live.physical() == physical and doc_points(settings) == points and live.siblings() == []
    lineage_after = LineageStore(settings.stores.lineage).table_counts()
    assert lineage_after == lineage_before | {"runs": lineage_before["runs"] + 1}
