"""The write protocol for several versions at once (IndexWriter.write_versions): the same points and
lineage rows as writing them one at a time, each step once for all of them, and one document the store
refuses costing only itself. Real Qdrant local mode and SQLite; synthetic data (Faker, fixed seed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from faker import Faker
from sqlalchemy import select

from indexers.chunking import Chunk
from indexers.document_catalog import DocumentCatalog
from indexers.index_writer import DocumentVersion, IndexWriter
from indexers.lineage import COMMITTED, LineageStore
from indexers.lineage_schema import chunk_entities, chunks, document_versions, documents
from indexers.qdrant_store import Point, QdrantLocation, VectorStore, close_local_clients
from indexers.version_ledger import VersionCommit, VersionLedger, VersionRef
from masking.entities import MaskedEntity

DIMENSION = 8


def versions(count: int, seed: int = 31) -> list[DocumentVersion]:
    """Masked documents of two or three chunks, each naming a person by token."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    made = []
    for number in range(count):
        token = f"<PERSON_{number:08x}>"
        texts = [f"{token} {fake.sentence()}" for _ in range(2 + number % 2)]
        pieces = [Chunk(i, text, 0, len(text), len(text.split())) for i, text in enumerate(texts)]
        vectors = [[fake.pyfloat(min_value=-1, max_value=1) for _ in range(DIMENSION)] for _ in pieces]
        entity = MaskedEntity(token, "PERSON", "mask", [f"fp{number:04d}"], occurrences=len(texts))
        made.append(
            DocumentVersion(
                f"doc_{number:03d}",
                f"{number:064x}",
                {"entities": 1},
                pieces,
                vectors,
                [entity],
                {"source": f"note {number} .txt"},
            )
        )
    return made


class CountingStore(VectorStore):
    """Qdrant local mode, counting upsert calls; it refuses the points of ``refused`` documents."""

    def __init__(
        self, location: QdrantLocation, collection: str, refused: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(location, collection)
        self.upserts = 0
        self.refused = refused

    def upsert(self, points: Sequence[Point]) -> None:
        self.upserts += 1
        if any(p.payload["metadata"]["doc_id"] in self.refused for p in points):
            # what a server answers to a payload it cannot take
            raise ValueError("refused")
        super().upsert(points)


class CountingLedger(VersionLedger):
    def __init__(self, lineage: LineageStore) -> None:
        super().__init__(lineage)
        self.commits = 0

    def commit_versions(self, collection: str, commits: Sequence[VersionCommit]) -> list[VersionRef]:
        self.commits += 1
        return super().commit_versions(collection, commits)


def open_writer(
    folder: Path, refused: frozenset[str] = frozenset()
) -> tuple[IndexWriter, CountingStore, CountingLedger]:
    store = CountingStore(QdrantLocation(path=folder / "qdrant"), "notes", refused)
    store.ensure_collection(DIMENSION)
    writer = IndexWriter(LineageStore(f"sqlite:///{folder / 'lineage.db'}"), store, "test")
    writer.ledger = ledger = CountingLedger(writer.lineage)
    return writer, store, ledger


def stored(writer: IndexWriter) -> dict[str, Any]:
    """Every point (id, payload) and every lineage row the writer's collection has, timestamps left out."""
    with writer.lineage.transaction() as tx:
        rows = {
            "versions": tx.execute(
                select(
                    document_versions.c.doc_id,
                    document_versions.c.version,
                    document_versions.c.status,
                    document_versions.c.content_hash,
                    document_versions.c.chunk_count,
                    document_versions.c.report,
                )
            ).all(),
            "chunks": tx.execute(
                select(
                    chunks.c.point_id,
                    chunks.c.doc_id,
                    chunks.c.version,
                    chunks.c.chunk_index,
                    chunks.c.token_count,
                )
            ).all(),
            "entities": tx.execute(
                select(chunk_entities.c.point_id, chunk_entities.c.fingerprint, chunk_entities.c.token)
            ).all(),
            "documents": tx.execute(
                select(
                    documents.c.doc_id,
                    documents.c.current_version,
                    documents.c.last_status,
                    documents.c.source_masked,
                )
            ).all(),
        }
    points = {str(r.id): (r.payload, r.vector) for r in writer.store.scroll(with_vectors=True)}
    return {name: sorted(map(tuple, found), key=repr) for name, found in rows.items()} | {"points": points}


def test_versions_written_together_are_the_versions_written_one_at_a_time(tmp_path: Path) -> None:
    # the second round supersedes the first
    first, second = versions(5), versions(5, seed=32)
    together, together_store, together_ledger = open_writer(tmp_path / "together")
    alone, alone_store, alone_ledger = open_writer(tmp_path / "alone")
    try:
        for round_ in (first, second):
            outcomes = together.write_versions([together.version_write(d) for d in round_], "run")
            assert outcomes == [outcomes[0]] * 5 and isinstance(outcomes[0], int)
            for document in round_:
                alone.write_version(alone.version_write(document), "run")
        # once per round
        assert (together_store.upserts, together_ledger.commits) == (2, 2)
        assert (alone_store.upserts, alone_ledger.commits) == (10, 10)
        written = stored(together)
        assert written == stored(alone)
        assert {row[2] for row in written["versions"]} == {COMMITTED} and len(written["versions"]) == 5
        assert len(written["points"]) == sum(len(d.chunks) for d in second)
    finally:
        close_local_clients()


def test_a_document_the_store_refuses_costs_only_itself(tmp_path: Path) -> None:
    documents_ = versions(4)
    writer, _store, _ledger = open_writer(tmp_path, refused=frozenset({"doc_002"}))
    sealed: list[tuple[str, int]] = []
    try:

        def sealer(doc_id: str) -> Callable[[int], None]:
            return lambda version: sealed.append((doc_id, version))

        writes = [writer.version_write(d, sealer(d.doc_id)) for d in documents_]
        outcomes = writer.write_versions(writes, "run")
        assert outcomes[:2] == [1, 1] and outcomes[3] == 1
        assert isinstance(outcomes[2], ValueError)
        kept = stored(writer)
        assert {p[0]["metadata"]["doc_id"] for p in kept["points"].values()} == {
            "doc_000",
            "doc_001",
            "doc_003",
        }
        # nothing of doc_002
        assert {row[0] for row in kept["versions"]} == {"doc_000", "doc_001", "doc_003"}
        assert not [row for row in kept["chunks"] if row[1] == "doc_002"]
        # sealed in the shared attempt (rolled back), then each on its own at the same version number
        assert sealed == [(d.doc_id, 1) for d in documents_] * 2
        assert DocumentCatalog(writer.lineage).committed_hashes("notes", ["doc_002"]) == {}
    finally:
        close_local_clients()
