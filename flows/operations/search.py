"""Search the masked collection the way a RAG app would: embed the query, nearest chunks back."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from flows.settings import StoreSettings
from indexers.collection_profiles import CollectionProfiles
from indexers.embedding import collection_embedder
from indexers.errors import StoreError
from indexers.lineage import LineageStore
from indexers.payload_formats import FORMATS, PayloadFormatError, detect_format, value_at
from indexers.qdrant_store import SearchHit, VectorStore


def run_search(query: str, stores: StoreSettings, embedding_model: str, limit: int) -> list[dict[str, Any]]:
    stores = stores.resolved()
    store = VectorStore(stores.qdrant, stores.collection)
    if not store.exists():
        raise StoreError(f"collection {stores.collection!r} does not exist; run ragmask ingest first")
    # the collection's precision, if ragmask wrote it
    lineage = LineageStore.existing(stores.lineage)
    profile = None
    if lineage is not None:
        with closing(lineage):
            profile = CollectionProfiles(lineage).profile(stores.collection)
    vector = collection_embedder(profile, embedding_model).embed([query])[0]
    return [_result(hit) for hit in store.search(vector, limit)]


def _result(hit: SearchHit) -> dict[str, Any]:
    """A hit in any payload format: the chunk text where the format keeps it, ragmask's ids if it wrote it."""
    try:
        fmt = FORMATS[detect_format(hit.payload)]
    except PayloadFormatError:
        return {"score": round(hit.score, 4), "doc_id": None, "chunk_index": None, "page_content": ""}
    metadata = fmt.metadata(hit.payload)
    return {
        "score": round(hit.score, 4),
        "doc_id": metadata.get("doc_id"),
        "chunk_index": metadata.get("chunk_index"),
        "page_content": str(value_at(hit.payload, fmt.text_path) or ""),
    }
