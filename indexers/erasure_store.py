"""The lineage store's erasure requests, and the matching of a subject's or a document's rows by fingerprint
(deletion: indexers/lineage_deletion.py; tombstones: indexers/tombstones.py; receipts: indexers/receipt_log.py).

Everything here is keyed hashes, opaque ids and counts. Matching uses the indexed fingerprint column,
so finding a subject's chunks stays fast at millions of rows (bench/erasure.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, insert, or_, select, update

from indexers.lineage import COMMITTED, LineageStore, utc_now
from indexers.lineage_schema import (
    chunk_entities,
    chunks,
    document_versions,
    documents,
    erasure_requests,
)
from masking.fingerprints import SubjectFingerprints

SUBJECT, DOCUMENT = "subject", "document"
REGISTERED, RUNNING_REQUEST, COMPLETED_REQUEST, FAILED_REQUEST = (
    "registered",
    "running",
    "completed",
    "failed",
)
# not completed: may be (re)run
OPEN_REQUEST = (REGISTERED, RUNNING_REQUEST, FAILED_REQUEST)
REDACT, DELETE = "redact", "delete"
UNREACHABLE, PURGED = "unreachable", "purged"
STRONG, WEAK = "strong", "weak"
# point ids per IN list (SQLite allows 32,766 parameters; PostgreSQL more)
MATCH_BATCH = 500


@dataclass(frozen=True)
class ErasureRequest:
    """What to erase, as stored: identifier types and keyed fingerprints, never the values."""

    request_id: str
    collection: str
    # subject | document
    kind: str
    # redact | delete
    mode: str
    purge: bool
    identifier_types: list[str]
    subjects: SubjectFingerprints = field(default_factory=lambda: SubjectFingerprints(frozenset()))
    document_ids: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=utc_now)
    # registered | running | completed | failed (all but completed may be run again)
    status: str = REGISTERED


@dataclass(frozen=True)
class EntityMatch:
    point_id: str
    doc_id: str
    version: int
    token: str
    entity_type: str


class ErasureStore:
    def __init__(self, lineage: LineageStore) -> None:
        self.lineage = lineage

    # --- requests ------------------------------------------------------------------------------

    def register(self, request: ErasureRequest) -> None:
        fingerprints = {STRONG: sorted(request.subjects.strong), WEAK: sorted(request.subjects.weak)}
        with self.lineage.transaction() as tx:
            tx.execute(
                insert(erasure_requests).values(
                    request_id=request.request_id,
                    collection=request.collection,
                    created_at=request.created_at,
                    kind=request.kind,
                    mode=request.mode,
                    purge=request.purge,
                    identifier_types=request.identifier_types,
                    fingerprints=fingerprints,
                    document_ids=request.document_ids,
                    status=REGISTERED,
                )
            )

    def request(self, request_id: str) -> ErasureRequest | None:
        with self.lineage.transaction() as tx:
            row = tx.execute(
                select(erasure_requests).where(erasure_requests.c.request_id == request_id)
            ).first()
        if row is None:
            return None
        subjects = SubjectFingerprints(frozenset(row.fingerprints[STRONG]), frozenset(row.fingerprints[WEAK]))
        return ErasureRequest(
            row.request_id,
            row.collection,
            row.kind,
            row.mode,
            bool(row.purge),
            list(row.identifier_types),
            subjects,
            list(row.document_ids),
            row.created_at,
            row.status,
        )

    def complete(self, request_id: str, status: str, purge_level: str | None) -> None:
        with self.lineage.transaction() as tx:
            tx.execute(
                update(erasure_requests)
                .where(erasure_requests.c.request_id == request_id)
                .values(status=status, purge_level=purge_level, completed_at=utc_now())
            )

    def open_request(self, request: ErasureRequest) -> str | None:
        """An earlier request for the same thing that never completed (killed, failed): the one to resume."""
        with self.lineage.transaction() as tx:
            rows = tx.execute(
                select(erasure_requests)
                .where(
                    erasure_requests.c.collection == request.collection,
                    erasure_requests.c.kind == request.kind,
                    erasure_requests.c.mode == request.mode,
                    erasure_requests.c.status.in_(OPEN_REQUEST),
                )
                .order_by(erasure_requests.c.created_at)
            ).all()
        wanted = (
            {STRONG: sorted(request.subjects.strong), WEAK: sorted(request.subjects.weak)},
            sorted(request.document_ids),
        )
        for row in rows:
            if (row.fingerprints, sorted(row.document_ids)) == wanted:
                return str(row.request_id)
        return None

    def open_requests(self, collection: str) -> list[str]:
        """The ids of the collection's requests not completed yet (queued, failed, or cut off while
        running), oldest first: what a scheduled erase run carries out."""
        return self._request_ids(collection, erasure_requests.c.status.in_(OPEN_REQUEST))

    def open_document_ids(self, collection: str) -> set[str]:
        """Doc ids named by document requests that never completed (their rows may be gone already)."""
        with self.lineage.transaction() as tx:
            rows = tx.scalars(
                select(erasure_requests.c.document_ids).where(
                    erasure_requests.c.collection == collection,
                    erasure_requests.c.kind == DOCUMENT,
                    erasure_requests.c.status.in_(OPEN_REQUEST),
                )
            ).all()
        return {doc_id for ids in rows for doc_id in ids}

    def mark_running(self, request_id: str) -> None:
        with self.lineage.transaction() as tx:
            tx.execute(
                update(erasure_requests)
                .where(erasure_requests.c.request_id == request_id)
                .values(status=RUNNING_REQUEST)
            )

    def fail_if_open(self, request_id: str) -> None:
        """A request whose run broke before the eraser could record it (the store would not open, say)."""
        with self.lineage.transaction() as tx:
            tx.execute(
                update(erasure_requests)
                .where(
                    erasure_requests.c.request_id == request_id,
                    erasure_requests.c.status.in_(OPEN_REQUEST),
                )
                .values(status=FAILED_REQUEST, completed_at=utc_now())
            )

    def unpurged(self, collection: str) -> list[str]:
        """Completed requests whose bytes may still be on disk (what ``compact`` purges)."""
        return self._request_ids(
            collection,
            erasure_requests.c.status == COMPLETED_REQUEST,
            erasure_requests.c.purge_level == UNREACHABLE,
        )

    def _request_ids(self, collection: str, *conditions: ColumnElement[bool]) -> list[str]:
        """The ids of the collection's requests that meet ``conditions``, oldest first."""
        with self.lineage.transaction() as tx:
            return list(
                tx.scalars(
                    select(erasure_requests.c.request_id)
                    .where(erasure_requests.c.collection == collection, *conditions)
                    .order_by(erasure_requests.c.created_at, erasure_requests.c.request_id)
                ).all()
            )

    def mark_purged(self, request_ids: Sequence[str]) -> None:
        with self.lineage.transaction() as tx:
            tx.execute(
                update(erasure_requests)
                .where(erasure_requests.c.request_id.in_(list(request_ids)))
                .values(purge_level=PURGED)
            )

    # --- matching ------------------------------------------------------------------------------

    def subject_matches(
        self, collection: str, subjects: SubjectFingerprints, *, committed_only: bool = True
    ) -> list[EntityMatch]:
        """Entity rows of committed chunks that are this subject (the rule of SubjectFingerprints); with
        ``committed_only`` off, of chunks of any version (what verification must find none of).

        Three lookups, each by the one key it can use (fingerprint, point id, doc id), the rest filtered
        here: as one join, or with the collection and status in the WHERE, SQLite (no statistics) planned
        from the collection or status index and scanned a whole collection: 1 s at a million entity rows,
        against milliseconds this way (bench/erasure.py)."""
        conditions: list[ColumnElement[bool]] = []
        if subjects.strong:
            conditions.append(chunk_entities.c.fingerprint.in_(sorted(subjects.strong)))
        if subjects.weak:
            conditions.append(
                and_(
                    chunk_entities.c.fingerprint.in_(sorted(subjects.weak)),
                    chunk_entities.c.variant.is_(False),
                )
            )
        if not conditions:
            return []
        found = select(chunk_entities.c.point_id, chunk_entities.c.token, chunk_entities.c.entity_type).where(
            or_(*conditions)
        )
        with self.lineage.transaction() as tx:
            entities = tx.execute(found.distinct()).all()
            located = in_batches(
                tx,
                sorted({row.point_id for row in entities}),
                lambda ids: select(
                    chunks.c.point_id,
                    chunks.c.collection,
                    chunks.c.doc_id,
                    chunks.c.version,
                ).where(chunks.c.point_id.in_(ids)),
            )
            located = [row for row in located if row.collection == collection]
            versions = in_batches(
                tx,
                sorted({row.doc_id for row in located}),
                lambda ids: select(
                    document_versions.c.doc_id,
                    document_versions.c.version,
                    document_versions.c.status,
                ).where(document_versions.c.collection == collection, document_versions.c.doc_id.in_(ids)),
            )
        live = {
            (row.doc_id, row.version) for row in versions if row.status == COMMITTED or not committed_only
        }
        committed = {
            row.point_id: (row.doc_id, row.version) for row in located if (row.doc_id, row.version) in live
        }
        return [
            EntityMatch(row.point_id, *committed[row.point_id], row.token, row.entity_type)
            for row in entities
            if row.point_id in committed
        ]

    def document_points(self, collection: str, doc_ids: Sequence[str]) -> dict[str, list[str]]:
        """doc_id -> point ids of every version the lineage knows, for the documents it knows."""
        found: dict[str, list[str]] = {}
        with self.lineage.transaction() as tx:
            known = tx.scalars(
                select(documents.c.doc_id).where(
                    documents.c.collection == collection, documents.c.doc_id.in_(list(doc_ids))
                )
            )
            for doc_id in known:
                found[doc_id] = list(
                    tx.scalars(
                        select(chunks.c.point_id).where(
                            chunks.c.collection == collection, chunks.c.doc_id == doc_id
                        )
                    )
                )
        return found


def in_batches(
    tx: Connection, keys: Sequence[str], query: Callable[[list[str]], Select[Any]]
) -> list[Row[Any]]:
    """Rows of ``query`` over ``keys`` cut into IN lists of MATCH_BATCH."""
    rows: list[Row[Any]] = []
    for start in range(0, len(keys), MATCH_BATCH):
        rows += tx.execute(query(list(keys[start : start + MATCH_BATCH]))).all()
    return rows
