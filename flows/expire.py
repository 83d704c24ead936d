"""The Prefect ``expire`` flow: retention as a scheduled run (flows/expiring.py), with an artifact listing
the receipts that prove it. Parameters are a collection name and durations: nothing from a document.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from flows.collection_slots import collection_slot
from flows.expiring import run_expire
from flows.flow_runs import run_name
from flows.parameters import ExpireParameters
from flows.process import harden_process
from masking import MaskingError

harden_process()  # a worker imports this module before it runs the flow


class ExpireFailedError(MaskingError):
    """The expire flow failed; the message names the exception type only (Prefect stores messages)."""


@flow(name="expire", flow_run_name=run_name("expire"), persist_result=False)
def expire_flow(settings: ExpireParameters) -> dict[str, Any]:
    """Erase the documents indexed longer ago than the retention (one signed receipt per batch), and age
    out run records, the vault access log and replaced collections; returns `ragmask expire --json`.

    Args:
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters.
    """
    logger = get_run_logger()
    try:
        settings.for_flow_run()  # a password typed into the form is refused, not used
        expire = settings.settings()
        with collection_slot(expire.stores.collection):
            result = run_expire(expire, *settings.retention(), dry_run=settings.dry_run,
                                on_erased=lambda done, total: logger.info("%d of %d expired documents erased", done, total))  # fmt: skip
    except Exception as error:  # Prefect keeps messages in states, logs and events: the type only
        raise ExpireFailedError(f"expire failed: {type(error).__name__}") from None
    create_table_artifact(
        [{"receipt_id": r} for r in result.receipts] or [{"receipt_id": "(nothing expired)"}],
        key="expire-receipts",
        description=f"{result.documents_expired} documents past {settings.retention_days} days erased"
        + (" (dry run: counted only)" if settings.dry_run else ""),
    )
    return result.to_dict() | {"settings": settings.effective()}
