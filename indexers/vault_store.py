"""The vault's rows in the lineage store, and rehydration with its access log.

Rows hold only ciphertext: the wrapped data key of each document version (vault_keys) and each token's
sealed value (vault_entries); the master key never comes here. Every rehydration, served or refused,
is appended to vault_access (who, why, when, which document, how many tokens) before any text is
returned. A superseded or erased version's rows go with it (VersionLedger.drop_version, LineageDeletion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from indexers.lineage import LineageStore, utc_now
from indexers.lineage_schema import documents, vault_access, vault_entries, vault_keys
from masking.vault import (
    SealedValues,
    VaultAddress,
    VaultError,
    VaultKey,
    open_values,
    rehydrate_text,
)


@dataclass(frozen=True)
class AccessRecord:
    at: datetime
    actor: str
    reason: str
    collection: str
    doc_id: str
    tokens: int


@dataclass(frozen=True)
class Rehydrated:
    doc_id: str
    version: int
    text: str
    # how many tokens were put back
    tokens: int


class VaultStore:
    """Writes and reads the sealed rows; knows nothing of keys."""

    def __init__(self, lineage: LineageStore) -> None:
        self.lineage = lineage

    def put(self, address: VaultAddress, sealed: SealedValues) -> None:
        """A document version's wrapped key and sealed values, in one transaction."""
        with self.lineage.transaction() as tx:
            tx.execute(
                insert(vault_keys).values(
                    collection=address.collection,
                    doc_id=address.doc_id,
                    version=address.version,
                    master_key_id=sealed.master_key_id,
                    wrapped_key=sealed.wrapped_key,
                    created_at=utc_now(),
                )
            )
            if sealed.entries:
                tx.execute(
                    insert(vault_entries),
                    [
                        {
                            "collection": address.collection,
                            "doc_id": address.doc_id,
                            "version": address.version,
                            "token": token,
                            "sealed": value,
                        }
                        for token, value in sealed.entries.items()
                    ],
                )

    def load(self, collection: str, doc_id: str) -> tuple[VaultAddress, SealedValues]:
        """The sealed vault of the document's committed version."""
        with self.lineage.transaction() as tx:
            version = tx.scalar(
                select(documents.c.current_version).where(
                    documents.c.collection == collection, documents.c.doc_id == doc_id
                )
            )
            if version is None:
                raise VaultError(f"collection {collection!r} has no committed document {doc_id}")
            address = VaultAddress(collection, doc_id, int(version))
            where = (
                vault_keys.c.collection == collection,
                vault_keys.c.doc_id == doc_id,
                vault_keys.c.version == address.version,
            )
            key_row = tx.execute(
                select(vault_keys.c.master_key_id, vault_keys.c.wrapped_key).where(*where)
            ).first()
            if key_row is None:
                raise VaultError(
                    f"document {doc_id} has no vault (ingested without --vault, or its key was destroyed)"
                )
            entries = tx.execute(
                select(vault_entries.c.token, vault_entries.c.sealed).where(
                    vault_entries.c.collection == collection,
                    vault_entries.c.doc_id == doc_id,
                    vault_entries.c.version == address.version,
                )
            ).all()
        return address, SealedValues(
            key_row.master_key_id,
            bytes(key_row.wrapped_key),
            {token: bytes(value) for token, value in entries},
        )

    def log_access(self, actor: str, reason: str, collection: str, doc_id: str, tokens: int) -> None:
        with self.lineage.transaction() as tx:
            tx.execute(
                insert(vault_access).values(
                    at=utc_now(),
                    actor=actor,
                    reason=reason,
                    collection=collection,
                    doc_id=doc_id,
                    tokens=tokens,
                )
            )

    def access_log(self, collection: str | None = None) -> list[AccessRecord]:
        query = select(
            vault_access.c.at,
            vault_access.c.actor,
            vault_access.c.reason,
            vault_access.c.collection,
            vault_access.c.doc_id,
            vault_access.c.tokens,
        ).order_by(vault_access.c.id)
        if collection is not None:
            query = query.where(vault_access.c.collection == collection)
        with self.lineage.transaction() as tx:
            return [AccessRecord(*row) for row in tx.execute(query).all()]

    def prune_access_log(self, cutoff: datetime) -> int:
        """Delete access-log rows older than ``cutoff`` (a retention setting); returns how many."""
        with self.lineage.transaction() as tx:
            done = tx.execute(delete(vault_access).where(vault_access.c.at < cutoff))
        return int(done.rowcount or 0)


class Rehydrator:
    """The rehydration API: masked text of one document back to its values, every call logged."""

    def __init__(self, vault: VaultStore, master: VaultKey) -> None:
        self.vault = vault
        self.master = master

    def rehydrate(self, collection: str, doc_id: str, text: str, *, actor: str, reason: str) -> Rehydrated:
        """Put the document's values back into ``text``; a refused call is logged too (0 tokens)."""
        if not reason.strip():
            raise VaultError("a reason is required to rehydrate (it goes into the access log)")
        if not actor.strip():
            raise VaultError("an actor is required to rehydrate (it goes into the access log)")
        try:
            address, sealed = self.vault.load(collection, doc_id)
            rehydrated, count = rehydrate_text(text, open_values(self.master, address, sealed))
        except VaultError:
            self.vault.log_access(actor, reason, collection, doc_id, 0)
            raise
        self.vault.log_access(actor, reason, collection, doc_id, count)
        return Rehydrated(doc_id, address.version, rehydrated, count)
