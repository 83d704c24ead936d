"""Tombstones: the fingerprints of erased subjects and the erased documents, so a later ingest or re-index
masks a subject that comes back and does not bring an erased document back unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from indexers.erasure_store import DOCUMENT, STRONG, WEAK
from indexers.lineage import LineageStore, utc_now
from indexers.lineage_schema import (
    tombstones,
)
from masking.fingerprints import SubjectFingerprints


@dataclass(frozen=True)
class DocumentTombstone:
    # of the erased content
    content_hash: str | None
    request_id: str


class Tombstones:
    """Writes and reads the tombstones of a collection.

    Usage::

        Tombstones(lineage)
    """

    def __init__(self, lineage: LineageStore) -> None:
        self.lineage = lineage

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
