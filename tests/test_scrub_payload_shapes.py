"""Scrub of collections in the shapes apps build beyond the plain one: hybrid collections (dense plus
sparse vectors, whose sparse configs are kept and whose raw-word bags are not copied) and LlamaIndex chunks
with character offsets, masked as one document. Synthetic data (Faker, fixed seed)."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import models

from flows.operations.scrub import run_scrub
from flows.settings import IngestSettings, StoreSettings
from indexers.qdrant_store import VectorStore, close_local_clients
from tests.scrub_sources import (
    FAKE_DIM,
    PEOPLE,
    assert_scrubbed,
    chunks,
    client_of,
    scrub_settings,
    target_dump,
)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[IngestSettings]:
    yield IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    close_local_clients()


def word_bag(text: str) -> tuple[list[int], list[float]]:
    """A sparse vector as hybrid apps make them: a bag of the raw words (here hashed with zlib)."""
    counts = Counter(zlib.crc32(word.lower().encode()) % 100_000 for word in text.split())
    return sorted(counts), [float(counts[i]) for i in sorted(counts)]


def test_hybrid_collections_keep_their_sparse_configs_but_no_sparse_vector(settings: IngestSettings) -> None:
    from langchain_core.documents import Document
    from langchain_core.embeddings import FakeEmbeddings
    from langchain_qdrant import QdrantVectorStore, RetrievalMode, SparseEmbeddings, SparseVector
    from llama_index.core import Document as LlamaDocument
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.qdrant import QdrantVectorStore as LlamaQdrant

    from tests.frameworks import MiniLMEmbeddings

    class WordBag(SparseEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[SparseVector]:
            return [self.embed_query(text) for text in texts]

        def embed_query(self, text: str) -> SparseVector:
            indices, values = word_bag(text)
            return SparseVector(indices=indices, values=values)

    def bags(texts: list[str]) -> tuple[list[list[int]], list[list[float]]]:
        pairs = [word_bag(text) for text in texts]
        return [i for i, _ in pairs], [v for _, v in pairs]

    client = client_of(settings)
    # langchain-qdrant's hybrid layout: dense "" + sparse "langchain-sparse"
    client.create_collection(
        "lch_src",
        vectors_config={"": models.VectorParams(size=FAKE_DIM, distance=models.Distance.COSINE)},
        sparse_vectors_config={"langchain-sparse": models.SparseVectorParams()},
    )
    QdrantVectorStore(
        client=client,
        collection_name="lch_src",
        embedding=FakeEmbeddings(size=FAKE_DIM),
        sparse_embedding=WordBag(),
        retrieval_mode=RetrievalMode.HYBRID,
    ).add_documents(
        [Document(page_content=text, metadata={"source": p["file"]}) for p in PEOPLE for text in chunks(p)]
    )
    # LlamaIndex's: dense "text-dense" + sparse "text-sparse-new"
    VectorStoreIndex.from_documents(
        [LlamaDocument(text="\n\n".join(chunks(p)), metadata={"file_path": p["file"]}) for p in PEOPLE],
        storage_context=StorageContext.from_defaults(
            vector_store=LlamaQdrant(
                client=client,
                collection_name="lih_src",
                enable_hybrid=True,
                sparse_doc_fn=bags,
                sparse_query_fn=bags,
            )
        ),
        embed_model=MockEmbedding(embed_dim=FAKE_DIM),
        transformations=[SentenceSplitter(chunk_size=48, chunk_overlap=0)],
    )

    for source, target in (("lch_src", "lch_dst"), ("lih_src", "lih_dst")):
        sparse_names = sorted(VectorStore(settings.stores.qdrant, source).sparse_vectors())
        assert sparse_names, f"{source} is a hybrid collection"
        result = run_scrub(scrub_settings(settings, source, target))
        text, records = target_dump(settings, target)
        assert_scrubbed(result, text, VectorStore(settings.stores.qdrant, source).count())
        assert result["sparse_vectors_dropped"] == sparse_names
        scrubbed = VectorStore(settings.stores.qdrant, target)
        # the configs a hybrid app checks
        assert sorted(scrubbed.sparse_vectors()) == sparse_names
        assert scrubbed.vector_names() == VectorStore(settings.stores.qdrant, source).vector_names()
        # only the re-embedded dense vector: no bag of raw words came across
        for record in records:
            # "" comes bare
            vectors = record.vector if isinstance(record.vector, dict) else {"": record.vector}
            assert set(vectors) == set(scrubbed.vector_names() or [""])
            assert all(isinstance(v, list) and len(v) == 384 for v in vectors.values())

    reader = QdrantVectorStore(
        client=client,
        collection_name="lch_dst",
        embedding=MiniLMEmbeddings(),
        sparse_embedding=WordBag(),
        retrieval_mode=RetrievalMode.HYBRID,
    )
    # the hybrid app reads it unchanged
    found = reader.similarity_search("refund confirmed by phone", k=2)
    assert len(found) == 2 and all("<PERSON_" in d.page_content for d in found)


def test_llamaindex_chunks_with_offsets_are_masked_as_one_document(settings: IngestSettings) -> None:
    """A name cut in two by a chunk boundary (as a token splitter cuts) is one token on both sides."""
    from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode
    from llama_index.vector_stores.qdrant import QdrantVectorStore

    person = PEOPLE[2]
    text = f"Yesterday {person['name']} wrote from {person['email']} about the invoice. {person['filler']}"
    name_at = text.index(person["name"])
    # inside the first name
    boundary = name_at + 3
    source = RelatedNodeInfo(node_id="source-document")
    nodes: list[BaseNode] = [
        TextNode(
            text=text[start:end],
            start_char_idx=start,
            end_char_idx=end,
            embedding=[0.1] * FAKE_DIM,
            metadata={"file_path": person["file"]},
            relationships={NodeRelationship.SOURCE: source},
        )
        for start, end in ((0, boundary), (boundary, len(text)))
    ]
    QdrantVectorStore(client=client_of(settings), collection_name="lis_src").add(nodes)

    result = run_scrub(scrub_settings(settings, "lis_src", "lis_dst"))
    assert (
        result["documents"] == 1 and result["documents_masked_whole"] == 1 and result["points_written"] == 2
    )
    _, records = target_dump(settings, "lis_dst")
    by_start = {}
    for record in records:
        node = json.loads((record.payload or {})["_node_content"])
        by_start[node["start_char_idx"]] = node["text"]
    first, second = by_start[0], by_start[boundary]
    token = first[first.rindex("<") :]
    # the same token on both sides
    assert token.startswith("<PERSON_") and second.startswith(token)
    assert text[name_at:boundary] not in first and person["name"][3:] not in second
