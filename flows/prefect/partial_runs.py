"""How an ingest or re-index run that could not write every document ends, so an automation catches it.

Such a run wrote what it could: its good documents are committed and searchable, and running it again
does not mend a malformed file or a quarantined document. So it is not Failed (which would mean "nothing
to trust" and would start the flow's retries); it ends **Completed with a message** that counts what was
left out, and emits the custom event ``ragmask.run.partial``, which Prefect relates to the flow run, its
flow, deployment and tags. An automation matches the event (infra/automations.yaml, created by
``ragmask serve --automations``); the event's payload holds counts only, and its resource is the
collection, so an alert can say which one.

Usage::

    return partial_or_completed("ingest", result.counts, result.collection, result.to_dict())
"""

from __future__ import annotations

from typing import Any, cast

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.events import emit_event
from prefect.states import Completed

from flows.pipeline.batch_counts import DocumentProblem, IngestCounts
from flows.prefect.artifacts import artifact_key

PARTIAL_EVENT = "ragmask.run.partial"
# rows in a failures artifact; --json and the lineage keep every one
MAX_ARTIFACT_ROWS = 1000


def partial_message(operation: str, counts: IngestCounts, collection: str) -> str:
    """What the run's state says: counts and where the list is, never a name."""
    unreadable = f", {counts.files_unreadable} files could not be read" if counts.files_unreadable else ""
    return (
        f"{operation} of {collection!r} partly done: {counts.documents_failed} documents failed, "
        f"{counts.documents_quarantined} quarantined{unreadable}; listed by masked source path in the "
        f"{artifact_key(f'{operation}-failures', collection)} artifact"
    )


def failures_artifact(operation: str, problems: list[DocumentProblem], collection: str) -> None:
    """The ``<operation>-failures-<collection>`` table: each document not written, by doc id and masked
    source path, with its outcome, stage and reason (a clean run's table says so, for the key's history)."""
    rows = [p.to_dict() for p in problems[:MAX_ARTIFACT_ROWS]]
    if len(problems) > MAX_ARTIFACT_ROWS:
        rows.append(
            {"doc_id": f"... and {len(problems) - MAX_ARTIFACT_ROWS} more (see --json or the lineage)"}
        )
    create_table_artifact(
        rows or [{"doc_id": "(every document was written)"}],
        key=artifact_key(f"{operation}-failures", collection),
        description=f"{len(problems)} documents or files not written, by masked source path",
    )


def partial_or_completed(
    operation: str, counts: IngestCounts, collection: str, result: dict[str, Any]
) -> dict[str, Any]:
    """``result`` as the flow's return value, or, when documents were left out, a Completed state with a
    message that counts them (and ``result`` as its data) after the ``ragmask.run.partial`` event."""
    if not counts.partial:
        return result
    message = partial_message(operation, counts, collection)
    get_run_logger().warning("%s", message)
    emit_event(
        event=PARTIAL_EVENT,
        resource={
            "prefect.resource.id": f"ragmask.collection.{collection}",
            "prefect.resource.name": collection,
            "ragmask.operation": operation,
        },
        payload={
            "operation": operation,
            "collection": collection,
            "documents_failed": counts.documents_failed,
            "documents_quarantined": counts.documents_quarantined,
            "files_unreadable": counts.files_unreadable,
            "documents_indexed": counts.documents_indexed,
        },
    )
    # Prefect makes a returned state the run's final state, and hands its data to a caller of the flow:
    # the caller gets ``result`` either way
    return cast(dict[str, Any], Completed(message=message, data=result))
