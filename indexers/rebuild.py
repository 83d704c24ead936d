"""Rebuild a collection into a fresh one and swap the alias: a Qdrant server's purge.

A delete on a Qdrant server hides a point; its bytes stay in segment files and the WAL until the
optimizer rewrites them. A fresh collection built from the live points holds none of the erased ones,
and deleting the old collection removes its files. Readers keep using the same name: it becomes an
alias of the fresh collection (the first rebuild turns a plain collection into an alias: between the
old collection's delete and the alias's creation the name does not resolve for a moment; later
rebuilds swap the alias in one atomic operation). Writers must pause: points written to the old
collection while it is copied are lost, so run it between ingests (`ragmask compact` after the
scheduled re-index). Works the same on local mode, where the tests exercise it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from qdrant_client import QdrantClient, models

from indexers.errors import StoreError
from indexers.qdrant_store import UPSERT_BATCH, physical_collection, swap_in

# (points copied, points in all)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Rebuilt:
    # the alias readers use
    name: str
    old_collection: str
    new_collection: str
    points: int


def fresh_name(name: str) -> str:
    return f"{name}__{datetime.now(UTC):%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:6]}"


def _create_like(client: QdrantClient, source: str, target: str) -> None:
    info = client.get_collection(source)
    client.create_collection(
        target,
        vectors_config=info.config.params.vectors,
        sparse_vectors_config=info.config.params.sparse_vectors,
    )
    for field_name, schema in (info.payload_schema or {}).items():
        if schema.data_type is not None:
            client.create_payload_index(target, field_name, schema.data_type)


def _copy_points(client: QdrantClient, source: str, target: str, progress: Progress | None) -> int:
    total = int(client.count(source, exact=True).count)
    copied, offset = 0, None
    while True:
        records, offset = client.scroll(
            source, limit=UPSERT_BATCH, offset=offset, with_payload=True, with_vectors=True
        )
        if records:
            client.upsert(
                target,
                wait=True,
                points=[
                    models.PointStruct(id=r.id, vector=cast(models.VectorStruct, r.vector), payload=r.payload)
                    for r in records
                ],
            )
            copied += len(records)
            if progress:
                progress(copied, total)
        if offset is None:
            return copied


def rebuild_collection(client: QdrantClient, name: str, progress: Progress | None = None) -> Rebuilt:
    """Copy the live points of ``name`` into a fresh collection, point ``name`` at it, drop the old one."""
    old = physical_collection(client, name)
    if old is None:
        raise StoreError(f"collection {name!r} does not exist")
    new = fresh_name(name)
    _create_like(client, old, new)
    try:
        copied = _copy_points(client, old, new, progress)
        in_old, in_new = (int(client.count(c, exact=True).count) for c in (old, new))
        if in_new != in_old:
            raise StoreError(
                f"rebuild of {name!r} copied {in_new} of {in_old} points (written to meanwhile?)"
            )
    except BaseException:
        client.delete_collection(new)
        raise
    # a plain collection becomes an alias
    previous = swap_in(client, name, new)
    if previous is not None:
        client.delete_collection(previous)
    return Rebuilt(name, old, new, copied)
