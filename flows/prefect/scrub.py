"""The Prefect ``scrub`` flow: a collection that holds raw text, masked and re-embedded into a new one in
the same payload format (flows/operations/scrub.py), with a summary artifact.

Parameters are collection names, a format and payload paths: nothing derived from a document. The
result and the artifacts carry counts and entity types; the dry run's masked samples stay out of
Prefect (they are masked, but they are text). Every exception leaves the flow as its type only.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_table_artifact

from flows.operations.scrub import run_scrub
from flows.prefect.artifacts import artifact_key, quarantine_artifact, stores_line
from flows.prefect.shell import operation_run, ragmask_flow, summary_artifact
from flows.settings import ScrubSettings, StoreSettings


def scrub_markdown(result: dict[str, Any], stores: StoreSettings) -> str:
    audit = result.get("audit") or {}
    return (
        f"# ragmask scrub `{result['run_id']}`\n\n`{result['source']}` -> `{result['target']}` "
        f"({result['format']}): {result['points_read']} points read, {result['points_written']} written, "
        f"{result['documents']} documents. Audit of the target: **{audit.get('suspected', 'not run')}** "
        f"suspected; **{result.get('documents_quarantined', 0)}** documents quarantined (at most "
        f"{result.get('max_quarantined', '-')} go live). Alias swapped: {result['alias_swapped']}; "
        f"source deleted: {result['source_deleted']} ({result.get('source_points_kept', 0)} points of "
        "quarantined documents kept).\n"
        + (
            f"\nSparse vectors not copied (bags of raw words): {', '.join(result['sparse_vectors_dropped'])}.\n"
            if result["sparse_vectors_dropped"]
            else ""
        )
        + f"\n{stores_line(stores)}\n"
    )


@ragmask_flow("scrub")
def scrub_flow(settings: ScrubSettings) -> dict[str, Any]:
    """Mask and re-embed a collection that holds raw text into a new one; audit it; swap the alias and
    delete the source only if it audits clean. Returns `ragmask scrub --json`.

    Args:
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters.
    """
    logger = get_run_logger()
    with operation_run("scrub", settings, slot=settings.target_collection):
        result = run_scrub(
            settings,
            lambda done, total: logger.info("%d of %d documents scrubbed", done, total),
        )
    result.pop("samples", None)
    target = settings.target_collection
    summary_artifact(scrub_markdown(result, settings.stores), "scrub-summary", target, "scrub summary")
    create_table_artifact(
        [{"entity_type": t, "count": n} for t, n in result["entities"].items()]
        or [{"entity_type": "(none)", "count": 0}],
        key=artifact_key("scrub-entities", target),
        description="entities masked, by type",
    )
    if result.get("quarantined"):
        quarantine_artifact(result["quarantined"], artifact_key("scrub-quarantine", target))
    return result | {"settings": settings.effective()}
