"""Erasure of a subject or a document: find, delete or redact, verify, purge, and a receipt.

Order: reconcile what crashed runs left half-written (indexers/index_writer.py; refused while another
run is still writing to the collection) -> match through the lineage (fingerprints or doc ids) -> change
Qdrant (delete points, or rewrite the chunks with unlinkable ``<TYPE>`` markers, re-embedded) -> delete
the lineage rows and the vault's sealed values (for a document, its data keys too: crypto-shredding;
its tombstone comes first, so a kill cannot let an unchanged source back) -> tombstone the subject ->
verify against Qdrant again (retrieve by id, count by filter, scan payloads for the erased tokens; no
lineage row of any version may still carry the subject) -> purge if asked -> append the receipt to the
chain. A request that fails (or is killed while running) may be run again; a completed one not.
The receipt holds counts, opaque ids and identifier types, never a value.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from indexers.audit import shown_key
from indexers.collection_profiles import CollectionProfiles
from indexers.document_catalog import DocumentCatalog
from indexers.embedding import Embedder
from indexers.erasure_store import (
    COMPLETED_REQUEST,
    DELETE,
    DOCUMENT,
    FAILED_REQUEST,
    PURGED,
    REGISTERED,
    UNREACHABLE,
    EntityMatch,
    ErasureRequest,
    ErasureStore,
)
from indexers.errors import ErasureError
from indexers.index_writer import IndexWriter
from indexers.lineage import LineageStore, utc_now
from indexers.lineage_deletion import LineageDeletion
from indexers.payload_formats import DOC_ID_PATHS, FORMATS, detect_format, leaves, value_at
from indexers.purge import purge_lineage, purge_local_qdrant
from indexers.qdrant_store import Point, QdrantLocation, VectorStore
from indexers.rebuild import rebuild_collection
from indexers.receipt_log import ReceiptLog
from indexers.receipts import ReceiptSigner
from indexers.tombstones import Tombstones
from masking.fingerprints import SubjectFingerprints
from masking.subject_scan import SubjectScan
from masking.suppression import redact_markers
from masking.tokens import substitute_tokens

RESIDUAL_LOCAL = [
    "the file system's free blocks and any backups or copies of the data directory (not checked)"
]
RESIDUAL_SERVER = [
    "Qdrant snapshots",
    "replicas (not checked)",
    "the server's free disk blocks and backups (not checked)",
]
# points and sources a receipt lists where the subject remains
MAX_LISTED = 1000
UNPURGED_SERVER = "Qdrant segments and WAL until `ragmask compact` (or --purge) rebuilds the collection"
UNPURGED_LOCAL = "freed pages of Qdrant's local SQLite file until `ragmask compact` (or --purge)"
VACUUM, REBUILD = "vacuum", "rebuild"


class AlreadyErasedError(ErasureError):
    """What the request names was erased before, by ``request_id``: nothing left to do."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"the --document given was already erased (request {request_id}); nothing to do")
        self.request_id = request_id


def _vault_summary(done: dict[str, int]) -> dict[str, Any]:
    """The receipt's vault part: destroyed data keys mean their sealed values are crypto-shredded."""
    return {
        "entries_destroyed": done["entries_destroyed"],
        "data_keys_destroyed": done["data_keys_destroyed"],
        "crypto_shredded": done["data_keys_destroyed"] > 0,
    }


def drop_retired_collections(
    lineage: LineageStore, location: QdrantLocation, collection: str, due_only: bool = False
) -> list[str]:
    """Drop the collections full re-indexes replaced and kept for a rollback (``due_only``: those past their
    time). The lineage does not track their points, so an erasure, which cannot reach into them, drops
    them all."""
    names = CollectionProfiles(lineage).retired(collection, due_only=due_only)
    for name in names:
        retired = VectorStore(location, name)
        if retired.exists():
            retired.drop()
    CollectionProfiles(lineage).forget_retired(names)
    return names


def new_request_id() -> str:
    return f"er_{uuid.uuid4().hex}"


class Eraser:
    """Carries out registered requests against one collection."""

    def __init__(
        self,
        lineage: LineageStore,
        store_factory: Callable[[], VectorStore],
        embedder_factory: Callable[[], Embedder],
        signer: ReceiptSigner,
        purge_method: str | None = None,
        fingerprint_key: bytes | None = None,
    ) -> None:
        """``purge_method``: ``vacuum`` (local mode's files) or ``rebuild`` (a fresh collection and an alias
        swap: a server's only way); by default the one that fits the store. ``fingerprint_key``: the masking
        keys' fingerprint key, with which a subject's verification also reads every payload and masked
        source for the subject's raw forms (masking.subject_scan); without it, only tokens and rows count."""
        self.fingerprint_key = fingerprint_key
        self.erasures = ErasureStore(lineage)
        self.deletion = LineageDeletion(lineage)
        self.tombstones = Tombstones(lineage)
        self.receipt_log = ReceiptLog(lineage)
        self.signer = signer
        self.purge_method = purge_method
        self.lineage = lineage
        self._store_factory = store_factory
        self._embedder_factory = embedder_factory
        self.store = store_factory()

    def erase(self, request_id: str) -> dict[str, Any]:
        """Carry out a registered request; returns its sealed receipt."""
        request = self.erasures.request(request_id)
        if request is None:
            raise ErasureError(f"no erasure request {request_id} in the lineage store")
        if request.collection != self.store.collection:
            raise ErasureError(f"request {request_id} is for collection {request.collection!r}")
        if request.status == COMPLETED_REQUEST:
            raise ErasureError(f"request {request_id} is already completed (see `ragmask receipts verify`)")
        # an earlier attempt failed or was killed: every step is done again, idempotently
        resumed = request.status != REGISTERED
        self.erasures.mark_running(request_id)
        try:
            self._reconcile()
            if request.kind == DOCUMENT:
                matched, deleted, verified = self._erase_documents(request)
            else:
                matched, deleted, verified = self._erase_subject(request)
            dropped = drop_retired_collections(self.lineage, self.store.location, request.collection)
            if dropped:
                deleted["previous_collections_dropped"] = dropped
            purge_level, purge_done = UNREACHABLE, dict[str, Any]()
            if request.purge:
                purge_level, purge_done = self._purge()
        except Exception:
            self.erasures.complete(request_id, FAILED_REQUEST, None)
            raise
        self.erasures.complete(request_id, COMPLETED_REQUEST, purge_level)
        if purge_level == PURGED:
            self.erasures.mark_purged(self.erasures.unpurged(request.collection))
        described = {
            "request_id": request.request_id,
            "kind": request.kind,
            "mode": request.mode,
            "identifier_types": request.identifier_types,
            "collection": request.collection,
            "registered_at": request.created_at.isoformat(),
            "resumed": resumed,
        }
        deleted |= {"purge": purge_done} if purge_done else {}
        return self._receipt(described, matched, deleted, verified, purge_level)

    def compact(self) -> dict[str, Any]:
        """Purge for every erasure since the last purge, with a receipt of its own."""
        pending = self.erasures.unpurged(self.store.collection)
        purge_level, purge_done = self._purge()
        if purge_level == PURGED:
            self.erasures.mark_purged(pending)
        described = {
            "request_id": f"compact_{uuid.uuid4().hex}",
            "kind": "compact",
            "mode": "purge",
            "identifier_types": [],
            "collection": self.store.collection,
            "covers": pending,
        }
        nothing = {"documents": 0, "chunks": 0, "points": 0}
        return self._receipt(described, nothing, {"purge": purge_done}, True, purge_level)

    def _receipt(
        self,
        request: dict[str, Any],
        matched: dict[str, int],
        deleted: dict[str, Any],
        verified: bool,
        purge_level: str,
    ) -> dict[str, Any]:
        """Seal a receipt (the shape of `ragmask erase --json`) onto the chain and export the new head."""
        body = {
            "receipt_id": f"rcpt_{uuid.uuid4().hex}",
            "created_at": utc_now().isoformat(),
            "request": request,
            "matched": matched,
            "deleted": deleted,
            "verified": verified,
            "status": "verified" if verified else "incomplete",
            "purge_level": purge_level,
            "residual": self._residual(purge_level),
        }
        receipt, length = self.receipt_log.append_receipt(body, self.signer)
        self.signer.export_head(length, receipt)
        return receipt

    def _reconcile(self) -> None:
        """Roll back versions that crashed runs left (their chunks could hold the subject unseen by the
        lookup); refuse while a live run is still writing, rather than give a receipt that misses it."""
        reconciled = IndexWriter(self.lineage, self.store).reconcile()
        if reconciled.in_progress:
            runs = ", ".join(sorted(reconciled.in_progress))
            raise ErasureError(
                f"run {runs} is still writing to collection {self.store.collection!r}; erase when it has finished"
            )

    # --- subjects ------------------------------------------------------------------------------

    def _erase_subject(self, request: ErasureRequest) -> tuple[dict[str, int], dict[str, Any], bool]:
        matches = self.erasures.subject_matches(request.collection, request.subjects)
        point_ids = sorted({m.point_id for m in matches})
        matched = {"documents": len({m.doc_id for m in matches}), "chunks": len(point_ids), "points": 0}
        tokens = sorted({m.token for m in matches})
        if request.mode == DELETE:
            matched["points"] = len(self.store.existing(point_ids))
            self.store.delete(point_ids)
            lineage_done = self.deletion.delete_chunks(request.collection, point_ids)
            qdrant_done: dict[str, Any] = {"points_deleted": matched["points"], "point_ids": point_ids}
            verified = self._verify_gone(point_ids) and self._verify_no_tokens(tokens)
        else:
            rewritten = self._redact_points(matches)
            matched["points"] = rewritten
            lineage_done = self.deletion.forget_tokens(matches)
            qdrant_done = {"points_rewritten": rewritten, "point_ids": point_ids}
            verified = self._verify_no_tokens(tokens)
        markers = redact_markers({(m.token, m.entity_type) for m in matches})
        lineage_done["sources_redacted"] = self.deletion.redact_sources(
            request.collection, {m.doc_id for m in matches}, markers
        )
        vault_done = self.deletion.destroy_vault_entries(request.collection, matches)
        tombstoned = self.tombstones.add_tombstones(request.collection, request.request_id, request.subjects)
        left = self.erasures.subject_matches(request.collection, request.subjects, committed_only=False)
        # no row of any version still links a chunk to the subject
        verified = verified and not left
        remaining = self._remaining(request.subjects)
        verified = verified and not remaining["points"] and not remaining["sources"]
        deleted = {
            "qdrant": qdrant_done,
            "lineage": lineage_done | {"tombstones_added": tombstoned},
            "vault": _vault_summary(vault_done),
            "document_ids": sorted({m.doc_id for m in matches}),
            "remaining": remaining,
        }
        return matched, deleted, verified

    def _remaining(self, subjects: SubjectFingerprints) -> dict[str, Any]:
        """Where the subject still stands in raw form: point ids with their payload paths, and the doc ids
        whose masked source holds it (masking.subject_scan: what no lineage row points to)."""
        if self.fingerprint_key is None:
            return {"points": [], "sources": []}
        scan = SubjectScan(self.fingerprint_key, subjects)
        points = []
        for record in self.store.scroll():
            # a key that is not a field name is shown as "?": the receipt is stored, a key can be the subject
            paths = sorted(
                {path for path, text in leaves(record.payload or {}, key_name=shown_key) if scan.holds(text)}
            )
            if paths:
                points.append({"point_id": str(record.id), "paths": paths})
        sources = sorted(
            doc_id
            for doc_id, source in self.deletion.masked_sources(self.store.collection)
            if scan.holds(source)
        )
        return {"points": points[:MAX_LISTED], "sources": sources[:MAX_LISTED]}

    def _redact_points(self, matches: Sequence[EntityMatch]) -> int:
        """Rewrite each matched chunk with ``<TYPE>`` for the subject's tokens, re-embedded, same point id."""
        by_point: dict[str, dict[str, str]] = defaultdict(dict)
        for m in matches:
            by_point[m.point_id].update(redact_markers([(m.token, m.entity_type)]))
        if not by_point:
            return 0
        rewritten: list[tuple[str, dict[str, Any]]] = []
        for record in self.store.records(sorted(by_point)):
            markers = by_point[str(record.id)]
            payload = json.loads(substitute_tokens(json.dumps(record.payload or {}), markers)[0])
            rewritten.append((str(record.id), payload))
        # the chunk text is where the payload's format keeps it (a scrubbed collection keeps its framework's)
        texts = [str(value_at(p, FORMATS[detect_format(p)].text_path) or "") for _, p in rewritten]
        vectors = self._embedder_factory().embed(texts)
        names = self.store.vector_names()
        self.store.upsert(
            [
                Point(pid, vector if names is None else dict.fromkeys(names, vector), payload)
                for (pid, payload), vector in zip(rewritten, vectors, strict=True)
            ]
        )
        return len(rewritten)

    # --- documents -----------------------------------------------------------------------------

    def _erase_documents(self, request: ErasureRequest) -> tuple[dict[str, int], dict[str, Any], bool]:
        points_by_doc = self.erasures.document_points(request.collection, request.document_ids)
        point_ids = sorted(pid for ids in points_by_doc.values() for pid in ids)
        present = self.store.existing(point_ids)
        committed = DocumentCatalog(self.lineage).committed_hashes(request.collection, request.document_ids)
        hashes = {doc_id: committed.get(doc_id) for doc_id in request.document_ids}
        # tombstones first: a run killed after the deletes must not let an unchanged source come back
        tombstoned = self.tombstones.add_tombstones(
            request.collection, request.request_id, request.subjects, documents_erased=hashes
        )
        self.store.delete(point_ids)
        by_filter = 0
        # points the lineage does not know of (a crash, another writer)
        for doc_id in request.document_ids:
            by_filter += self._delete_by_doc_filter(doc_id)
        lineage_done: dict[str, int] = defaultdict(int)
        vault_done: dict[str, int] = defaultdict(int)
        for doc_id in request.document_ids:
            for name, count in self.deletion.delete_document(request.collection, doc_id).items():
                lineage_done[name] += count
            for name, count in self.deletion.destroy_document_vault(request.collection, doc_id).items():
                vault_done[name] += count
        verified = self._verify_gone(point_ids) and all(self._count_doc(d) == 0 for d in request.document_ids)
        matched = {
            "documents": len(points_by_doc),
            "chunks": len(point_ids),
            "points": len(present) + by_filter,
        }
        deleted = {
            "qdrant": {"points_deleted": len(present) + by_filter, "point_ids": point_ids},
            "lineage": dict(lineage_done) | {"tombstones_added": tombstoned},
            "vault": _vault_summary(vault_done),
            "document_ids": sorted(points_by_doc),
        }
        return matched, deleted, verified

    def _count_doc(self, doc_id: str) -> int:
        return self.store.count_matching(DOC_ID_PATHS, doc_id)

    def _delete_by_doc_filter(self, doc_id: str) -> int:
        return self.store.delete_matching(DOC_ID_PATHS, doc_id)

    # --- verification and purge ----------------------------------------------------------------

    def _verify_gone(self, point_ids: Sequence[str]) -> bool:
        if not point_ids:
            return True
        return not self.store.existing(point_ids) and self.store.count_ids(point_ids) == 0

    def _verify_no_tokens(self, tokens: Sequence[str]) -> bool:
        """No payload in the collection mentions an erased token (a full scan of the payloads)."""
        if not tokens:
            return True
        wanted = set(tokens)
        for record in self.store.scroll():
            serialised = json.dumps(record.payload or {})
            if any(token in serialised for token in wanted):
                return False
        return True

    def _purge(self) -> tuple[str, dict[str, Any]]:
        method = self.purge_method or (VACUUM if self.store.location.is_local else REBUILD)
        if method == REBUILD:
            rebuilt = rebuild_collection(self.store.client, self.store.collection)
            qdrant_done = (
                f"rebuilt into {rebuilt.new_collection} ({rebuilt.points} points), alias swapped, "
                f"{rebuilt.old_collection} deleted"
            )
        else:
            files = purge_local_qdrant(self.store.location)
            # the purge closed the local client
            self.store = self._store_factory()
            qdrant_done = f"sqlite vacuum of {files} file(s)"
        lineage_done = purge_lineage(self.lineage)
        level = UNREACHABLE if lineage_done.startswith("not purged") else PURGED
        return level, {"qdrant": qdrant_done, "lineage": lineage_done}

    def _residual(self, purge_level: str) -> list[str]:
        local = self.store.location.is_local
        residual = list(RESIDUAL_LOCAL if local else RESIDUAL_SERVER)
        if purge_level != PURGED:
            residual.insert(0, UNPURGED_LOCAL if local else UNPURGED_SERVER)
        return residual
