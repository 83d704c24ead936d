"""Adapters the tests hand to the RAG frameworks: ragmask's embedder in each framework's own interface."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings
from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

from indexers.embedding import Embedder


class MiniLMEmbeddings(Embeddings):
    """LangChain's Embeddings over the packaged all-MiniLM-L6-v2, as a RAG app would query with."""

    def __init__(self) -> None:
        self.embedder = Embedder()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text])[0]


class MiniLMLlamaEmbedding(BaseEmbedding):
    """LlamaIndex's embedding interface over the same model (a LlamaIndex app's query side)."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self) -> None:
        super().__init__(model_name="all-MiniLM-L6-v2")
        self._embedder = Embedder()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0]
