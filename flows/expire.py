"""The Prefect ``expire`` flow: retention as a scheduled run (flows/expiring.py), with an artifact listing
the receipts that prove it. Parameters are a collection name and durations: nothing from a document.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from flows.expiring import run_expire
from flows.flow_runs import run_name
from flows.process import harden_process
from flows.settings import IngestSettings, StoreSettings
from masking import MaskingError

harden_process()  # a worker imports this module before it runs the flow


class ExpireFailedError(MaskingError):
    """The expire flow failed; the message names the exception type only (Prefect stores messages)."""


@flow(name="expire", flow_run_name=run_name("expire"), persist_result=False)
def expire_flow(
    retention_days: float, collection: str | None = None, data_dir: str | None = None,
    qdrant_url: str | None = None, qdrant_path: str | None = None, lineage_url: str | None = None,
    access_log_retention_days: float | None = None, dry_run: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Erase the documents indexed more than ``retention_days`` ago (one signed receipt per batch), and
    age out run records, the vault access log (``access_log_retention_days``) and replaced collections;
    returns `ragmask expire --json`. ``dry_run`` only counts."""
    stores = StoreSettings.from_env(data_dir=data_dir, collection=collection, qdrant_url=qdrant_url,
                                    qdrant_path=qdrant_path, lineage_url=lineage_url)  # fmt: skip
    logger = get_run_logger()
    try:
        access_log = timedelta(days=access_log_retention_days) if access_log_retention_days else None
        result = run_expire(IngestSettings(stores=stores), timedelta(days=retention_days),
                            access_log_retention=access_log, dry_run=dry_run,
                            on_erased=lambda done, total: logger.info("%d of %d expired documents erased", done, total))  # fmt: skip
    except Exception as error:  # Prefect keeps messages in states, logs and events: the type only
        raise ExpireFailedError(f"expire failed: {type(error).__name__}") from None
    create_table_artifact(
        [{"receipt_id": r} for r in result.receipts] or [{"receipt_id": "(nothing expired)"}],
        key="expire-receipts",
        description=f"{result.documents_expired} documents past {retention_days} days erased"
        + (" (dry run: counted only)" if dry_run else ""),
    )
    return result.to_dict()
