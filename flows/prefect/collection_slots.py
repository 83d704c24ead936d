"""One writer per collection at a time, across every flow run: a Prefect global concurrency limit.

An ingest or re-index that wrote while a compaction purged (or an erasure verified) could leave the
purge's receipt describing a collection that had already changed under it, and two full re-indexes
would race for the swap. Every flow that writes a collection (ingest, reindex, erase, compact,
expire, scrub's target) holds the collection's slot, a limit of 1 named ``ragmask-write-<collection>``;
a second run waits for it (the Prefect UI shows the limit and who holds it under Concurrency).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency

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
