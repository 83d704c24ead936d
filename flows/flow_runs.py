"""What a ragmask flow run is called and how it links to ragmask's own run record.

A run's name says the operation and the collection (``ingest ragmask``), so the Prefect UI's run list
reads without opening each run; collection names are configuration, never document content. Inside a
flow run, ``prefect_link`` gives the Prefect flow-run id that the lineage's run record keeps (and the
run's summary artifact names ragmask's run id): each side finds the other.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from prefect.runtime import flow_run

from flows.settings import DEFAULT_COLLECTION


def run_name(operation: str, parameter: str = "collection") -> Callable[[], str]:
    """A ``flow_run_name`` for ``@flow``: the operation and the collection (named by ``parameter``)."""

    def name() -> str:
        parameters = flow_run.parameters or {}
        collection = parameters.get(parameter) or os.environ.get("RAGMASK_COLLECTION") or DEFAULT_COLLECTION
        return f"{operation} {collection}"

    return name


def prefect_link() -> dict[str, str]:
    """The current Prefect flow run's id, for the lineage's run record (empty outside a flow run)."""
    run_id = flow_run.id
    return {"prefect_flow_run_id": str(run_id)} if run_id else {}
