"""One writer per collection at a time, across every flow run: a Prefect global concurrency limit.

An ingest or re-index that wrote while a compaction purged (or an erasure verified) could leave the
purge's receipt describing a collection that had already changed under it, and two full re-indexes
would race for the swap. Every flow that writes a collection (ingest, reindex, erase, compact,
expire, scrub's target) holds the collection's slot, a limit of 1 named ``ragmask-write-<collection>``;
a second run waits for it (the Prefect UI shows the limit and who holds it under Concurrency). A
collection dropped, renamed or scrubbed away leaves its limit behind: ``compact`` and ``expire`` delete
the idle limits of collections their Qdrant store no longer has.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.responses import GlobalConcurrencyLimitResponse
from prefect.concurrency.sync import concurrency

from flows.settings import StoreSettings
from indexers.qdrant_store import collection_names

SLOT_PREFIX = "ragmask-write-"


def slot_name(collection: str) -> str:
    return f"{SLOT_PREFIX}{collection}"


def ensure_slot(collection: str) -> str:
    """Create the collection's limit (1) if it is not there yet; an operator may have raised or disabled
    it in the UI, which is left as it is."""
    name = slot_name(collection)
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except Exception:
            # ObjectNotFound: create it (two runs racing here: the loser's create fails, fine)
            try:
                client.upsert_global_concurrency_limit_by_name(name, 1)
            except Exception:
                # created by the other run, or a real error
                client.read_global_concurrency_limit_by_name(name)
    return name


@contextmanager
def collection_slot(collection: str) -> Iterator[None]:
    """Hold the collection's write slot for the block; waits while another run holds it."""
    with concurrency(ensure_slot(collection), occupy=1, strict=True):
        yield


def release_gone_slots(collections: set[str], idle_for: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete the write limits of collections not in ``collections`` (the store's collections and
    aliases), once idle for ``idle_for``: no slot held, untouched since (a run about to create its
    collection has just made its limit). Returns the names deleted."""
    cutoff = datetime.now(UTC) - idle_for
    deleted = []
    with get_client(sync_client=True) as client:
        limits: list[GlobalConcurrencyLimitResponse] = []
        while page := client.read_global_concurrency_limits(limit=200, offset=len(limits)):
            limits += page
        for limit in limits:
            collection = limit.name.removeprefix(SLOT_PREFIX)
            if not limit.name.startswith(SLOT_PREFIX) or collection in collections or limit.active_slots:
                continue
            if limit.updated is not None and limit.updated > cutoff:
                continue
            client.delete_global_concurrency_limit_by_name(limit.name)
            deleted.append(limit.name)
    return deleted


def tidy_slots(stores: StoreSettings) -> None:
    """In a compact or expire run: the idle write limits of collections the run's Qdrant store no longer
    has deleted, and said in the run log (collection names are the operator's)."""
    released = release_gone_slots(collection_names(stores.resolved().qdrant))
    if released:
        get_run_logger().info("deleted the idle write limits of gone collections: %s", ", ".join(released))
