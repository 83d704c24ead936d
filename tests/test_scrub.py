"""Scrub on real components, with sources written by each framework through its own Qdrant integration
(LangChain, LlamaIndex, Haystack; fake embeddings of the right dimension) and by hand (raw payloads, integer
ids), read back through the same framework after the scrub. Invariant 8: no raw value, no source vector
and no raw-content hash survives into the target. Synthetic data (Faker, fixed seed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import models

from flows.operations.erase import register_request, run_erase
from flows.operations.scrub import run_scrub
from flows.settings import IngestSettings, StoreSettings
from indexers.embedding import pick_device, resolve_embedding_backend
from indexers.embedding_precision import new_collection_precision
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import MaskingKeys
from tests.conftest import TEST_SECRET
from tests.scripts import run_python
from tests.scrub_sources import (
    FAKE_DIM,
    PEOPLE,
    VALUES,
    assert_scrubbed,
    chunks,
    client_of,
    raw_source,
    scrub_settings,
    target_dump,
)

KEYS = MaskingKeys(TEST_SECRET.encode())


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[IngestSettings]:
    yield IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    close_local_clients()


def test_langchain_collection(settings: IngestSettings) -> None:
    from langchain_core.documents import Document
    from langchain_core.embeddings import FakeEmbeddings
    from langchain_qdrant import QdrantVectorStore

    # langchain-qdrant creates its collections with one vector named ""
    client = client_of(settings)
    client.create_collection(
        "lc_src", vectors_config={"": models.VectorParams(size=FAKE_DIM, distance=models.Distance.COSINE)}
    )
    writer = QdrantVectorStore(
        client=client, collection_name="lc_src", embedding=FakeEmbeddings(size=FAKE_DIM)
    )
    writer.add_documents(
        [
            Document(page_content=text, metadata={"source": p["file"], "author": p["name"], "page": n})
            for p in PEOPLE
            for n, text in enumerate(chunks(p))
        ]
    )

    result = run_scrub(scrub_settings(settings, "lc_src", "lc_dst", alias="lc"))
    text, records = target_dump(settings, "lc_dst")
    assert result["format"] == "langchain" and result["documents"] == 3 and result["alias_swapped"]
    assert_scrubbed(result, text, 6)
    # "" is the default name
    assert all(isinstance(r.vector, list) and len(r.vector) == 384 for r in records)
    # the target is a new collection: embedded as ingest embeds one, in this CPU's precision
    assert result["embedding"]["view"] == "types"
    assert result["embedding"]["precision"] == new_collection_precision()
    precision = new_collection_precision()
    assert result["embedding"]["backend"] == resolve_embedding_backend("auto", pick_device(), precision)

    # a second run is a no-op
    again = run_scrub(scrub_settings(settings, "lc_src", "lc_dst"))
    assert again["points_written"] == 0 and again["documents_unchanged"] == 3

    from tests.frameworks import MiniLMEmbeddings

    reader = QdrantVectorStore(
        client=client,
        collection_name="lc",
        embedding=MiniLMEmbeddings(),
        # through the alias
    )
    found = reader.similarity_search("refund confirmed by phone", k=3)
    assert len(found) == 3 and all("<PERSON_" in d.page_content for d in found)
    assert {"source", "author", "page"} <= set(found[0].metadata)

    subject = PEOPLE[0]
    on_target = IngestSettings(
        stores=StoreSettings(data_dir=settings.stores.data_path, collection="lc_dst").resolved()
    )
    request_id = register_request(on_target.stores, KEYS, identifiers=[("email", subject["email"])])
    receipt = run_erase(on_target, request_id)
    # lineage finds scrubbed subjects
    assert receipt["verified"] and receipt["matched"]["documents"] == 1


def test_llamaindex_collection(settings: IngestSettings) -> None:
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.qdrant import QdrantVectorStore

    client = client_of(settings)
    documents = [
        Document(text="\n\n".join(chunks(p)), metadata={"file_path": p["file"], "author": p["name"]})
        for p in PEOPLE
    ]
    VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(
            vector_store=QdrantVectorStore(client=client, collection_name="li_src")
        ),
        embed_model=MockEmbedding(embed_dim=FAKE_DIM),
        transformations=[SentenceSplitter(chunk_size=48, chunk_overlap=0)],
    )
    source_points = VectorStore(settings.stores.qdrant, "li_src").count()

    result = run_scrub(scrub_settings(settings, "li_src", "li_dst"))
    text, _records = target_dump(settings, "li_dst")
    assert result["format"] == "llamaindex" and result["documents"] == 3 == result["documents_masked_whole"]
    assert_scrubbed(result, text, source_points)
    raw_hashes = {
        relation["hash"]
        for r in VectorStore(settings.stores.qdrant, "li_src").scroll()
        for relation in json.loads((r.payload or {})["_node_content"])["relationships"].values()
    }
    assert raw_hashes and not [h for h in raw_hashes if h in text]

    index = VectorStoreIndex.from_vector_store(
        QdrantVectorStore(client=client, collection_name="li_dst"), embed_model=MockEmbedding(embed_dim=384)
    )
    nodes = index.as_retriever(similarity_top_k=4).retrieve("invoice")
    read = json.dumps([[n.node.get_content(), n.node.metadata] for n in nodes])
    assert len(nodes) == 4 and "<PERSON_" in read and not [v for v in VALUES if v in read]
    assert all(set(n.node.metadata) == {"file_path", "author"} for n in nodes)

    on_target = IngestSettings(
        stores=StoreSettings(data_dir=settings.stores.data_path, collection="li_dst").resolved()
    )
    receipt = run_erase(
        on_target, register_request(on_target.stores, KEYS, identifiers=[("name", PEOPLE[1]["name"])])
    )
    assert receipt["verified"] and receipt["matched"]["documents"] == 1 and receipt["matched"]["points"] >= 1
    # still LlamaIndex nodes
    redacted = index.as_retriever(similarity_top_k=50).retrieve("invoice")
    assert len(redacted) == source_points and any("<PERSON>" in n.node.get_content() for n in redacted)


HAYSTACK_WRITE = """
import json, sys
from haystack import Document
from haystack_integrations.document_stores.qdrant import QdrantDocumentStore
store = QdrantDocumentStore(path=sys.argv[1], index="hs_src", embedding_dim=8, recreate_index=True)
documents = [Document(content=c["content"], meta=c["meta"], embedding=[0.1] * 8) for c in json.loads(sys.argv[2])]
print(store.write_documents(documents))
"""
HAYSTACK_READ = """
import json, sys
from haystack_integrations.document_stores.qdrant import QdrantDocumentStore
store = QdrantDocumentStore(path=sys.argv[1], index="hs_dst", embedding_dim=384)
print(json.dumps([{"id": d.id, "content": d.content, "meta": d.meta} for d in store.filter_documents()]))
"""


def test_haystack_collection(settings: IngestSettings) -> None:
    folder = str(settings.stores.qdrant.path)
    written = [
        {
            "content": text,
            "meta": {
                "file_path": p["file"],
                "split_id": n,
                "source_id": f"{p['name']}-src",
                "_split_overlap": [{"doc_id": f"{p['email']}-prev", "range": [0, 4]}],
            },
        }
        for p in PEOPLE
        for n, text in enumerate(chunks(p))
    ]
    done = run_python(["-c", HAYSTACK_WRITE, folder, json.dumps(written)], timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    result = run_scrub(scrub_settings(settings, "hs_src", "hs_dst"))
    text, _records = target_dump(settings, "hs_dst")
    assert result["format"] == "haystack" and result["documents"] == 3
    assert_scrubbed(result, text, 6)
    # the folder belongs to one process at a time
    close_local_clients()
    read = run_python(["-c", HAYSTACK_READ, folder], timeout=300)
    assert read.returncode == 0, read.stderr[-2000:]
    documents = json.loads(read.stdout.strip().splitlines()[-1])
    assert len(documents) == 6 and all("<PERSON_" in d["content"] or "<" in d["content"] for d in documents)
    assert not [v for v in VALUES if v in read.stdout]
    assert {d["meta"]["split_id"] for d in documents} == {0, 1}


def test_raw_collection_with_integer_ids_and_a_dry_run(settings: IngestSettings) -> None:
    raw_source(settings, n=1)
    preview = run_scrub(scrub_settings(settings, "raw_src", "raw_dst", "raw", doc_key="ticket", dry_run=True))
    assert preview["points_read"] == 6 and preview["points_written"] == 0 and len(preview["samples"]) == 3
    assert not VectorStore(settings.stores.qdrant, "raw_dst").exists()
    assert not [v for v in VALUES if v in json.dumps(preview)]

    result = run_scrub(
        scrub_settings(settings, "raw_src", "raw_dst", "raw", doc_key="ticket", delete_source=True)
    )
    text, _ = target_dump(settings, "raw_dst")
    assert result["format"] == "raw" and result["documents"] == 3 and result["source_deleted"]
    assert_scrubbed(result, text, 6)
    assert not VectorStore(settings.stores.qdrant, "raw_src").exists()


KILLED_SCRUB = """
import os, signal, sys
from pathlib import Path
from flows.operations.scrub import run_scrub
from tests.scrub_sources import scrub_settings
from flows.settings import IngestSettings, StoreSettings
from indexers import scrub
from indexers.version_ledger import VersionLedger

scrub.DOCUMENTS_PER_BATCH = 1  # a batch, and so a write, per document
original, written = VersionLedger.write_pending_many, []

def dies_on_the_second(self, *args, **kwargs):  # killed after the first document's commit
    if written:
        os.kill(os.getpid(), signal.SIGKILL)
    written.append(original(self, *args, **kwargs))

VersionLedger.write_pending_many = dies_on_the_second
settings = IngestSettings(stores=StoreSettings(data_dir=Path(sys.argv[1]), collection="raw_dst").resolved())
run_scrub(scrub_settings(settings, "raw_src", "raw_dst", "raw", doc_key="ticket"))
"""


def test_a_scrub_killed_half_way_finishes_with_no_duplicate_and_no_gap(settings: IngestSettings) -> None:
    raw_source(settings)
    # the folder belongs to one process at a time
    close_local_clients()
    killed = run_python(["-c", KILLED_SCRUB, str(settings.stores.data_path)])
    assert killed.returncode == -9, killed.stderr[-2000:]
    # one document of three
    assert VectorStore(settings.stores.qdrant, "raw_dst").count() == 2

    result = run_scrub(scrub_settings(settings, "raw_src", "raw_dst", "raw", doc_key="ticket"))
    assert result["documents_unchanged"] == 1 and result["points_written"] == 4
    target = VectorStore(settings.stores.qdrant, "raw_dst")
    texts = sorted(str((r.payload or {})["chunk_text"]) for r in target.scroll())
    assert len(texts) == 6 and len(set(texts)) == 6


def test_bad_requests_are_one_line_errors_before_anything_is_written(settings: IngestSettings) -> None:
    from click.testing import CliRunner

    from flows.cli import cli

    raw_source(settings)
    data = ["--data-dir", str(settings.stores.data_path)]

    def scrub(*args: str) -> tuple[int, str]:
        done = CliRunner().invoke(
            cli, ["scrub", "--source-collection", "raw_src", *args, *data], env={"PREFECT_API_URL": ""}
        )
        return done.exit_code, done.stderr.strip()

    assert scrub("--target-collection", "t1", "--format", "langchain") == (
        1,
        "ragmask: error: points of 'raw_src' have no text at 'page_content' (format langchain)",
    )
    assert scrub("--target-collection", "t1", "--format", "raw", "--text-field", "body") == (
        1,
        "ragmask: error: points of 'raw_src' have no text at 'body' (format raw)",
    )
    # auto: nothing it knows
    code, error = scrub("--target-collection", "t1")
    assert code == 1 and error.startswith("ragmask: error: unknown payload format")
    client_of(settings).create_collection(
        "t2", vectors_config=models.VectorParams(size=FAKE_DIM, distance=models.Distance.COSINE)
    )
    code, error = scrub("--target-collection", "t2", "--format", "raw", "--text-field", "chunk_text")
    assert code == 1 and "holds 8-dimensional vectors; the embedding model makes 384" in error
    assert not VectorStore(settings.stores.qdrant, "t1").exists()
    assert VectorStore(settings.stores.qdrant, "t2").count() == 0
