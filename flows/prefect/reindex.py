"""The Prefect ``reindex`` flow: the run of flows/operations/reindex.py with each batch as a task, plus artifacts
(the ingest side's summary and entities, and the removals with their receipt ids).

Same rules as the ingest flow (flows/prefect/ingest.py, whose plumbing it shares): paths from a deployment's form
or a sealed reference from the CLI, never text or secrets in parameters, failures reduced to their type.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from flows.operations.reindex import run_reindex
from flows.prefect.artifacts import quarantine_artifact
from flows.prefect.ingest import check_form, ingest_artifacts, ingest_run
from flows.prefect.shell import operation_run, ragmask_flow
from flows.settings import ReindexSettings


@ragmask_flow("reindex", batch_tasks=True)
def reindex_flow(
    paths: tuple[str, ...] = (),
    settings: ReindexSettings = ReindexSettings(),
    source_ref: str = "",
) -> dict[str, Any]:
    """Bring a collection in line with its sources: add new documents, replace changed ones, erase the ones
    that vanished (one signed receipt per batch of removals); returns `ragmask reindex --json`. A full
    re-index rebuilds into a fresh collection, swapped in once it audits clean.

    Args:
        paths: The whole source: directories or files to read, as the worker sees them (e.g. /sources/hr).
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters.
        source_ref: Set by the CLI instead of paths: a sealed reference to the files it registered
            (file names stay out of Prefect). Leave it empty in the form.
    """
    logger = get_run_logger()
    check_form(settings, paths)
    with operation_run("reindex"):
        with ingest_run(settings, paths, source_ref) as run:
            result = run_reindex(
                run.sources,
                run.settings,
                **run.engine(),
                full=settings.full,
                keep_previous=timedelta(hours=settings.keep_previous_hours),
                on_removed=lambda done, total: logger.info("%d of %d vanished documents erased", done, total),
            )
        ingest_artifacts(result.ingest, run.settings.stores, "reindex")
        create_table_artifact(
            [{"receipt_id": r} for r in result.receipts] or [{"receipt_id": "(nothing vanished)"}],
            key="reindex-removals",
            description=f"{result.documents_removed} vanished documents erased",
        )
        if result.quarantined:
            quarantine_artifact(result.quarantined, "reindex-quarantine")
    return result.to_dict() | {"settings": settings.effective()}
