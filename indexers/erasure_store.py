"""The lineage store's erasure side: requests, matches by fingerprint, row deletion, tombstones, receipts.

Everything here is keyed hashes, opaque ids and counts. Matching uses the indexed fingerprint column,
so finding a subject's chunks stays fast at millions of rows (bench/erasure.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, delete, func, insert, or_, select, update

from indexers.lineage import COMMITTED, LineageStore, utc_now
from indexers.lineage_schema import (
    chunk_entities,
    chunks,
    document_versions,
    documents,
    erasure_requests,
    receipts,
    tombstones,
    vault_entries,
    vault_keys,
)
from indexers.receipts import GENESIS_HASH, ReceiptSigner, StoredReceipt
from masking.fingerprints import SubjectFingerprints
from masking.tokens import substitute_tokens

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
class DocumentTombstone:
    # of the erased content
    content_hash: str | None
    request_id: str


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
        with self.lineage.transaction() as tx:
            return list(
                tx.scalars(
                    select(erasure_requests.c.request_id)
                    .where(
                        erasure_requests.c.collection == collection,
                        erasure_requests.c.status == COMPLETED_REQUEST,
                        erasure_requests.c.purge_level == UNREACHABLE,
                    )
                    .order_by(erasure_requests.c.created_at)
                )
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
            located = _in_batches(
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
            versions = _in_batches(
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

    # --- deletion ------------------------------------------------------------------------------

    def forget_tokens(self, matches: Iterable[EntityMatch]) -> dict[str, int]:
        """Redact mode: drop the subject's entity rows (all of its tokens' fingerprints)."""
        pairs = {(m.point_id, m.token) for m in matches}
        entity_rows = 0
        with self.lineage.transaction() as tx:
            for point_id, token in sorted(pairs):
                entity_rows += tx.execute(
                    delete(chunk_entities).where(
                        chunk_entities.c.point_id == point_id, chunk_entities.c.token == token
                    )
                ).rowcount
        return {"entity_rows": entity_rows}

    def redact_sources(self, collection: str, doc_ids: Iterable[str], markers: dict[str, str]) -> int:
        """The masked source URIs of ``doc_ids`` with the subject's tokens made ``<TYPE>``; returns how
        many changed."""
        changed = 0
        with self.lineage.transaction() as tx:
            for doc_id in sorted(set(doc_ids)):
                key = (documents.c.collection == collection) & (documents.c.doc_id == doc_id)
                source = tx.scalar(select(documents.c.source_masked).where(key))
                redacted, count = substitute_tokens(source or "", markers)
                if count:
                    tx.execute(update(documents).where(key).values(source_masked=redacted))
                    changed += 1
        return changed

    def masked_sources(self, collection: str) -> list[tuple[str, str]]:
        """(doc id, masked source URI) of every document of the collection that has one."""
        with self.lineage.transaction() as tx:
            rows = tx.execute(
                select(documents.c.doc_id, documents.c.source_masked).where(
                    documents.c.collection == collection,
                    documents.c.source_masked.is_not(None),
                )
            ).all()
        return [(row.doc_id, row.source_masked) for row in rows]

    def destroy_vault_entries(self, collection: str, matches: Iterable[EntityMatch]) -> dict[str, int]:
        """A subject's sealed values (both modes); the documents' data keys stay for their other values."""
        entries = 0
        with self.lineage.transaction() as tx:
            for doc_id, version, token in sorted({(m.doc_id, m.version, m.token) for m in matches}):
                entries += tx.execute(
                    delete(vault_entries).where(
                        vault_entries.c.collection == collection,
                        vault_entries.c.doc_id == doc_id,
                        vault_entries.c.version == version,
                        vault_entries.c.token == token,
                    )
                ).rowcount
        return {"entries_destroyed": entries, "data_keys_destroyed": 0}

    def destroy_document_vault(self, collection: str, doc_id: str) -> dict[str, int]:
        """A document's data keys (crypto-shredding: its sealed values can no longer be opened) and entries."""
        with self.lineage.transaction() as tx:
            return {
                "entries_destroyed": _delete_doc_rows(tx, vault_entries, collection, doc_id),
                "data_keys_destroyed": _delete_doc_rows(tx, vault_keys, collection, doc_id),
            }

    def delete_chunks(self, collection: str, point_ids: Sequence[str]) -> dict[str, int]:
        """Delete mode: the chunks' rows and entity rows; their versions' chunk counts follow."""
        with self.lineage.transaction() as tx:
            affected = tx.execute(
                select(chunks.c.doc_id, chunks.c.version)
                .where(chunks.c.point_id.in_(list(point_ids)))
                .distinct()
            ).all()
            entity_rows = tx.execute(
                delete(chunk_entities).where(chunk_entities.c.point_id.in_(list(point_ids)))
            ).rowcount
            chunk_rows = tx.execute(delete(chunks).where(chunks.c.point_id.in_(list(point_ids)))).rowcount
            for doc_id, version in affected:
                remaining = (
                    select(func.count())
                    .select_from(chunks)
                    .where(
                        chunks.c.collection == collection,
                        chunks.c.doc_id == doc_id,
                        chunks.c.version == version,
                    )
                    .scalar_subquery()
                )
                tx.execute(
                    update(document_versions)
                    .where(
                        document_versions.c.collection == collection,
                        document_versions.c.doc_id == doc_id,
                        document_versions.c.version == version,
                    )
                    .values(chunk_count=remaining)
                )
        return {"chunk_rows": chunk_rows, "entity_rows": entity_rows}

    def delete_document(self, collection: str, doc_id: str) -> dict[str, int]:
        """Every lineage row of a document: versions (and their masking reports), chunks, entities."""
        with self.lineage.transaction() as tx:
            point_ids = select(chunks.c.point_id).where(
                chunks.c.collection == collection, chunks.c.doc_id == doc_id
            )
            counts = {
                "entity_rows": tx.execute(
                    delete(chunk_entities).where(chunk_entities.c.point_id.in_(point_ids))
                ).rowcount,
                "chunk_rows": tx.execute(
                    delete(chunks).where(chunks.c.collection == collection, chunks.c.doc_id == doc_id)
                ).rowcount,
                "version_rows": _delete_doc_rows(tx, document_versions, collection, doc_id),
                "document_rows": _delete_doc_rows(tx, documents, collection, doc_id),
            }
        return counts

    # --- tombstones ----------------------------------------------------------------------------

    def add_tombstones(
        self,
        collection: str,
        request_id: str,
        subjects: SubjectFingerprints,
        documents_erased: dict[str, str | None] | None = None,
    ) -> int:
        """Suppress the subject's fingerprints and the erased documents (doc id -> erased content hash)."""
        rows: list[tuple[str, str, str | None]] = [(STRONG, fp, None) for fp in sorted(subjects.strong)]
        rows += [(WEAK, fp, None) for fp in sorted(subjects.weak)]
        rows += [(DOCUMENT, doc_id, content) for doc_id, content in sorted((documents_erased or {}).items())]
        added = 0
        with self.lineage.transaction() as tx:
            for kind, key, content in rows:
                where = (
                    tombstones.c.collection == collection,
                    tombstones.c.kind == kind,
                    tombstones.c.key == key,
                )
                if tx.scalar(select(func.count()).select_from(tombstones).where(*where)):
                    if content is not None:
                        tx.execute(update(tombstones).where(*where).values(content_hash=content))
                    continue
                tx.execute(
                    insert(tombstones).values(
                        collection=collection,
                        kind=kind,
                        key=key,
                        content_hash=content,
                        request_id=request_id,
                        created_at=utc_now(),
                    )
                )
                added += 1
        return added

    def suppressed_subjects(self, collection: str) -> SubjectFingerprints:
        with self.lineage.transaction() as tx:
            rows = tx.execute(
                select(tombstones.c.kind, tombstones.c.key).where(
                    tombstones.c.collection == collection, tombstones.c.kind.in_([STRONG, WEAK])
                )
            ).all()
        return SubjectFingerprints(
            frozenset(k for kind, k in rows if kind == STRONG),
            frozenset(k for kind, k in rows if kind == WEAK),
        )

    def erased_documents(self, collection: str, doc_ids: Sequence[str]) -> dict[str, DocumentTombstone]:
        """The tombstones of the erased ones among ``doc_ids``: the content hash each had when erased (a
        changed source comes back) and the request that erased it."""
        if not doc_ids:
            return {}
        with self.lineage.transaction() as tx:
            rows = tx.execute(
                select(tombstones.c.key, tombstones.c.content_hash, tombstones.c.request_id).where(
                    tombstones.c.collection == collection,
                    tombstones.c.kind == DOCUMENT,
                    tombstones.c.key.in_(list(doc_ids)),
                )
            ).all()
        return {key: DocumentTombstone(content, request_id) for key, content, request_id in rows}

    # --- receipts ------------------------------------------------------------------------------

    def append_receipt(self, body: dict[str, Any], signer: ReceiptSigner) -> tuple[dict[str, Any], int]:
        """Seal and sign ``body`` onto the chain and store it; returns the receipt and the chain's length."""
        with self.lineage.transaction() as tx:
            # one writer at a time extends the chain
            if tx.dialect.name == "postgresql":
                tx.exec_driver_sql("LOCK TABLE receipts IN EXCLUSIVE MODE")
            prev = tx.scalar(select(receipts.c.hash).order_by(receipts.c.seq.desc()).limit(1))
            length = int(tx.scalar(select(func.count()).select_from(receipts)) or 0) + 1
            sealed = signer.seal(body, prev or GENESIS_HASH)
            tx.execute(
                insert(receipts).values(
                    receipt_id=sealed["receipt_id"],
                    request_id=sealed["request"]["request_id"],
                    created_at=utc_now(),
                    body=json.dumps(sealed, sort_keys=True),
                    prev_hash=sealed["prev_hash"],
                    hash=sealed["hash"],
                )
            )
        return sealed, length

    def receipts(self) -> list[StoredReceipt]:
        with self.lineage.transaction() as tx:
            rows = tx.execute(
                select(
                    receipts.c.receipt_id, receipts.c.body, receipts.c.prev_hash, receipts.c.hash
                ).order_by(receipts.c.seq)
            ).all()
        return [StoredReceipt(*row) for row in rows]


def _in_batches(
    tx: Connection, keys: Sequence[str], query: Callable[[list[str]], Select[Any]]
) -> list[Row[Any]]:
    """Rows of ``query`` over ``keys`` cut into IN lists of MATCH_BATCH."""
    rows: list[Row[Any]] = []
    for start in range(0, len(keys), MATCH_BATCH):
        rows += tx.execute(query(list(keys[start : start + MATCH_BATCH]))).all()
    return rows


def _delete_doc_rows(tx: Connection, table: Any, collection: str, doc_id: str) -> int:
    return int(
        tx.execute(delete(table).where(table.c.collection == collection, table.c.doc_id == doc_id)).rowcount
    )
