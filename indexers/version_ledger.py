"""The write protocol's rows: a version is written "pending" before its points are upserted and "committed"
after; the version it replaces becomes "superseded" until its points are deleted. ``unfinished`` lists what a
crash left, so the next run can roll it back (indexers/index_writer.py owns the order)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from indexers.lineage import COMMITTED, PENDING, SUPERSEDED, LineageStore, utc_now
from indexers.lineage_schema import (
    chunk_entities,
    chunks,
    document_versions,
    documents,
    vault_entries,
    vault_keys,
)


@dataclass(frozen=True)
class ChunkRow:
    point_id: str
    chunk_index: int
    token_count: int
    # (fingerprint, type, token, variant): variant marks a name variant's fingerprint (see lineage_schema)
    entities: list[tuple[str, str, str, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class PendingVersion:
    """A version to record as pending: its chunks and the fingerprints of what they mention."""

    doc_id: str
    version: int
    content_hash: str
    report: dict[str, Any] = field(repr=False)
    rows: Sequence[ChunkRow] = field(repr=False)


@dataclass(frozen=True)
class VersionCommit:
    """A version written and upserted, to mark committed (``origin``: scope key, origin key)."""

    doc_id: str
    version: int
    content_hash: str
    source_masked: str = field(repr=False)
    file_key: str | None
    origin: tuple[str, str] | None
    run_id: str


@dataclass(frozen=True)
class VersionRef:
    doc_id: str
    version: int
    status: str
    point_ids: list[str]
    run_id: str = ""


class VersionLedger:
    """Document versions, their chunks and entity fingerprints, as the write protocol moves them.

    Usage::

        ledger = VersionLedger(lineage)
        ledger.write_pending_many("docs", run_id, versions)
        superseded = ledger.commit_versions("docs", commits)
    """

    def __init__(self, lineage: LineageStore) -> None:
        self.lineage = lineage

    def next_version(self, collection: str, doc_id: str) -> int:
        return self.next_versions(collection, [doc_id])[doc_id]

    def next_versions(self, collection: str, doc_ids: Sequence[str]) -> dict[str, int]:
        """The number each document's next version takes (1 for a new one), in one query."""
        query = (
            select(document_versions.c.doc_id, func.max(document_versions.c.version))
            .where(
                document_versions.c.collection == collection, document_versions.c.doc_id.in_(list(doc_ids))
            )
            .group_by(document_versions.c.doc_id)
        )
        with self.lineage.transaction() as tx:
            highest = {doc_id: int(version) for doc_id, version in tx.execute(query)}
        return {doc_id: highest.get(doc_id, 0) + 1 for doc_id in doc_ids}

    def write_pending_many(self, collection: str, run_id: str, versions: Sequence[PendingVersion]) -> None:
        """Versions, their chunks and their entity fingerprints, as pending, in one transaction (three
        statements, whatever their number)."""
        now = utc_now()
        with self.lineage.transaction() as tx:
            tx.execute(
                insert(document_versions),
                [
                    {
                        "collection": collection,
                        "doc_id": v.doc_id,
                        "version": v.version,
                        "content_hash": v.content_hash,
                        "status": PENDING,
                        "run_id": run_id,
                        "chunk_count": len(v.rows),
                        "created_at": now,
                        "report": v.report,
                    }
                    for v in versions
                ],
            )
            chunk_rows = [
                {
                    "point_id": r.point_id,
                    "collection": collection,
                    "doc_id": v.doc_id,
                    "version": v.version,
                    "chunk_index": r.chunk_index,
                    "token_count": r.token_count,
                }
                for v in versions
                for r in v.rows
            ]
            if chunk_rows:
                tx.execute(insert(chunks), chunk_rows)
            entity_rows = [
                {
                    "point_id": r.point_id,
                    "fingerprint": fp,
                    "entity_type": kind,
                    "token": token,
                    "variant": variant,
                }
                for v in versions
                for r in v.rows
                for fp, kind, token, variant in r.entities
            ]
            if entity_rows:
                tx.execute(insert(chunk_entities), entity_rows)

    def commit_versions(self, collection: str, commits: Sequence[VersionCommit]) -> list[VersionRef]:
        """Mark each version committed and the versions it replaces superseded, in one transaction; returns
        those (to delete). ``origin``: (scope key, origin key), where the document was read."""
        now = utc_now()
        with self.lineage.transaction() as tx:
            for commit in commits:
                tx.execute(
                    update(document_versions)
                    .where(
                        document_versions.c.collection == collection,
                        document_versions.c.doc_id == commit.doc_id,
                        document_versions.c.status == COMMITTED,
                    )
                    .values(status=SUPERSEDED)
                )
                tx.execute(
                    update(document_versions)
                    .where(
                        document_versions.c.collection == collection,
                        document_versions.c.doc_id == commit.doc_id,
                        document_versions.c.version == commit.version,
                    )
                    .values(status=COMMITTED, committed_at=now)
                )
                origin = (
                    dict(zip(("scope_key", "origin_key"), commit.origin, strict=True))
                    if commit.origin
                    else {}
                )
                self._set_document(
                    tx,
                    collection,
                    commit.doc_id,
                    commit.run_id,
                    now,
                    current_version=commit.version,
                    content_hash=commit.content_hash,
                    source_masked=commit.source_masked,
                    last_status=COMMITTED,
                    last_error=None,
                    file_key=commit.file_key,
                    **origin,
                )
            return self._versions(tx, collection, [SUPERSEDED], [c.doc_id for c in commits])

    def record_outcome(
        self,
        collection: str,
        doc_id: str,
        status: str,
        run_id: str,
        error: str | None = None,
        version: int | None = None,
        content_hash: str | None = None,
        report: dict[str, Any] | None = None,
        *,
        source_masked: str = "",
    ) -> None:
        """A document that was quarantined or failed: its last status and why (and the quarantined version's
        report); ``source_masked``, its masked source path, names it for ``ragmask report``."""
        now = utc_now()
        with self.lineage.transaction() as tx:
            if version is not None and content_hash is not None:
                tx.execute(
                    insert(document_versions).values(
                        collection=collection,
                        doc_id=doc_id,
                        version=version,
                        content_hash=content_hash,
                        status=status,
                        run_id=run_id,
                        chunk_count=0,
                        created_at=now,
                        report=report,
                    )
                )
            named = {"source_masked": source_masked} if source_masked else {}
            self._set_document(
                tx, collection, doc_id, run_id, now, last_status=status, last_error=error, **named
            )

    @staticmethod
    def _set_document(
        tx: Connection, collection: str, doc_id: str, run_id: str, now: datetime, **values: Any
    ) -> None:
        key = (documents.c.collection == collection) & (documents.c.doc_id == doc_id)
        values |= {"last_run_id": run_id, "updated_at": now}
        if tx.scalar(select(func.count()).select_from(documents).where(key)):
            tx.execute(update(documents).where(key).values(**values))
        else:
            tx.execute(insert(documents).values(collection=collection, doc_id=doc_id, **values))

    def forget_current(self, collection: str, doc_ids: Sequence[str]) -> None:
        """The documents have no committed version in the collection any more (a quarantine took it out)."""
        with self.lineage.transaction() as tx:
            tx.execute(
                update(documents)
                .where(documents.c.collection == collection, documents.c.doc_id.in_(list(doc_ids)))
                .values(current_version=None, content_hash=None)
            )

    def unfinished(self, collection: str) -> list[VersionRef]:
        """Pending versions (a crash before commit, or a run still writing) and superseded ones (a crash
        before their delete)."""
        with self.lineage.transaction() as tx:
            return self._versions(tx, collection, [PENDING, SUPERSEDED])

    @staticmethod
    def _versions(
        tx: Connection, collection: str, statuses: Iterable[str], doc_ids: Sequence[str] | None = None
    ) -> list[VersionRef]:
        query = select(
            document_versions.c.doc_id,
            document_versions.c.version,
            document_versions.c.status,
            document_versions.c.run_id,
        ).where(document_versions.c.collection == collection, document_versions.c.status.in_(list(statuses)))
        if doc_ids is not None:
            query = query.where(document_versions.c.doc_id.in_(list(doc_ids)))
        refs = []
        for row in tx.execute(query.order_by(document_versions.c.doc_id, document_versions.c.version)).all():
            point_ids = tx.scalars(
                select(chunks.c.point_id)
                .where(
                    chunks.c.collection == collection,
                    chunks.c.doc_id == row.doc_id,
                    chunks.c.version == row.version,
                )
                .order_by(chunks.c.chunk_index)
            ).all()
            refs.append(VersionRef(row.doc_id, row.version, row.status, list(point_ids), row.run_id))
        return refs

    def drop_version(self, collection: str, doc_id: str, version: int) -> None:
        """Delete a version's rows (after its points are gone from the collection), its vault included."""
        self.drop_versions(collection, [(doc_id, version)])

    def drop_versions(self, collection: str, versions: Sequence[tuple[str, int]]) -> None:
        """``drop_version`` for several (doc id, version) pairs in one transaction."""
        with self.lineage.transaction() as tx:
            for doc_id, version in versions:
                for vault_table in (vault_entries, vault_keys):
                    tx.execute(
                        delete(vault_table).where(
                            vault_table.c.collection == collection,
                            vault_table.c.doc_id == doc_id,
                            vault_table.c.version == version,
                        )
                    )
                point_ids = select(chunks.c.point_id).where(
                    chunks.c.collection == collection, chunks.c.doc_id == doc_id, chunks.c.version == version
                )
                tx.execute(delete(chunk_entities).where(chunk_entities.c.point_id.in_(point_ids)))
                tx.execute(
                    delete(chunks).where(
                        chunks.c.collection == collection,
                        chunks.c.doc_id == doc_id,
                        chunks.c.version == version,
                    )
                )
                tx.execute(
                    delete(document_versions).where(
                        document_versions.c.collection == collection,
                        document_versions.c.doc_id == doc_id,
                        document_versions.c.version == version,
                    )
                )
