"""What a ragmask flow run is called and how it links to ragmask's own run record.

A run's name says the operation and the collection (``ingest ragmask``), so the Prefect UI's run list
reads without opening each run; collection names are configuration, never document content. Inside a
flow run, ``prefect_link`` gives the Prefect flow-run id that the lineage's run record keeps (and the
run's summary artifact names ragmask's run id): each side finds the other.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from importlib import resources

from prefect.runtime import flow_run
from pydantic import BaseModel

from flows.settings import DEFAULT_COLLECTION


@cache
def slug_words() -> frozenset[str]:
    """The words Prefect draws its generated run names from ('coral-lemur'), from coolname's lists."""
    folder = resources.files("coolname") / "data"
    return frozenset(
        line.strip()
        for entry in folder.iterdir()
        if entry.name.endswith(".txt")
        for line in entry.read_text(encoding="utf-8").splitlines()
    )


def generated_name(name: str) -> bool:
    """Whether a run's name is one Prefect made up (two or more coolname words joined by dashes), not one
    an operator typed into the form."""
    parts = name.split("-")
    return len(parts) >= 2 and all(part in slug_words() for part in parts)


def run_name(operation: str) -> Callable[[], str]:
    """A ``flow_run_name`` for ``@flow``: the name an operator typed for the run, else the operation and
    the collection its ``settings`` parameter names (scrub: the target), else the worker's
    RAGMASK_COLLECTION."""

    def name() -> str:
        typed = flow_run.name
        if typed and not generated_name(typed):
            return str(typed)
        settings = (flow_run.parameters or {}).get("settings")
        if isinstance(settings, BaseModel):
            settings = settings.model_dump()
        settings = settings if isinstance(settings, dict) else {}
        collection = settings.get("target_collection") or (settings.get("stores") or {}).get("collection")
        return f"{operation} {collection or os.environ.get('RAGMASK_COLLECTION') or DEFAULT_COLLECTION}"

    return name


def prefect_link() -> dict[str, str]:
    """The current Prefect flow run's id, for the lineage's run record (empty outside a flow run)."""
    run_id = flow_run.id
    return {"prefect_flow_run_id": str(run_id)} if run_id else {}
