"""An erasure's deletions in the lineage store: a subject's entity rows and tokens, or a document's
versions, chunks and vault, with counts of what went."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from indexers.erasure_store import EntityMatch
from indexers.lineage import LineageStore
from indexers.lineage_schema import (
    chunk_entities,
    chunks,
    document_versions,
    documents,
    vault_entries,
    vault_keys,
)
from masking.tokens import substitute_tokens


class LineageDeletion:
    """Deletes what an erasure names from the lineage tables (the points go through the vector store).

    Usage::

        LineageDeletion(lineage)
    """

    def __init__(self, lineage: LineageStore) -> None:
        self.lineage = lineage

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


def _delete_doc_rows(tx: Connection, table: Any, collection: str, doc_id: str) -> int:
    return int(
        tx.execute(delete(table).where(table.c.collection == collection, table.c.doc_id == doc_id)).rowcount
    )
