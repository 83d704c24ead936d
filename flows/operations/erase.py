"""Erasure on a run's stores: a request registered (indexers/erasure_requests.py), then carried out by
its opaque id (indexers/erasure.py), which is all the Prefect flow ever sees; the CLI's direct path and
the erase flow's body.
Kept free of Prefect imports, like flows/operations/ingest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.settings import EraseSettings, IngestSettings, ReceiptsSettings, StoreSettings
from indexers import erasure_requests
from indexers.collection_profiles import CollectionProfiles
from indexers.embedding import collection_embedder
from indexers.erasure import Eraser
from indexers.erasure_store import DELETE, REDACT, ErasureStore
from indexers.errors import ErasureError
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore
from indexers.receipt_log import ReceiptLog
from indexers.receipts import (
    ChainCheck,
    ChainOf,
    HeadLog,
    KeyHolderCheck,
    PublicKeyCheck,
    ReceiptSigner,
    SignatureCheck,
    default_head_log,
    load_public_key,
    load_receipt_key,
    public_key_pem,
    verify_chain,
)
from masking import KeyConfigError, MaskingKeys, load_keys
from masking.errors import RagmaskError


def register_request(
    stores: StoreSettings,
    keys: MaskingKeys,
    *,
    identifiers: Sequence[tuple[str, str]] = (),
    documents: Sequence[str] = (),
    mode: str = REDACT,
    purge: bool = False,
) -> str:
    """Register a request on the settings' stores (indexers/erasure_requests.py) and return its id."""
    stores = stores.resolved()
    lineage = LineageStore(stores.lineage)
    try:
        return erasure_requests.register_request(
            lineage,
            stores.collection,
            keys,
            identifiers=identifiers,
            documents=documents,
            mode=mode,
            purge=purge,
        )
    finally:
        lineage.close()


# an erasure's own settings, or a re-index's, which erases the documents that vanished from its sources
ErasingSettings = EraseSettings | IngestSettings


def receipt_signer(
    stores: StoreSettings, lineage: LineageStore, *, create_missing: bool = False
) -> ReceiptSigner:
    """The receipt key (RAGMASK_RECEIPT_KEY or its key file) and head log (RAGMASK_RECEIPT_LOG), both
    outside the data directory, with the lineage store's identity."""
    stores = stores.resolved()
    key = load_receipt_key(data_dir=stores.data_path, create_missing=create_missing)
    head_log = default_head_log()
    if head_log.resolve().is_relative_to(stores.data_path.resolve()):
        raise ErasureError(f"the receipt head log {head_log} must not live inside the data directory")
    return ReceiptSigner(key, lineage.store_id(), lineage.url, HeadLog(head_log))


def receipt_public_key(stores: StoreSettings) -> str:
    """The receipts' Ed25519 public key as PEM, for auditors (the receipt key is created 0600 if this is
    its first use, as the first erasure would)."""
    stores = stores.resolved()
    return public_key_pem(load_receipt_key(data_dir=stores.data_path, create_missing=True).public_key())


def eraser_for(settings: ErasingSettings) -> Eraser:
    """An eraser on the settings' stores; the embedder loads only if a redaction needs it."""
    settings = settings.resolved()
    stores = settings.stores
    lineage = LineageStore(stores.lineage)
    return Eraser(
        lineage,
        lambda: VectorStore(stores.qdrant, stores.collection),
        lambda: collection_embedder(
            CollectionProfiles(lineage).profile(stores.collection),
            settings.embedding_model,
            settings.device,
            settings.embed_batch_size or None,
        ),
        receipt_signer(stores, lineage, create_missing=True),
        fingerprint_key=_fingerprint_key(settings),
    )


def _fingerprint_key(settings: ErasingSettings) -> bytes | None:
    """The key a subject's raw forms are fingerprinted with for verification; a compaction or a document's
    erasure needs none, and a subject's was registered with it (so it is there)."""
    try:
        return load_keys(key_file=settings.key_path, data_dir=settings.stores.data_path).fingerprint_key
    except KeyConfigError:
        return None


def run_erase(settings: ErasingSettings, request_id: str) -> dict[str, Any]:
    """Carry out a registered request; returns the receipt (``ragmask erase --json``). Whatever breaks,
    the request does not stay "registered": it is marked failed (and may be run again)."""
    settings = settings.resolved()
    try:
        return eraser_for(settings).erase(request_id)
    except BaseException:
        lineage = LineageStore(settings.stores.lineage)
        try:
            ErasureStore(lineage).fail_if_open(request_id)
        finally:
            lineage.close()
        raise


@dataclass(frozen=True)
class ErasedRequests:
    """What a run over the open requests did: their receipts, and the requests that failed (by id, with
    the reason in ragmask's words)."""

    receipts: list[dict[str, Any]]
    failed: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": len(self.receipts) + len(self.failed),
            "erased": len(self.receipts),
            "unverified": sum(not receipt["verified"] for receipt in self.receipts),
            "failed": self.failed,
            "receipts": self.receipts,
        }


def run_open_erasures(
    settings: ErasingSettings, on_erased: Callable[[int, int], None] | None = None
) -> ErasedRequests:
    """Carry out every request of the collection that is not completed (queued with ``erase --queue``,
    failed, or cut off), oldest first. One request's failure is recorded and the others go on."""
    settings = settings.resolved()
    lineage = LineageStore(settings.stores.lineage)
    try:
        pending = ErasureStore(lineage).open_requests(settings.stores.collection)
    finally:
        lineage.close()
    receipts: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    for done, request_id in enumerate(pending, start=1):
        try:
            receipts.append(run_erase(settings, request_id))
        except RagmaskError as error:
            failed[request_id] = str(error)
        except Exception as error:
            failed[request_id] = f"unexpected {type(error).__name__}"
        if on_erased:
            on_erased(done, len(pending))
    return ErasedRequests(receipts, failed)


# documents per erasure request (one receipt each)
DOCUMENTS_PER_REQUEST = 500
# (documents erased so far, documents to erase)
Erased = Callable[[int, int], None]


def erase_documents(
    settings: ErasingSettings, keys: MaskingKeys, doc_ids: Sequence[str], on_erased: Erased | None = None
) -> list[str]:
    """Erase documents by id through the erasure path (delete mode), a request and a signed receipt per
    batch; returns the receipt ids. A receipt that does not verify stops it (ErasureError)."""
    settings = settings.resolved()
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


def verify_receipts(settings: ReceiptsSettings) -> ChainCheck:
    """The chain, each signature, and the newest exported head, checked with the receipt key or with only
    the public key given. Read-only: where no lineage store exists, none is created (and no folder is
    changed)."""
    settings = settings.resolved()
    stores = settings.stores
    lineage = LineageStore.existing(stores.lineage_location)
    if lineage is None:
        return ChainCheck(0, True, None, f"no lineage store at {stores.lineage_location}: no receipts yet")
    try:
        stored = ReceiptLog(lineage).receipts()
        check: SignatureCheck
        if settings.public_key:
            check = PublicKeyCheck(load_public_key(Path(settings.public_key)))
        else:
            try:
                check = KeyHolderCheck(load_receipt_key(data_dir=stores.data_path))
            except KeyConfigError:
                if stored:
                    raise
                return ChainCheck(0, True, None, "no receipts yet (no receipt key either)")
        head_log = HeadLog(Path(settings.receipt_log) if settings.receipt_log else default_head_log())
        return verify_chain(stored, ChainOf(lineage.store_id(), lineage.url, head_log), check)
    finally:
        lineage.close()
