"""The Prefect ``reindex`` flow: the run of flows/reindexing.py with each batch as a task, plus artifacts
(the ingest side's summary and entities, and the removals with their receipt ids).

Same rules as the ingest flow (flows/ingest.py, whose plumbing it shares): paths from a deployment's form
or a sealed reference from the CLI, never text or secrets in parameters, failures reduced to their type.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from flows.flow_runs import prefect_link, run_name
from flows.ingest import BatchTasks, flow_settings, flow_sources, ingest_artifacts
from flows.process import harden_process
from flows.reindexing import run_reindex
from indexers.payload_formats import WritableFormat
from masking import MaskingError, load_keys

harden_process()  # a worker imports this module before it runs the flow


class ReindexFailedError(MaskingError):
    """The reindex flow failed; the message names the exception type only (Prefect stores messages)."""


@flow(
    name="reindex",
    flow_run_name=run_name("reindex"),
    persist_result=False,
    task_runner=ThreadPoolTaskRunner(max_workers=1),  # type: ignore[arg-type]
)
def reindex_flow(
    paths: list[str] | None = None, source_ref: str | None = None, collection: str | None = None,
    data_dir: str | None = None, qdrant_url: str | None = None, qdrant_path: str | None = None,
    lineage_url: str | None = None, policy: str | None = None, batch_documents: int = 32, vault: bool = False,
    payload_format: WritableFormat = "langchain", full: bool = False, keep_previous_hours: float = 24,
) -> dict[str, Any]:  # fmt: skip
    """Bring a collection in line with its sources: add new documents, replace changed ones, erase the ones
    that vanished (one signed receipt per batch of removals); returns `ragmask reindex --json`. Parameters
    as the ingest flow's; ``full`` rebuilds into a fresh collection swapped in once it audits clean,
    keeping the replaced one ``keep_previous_hours``."""
    settings = flow_settings(collection, data_dir, qdrant_url, qdrant_path, lineage_url, policy, batch_documents,
                             vault, payload_format)  # fmt: skip
    logger = get_run_logger()
    try:
        keys = load_keys(key_file=settings.key_file, data_dir=settings.stores.data_dir, create_missing=True)
        with flow_sources(settings.stores, keys, paths, source_ref) as sources, BatchTasks() as tasks:
            result = run_reindex(sources, settings, run_id=tasks.run_id, keys=keys, batch_runner=tasks.run,
                                 progress=tasks.progress, full=full, links=prefect_link(),
                                 keep_previous=timedelta(hours=keep_previous_hours),
                                 on_removed=lambda done, total: logger.info("%d of %d vanished documents erased",
                                                                            done, total))  # fmt: skip
        ingest_artifacts(result.ingest, settings.stores, "reindex")
        create_table_artifact(
            [{"receipt_id": r} for r in result.receipts] or [{"receipt_id": "(nothing vanished)"}],
            key="reindex-removals", description=f"{result.documents_removed} vanished documents erased",
        )  # fmt: skip
    except Exception as error:  # Prefect keeps messages in states, logs and events: the type only
        raise ReindexFailedError(f"reindex failed: {type(error).__name__}") from None
    return result.to_dict()
