"""The Prefect ``reindex`` flow: the run of flows/operations/reindex.py with each batch as a task, plus artifacts
(the ingest side's summary and entities, and the removals with their receipt ids).

Same rules as the ingest flow (flows/prefect/ingest.py, whose plumbing it shares): paths from a deployment's form
or a sealed reference from the CLI, never text or secrets in parameters, failures reduced to their type.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from flows.operations.reindex import ReindexResult, run_reindex
from flows.prefect.artifacts import artifact_key, quarantine_artifact, stores_line
from flows.prefect.ingest import check_form, counts_sentence, ingest_artifacts, ingest_run
from flows.prefect.partial_runs import partial_or_completed
from flows.prefect.shell import operation_run, ragmask_flow
from flows.settings import ReindexSettings, StoreSettings


def reindex_markdown(result: ReindexResult, stores: StoreSettings, keep_previous_hours: float) -> str:
    """The re-index's summary: what it did to the documents, what vanished, the points left after the
    removals, and for a full one what was audited, swapped and kept."""
    lines = [
        f"# ragmask reindex `{result.ingest.run_id}`{' (full)' if result.full else ''}",
        "",
        f"{counts_sentence(result.ingest)} {result.documents_removed} vanished documents erased "
        f"({len(result.receipts)} receipts). {result.points_total} points in the collection.",
    ]
    if result.full:
        kept_until = datetime.now(UTC) + timedelta(hours=keep_previous_hours)
        lines += [
            "",
            f"Full re-index: the new collection audited clean (with {len(result.quarantined)} documents "
            f"quarantined) and was swapped in as `{result.swapped_in}`.",
            f"The previous copy `{result.previous_kept}` is kept for a rollback until "
            f"{kept_until:%Y-%m-%d %H:%M} UTC ({keep_previous_hours:g} hours)."
            if result.previous_kept
            else "There was no previous copy to keep.",
        ]
    return "\n".join([*lines, "", stores_line(stores), ""])


def reindex_body(paths: Sequence[str], settings: ReindexSettings, source_ref: str) -> dict[str, Any]:
    """What both reindex flows run: the re-index, batch by batch as task runs, then the artifacts."""
    logger = get_run_logger()
    check_form(settings, paths)
    with operation_run("reindex"):
        with ingest_run(settings, paths, source_ref, "reindex") as run:
            result = run_reindex(
                run.sources,
                run.settings,
                **run.engine(),
                full=settings.full,
                keep_previous=timedelta(hours=settings.keep_previous_hours),
                on_removed=lambda done, total: logger.info("%d of %d vanished documents erased", done, total),
            )
        collection = result.ingest.collection
        summary = reindex_markdown(result, run.settings.stores, settings.keep_previous_hours)
        ingest_artifacts(result.ingest, run.settings.stores, "reindex", summary)
        create_table_artifact(
            [{"receipt_id": r} for r in result.receipts] or [{"receipt_id": "(nothing vanished)"}],
            key=artifact_key("reindex-removals", collection),
            description=f"{result.documents_removed} vanished documents erased",
        )
        if result.quarantined:
            quarantine_artifact(result.quarantined, artifact_key("reindex-quarantine", collection))
    returned = result.to_dict() | {"settings": settings.effective()}
    return partial_or_completed("reindex", result.ingest.counts, collection, returned)


@ragmask_flow("reindex", batch_tasks=True)
def reindex_flow(paths: tuple[str, ...], settings: ReindexSettings = ReindexSettings()) -> dict[str, Any]:
    """Bring a collection in line with its sources: add new documents, replace changed ones, erase the ones
    that vanished (one signed receipt per batch of removals); returns `ragmask reindex --json`. A full
    re-index rebuilds into a fresh collection, swapped in once it audits clean.

    Args:
        paths: The whole source: directories or files to read, as the worker sees them (e.g. /sources/hr).
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters.
    """
    return reindex_body(paths, settings, "")


@ragmask_flow("reindex", batch_tasks=True)
def reindex_registered_flow(source_ref: str, settings: ReindexSettings = ReindexSettings()) -> dict[str, Any]:
    """The CLI's re-index (the same flow, ``reindex``, in the UI): the files it registered, given as a
    sealed reference so that their names stay out of Prefect. Not deployed: a form takes ``paths``.

    Args:
        source_ref: The sealed reference to the files the CLI registered.
        settings: The run's settings, the same object the CLI builds.
    """
    return reindex_body((), settings, source_ref)
