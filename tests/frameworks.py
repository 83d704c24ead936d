"""Adapters the tests hand to the RAG frameworks: ragmask's embedder in each framework's own interface."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from indexers.embedding import Embedder


class MiniLMEmbeddings(Embeddings):
    """LangChain's Embeddings over the packaged all-MiniLM-L6-v2, as a RAG app would query with."""

    def __init__(self) -> None:
        self.embedder = Embedder()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text])[0]
