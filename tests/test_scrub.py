"""Scrub on real components, with sources written by each framework through its own Qdrant integration
(LangChain, LlamaIndex, Haystack; fake embeddings of the right dimension) and by hand (raw payloads, integer
ids), read back through the same framework after the scrub. Invariant 8: no raw value, no source vector
and no raw-content hash survives into the target. Synthetic data (Faker, fixed seed)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from qdrant_client import models

from flows.operations.erase import register_request, run_erase
from flows.operations.scrub import ScrubRequest, run_scrub
from flows.pipeline import masking_workers
from flows.pipeline.masking_workers import MaskingWorkers
from flows.settings import IngestSettings, StoreSettings
from indexers import scrub
from indexers.embedding import pick_device, resolve_embedding_backend
from indexers.embedding_precision import new_collection_precision
from indexers.index_writer import IndexWriter
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import MaskingKeys
from tests.conftest import REPO, TEST_SECRET

KEYS = MaskingKeys(TEST_SECRET.encode())
FAKE_DIM = 8


def people() -> list[dict[str, str]]:
    fake = Faker("en_US")
    fake.seed_instance(6060)
    return [
        {
            "name": fake.name(),
            "email": f"{fake.user_name()}@example.com",
            "phone": f"212-555-01{n:02d}",
            "file": f"/data/{fake.last_name().lower()}-{n}.txt",
            "filler": fake.paragraph(nb_sentences=3),
        }
        for n in range(3)
    ]


PEOPLE = people()
VALUES = [v for p in PEOPLE for k, v in p.items() if k in ("name", "email", "phone")]


def chunks(person: dict[str, str]) -> list[str]:
    return [
        f"{person['name']} wrote from {person['email']} about the invoice. {person['filler']}",
        f"Later {person['name'].split()[-1]} called from {person['phone']} to confirm the refund.",
    ]


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[IngestSettings]:
    yield IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    close_local_clients()


def client_of(settings: IngestSettings) -> Any:
    # the frameworks take a client
    return VectorStore(settings.stores.qdrant, "probe").client


def target_dump(settings: IngestSettings, name: str) -> tuple[str, list[models.Record]]:
    store = VectorStore(settings.stores.qdrant, name)
    records, _ = store.client.scroll(name, limit=1000, with_payload=True, with_vectors=True)
    return json.dumps([r.payload for r in records]), records


def assert_scrubbed(result: dict[str, Any], text: str, points: int) -> None:
    assert result["points_read"] == result["points_written"] == points, result
    assert result["audit"]["suspected"] == 0, result["audit"]
    assert not [v for v in VALUES if v in text or v.lower() in text.lower()]
    assert "<PERSON_" in text and "<EMAIL_ADDRESS_" in text


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

    result = run_scrub(settings, ScrubRequest("lc_src", "lc_dst", alias="lc"))
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
    again = run_scrub(settings, ScrubRequest("lc_src", "lc_dst"))
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

    result = run_scrub(settings, ScrubRequest("li_src", "li_dst"))
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
    done = subprocess.run(
        [sys.executable, "-c", HAYSTACK_WRITE, folder, json.dumps(written)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]

    result = run_scrub(settings, ScrubRequest("hs_src", "hs_dst"))
    text, _records = target_dump(settings, "hs_dst")
    assert result["format"] == "haystack" and result["documents"] == 3
    assert_scrubbed(result, text, 6)
    # the folder belongs to one process at a time
    close_local_clients()
    read = subprocess.run(
        [sys.executable, "-c", HAYSTACK_READ, folder],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert read.returncode == 0, read.stderr[-2000:]
    documents = json.loads(read.stdout.strip().splitlines()[-1])
    assert len(documents) == 6 and all("<PERSON_" in d["content"] or "<" in d["content"] for d in documents)
    assert not [v for v in VALUES if v in read.stdout]
    assert {d["meta"]["split_id"] for d in documents} == {0, 1}


def test_raw_collection_with_integer_ids_and_a_dry_run(settings: IngestSettings) -> None:
    client = client_of(settings)
    client.create_collection(
        "raw_src", vectors_config=models.VectorParams(size=FAKE_DIM, distance=models.Distance.DOT)
    )
    client.upsert(
        "raw_src",
        points=[
            models.PointStruct(
                id=number, vector=[0.5] * FAKE_DIM, payload={"chunk_text": text, "ticket": p["file"], "n": 1}
            )
            for number, (p, text) in enumerate(((p, t) for p in PEOPLE for t in chunks(p)), start=1)
        ],
    )

    preview = run_scrub(settings, ScrubRequest("raw_src", "raw_dst", "raw", doc_key="ticket", dry_run=True))
    assert preview["points_read"] == 6 and preview["points_written"] == 0 and len(preview["samples"]) == 3
    assert not VectorStore(settings.stores.qdrant, "raw_dst").exists()
    assert not [v for v in VALUES if v in json.dumps(preview)]

    result = run_scrub(
        settings, ScrubRequest("raw_src", "raw_dst", "raw", doc_key="ticket", delete_source=True)
    )
    text, _ = target_dump(settings, "raw_dst")
    assert result["format"] == "raw" and result["documents"] == 3 and result["source_deleted"]
    assert_scrubbed(result, text, 6)
    assert not VectorStore(settings.stores.qdrant, "raw_src").exists()


KILLED_SCRUB = """
import os, signal, sys
from pathlib import Path
from flows.operations.scrub import ScrubRequest, run_scrub
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
run_scrub(settings, ScrubRequest("raw_src", "raw_dst", "raw", doc_key="ticket"))
"""


def raw_source(settings: IngestSettings) -> None:
    client = client_of(settings)
    client.create_collection(
        "raw_src", vectors_config=models.VectorParams(size=FAKE_DIM, distance=models.Distance.DOT)
    )
    client.upsert(
        "raw_src",
        points=[
            models.PointStruct(
                id=number, vector=[0.5] * FAKE_DIM, payload={"chunk_text": text, "ticket": p["file"]}
            )
            for number, (p, text) in enumerate(((p, t) for p in PEOPLE for t in chunks(p)), start=1)
        ],
    )


def test_a_scrub_killed_half_way_finishes_with_no_duplicate_and_no_gap(settings: IngestSettings) -> None:
    raw_source(settings)
    # the folder belongs to one process at a time
    close_local_clients()
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_SCRUB, str(settings.stores.data_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    # one document of three
    assert VectorStore(settings.stores.qdrant, "raw_dst").count() == 2

    result = run_scrub(settings, ScrubRequest("raw_src", "raw_dst", "raw", doc_key="ticket"))
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
        result = run_scrub(settings, ScrubRequest(source, target))
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

    result = run_scrub(settings, ScrubRequest("lis_src", "lis_dst"))
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


def test_masking_split_over_two_processes_scrubs_what_one_process_scrubs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # three small documents, split anyway
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    # once the worker is ready
    monkeypatch.setattr(masking_workers, "START_WAIT_S", 120.0)
    # two batches: the last would start no worker
    monkeypatch.setattr(scrub, "DOCUMENTS_PER_BATCH", 2)
    dumps = {}
    for workers in (1, 2):
        settings = IngestSettings(
            stores=StoreSettings(data_dir=tmp_path / f"data-{workers}").resolved(), workers=workers
        )
        raw_source(settings)
        result = run_scrub(settings, ScrubRequest("raw_src", "raw_dst", "raw", doc_key="ticket"))
        assert result["points_written"] == 6 and result["audit"]["suspected"] == 0
        _, records = target_dump(settings, "raw_dst")
        dumps[workers] = sorted((str(r.id), json.dumps(r.payload, sort_keys=True)) for r in records)
        close_local_clients()
    assert dumps[2] == dumps[1]
    assert not [v for v in VALUES if any(v in payload for _, payload in dumps[2])]


def test_a_scrub_of_one_batch_starts_no_masking_worker_and_one_of_several_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, masking_pool_starts: list[int]
) -> None:
    # small documents, worth splitting
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    started = {}
    # the three documents in one batch; in two
    for per_batch in (16, 2):
        monkeypatch.setattr(scrub, "DOCUMENTS_PER_BATCH", per_batch)
        masking_pool_starts.clear()
        settings = IngestSettings(
            stores=StoreSettings(data_dir=tmp_path / f"data-{per_batch}").resolved(), workers=2
        )
        raw_source(settings)
        result = run_scrub(settings, ScrubRequest("raw_src", "raw_dst", "raw", doc_key="ticket"))
        assert result["points_written"] == 6 and result["audit"]["suspected"] == 0
        started[per_batch] = len(masking_pool_starts)
        close_local_clients()
    # one batch masked here; the first of two started the worker
    assert started == {16: 0, 2: 1}


def test_a_batch_closes_at_its_character_limit(
    settings: IngestSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are measured in characters (short chunks make small documents), at most 64 documents."""
    batches: list[int] = []
    masked = MaskingWorkers.masked

    def counted(self: MaskingWorkers, documents: Any, more_to_come: bool = True) -> Any:
        if documents and documents[0].doc_id != "audit":
            batches.append(len(documents))
        return masked(self, documents, more_to_come)

    monkeypatch.setattr(MaskingWorkers, "masked", counted)
    raw_source(settings)
    run_scrub(settings, ScrubRequest("raw_src", "raw_dst", "raw", doc_key="ticket"))
    assert batches == [3]
    # every document fills a batch
    monkeypatch.setattr(scrub, "BATCH_CHARS", 1)
    batches.clear()
    run_scrub(settings, ScrubRequest("raw_src", "raw_dst2", "raw", doc_key="ticket"))
    assert batches == [1, 1, 1]


def test_a_batch_is_masked_while_the_one_before_is_written(
    settings: IngestSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writes go to the writer thread (indexers/write_behind.py); the scrub goes on with the next batch."""
    # a batch per document
    monkeypatch.setattr(scrub, "DOCUMENTS_PER_BATCH", 1)
    events: list[tuple[str, str, float]] = []
    process, write_versions = scrub.Scrubber._process, IndexWriter.write_versions

    def processing(self: scrub.Scrubber, *args: Any, **kwargs: Any) -> None:
        events.append(("process", threading.current_thread().name, time.perf_counter()))
        process(self, *args, **kwargs)

    def writing(self: IndexWriter, *args: Any, **kwargs: Any) -> Any:
        # a slow disk: the next batch must not wait for it
        time.sleep(0.3)
        outcomes = write_versions(self, *args, **kwargs)
        events.append(("written", threading.current_thread().name, time.perf_counter()))
        return outcomes

    monkeypatch.setattr(scrub.Scrubber, "_process", processing)
    monkeypatch.setattr(IndexWriter, "write_versions", writing)
    raw_source(settings)
    result = run_scrub(settings, ScrubRequest("raw_src", "raw_dst", "raw", doc_key="ticket"))
    assert result["points_written"] == 6 and result["documents"] == 3
    processed = [at for kind, thread, at in events if kind == "process" and thread == "MainThread"]
    written = [(thread, at) for kind, thread, at in events if kind == "written"]
    assert len(processed) == len(written) == 3 and {t for t, _ in written} == {"ragmask-writer_0"}
    assert all(processed[n + 1] < written[n][1] for n in range(2))
