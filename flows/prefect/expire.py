"""The Prefect ``expire`` flow: retention as a scheduled run (flows/operations/expire.py), with an artifact listing
the receipts that prove it. Parameters are a collection name and durations: nothing from a document.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from flows.operations.expire import run_expire
from flows.prefect.shell import operation_run, ragmask_flow
from flows.settings import ExpireSettings


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
    create_table_artifact(
        [{"receipt_id": r} for r in result.receipts] or [{"receipt_id": "(nothing expired)"}],
        key="expire-receipts",
        description=f"{result.documents_expired} documents past {settings.retention_days} days erased"
        + (" (dry run: counted only)" if settings.dry_run else ""),
    )
    return result.to_dict() | {"settings": settings.effective()}
