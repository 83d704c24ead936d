"""Erasure requests from identifiers, and running them: the CLI's direct path and the erase flow's body.

A request is registered first (identifier types and keyed fingerprints only, in the lineage store);
the work then needs nothing but its opaque request id, which is all the Prefect flow ever sees.
Kept free of Prefect imports, like flows/ingesting.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from flows.settings import IngestSettings, StoreSettings
from indexers.embedding import collection_embedder
from indexers.erasure import AlreadyErasedError, Eraser, ErasureError, new_request_id
from indexers.erasure_store import DELETE, DOCUMENT, REDACT, SUBJECT, ErasureRequest, ErasureStore
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore
from indexers.receipts import (
    ChainCheck,
    HeadLog,
    ReceiptSigner,
    default_head_log,
    load_receipt_key,
    verify_chain,
)
from indexers.sources import SkippedDocument, SourceFile, doc_id_for, read_documents
from masking import KeyConfigError, MaskingKeys, load_keys
from masking.fingerprints import REQUEST_TYPES, SubjectFingerprints, subject_fingerprints

MODES = (REDACT, DELETE)


def parse_identifier(spec: str) -> tuple[str, str]:
    """``TYPE=VALUE`` of --id into (entity type, value)."""
    kind, separator, value = spec.partition("=")
    if not separator or not kind.strip() or not value.strip():
        raise ErasureError("--id takes TYPE=VALUE, e.g. --id US_SSN=123-45-6789")
    return kind.strip().upper(), value.strip()


def subject_request_fingerprints(
    keys: MaskingKeys, identifiers: Iterable[tuple[str, str]]
) -> tuple[SubjectFingerprints, list[str]]:
    """(fingerprints, identifier types) for (request type or entity type, value) pairs."""
    subjects = SubjectFingerprints(frozenset())
    types: list[str] = []
    for kind, value in identifiers:
        entity_type = REQUEST_TYPES.get(kind, kind)
        subjects = subjects | subject_fingerprints(keys.fingerprint_key, entity_type, value)
        types.append(kind)
    return subjects, sorted(set(types))


def is_doc_id(document: str) -> bool:
    """A --document value that is a doc id, not a path (a doc id needs no key to resolve)."""
    return document.startswith("doc_") and not Path(document).exists()


def document_ids_for(keys: MaskingKeys, document: str) -> list[str]:
    """Doc ids a --document value may denote: a doc id itself, or a source path under any of its
    ancestor folders (the ingest root is not known here; the lineage says which id exists)."""
    if is_doc_id(document):
        return [document]
    path = Path(document).expanduser().resolve()
    candidates: list[str] = []
    for root in path.parents:
        source = SourceFile(path, root)
        if path.is_file():
            candidates += [d.doc_id for d in read_documents(source, keys.source_key)
                           if not isinstance(d, SkippedDocument)]  # fmt: skip
        candidates.append(doc_id_for(keys.source_key, source.uri))
    return list(dict.fromkeys(candidates))


def register_request(
    stores: StoreSettings, keys: MaskingKeys, *, identifiers: Sequence[tuple[str, str]] = (),
    documents: Sequence[str] = (), mode: str = REDACT, purge: bool = False,
) -> str:  # fmt: skip
    """Store the request (no values) and return its id; an identical request that never completed (a
    killed or failed run) is returned instead, so running the same command again finishes the job."""
    if bool(identifiers) == bool(documents):
        raise ErasureError("name a subject (--email, --phone, --name, --id) or a --document, not both")
    if mode not in MODES:
        raise ErasureError(f"--mode must be one of {', '.join(MODES)}")
    lineage = LineageStore(stores.lineage)
    lineage.check_key(keys.key_id)
    erasures = ErasureStore(lineage)
    request_id = new_request_id()
    if identifiers:
        subjects, types = subject_request_fingerprints(keys, identifiers)
        request = ErasureRequest(request_id, stores.collection, SUBJECT, mode, purge, types, subjects)
    else:
        candidates = [doc_id for document in documents for doc_id in document_ids_for(keys, document)]
        unfinished = erasures.open_document_ids(stores.collection) & set(candidates)
        known = sorted(set(erasures.document_points(stores.collection, candidates)) | unfinished)
        if not known:
            erased = erasures.erased_documents(stores.collection, candidates)
            if erased:
                raise AlreadyErasedError(sorted(t.request_id for t in erased.values())[0])
            raise ErasureError(
                f"no document of collection {stores.collection!r} matches the --document given"
            )
        request = ErasureRequest(request_id, stores.collection, DOCUMENT, DELETE, purge, ["document"],
                                 document_ids=known)  # fmt: skip
    earlier = erasures.open_request(request)
    if earlier is not None:
        return earlier
    erasures.register(request)
    return request_id


def receipt_signer(
    stores: StoreSettings, lineage: LineageStore, *, create_missing: bool = False
) -> ReceiptSigner:
    """The receipt key (RAGMASK_RECEIPT_KEY or its key file) and head log (RAGMASK_RECEIPT_LOG), both
    outside the data directory, with the lineage store's identity."""
    key = load_receipt_key(data_dir=stores.data_dir, create_missing=create_missing)
    head_log = default_head_log()
    if head_log.resolve().is_relative_to(stores.data_dir.resolve()):
        raise ErasureError(f"the receipt head log {head_log} must not live inside the data directory")
    return ReceiptSigner(key, lineage.store_id(), lineage.url, HeadLog(head_log, key))


def eraser_for(settings: IngestSettings) -> Eraser:
    """An eraser on the settings' stores; the embedder loads only if a redaction needs it."""
    stores = settings.stores
    lineage = LineageStore(stores.lineage)
    return Eraser(
        lineage,
        lambda: VectorStore(stores.qdrant, stores.collection),
        lambda: collection_embedder(
            lineage.profile(stores.collection),
            settings.embedding_model,
            settings.device,
            settings.embed_batch_size,
        ),
        receipt_signer(stores, lineage, create_missing=True),
        fingerprint_key=_fingerprint_key(settings),
    )


def _fingerprint_key(settings: IngestSettings) -> bytes | None:
    """The key a subject's raw forms are fingerprinted with for verification; a compaction or a document's
    erasure needs none, and a subject's was registered with it (so it is there)."""
    try:
        return load_keys(key_file=settings.key_file, data_dir=settings.stores.data_dir).fingerprint_key
    except KeyConfigError:
        return None


def run_erase(settings: IngestSettings, request_id: str) -> dict[str, Any]:
    """Carry out a registered request; returns the receipt (``ragmask erase --json``). Whatever breaks,
    the request does not stay "registered": it is marked failed (and may be run again)."""
    try:
        return eraser_for(settings).erase(request_id)
    except BaseException:
        lineage = LineageStore(settings.stores.lineage)
        try:
            ErasureStore(lineage).fail_if_open(request_id)
        finally:
            lineage.close()
        raise


DOCUMENTS_PER_REQUEST = 500  # documents per erasure request (one receipt each)
Erased = Callable[[int, int], None]  # (documents erased so far, documents to erase)


def erase_documents(
    settings: IngestSettings, keys: MaskingKeys, doc_ids: Sequence[str], on_erased: Erased | None = None
) -> list[str]:
    """Erase documents by id through the erasure path (delete mode), a request and a signed receipt per
    batch; returns the receipt ids. A receipt that does not verify stops it (ErasureError)."""
    receipts: list[str] = []
    for start in range(0, len(doc_ids), DOCUMENTS_PER_REQUEST):
        batch = list(doc_ids[start : start + DOCUMENTS_PER_REQUEST])
        receipt = run_erase(settings, register_request(settings.stores, keys, documents=batch, mode=DELETE))
        if not receipt["verified"]:
            raise ErasureError(
                f"the erasure of {len(batch)} documents did not verify (receipt {receipt['receipt_id']})"
            )
        receipts.append(receipt["receipt_id"])
        if on_erased:
            on_erased(start + len(batch), len(doc_ids))
    return receipts


def verify_receipts(stores: StoreSettings) -> ChainCheck:
    """The chain, each signature, and the newest exported head (needs the receipt key and the head log).
    Read-only: where no lineage store exists, none is created (and no folder is changed)."""
    lineage = LineageStore.existing(stores.lineage_location)
    if lineage is None:
        return ChainCheck(0, True, None, f"no lineage store at {stores.lineage_location}: no receipts yet")
    try:
        stored = ErasureStore(lineage).receipts()
        try:
            signer = receipt_signer(stores, lineage)
        except KeyConfigError:
            if stored:
                raise
            return ChainCheck(0, True, None, "no receipts yet (no receipt key either)")
        return verify_chain(stored, signer)
    finally:
        lineage.close()
