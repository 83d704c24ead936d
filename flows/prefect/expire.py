"""The Prefect ``expire`` flow: retention as a scheduled run (flows/operations/expire.py), with an artifact listing
the receipts that prove it. Parameters are a collection name and durations: nothing from a document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from flows.operations.expire import run_expire
from flows.prefect.artifacts import artifact_key, stores_line
from flows.prefect.collection_slots import tidy_slots
from flows.prefect.shell import operation_run, ragmask_flow, summary_artifact
from flows.settings import ExpireSettings, StoreSettings

# documents listed in the artifact; the count and the receipts cover them all
MAX_ROWS = 1000


def cutoff_text(cutoff: str) -> str:
    return f"{datetime.fromisoformat(cutoff):%Y-%m-%d %H:%M} UTC"


def expire_markdown(result: dict[str, Any], stores: StoreSettings) -> str:
    """The retention run in words: the cutoff, how many documents, what was erased or would be."""
    before = (
        f"indexed before {cutoff_text(result['cutoff'])} ({result['retention_days']:g} days of retention)"
    )
    if result["dry_run"]:
        done = (
            f"**{result['documents_expired']} documents** {before} would be erased. Dry run: nothing was "
            "erased and no receipt was written."
        )
    else:
        done = (
            f"**{result['documents_expired']} documents** {before} were erased, with {len(result['receipts'])} "
            f"signed receipts; {result['run_rows_deleted']} run records and {result['access_log_rows_deleted']} "
            f"access-log rows aged out; replaced collections dropped: "
            f"{', '.join(result['previous_collections_dropped']) or 'none'}."
        )
    return f"# ragmask expire of `{result['collection']}`\n\n{done}\n\n{stores_line(stores)}\n"


@ragmask_flow("expire")
def expire_flow(settings: ExpireSettings) -> dict[str, Any]:
    """Erase the documents indexed longer ago than the retention (one signed receipt per batch), and age
    out run records, the vault access log and replaced collections; returns `ragmask expire --json`.

    Args:
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters.
    """
    logger = get_run_logger()
    expire = settings.resolved()
    with operation_run("expire", settings, slot=expire.stores.collection):
        result = run_expire(
            expire,
            *settings.retention(),
            dry_run=settings.dry_run,
            on_erased=lambda done, total: logger.info("%d of %d expired documents erased", done, total),
        )
        if not settings.dry_run:
            tidy_slots(expire.stores)
    summary_artifact(
        expire_markdown(result.to_dict(), expire.stores), "expire-summary", result.collection, "retention run"
    )
    shown = result.doc_ids[:MAX_ROWS]
    create_table_artifact(
        [
            {"doc_id": doc_id, "status": "to be erased (dry run)" if result.dry_run else "erased"}
            for doc_id in shown
        ]
        or [{"doc_id": "(nothing past the retention)", "status": "-"}],
        key=artifact_key("expire-documents", result.collection),
        description=f"the documents indexed before {cutoff_text(result.cutoff)}"
        + (f" (the first {MAX_ROWS} of {len(result.doc_ids)})" if len(result.doc_ids) > MAX_ROWS else ""),
    )
    return result.to_dict() | {"settings": settings.effective()}
