"""The lineage store on PostgreSQL (a real server on loopback): the same migrations, the same ingest
bookkeeping as on SQLite, idempotent re-runs and an edited document replaced; the vault and erasure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from faker import Faker
from sqlalchemy import create_engine, text

from flows.operations.erase import register_request, run_erase
from flows.operations.ingest import IngestResult, run_ingest
from flows.operations.rehydrate import run_rehydrate
from flows.settings import IngestSettings, StoreSettings
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore, close_local_clients
from indexers.vault_store import VaultStore
from masking import MaskingKeys
from tests.conftest import REPO

KEYS = MaskingKeys(b"ragmask-postgres-test-secret")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fake = Faker("en_US")
    fake.seed_instance(77)
    folder = tmp_path_factory.mktemp("pg-corpus")
    for number in range(3):
        body = f"{fake.paragraph()} {fake.name()} can be reached at {fake.email()}. {fake.paragraph()}"
        (folder / f"note-{number}.txt").write_text(body, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("pg-data")
    close_local_clients()


def ingest(corpus: Path, data_dir: Path, lineage_url: str | None) -> IngestResult:
    stores = StoreSettings(data_dir=data_dir, lineage_url=lineage_url).resolved()
    return run_ingest([corpus], IngestSettings(stores=stores), keys=KEYS)


def test_ingest_on_postgres_matches_sqlite(corpus: Path, workspace: Path, postgres_url: str) -> None:
    on_postgres = ingest(corpus, workspace / "postgres", postgres_url)
    on_sqlite = ingest(corpus, workspace / "sqlite", None)
    assert on_postgres.counts.documents_indexed == on_sqlite.counts.documents_indexed == 3
    assert on_postgres.counts.chunks_indexed == on_sqlite.counts.chunks_indexed
    postgres_tables = LineageStore(postgres_url).table_counts()
    sqlite_tables = LineageStore(
        StoreSettings(data_dir=workspace / "sqlite").resolved().lineage
    ).table_counts()
    assert postgres_tables == sqlite_tables
    assert postgres_tables["chunk_entities"] > 0
    with create_engine(postgres_url).connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    newest = max(p.name[:4] for p in (REPO / "indexers" / "migrations" / "versions").glob("0*.py"))
    # migrated to the head, as SQLite is
    assert revision == newest


def test_rerun_and_edit_on_postgres(corpus: Path, workspace: Path, postgres_url: str) -> None:
    again = ingest(corpus, workspace / "postgres", postgres_url)
    assert (again.counts.documents_indexed, again.counts.documents_unchanged) == (0, 3)
    edited = corpus / "note-1.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + " One more sentence.", encoding="utf-8")
    after_edit = ingest(corpus, workspace / "postgres", postgres_url)
    assert (after_edit.counts.documents_indexed, after_edit.counts.documents_unchanged) == (1, 2)
    counts = LineageStore(postgres_url).table_counts()
    # the superseded version's rows are gone
    assert counts["document_versions"] == 3


def test_vault_and_erasure_on_postgres(
    corpus: Path, workspace: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAGMASK_VAULT_KEY", "postgres-test-vault-key-not-secret")
    stores = StoreSettings(
        data_dir=workspace / "vaulted", collection="vaulted", lineage_url=postgres_url
    ).resolved()
    settings = IngestSettings(stores=stores, vault=True)
    assert run_ingest([corpus], settings, keys=KEYS).counts.documents_indexed == 3
    record = next(VectorStore(stores.qdrant, stores.collection).scroll())
    payload = record.payload or {}
    doc_id, masked = payload["metadata"]["doc_id"], payload["page_content"]
    person = next(t for t in payload["metadata"]["tokens"] if t.startswith("<PERSON_"))

    rehydrated = run_rehydrate(stores, doc_id, masked, reason="pg check", actor="tester")
    assert rehydrated.tokens >= 2 and person not in rehydrated.text and "@" in rehydrated.text

    email = next(v for v in rehydrated.text.split() if "@" in v).rstrip(".")
    subject = run_erase(settings, register_request(stores, KEYS, identifiers=[("email", email.upper())]))
    assert subject["verified"] and subject["matched"]["documents"] == 1
    assert subject["deleted"]["vault"]["entries_destroyed"] == 1
    document = run_erase(settings, register_request(stores, KEYS, documents=[doc_id]))
    assert document["deleted"]["vault"]["data_keys_destroyed"] == 1
    assert VaultStore(LineageStore(postgres_url)).access_log("vaulted")[0].actor == "tester"
