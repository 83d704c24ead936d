"""The Prefect ``erase`` flow: carries out a registered erasure request by its opaque id.

The flow never takes an identifier: ``ragmask erase --email ...`` (or the API) registers the request
first, fingerprints only, and the flow (from the CLI or the UI's form) gets the request id. The receipt
summary artifact carries counts and the verification result, never a value.
"""

from __future__ import annotations

from typing import Any

from flows.operations.erase import run_erase
from flows.prefect.shell import operation_run, ragmask_flow, summary_artifact
from flows.settings import EraseSettings


def receipt_markdown(receipt: dict[str, Any]) -> str:
    matched, request = receipt["matched"], receipt["request"]
    return (
        f"# ragmask erase `{request['request_id']}`\n\n"
        f"Receipt `{receipt['receipt_id']}` ({request['kind']}, mode {request['mode']}, identifier types "
        f"{', '.join(request['identifier_types']) or '-'}): matched {matched['documents']} documents, "
        f"{matched['chunks']} chunks, {matched['points']} points. Verified: **{receipt['verified']}**. "
        f"Purge level: **{receipt['purge_level']}**.\n\n"
        f"Receipt chain head (also appended to the receipt head log): `{receipt['hash']}`, signed with "
        f"receipt key `{receipt['signing_key_id']}` for lineage store `{receipt['store_id']}`.\n"
    )


@ragmask_flow("erase")
def erase_flow(request_id: str, settings: EraseSettings = EraseSettings()) -> dict[str, Any]:
    """Erase what a registered request names; returns its receipt (ids, counts and hashes only).

    Args:
        request_id: The id `ragmask erase` printed when it registered the request (er_...); the
            identifiers themselves never reach Prefect.
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters. The embedding model must be the
            collection's: redacted chunks are re-embedded with it.
    """
    erase = settings.resolved()
    with operation_run("erase", settings, slot=erase.stores.collection, subject=request_id):
        receipt = run_erase(erase, request_id)
    summary_artifact(receipt_markdown(receipt), "erase-receipt", "erasure receipt")
    return receipt
