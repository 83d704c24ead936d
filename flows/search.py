"""Search the masked collection the way a RAG app would: embed the query, nearest chunks back."""

from __future__ import annotations

from typing import Any

from flows.settings import StoreSettings
from indexers.embedding import Embedder
from indexers.qdrant_store import StoreError, VectorStore


def search(query: str, stores: StoreSettings, embedding_model: str, limit: int) -> list[dict[str, Any]]:
    store = VectorStore(stores.qdrant, stores.collection)
    if not store.exists():
        raise StoreError(f"collection {stores.collection!r} does not exist; run ragmask ingest first")
    vector = Embedder(embedding_model).embed([query])[0]
    return [
        {
            "score": round(hit.score, 4),
            "doc_id": hit.payload.get("metadata", {}).get("doc_id"),
            "chunk_index": hit.payload.get("metadata", {}).get("chunk_index"),
            "page_content": hit.payload.get("page_content", ""),
        }
        for hit in store.search(vector, limit)
    ]
