"""The Prefect ``erase`` flow: carries out registered erasure requests, one by its opaque id or every
open one of the collection.

The flow never takes an identifier: ``ragmask erase --email ... --queue`` (or the API) registers the
request first, fingerprints only, and the flow gets at most its id. Left empty, the form's request id
means every request of the collection not completed yet, so a privacy officer queues requests and the
scheduled run (``serve --erase-cron``) carries them out. The artifacts carry counts, ids and the
verification result, never a value.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from flows.operations.erase import ErasedRequests, run_erase, run_open_erasures
from flows.prefect.artifacts import artifact_key, stores_line
from flows.prefect.shell import operation_run, ragmask_flow, summary_artifact
from flows.settings import EraseSettings, StoreSettings
from indexers.errors import ErasureError


def receipt_markdown(receipt: dict[str, Any], stores: StoreSettings) -> str:
    matched, request = receipt["matched"], receipt["request"]
    return (
        f"# ragmask erase `{request['request_id']}`\n\n"
        f"Receipt `{receipt['receipt_id']}` ({request['kind']}, mode {request['mode']}, identifier types "
        f"{', '.join(request['identifier_types']) or '-'}): matched {matched['documents']} documents, "
        f"{matched['chunks']} chunks, {matched['points']} points. Verified: **{receipt['verified']}**. "
        f"Purge level: **{receipt['purge_level']}**.\n\n"
        f"Receipt chain head (also appended to the receipt head log): `{receipt['hash']}`, signed with "
        f"receipt key `{receipt['signing_key_id']}` for lineage store `{receipt['store_id']}`.\n\n"
        f"{stores_line(stores)}\n"
    )


def receipts_table(done: ErasedRequests) -> list[dict[str, Any]]:
    """A row per request: its receipt and what it matched, or why it failed."""
    rows = [
        {
            "request_id": receipt["request"]["request_id"],
            "receipt_id": receipt["receipt_id"],
            "kind": receipt["request"]["kind"],
            "mode": receipt["request"]["mode"],
            "documents": receipt["matched"]["documents"],
            "points": receipt["matched"]["points"],
            "verified": receipt["verified"],
        }
        for receipt in done.receipts
    ]
    rows += [
        {"request_id": request_id, "receipt_id": "-", "kind": "-", "mode": "-", "documents": 0, "points": 0}
        | {"verified": f"failed: {reason}"}
        for request_id, reason in done.failed.items()
    ]
    return rows or [{"request_id": "(no open request)", "receipt_id": "-", "verified": "-"}]


@ragmask_flow("erase")
def erase_flow(request_id: str = "", settings: EraseSettings = EraseSettings()) -> dict[str, Any]:
    """Carry out registered erasure requests; returns the receipt (one request) or every receipt (ids,
    counts and hashes only).

    Args:
        request_id: The id `ragmask erase --queue` printed when it registered the request (er_...). Empty:
            every request of the collection not completed yet, oldest first. The identifiers themselves
            never reach Prefect.
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters. The embedding model must be the
            collection's: redacted chunks are re-embedded with it.
    """
    erase = settings.resolved()
    if request_id:
        with operation_run("erase", settings, slot=erase.stores.collection, subject=request_id):
            receipt = run_erase(erase, request_id)
        summary_artifact(
            receipt_markdown(receipt, erase.stores),
            "erase-receipt",
            erase.stores.collection,
            "erasure receipt",
        )
        return receipt
    logger = get_run_logger()
    with operation_run("erase", settings, slot=erase.stores.collection, subject="of the open requests"):
        done = run_open_erasures(
            erase, lambda n, total: logger.info("%d of %d erasure requests done", n, total)
        )
        create_table_artifact(
            receipts_table(done),
            key=artifact_key("erase-receipts", erase.stores.collection),
            description=f"{len(done.receipts)} of {len(done.receipts) + len(done.failed)} open erasure requests "
            f"carried out in collection {erase.stores.collection!r}",
        )
        unverified = sum(not receipt["verified"] for receipt in done.receipts)
        if done.failed or unverified:
            failed = "; ".join(f"{request}: {reason}" for request, reason in done.failed.items())
            raise ErasureError(
                f"{len(done.failed)} of {len(done.receipts) + len(done.failed)} erasure requests failed"
                + (f" ({failed})" if failed else "")
                + (f"; {unverified} did not verify" if unverified else "")
            )
    return done.to_dict()
