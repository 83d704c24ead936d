"""The Qdrant side: collection set-up, deterministic point ids, batched upserts, deletes, search.

Embedded default: local mode under ``<data-dir>/qdrant`` (the same client API as a server; one
process at a time holds the folder's lock, and within a process one client per folder, guarded
here). Production: a server URL (+ API key).
"""

from __future__ import annotations

import atexit
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from qdrant_client import QdrantClient, models

from indexers.errors import StoreError
from indexers.files import private_directory

POINT_NAMESPACE = uuid.UUID("6f1c2d3e-7a8b-5c9d-8e0f-1a2b3c4d5e6f")
# where LangChain-shaped points keep ragmask's doc id (the default format)
DOC_ID_FIELD = "metadata.doc_id"
UPSERT_BATCH = 256
# indexers/rebuild.py's fresh_name
FRESH_SUFFIX = r"__\d{8}T\d{6}_[0-9a-f]{6}"

_local_clients: dict[Path, QdrantClient] = {}
_local_lock = threading.Lock()


def point_id(collection: str, doc_id: str, doc_version: int, chunk_index: int) -> str:
    """uuid5 of (collection, doc_id, version, chunk index): the same chunk of the same version always has
    the same id (idempotent upserts), and the same document in two collections of one lineage store
    (a second index, a full re-index) gets two ids: the lineage keys chunks by point id."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{collection}|{doc_id}|{doc_version}|{chunk_index}"))


@dataclass(frozen=True)
class QdrantLocation:
    """Where the collection lives: a server URL, or a local-mode folder."""

    url: str | None = None
    path: Path | None = None
    api_key: str | None = field(default=None, repr=False)

    @property
    def is_local(self) -> bool:
        return self.url is None

    def describe(self) -> str:
        return self.url or f"local:{self.path}"


def open_client(location: QdrantLocation) -> QdrantClient:
    """A client; in local mode the one client of this process for that folder."""
    if location.url is not None:
        return QdrantClient(url=location.url, api_key=location.api_key)
    if location.path is None:
        raise StoreError("a Qdrant URL or a local path is needed")
    folder = location.path.resolve()
    with _local_lock:
        client = _local_clients.get(folder)
        if client is None:
            private_directory(folder)
            try:
                client = QdrantClient(path=str(folder))
            except RuntimeError as error:
                # the folder's lock is held by another process
                raise StoreError(
                    f"Qdrant local folder {folder} is in use by another process; local mode allows one "
                    "process at a time (use a Qdrant server for concurrent jobs)"
                ) from error
            if not _local_clients:
                # closing during interpreter shutdown fails noisily
                atexit.register(close_local_clients)
            _local_clients[folder] = client
        return client


def close_local_clients() -> None:
    """Release every local folder this process holds (tests, and before a purge rewrites the files)."""
    with _local_lock:
        for client in _local_clients.values():
            client.close()
        _local_clients.clear()


def collection_names(location: QdrantLocation) -> set[str]:
    """Every collection and alias the store holds."""
    client = open_client(location)
    return {c.name for c in client.get_collections().collections} | {
        a.alias_name for a in client.get_aliases().aliases
    }


def physical_collection(client: QdrantClient, name: str) -> str | None:
    """The collection behind ``name``: itself, or the one its alias points at (a rebuild or a full
    re-index swaps an alias); None if neither exists."""
    for alias in client.get_aliases().aliases:
        if alias.alias_name == name:
            return alias.collection_name
    return name if client.collection_exists(name) else None


def point_alias(client: QdrantClient, alias: str, collection: str) -> None:
    """Point ``alias`` at ``collection``, replacing where it pointed before, in one atomic operation."""
    operations: list[models.AliasOperations] = []
    if any(a.alias_name == alias for a in client.get_aliases().aliases):
        operations.append(models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias)))
    operations.append(
        models.CreateAliasOperation(
            create_alias=models.CreateAlias(collection_name=collection, alias_name=alias)
        )
    )
    client.update_collection_aliases(change_aliases_operations=operations)


def swap_in(client: QdrantClient, name: str, new: str) -> str | None:
    """Make ``name`` an alias of ``new``. Returns the collection ``name`` pointed at before, still there for
    the caller to keep or drop; None when there was none, or when ``name`` was a plain collection, which is
    deleted (Qdrant cannot rename, and the alias needs its name: the name does not resolve for a moment)."""
    old = physical_collection(client, name)
    if old != name:
        # atomic
        point_alias(client, name, new)
        return old
    client.delete_collection(old)
    try:
        point_alias(client, name, new)
    except Exception as error:
        raise StoreError(
            f"{name!r} was deleted but the alias to {new!r} could not be created "
            f"({type(error).__name__}): create it by hand"
        ) from None
    return None


@dataclass(frozen=True)
class Point:
    id: str
    # a dict for named vectors
    vector: list[float] | dict[str, list[float]] = field(repr=False)
    payload: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class SearchHit:
    score: float
    payload: dict[str, Any] = field(repr=False)


class VectorStore:
    """One collection: created on first use (cosine, the embedder's dimension), indexed on doc_id."""

    def __init__(self, location: QdrantLocation, collection: str) -> None:
        self.location = location
        self.collection = collection
        self.client = open_client(location)

    def vector_names(self) -> list[str] | None:
        """The dense vector names of the collection (None: one unnamed vector)."""
        vectors = self.client.get_collection(self.physical()).config.params.vectors
        return sorted(vectors) if isinstance(vectors, dict) else None

    def sparse_vectors(self) -> dict[str, models.SparseVectorParams]:
        """The sparse vector configs of the collection (hybrid search), by name."""
        return dict(self.client.get_collection(self.physical()).config.params.sparse_vectors or {})

    def _dense_params(self) -> models.VectorParams | None:
        """The parameters of the collection's (first) dense vector."""
        vectors = self.client.get_collection(self.physical()).config.params.vectors
        params = next(iter(vectors.values())) if isinstance(vectors, dict) and vectors else vectors
        return params if isinstance(params, models.VectorParams) else None

    def dimension(self) -> int | None:
        params = self._dense_params()
        return params.size if params else None

    def distance(self) -> models.Distance:
        params = self._dense_params()
        return params.distance if params else models.Distance.COSINE

    def physical(self) -> str:
        name = physical_collection(self.client, self.collection)
        if name is None:
            raise StoreError(f"collection {self.collection!r} does not exist")
        return name

    def create(
        self,
        dimension: int,
        names: list[str] | None,
        distance: models.Distance,
        sparse: dict[str, models.SparseVectorParams] | None = None,
    ) -> None:
        """A new collection with dense vectors of ``dimension`` under ``names`` (None: unnamed), and the
        sparse vector configs given (a hybrid app checks they exist)."""
        params = models.VectorParams(size=dimension, distance=distance)
        config: models.VectorParams | dict[str, models.VectorParams] = (
            params if names is None else {name: params for name in names}
        )
        self.client.create_collection(
            self.collection, vectors_config=config, sparse_vectors_config=sparse or None
        )

    def ensure_collection(self, dimension: int, doc_id_field: str = DOC_ID_FIELD) -> None:
        physical = physical_collection(self.client, self.collection)
        if physical is not None:
            info = self.client.get_collection(physical)
            vectors = info.config.params.vectors
            size = vectors.size if isinstance(vectors, models.VectorParams) else None
            if size is not None and size != dimension:
                raise StoreError(
                    f"collection {self.collection!r} holds {size}-dimensional vectors; the embedding "
                    f"model makes {dimension}: use another collection or the same model"
                )
            return
        self.client.create_collection(
            self.collection,
            vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
        )
        # local mode has no payload indexes (it scans); a server uses this one
        if not self.location.is_local:
            self.client.create_payload_index(self.collection, doc_id_field, models.PayloadSchemaType.KEYWORD)

    def exists(self) -> bool:
        return physical_collection(self.client, self.collection) is not None

    def upsert(self, points: Sequence[Point]) -> None:
        for start in range(0, len(points), UPSERT_BATCH):
            batch = points[start : start + UPSERT_BATCH]
            self.client.upsert(
                self.collection,
                points=[
                    models.PointStruct(id=p.id, vector=cast(models.VectorStruct, p.vector), payload=p.payload)
                    for p in batch
                ],
                wait=True,
            )

    def delete(self, ids: Iterable[models.ExtendedPointId]) -> None:
        id_list = list(ids)
        if id_list:
            self.client.delete(
                self.collection, points_selector=models.PointIdsList(points=id_list), wait=True
            )

    @staticmethod
    def _any_of(fields: Sequence[str], value: str) -> models.Filter:
        return models.Filter(
            should=[models.FieldCondition(key=name, match=models.MatchValue(value=value)) for name in fields]
        )

    def count_matching(self, fields: Sequence[str], value: str) -> int:
        """Points whose payload holds ``value`` at any of ``fields`` (dotted paths)."""
        return int(
            self.client.count(self.collection, count_filter=self._any_of(fields, value), exact=True).count
        )

    def delete_matching(self, fields: Sequence[str], value: str) -> int:
        """Delete the points ``count_matching`` counts; returns how many there were."""
        found = self.count_matching(fields, value)
        if found:
            selector = models.FilterSelector(filter=self._any_of(fields, value))
            self.client.delete(self.collection, points_selector=selector, wait=True)
        return found

    def count_ids(self, ids: Sequence[str]) -> int:
        """How many of ``ids`` the collection counts (a second check beside ``existing``'s retrieve)."""
        by_id = models.Filter(must=[models.HasIdCondition(has_id=list(ids))])
        return int(self.client.count(self.collection, count_filter=by_id, exact=True).count)

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are in the collection."""
        found: set[str] = set()
        for start in range(0, len(ids), UPSERT_BATCH):
            records = self.client.retrieve(
                self.collection,
                ids=list(ids[start : start + UPSERT_BATCH]),
                with_payload=False,
                with_vectors=False,
            )
            found.update(str(r.id) for r in records)
        return found

    def records(self, ids: Sequence[models.ExtendedPointId]) -> list[models.Record]:
        """The points of ``ids`` with their payloads (no vectors)."""
        found: list[models.Record] = []
        for start in range(0, len(ids), UPSERT_BATCH):
            found += self.client.retrieve(
                self.collection,
                ids=list(ids[start : start + UPSERT_BATCH]),
                with_payload=True,
                with_vectors=False,
            )
        return found

    def first_payload(self) -> dict[str, Any] | None:
        records, _ = self.client.scroll(self.collection, limit=1, with_payload=True, with_vectors=False)
        return dict(records[0].payload or {}) if records else None

    def swap_in(self, new: str) -> str | None:
        """Point this name at collection ``new`` (see ``swap_in``); returns the collection it replaced."""
        return swap_in(self.client, self.collection, new)

    def siblings(self) -> list[str]:
        """The fresh copies rebuilds and full re-indexes made of this name (``<name>__<time>_<hex>``)."""
        pattern = re.compile(re.escape(self.collection) + FRESH_SUFFIX)
        return sorted(c.name for c in self.client.get_collections().collections if pattern.fullmatch(c.name))

    def set_alias(self, alias: str) -> None:
        point_alias(self.client, alias, self.physical())

    def drop(self) -> None:
        self.client.delete_collection(self.physical())

    def count(self) -> int:
        if not self.exists():
            return 0
        return int(self.client.count(self.collection, exact=True).count)

    def scroll(
        self,
        scroll_filter: models.Filter | None = None,
        *,
        with_payload: bool = True,
        with_vectors: bool = False,
    ) -> Iterator[models.Record]:
        offset: models.ExtendedPointId | None = None
        while True:
            records, offset = self.client.scroll(
                self.collection,
                scroll_filter=scroll_filter,
                limit=UPSERT_BATCH,
                offset=offset,
                with_payload=with_payload,
                with_vectors=with_vectors,
            )
            yield from records
            if offset is None:
                return

    def search(self, vector: list[float], limit: int) -> list[SearchHit]:
        response = self.client.query_points(self.collection, query=vector, limit=limit, with_payload=True)
        return [SearchHit(float(p.score), dict(p.payload or {})) for p in response.points]
