"""The write protocol, in one place: how a document version reaches Qdrant and the lineage, and how what a
crash left half-written is rolled back.

Order: payload built from masked chunks -> lineage rows written ``pending`` -> (vault sealed) -> points
upserted -> version ``committed`` -> the versions it replaces ``superseded``, their points deleted, their
rows dropped. A crash at any step leaves pending or superseded versions; ``reconcile`` deletes their
points and rows, except a pending version of a run whose process still lives (it is still writing).
Ingest reconciles when it starts, erasure before it matches (so no half-written version can hide a
subject from an erasure).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from indexers.chunking import Chunk, tokens_in
from indexers.lineage import PENDING, LineageStore
from indexers.payload_formats import FORMATS, ChunkPayload, PayloadFormat, PayloadFormatError, detect_format
from indexers.qdrant_store import Point, VectorStore, point_id
from indexers.run_log import RunLog
from indexers.version_ledger import ChunkRow, PendingVersion, VersionCommit, VersionLedger, VersionRef
from masking.entities import MaskedEntity
from masking.stage_clock import StageClock
from masking.tokens import TOKEN_PATTERN

logger = logging.getLogger(__name__)
# versions committed in one transaction when a full re-index commits at its swap
COMMIT_GROUP = 256
# version -> its rows and points
VersionBuilder = Callable[[int], tuple[list[ChunkRow], list[Point]]]


@dataclass(frozen=True)
class DocumentVersion:
    """One document version ready to write: masked chunks, their vectors, and what they mention."""

    doc_id: str
    content_hash: str
    report: dict[str, Any]
    chunks: Sequence[Chunk] = field(repr=False)
    vectors: Sequence[list[float]] = field(repr=False)
    entities: Sequence[MaskedEntity] = field(repr=False)
    # masked source, title
    fields: Mapping[str, str] = field(default_factory=dict, repr=False)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    file_key: str | None = None
    # (scope key, origin key): where it was read
    origin: tuple[str, str] | None = None


@dataclass(frozen=True)
class VersionWrite:
    """What ``write_versions`` needs of one new version: ``build(version)`` lays out its lineage rows and
    points (any payload format); ``before_upsert(version)`` runs after its pending rows (the vault seals)."""

    doc_id: str
    content_hash: str
    report: dict[str, Any] = field(repr=False)
    build: VersionBuilder = field(repr=False)
    source_masked: str = field(default="", repr=False)
    file_key: str | None = None
    origin: tuple[str, str] | None = None
    before_upsert: Callable[[int], None] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Reconciled:
    # versions whose points and rows were removed
    rolled_back: int
    # runs still writing pending versions (left alone)
    in_progress: frozenset[str]


class IndexWriter:
    """Writes document versions of one collection; the only code that orders lineage and Qdrant writes."""

    def __init__(
        self,
        lineage: LineageStore,
        store: VectorStore,
        pipeline_version: str = "",
        payload_format: PayloadFormat = FORMATS["langchain"],
        *,
        collection: str | None = None,
        defer_commits: bool = False,
        clock: StageClock | None = None,
    ) -> None:
        """``collection``: the name the lineage and the point ids use when ``store`` is a fresh physical
        collection that will take it over (a full re-index); ``defer_commits``: versions stay pending until
        ``commit_deferred`` (after the new collection audits clean) or ``abandon_deferred``."""
        self.lineage = lineage
        self.ledger = VersionLedger(lineage)
        self.store = store
        self.collection = collection or store.collection
        self.pipeline_version = pipeline_version
        self.payload_format = payload_format
        self.defer_commits = defer_commits
        self.deferred: list[VersionCommit] = []
        # upsert, lineage
        self.clock = clock or StageClock()

    def check_format(self) -> None:
        """A collection holds one payload format (its framework reads every point): refuse to add another."""
        sample = self.store.first_payload() if self.store.exists() else None
        if sample is None:
            return
        try:
            held = detect_format(sample)
        except PayloadFormatError:
            held = "unknown"
        if held != self.payload_format.name:
            raise PayloadFormatError(
                f"collection {self.collection!r} holds {held} payloads; write it with "
                f"--payload-format {held} or use another collection"
            )

    def reconcile(self) -> Reconciled:
        """Roll back what crashed runs left; a live run's pending versions are reported, not touched."""
        live = RunLog(self.lineage).live_runs(self.collection)
        still_writing: list[VersionRef] = []
        left: list[VersionRef] = []
        for ref in self.ledger.unfinished(self.collection):
            (still_writing if ref.status == PENDING and ref.run_id in live else left).append(ref)
        return Reconciled(self._roll_back(left), frozenset(ref.run_id for ref in still_writing))

    def roll_back_run(self, run_id: str) -> int:
        """Roll back the versions ``run_id`` left pending (a commit that failed: a full disk, a store that
        went read-only), so that no point of an uncommitted version stays live once the run reports;
        returns how many."""
        unfinished = self.ledger.unfinished(self.collection)
        return self._roll_back([ref for ref in unfinished if ref.status == PENDING and ref.run_id == run_id])

    def _roll_back(self, refs: Sequence[VersionRef]) -> int:
        """Each version's points deleted, then its rows: never a row without its points checked."""
        for ref in refs:
            self.store.delete(ref.point_ids)
            self.ledger.drop_version(self.collection, ref.doc_id, ref.version)
        return len(refs)

    def points(self, document: DocumentVersion, version: int) -> tuple[list[ChunkRow], list[Point]]:
        """The lineage rows and Qdrant points of a version, laid out in the writer's payload format."""
        compose = self.payload_format.compose
        if compose is None:
            raise PayloadFormatError(f"ragmask does not write {self.payload_format.name} payloads")
        by_token = {e.token: e for e in document.entities}
        # every payload carries the masked fields (source path, title): their tokens belong to every chunk,
        # so an erasure by subject finds a name that only a file name or a title holds
        field_tokens = [t for value in document.fields.values() for t in tokens_in(value)]
        ids = [point_id(self.collection, document.doc_id, version, chunk.index) for chunk in document.chunks]
        rows, points = [], []
        for chunk, vector in zip(document.chunks, document.vectors, strict=True):
            tokens = tokens_in(chunk.text)
            entities = [
                # the first is the value's own
                (fp, by_token[t].entity_type, t, position > 0)
                for t in dict.fromkeys([*tokens, *field_tokens])
                if t in by_token
                for position, fp in enumerate(by_token[t].fingerprints)
            ]
            metadata = {
                "doc_id": document.doc_id,
                "chunk_index": chunk.index,
                "doc_version": version,
                "tokens": tokens,
                "entity_types": sorted({m.group(1) for m in map(TOKEN_PATTERN.match, tokens) if m}),
                "masked": True,
                "pipeline_version": self.pipeline_version,
                **document.fields,
                "provenance": dict(document.provenance),
            }
            pid, payload = compose(
                ChunkPayload(
                    ids[chunk.index],
                    document.doc_id,
                    chunk.text,
                    chunk.start,
                    chunk.end,
                    metadata,
                    document.content_hash,
                    ids[chunk.index - 1] if chunk.index else None,
                    ids[chunk.index + 1] if chunk.index + 1 < len(ids) else None,
                )
            )
            rows.append(ChunkRow(pid, chunk.index, chunk.token_count, entities))
            points.append(Point(pid, vector, payload))
        return rows, points

    def version_write(
        self, document: DocumentVersion, before_upsert: Callable[[int], None] | None = None
    ) -> VersionWrite:
        """An ingested document's new version, in ragmask's own payload format, for ``write_versions``."""
        return VersionWrite(
            document.doc_id,
            document.content_hash,
            document.report,
            partial(self.points, document),
            source_masked=document.fields.get("source", ""),
            file_key=document.file_key,
            origin=document.origin,
            before_upsert=before_upsert,
        )

    def write_version(self, write: VersionWrite, run_id: str) -> int:
        """Write one new version (pending -> upsert -> commit -> supersede); returns its number. If its
        vault seal or upsert fails, its points and rows are removed and the error goes on."""
        versions, commits = self._upsert_pending([write], run_id)
        self._settle(commits)
        return versions[0]

    def write_versions(self, writes: Sequence[VersionWrite], run_id: str) -> list[int | Exception]:
        """Write new versions of distinct documents with each step once for all: one pending transaction,
        one upsert, one commit transaction (one per document costs a transaction and a round trip each).
        Returns each one's number, or the error that kept it out. If the pending rows, a vault seal or the
        upsert fail, what was written is removed and each version is written on its own, so that one bad
        document costs only itself; a failed commit fails them all (their pending rows are rolled back
        when the next run reconciles, as for one document)."""
        if len(writes) > 1 and len({w.doc_id for w in writes}) == len(writes):
            try:
                versions, commits = self._upsert_pending(writes, run_id)
            except Exception as error:
                logger.info(
                    "%d versions written together failed (%s); writing them one at a time",
                    len(writes),
                    type(error).__name__,
                )
            else:
                try:
                    self._settle(commits)
                except Exception as error:
                    return [error] * len(writes)
                return list(versions)
        outcomes: list[int | Exception] = []
        for write in writes:
            try:
                outcomes.append(self.write_version(write, run_id))
            except Exception as error:
                outcomes.append(error)
        return outcomes

    def _upsert_pending(
        self, writes: Sequence[VersionWrite], run_id: str
    ) -> tuple[list[int], list[VersionCommit]]:
        """Pending rows, vault seals and points of versions of distinct documents, each step once for all;
        on a failure, what was written is removed and the error goes on."""
        with self.clock("lineage"):
            numbers = self.ledger.next_versions(self.collection, [w.doc_id for w in writes])
            versions = [numbers[w.doc_id] for w in writes]
            built = [w.build(version) for w, version in zip(writes, versions, strict=True)]
            self.ledger.write_pending_many(
                self.collection,
                run_id,
                [
                    PendingVersion(w.doc_id, version, w.content_hash, w.report, rows)
                    for w, version, (rows, _points) in zip(writes, versions, built, strict=True)
                ],
            )
        points = [point for _rows, version_points in built for point in version_points]
        try:
            for write, version in zip(writes, versions, strict=True):
                if write.before_upsert is not None:
                    write.before_upsert(version)
            with self.clock("upsert"):
                self.store.upsert(points)
        except Exception:
            self.store.delete(p.id for p in points)
            self.ledger.drop_versions(
                self.collection, [(w.doc_id, v) for w, v in zip(writes, versions, strict=True)]
            )
            raise
        return versions, [
            VersionCommit(w.doc_id, version, w.content_hash, w.source_masked, w.file_key, w.origin, run_id)
            for w, version in zip(writes, versions, strict=True)
        ]

    def _settle(self, commits: Sequence[VersionCommit]) -> None:
        """Commit upserted versions now, or hold them back (a full re-index commits all at the swap)."""
        if self.defer_commits:
            self.deferred.extend(commits)
        else:
            with self.clock("lineage"):
                self._commit(commits)

    def _commit(self, commits: Sequence[VersionCommit]) -> None:
        """Commit versions, then delete the points and rows of those they supersede."""
        superseded = self.ledger.commit_versions(self.collection, commits)
        # a full re-index's superseded points are in the collection being replaced
        self.store.delete(point for ref in superseded for point in ref.point_ids)
        self.ledger.drop_versions(self.collection, [(ref.doc_id, ref.version) for ref in superseded])

    def commit_deferred(self) -> int:
        """Commit the versions held back, superseding the ones they replace; returns how many."""
        done, self.deferred = self.deferred, []
        for start in range(0, len(done), COMMIT_GROUP):
            self._commit(done[start : start + COMMIT_GROUP])
        return len(done)

    def withhold(self, doc_ids: set[str]) -> int:
        """Keep the held-back versions of ``doc_ids`` from being committed (their rows are dropped apart)."""
        before = len(self.deferred)
        self.deferred = [c for c in self.deferred if c.doc_id not in doc_ids]
        return before - len(self.deferred)

    def abandon_deferred(self) -> int:
        """Drop the versions held back (their points go with the collection they were written to)."""
        done, self.deferred = self.deferred, []
        for start in range(0, len(done), COMMIT_GROUP):
            self.ledger.drop_versions(
                self.collection, [(c.doc_id, c.version) for c in done[start : start + COMMIT_GROUP]]
            )
        return len(done)
