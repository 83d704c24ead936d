"""End to end on real components: readers, Presidio + spaCy, the MiniLM embedder, Qdrant local mode,
SQLite lineage. Invariants 1 (no raw PII at rest), 3 (chunks), 4 (idempotence), 6 and 7 (bad input)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.operations.ingest import IngestResult, run_ingest
from flows.settings import IngestSettings, StoreSettings
from indexers.errors import LineageError
from indexers.lineage import LineageStore
from indexers.qdrant_store import Point, VectorStore, close_local_clients, point_id
from indexers.version_ledger import ChunkRow, PendingVersion, VersionLedger
from masking import MaskingKeys
from masking.tokens import TOKEN_PATTERN
from tests.conftest import REPO

CORPUS = REPO / "examples" / "corpus"
GOLD: dict[str, list[str]] = json.loads((REPO / "examples" / "corpus_gold.json").read_text(encoding="utf-8"))
GOLD_VALUES = sorted({v for values in GOLD.values() for v in values})
# calls.jsonl holds three records
CORPUS_DOCUMENTS = len(GOLD) - 1 + 3
PAYLOAD_KEYS = {
    "doc_id",
    "chunk_index",
    "doc_version",
    "tokens",
    "entity_types",
    "masked",
    "pipeline_version",
}


def leaked_values(
    root: Path, values: list[str] = GOLD_VALUES, generated_words: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """(file, value) for every gold value found in any file under root, as UTF-8 or lower-cased.

    A value whose lower case is one of generated_words (a first name such as 'Coral' is also a word
    of Prefect's generated run names) counts only in its own case."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        lowered = data.lower()
        for value in values:
            folded = value.lower()
            if value.encode() in data or (folded not in generated_words and folded.encode() in lowered):
                found.append((str(path.relative_to(root)), value))
    return found


def settings_for(data_dir: Path) -> IngestSettings:
    return IngestSettings(stores=StoreSettings(data_dir=data_dir).resolved(), batch_documents=4)


def all_points(data_dir: Path) -> dict[str, dict[str, Any]]:
    store = VectorStore(settings_for(data_dir).stores.qdrant, "ragmask")
    return {str(r.id): dict(r.payload or {}) for r in store.scroll()}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("ingest")
    shutil.copytree(CORPUS, root / "corpus")
    yield root
    close_local_clients()


@pytest.fixture(scope="module")
def first_run(workspace: Path, keys_module: MaskingKeys) -> IngestResult:
    return run_ingest([workspace / "corpus"], settings_for(workspace / "data"), keys=keys_module)


@pytest.fixture(scope="module")
def keys_module() -> MaskingKeys:
    return MaskingKeys(b"ragmask-e2e-test-secret")


def test_every_document_is_indexed(first_run: IngestResult) -> None:
    counts = first_run.counts
    assert counts.documents_seen == CORPUS_DOCUMENTS
    assert counts.documents_indexed == CORPUS_DOCUMENTS - 0
    assert counts.documents_failed == counts.documents_quarantined == 0
    assert first_run.points_total == counts.chunks_indexed >= CORPUS_DOCUMENTS
    assert counts.entities["PERSON"] >= 10
    assert counts.entities["EMAIL_ADDRESS"] >= 4


def test_no_gold_value_in_any_byte_written(first_run: IngestResult, workspace: Path) -> None:
    # flush local Qdrant's files
    close_local_clients()
    assert leaked_values(workspace / "data") == []


def test_payload_is_langchain_shaped_and_masked(first_run: IngestResult, workspace: Path) -> None:
    points = all_points(workspace / "data")
    assert len(points) == first_run.points_total
    for payload in points.values():
        assert set(payload) == {"page_content", "metadata"}
        metadata = payload["metadata"]
        assert set(metadata) >= PAYLOAD_KEYS
        assert metadata["masked"] is True
        assert set(metadata["tokens"]) == {m.group() for m in TOKEN_PATTERN.finditer(payload["page_content"])}
        assert "source" in metadata and "provenance" in metadata
    titles = [p["metadata"].get("title", "") for p in points.values()]
    # the DOCX/PDF titles named a person
    assert any("<PERSON_" in title for title in titles)


def test_langchain_qdrant_reads_the_collection(first_run: IngestResult, workspace: Path) -> None:
    from langchain_qdrant import QdrantVectorStore

    from tests.frameworks import MiniLMEmbeddings

    store = VectorStore(settings_for(workspace / "data").stores.qdrant, "ragmask")
    langchain_store = QdrantVectorStore(
        client=store.client,
        collection_name="ragmask",
        embedding=MiniLMEmbeddings(),
        content_payload_key="page_content",
        metadata_payload_key="metadata",
    )
    documents = langchain_store.similarity_search("card charged twice, refund to IBAN", k=2)
    assert documents
    assert "<CREDIT_CARD_" in documents[0].page_content
    assert documents[0].metadata["masked"] is True
    assert not any(value in d.page_content for d in documents for value in GOLD_VALUES)


def test_second_ingest_changes_nothing(
    first_run: IngestResult, workspace: Path, keys_module: MaskingKeys
) -> None:
    before = all_points(workspace / "data")
    lineage_before = LineageStore(settings_for(workspace / "data").stores.lineage).table_counts()
    again = run_ingest([workspace / "corpus"], settings_for(workspace / "data"), keys=keys_module)
    assert again.counts.documents_indexed == 0
    assert again.counts.documents_unchanged == CORPUS_DOCUMENTS
    assert all_points(workspace / "data") == before
    lineage_after = LineageStore(settings_for(workspace / "data").stores.lineage).table_counts()
    assert lineage_after == lineage_before | {"runs": lineage_before["runs"] + 1}


def test_editing_one_document_replaces_exactly_its_chunks(
    first_run: IngestResult, workspace: Path, keys_module: MaskingKeys
) -> None:
    before = all_points(workspace / "data")
    edited = workspace / "corpus" / "notes" / "no_pii.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "A second paragraph about latency budgets.\n")
    result = run_ingest([workspace / "corpus"], settings_for(workspace / "data"), keys=keys_module)
    assert result.counts.documents_indexed == 1
    after = all_points(workspace / "data")
    changed_doc = {p["metadata"]["doc_id"] for pid, p in after.items() if pid not in before}
    assert len(changed_doc) == 1
    removed = {pid for pid in before if pid not in after}
    assert {before[pid]["metadata"]["doc_id"] for pid in removed} == changed_doc
    assert {
        p["metadata"]["doc_version"] for p in after.values() if p["metadata"]["doc_id"] in changed_doc
    } == {2}
    unchanged = {pid: p for pid, p in before.items() if p["metadata"]["doc_id"] not in changed_doc}
    assert all(after[pid] == p for pid, p in unchanged.items())


def test_a_crash_left_pending_is_rolled_back(
    workspace: Path, keys_module: MaskingKeys, first_run: IngestResult
) -> None:
    settings = settings_for(workspace / "data")
    lineage = LineageStore(settings.stores.lineage)
    store = VectorStore(settings.stores.qdrant, "ragmask")
    orphan = point_id("ragmask", "doc_crashed", 1, 0)
    VersionLedger(lineage).write_pending_many(
        "ragmask", "crashed-run", [PendingVersion("doc_crashed", 1, "0" * 64, {}, [ChunkRow(orphan, 0, 3)])]
    )
    store.upsert(
        [
            Point(
                orphan,
                [0.0] * 383 + [1.0],
                {"page_content": "<PERSON>", "metadata": {"doc_id": "doc_crashed"}},
            )
        ]
    )
    run_ingest([workspace / "corpus"], settings, keys=keys_module)
    assert store.existing([orphan]) == set()
    assert VersionLedger(lineage).unfinished("ragmask") == []


def test_another_key_is_refused(workspace: Path, first_run: IngestResult) -> None:
    with pytest.raises(LineageError, match="masking key"):
        run_ingest(
            [workspace / "corpus"],
            settings_for(workspace / "data"),
            keys=MaskingKeys(b"another-key-entirely"),
        )


def test_bad_input_is_skipped_with_one_line_and_the_rest_goes_on(
    tmp_path: Path, keys_module: MaskingKeys
) -> None:
    corpus = tmp_path / "bad"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Please ask Maria Gonzalez to call back.\n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02 binary")
    (corpus / "latin1.md").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (corpus / "empty.txt").write_text("   \n", encoding="utf-8")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (corpus / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    (corpus / "records.jsonl").write_text(
        '{"id": 1, "text": "fine record"}\n{"id": 2\n{"id": 3}\n', encoding="utf-8"
    )
    errors: list[str] = []
    result = run_ingest(
        [corpus],
        settings_for(tmp_path / "data"),
        keys=keys_module,
        on_error=lambda problem: errors.append(problem.line()),
    )
    # good.txt and record 1
    assert result.counts.documents_indexed == 2
    assert result.counts.documents_failed == 7
    assert all("\n" not in e for e in errors)
    assert any("binary" in e for e in errors) and any("UTF-8" in e for e in errors)
    assert any("malformed PDF" in e for e in errors) and any("malformed DOCX" in e for e in errors)
    assert any("empty" in e for e in errors) and any("no string field 'text'" in e for e in errors)
    assert not any("Gonzalez" in e for e in errors)
    # by masked source path, with the stage; the run's counts hold the same list
    assert any("(broken .docx): skipped at read: malformed DOCX" in e for e in errors)
    assert [p.line() for p in result.counts.problems] == errors
