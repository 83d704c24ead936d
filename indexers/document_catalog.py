"""What a collection holds, as the lineage store records it: committed documents and their hashes, where
they were read, when they were indexed, their masking reports, and which points belong to which version."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from indexers.lineage import COMMITTED, QUARANTINED, LineageStore, as_utc
from indexers.lineage_schema import chunks, document_versions, documents

# ids per IN (...) clause, well under any database's limit on bound parameters
IN_GROUP = 500


class DocumentCatalog:
    """The read side of the lineage.

    Usage::

        DocumentCatalog(lineage).committed_hashes("docs", doc_ids)
    """

    def __init__(self, lineage: LineageStore) -> None:
        self.lineage = lineage

    def committed_hashes(self, collection: str, doc_ids: Sequence[str]) -> dict[str, str]:
        """doc_id -> content hash of its committed version, for the documents of ``doc_ids`` that have one."""
        if not doc_ids:
            return {}
        query = select(documents.c.doc_id, documents.c.content_hash).where(
            documents.c.collection == collection,
            documents.c.doc_id.in_(list(doc_ids)),
            documents.c.current_version.is_not(None),
        )
        with self.lineage.transaction() as tx:
            return {row.doc_id: row.content_hash for row in tx.execute(query)}

    def documents_by_file(self, collection: str, file_keys: Sequence[str]) -> dict[str, str]:
        """file key -> doc id, for files already known under some doc id (perhaps from another root)."""
        if not file_keys:
            return {}
        query = select(documents.c.file_key, documents.c.doc_id).where(
            documents.c.collection == collection, documents.c.file_key.in_(list(file_keys))
        )
        with self.lineage.transaction() as tx:
            return {row.file_key: row.doc_id for row in tx.execute(query)}

    def last_outcomes(self, collection: str, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        """What the last run that met each document did with it: its status (committed, failed,
        quarantined), the reason in ragmask's words, its masked source path, the run and when."""
        if not doc_ids:
            return []
        query = select(
            documents.c.doc_id,
            documents.c.last_status,
            documents.c.last_error,
            documents.c.source_masked,
            documents.c.last_run_id,
            documents.c.updated_at,
        ).where(documents.c.collection == collection, documents.c.doc_id.in_(list(doc_ids)))
        with self.lineage.transaction() as tx:
            return [
                {
                    "doc_id": row.doc_id,
                    "status": row.last_status,
                    "reason": row.last_error,
                    "source": row.source_masked,
                    "run_id": row.last_run_id,
                    "at": as_utc(row.updated_at).isoformat(),
                }
                for row in tx.execute(query)
            ]

    def documents_in_collection(self, collection: str) -> list[str]:
        """The doc ids with a committed version in ``collection``."""
        query = select(documents.c.doc_id).where(
            documents.c.collection == collection, documents.c.current_version.is_not(None)
        )
        with self.lineage.transaction() as tx:
            return [row.doc_id for row in tx.execute(query)]

    def documents_in_scopes(self, collection: str, scope_keys: Sequence[str]) -> dict[str, str | None]:
        """doc id -> origin key of the committed documents last read under one of ``scope_keys``."""
        if not scope_keys:
            return {}
        query = select(documents.c.doc_id, documents.c.origin_key).where(
            documents.c.collection == collection,
            documents.c.scope_key.in_(list(scope_keys)),
            documents.c.current_version.is_not(None),
        )
        with self.lineage.transaction() as tx:
            return {row.doc_id: row.origin_key for row in tx.execute(query)}

    def documents_indexed_before(self, collection: str, cutoff: datetime) -> list[str]:
        """Doc ids whose committed version was committed before ``cutoff`` (a changed document is new)."""
        query = (
            select(documents.c.doc_id)
            .join(
                document_versions,
                (document_versions.c.collection == documents.c.collection)
                & (document_versions.c.doc_id == documents.c.doc_id)
                & (document_versions.c.version == documents.c.current_version),
            )
            .where(documents.c.collection == collection, document_versions.c.committed_at < cutoff)
        )
        with self.lineage.transaction() as tx:
            return sorted(row.doc_id for row in tx.execute(query))

    def version_reports(
        self, collection: str, *, doc_ids: Sequence[str] | None = None, run_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The committed or quarantined versions of ``doc_ids`` (or those ``run_id`` wrote), each with its
        masking report: counts, scores, actions and versions, never a value."""
        query = select(document_versions).where(
            document_versions.c.collection == collection,
            document_versions.c.status.in_([COMMITTED, QUARANTINED]),
        )
        if doc_ids is not None:
            query = query.where(document_versions.c.doc_id.in_(list(doc_ids)))
        if run_id is not None:
            query = query.where(document_versions.c.run_id == run_id)
        with self.lineage.transaction() as tx:
            rows = tx.execute(query.order_by(document_versions.c.doc_id, document_versions.c.version)).all()
        return [
            {
                "doc_id": r.doc_id,
                "version": r.version,
                "status": r.status,
                "run_id": r.run_id,
                "chunks": r.chunk_count,
                "created_at": as_utc(r.created_at).isoformat(),
                "committed_at": as_utc(r.committed_at).isoformat() if r.committed_at else None,
                "report": dict(r.report or {}),
            }
            for r in rows
        ]

    def point_documents(self, collection: str, point_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """point id -> (doc id, version), for the points of ``point_ids`` the lineage knows."""
        found: dict[str, tuple[str, int]] = {}
        ids = sorted(set(point_ids))
        with self.lineage.transaction() as tx:
            for start in range(0, len(ids), IN_GROUP):
                query = select(chunks.c.point_id, chunks.c.doc_id, chunks.c.version).where(
                    chunks.c.collection == collection, chunks.c.point_id.in_(ids[start : start + IN_GROUP])
                )
                found.update({row.point_id: (row.doc_id, row.version) for row in tx.execute(query)})
        return found

    def version_details(
        self, collection: str, versions: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[str, dict[str, Any], list[str], str]]:
        """(doc id, version) -> (content hash, masking report, point ids, masked source) of each version."""
        found = {}
        with self.lineage.transaction() as tx:
            for doc_id, version in versions:
                key = (document_versions.c.collection == collection) & (document_versions.c.doc_id == doc_id)
                row = tx.execute(
                    select(document_versions.c.content_hash, document_versions.c.report).where(
                        key, document_versions.c.version == version
                    )
                ).first()
                if row is None:
                    continue
                point_ids = tx.scalars(
                    select(chunks.c.point_id).where(
                        chunks.c.collection == collection,
                        chunks.c.doc_id == doc_id,
                        chunks.c.version == version,
                    )
                ).all()
                source = tx.scalar(
                    select(documents.c.source_masked).where(
                        documents.c.collection == collection, documents.c.doc_id == doc_id
                    )
                )
                found[(doc_id, version)] = (
                    row.content_hash,
                    dict(row.report or {}),
                    list(point_ids),
                    source or "",
                )
        return found

    def committed_point_ids(self, collection: str) -> set[str]:
        """Point ids of the collection's committed versions: exactly what Qdrant should hold."""
        query = (
            select(chunks.c.point_id)
            .join(
                document_versions,
                (document_versions.c.collection == chunks.c.collection)
                & (document_versions.c.doc_id == chunks.c.doc_id)
                & (document_versions.c.version == chunks.c.version),
            )
            .where(chunks.c.collection == collection, document_versions.c.status == COMMITTED)
        )
        with self.lineage.transaction() as tx:
            return set(tx.scalars(query))
