"""The Prefect ``compact`` flow: purge what erasures left behind (flows/operations/compact.py), holding the
collection's write slot so no ingest or re-index writes while the purge runs. Its receipt summary is an
artifact, as the erase flow's is."""

from __future__ import annotations

from typing import Any

from flows.operations.compact import run_compact
from flows.prefect.collection_slots import tidy_slots
from flows.prefect.erase import receipt_markdown
from flows.prefect.shell import operation_run, ragmask_flow, summary_artifact
from flows.settings import CompactSettings


@ragmask_flow("compact")
def compact_flow(settings: CompactSettings = CompactSettings()) -> dict[str, Any]:
    """Purge the bytes of every erasure since the last purge; returns the compaction's receipt.

    Args:
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters.
    """
    compact = settings.resolved()
    with operation_run("compact", settings, slot=compact.stores.collection):
        receipt = run_compact(compact)
        tidy_slots(compact.stores)
    summary_artifact(
        receipt_markdown(receipt, compact.stores),
        "compact-receipt",
        compact.stores.collection,
        "compaction receipt",
    )
    return receipt
