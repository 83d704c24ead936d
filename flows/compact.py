"""The Prefect ``compact`` flow: purge what erasures left behind (flows/compacting.py), holding the
collection's write slot so no ingest or re-index writes while the purge runs. Its receipt summary is an
artifact, as the erase flow's is."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.collection_slots import collection_slot
from flows.compacting import run_compact
from flows.erase import receipt_markdown
from flows.flow_runs import run_name
from flows.parameters import CompactParameters
from flows.process import harden_process
from masking import MaskingError

harden_process()  # a worker imports this module before it runs the flow


class CompactFailedError(MaskingError):
    """The compaction failed; the message names the exception type only (Prefect stores messages)."""


@flow(name="compact", flow_run_name=run_name("compact"), persist_result=False)
def compact_flow(settings: CompactParameters = CompactParameters()) -> dict[str, Any]:
    """Purge the bytes of every erasure since the last purge; returns the compaction's receipt.

    Args:
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters.
    """
    try:
        settings.for_flow_run()  # a password typed into the form is refused, not used
        compact = settings.settings()
        with collection_slot(compact.stores.collection):
            receipt = run_compact(compact)
    except Exception as error:  # Prefect stores exception messages in states, logs and events
        raise CompactFailedError(f"compact failed: {type(error).__name__}") from None
    create_markdown_artifact(
        receipt_markdown(receipt), key="compact-receipt", description="compaction receipt"
    )
    return receipt
