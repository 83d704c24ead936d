"""`ragmask ingest --payload-format`: the same masked chunks laid out as LlamaIndex's and Haystack's Qdrant
integrations lay them out, read back through those frameworks (a LlamaIndex retriever in this process, a
Haystack document store in a subprocess: local Qdrant folders belong to one process), then searched and
erased with ragmask. The corpus is examples/corpus (synthetic, with its gold values)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from flows.operations.audit import run_audit
from flows.operations.erase import register_request, run_erase
from flows.operations.ingest import IngestResult, run_ingest
from flows.operations.search import run_search
from flows.settings import IngestSettings, StoreSettings
from indexers.lineage import LineageStore
from indexers.payload_formats import FORMATS, PayloadFormatError
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import MaskingKeys
from tests.scripts import run_python
from tests.test_ingest_e2e import CORPUS, GOLD, GOLD_VALUES, leaked_values

KEYS = MaskingKeys(b"ragmask-payload-format-test-secret")


def settings_for(data_dir: Path, payload_format: Any) -> IngestSettings:
    # small chunks: documents of several chunks, linked as neighbours
    return IngestSettings(
        stores=StoreSettings(data_dir=data_dir).resolved(),
        batch_documents=8,
        chunk_tokens=96,
        chunk_overlap=16,
        payload_format=payload_format,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("formats")
    shutil.copytree(CORPUS, root / "corpus")
    fake = Faker("en_US")
    # a document of several chunks
    fake.seed_instance(4242)
    (root / "corpus" / "minutes.txt").write_text(
        "\n\n".join(fake.paragraph(nb_sentences=6) for _ in range(6))
    )
    return root


@pytest.fixture(scope="module")
def llamaindex_run(corpus: Path) -> Iterator[tuple[IngestSettings, IngestResult]]:
    settings = settings_for(corpus / "llamaindex", "llamaindex")
    yield settings, run_ingest([corpus / "corpus"], settings, keys=KEYS)
    close_local_clients()


def points_of(settings: IngestSettings) -> list[dict[str, Any]]:
    return [dict(r.payload or {}) for r in VectorStore(settings.stores.qdrant, "ragmask").scroll()]


def test_llamaindex_retriever_reads_an_ingested_collection(
    llamaindex_run: tuple[IngestSettings, IngestResult],
) -> None:
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import MetadataMode, NodeRelationship, TextNode
    from llama_index.vector_stores.qdrant import QdrantVectorStore

    from tests.frameworks import MiniLMLlamaEmbedding

    settings, result = llamaindex_run
    assert result.counts.documents_failed == 0 and result.points_total == result.counts.chunks_indexed
    # LlamaIndex takes a client
    client = VectorStore(settings.stores.qdrant, "ragmask").client
    index = VectorStoreIndex.from_vector_store(
        QdrantVectorStore(client=client, collection_name="ragmask"), embed_model=MiniLMLlamaEmbedding()
    )
    found = index.as_retriever(similarity_top_k=3).retrieve("card charged twice, refund to IBAN")
    assert len(found) == 3 and all(isinstance(n.node, TextNode) for n in found)
    assert "<CREDIT_CARD_" in found[0].node.get_content()
    for hit in found:
        node = hit.node
        # the document is the node's source relationship
        assert node.ref_doc_id == node.metadata["doc_id"]
        assert node.metadata["masked"] is True
        # bookkeeping stays out of the LLM's view
        shown = node.get_content(metadata_mode=MetadataMode.LLM)
        assert "provenance" not in shown and "pipeline_version" not in shown
        assert not [v for v in GOLD_VALUES if v in shown or v in json.dumps(node.metadata)]
    # the neighbours are linked: a document's chunks form a previous/next chain
    nodes = [json.loads(p["_node_content"]) for p in points_of(settings)]
    by_id = {n["id_"]: n for n in nodes}
    chained = [n for n in nodes if str(NodeRelationship.NEXT.value) in n["relationships"]]
    assert chained, "the corpus has a document of several chunks"
    for node in chained:
        following = by_id[node["relationships"][NodeRelationship.NEXT.value]["node_id"]]
        assert following["relationships"][NodeRelationship.PREVIOUS.value]["node_id"] == node["id_"]
        assert following["metadata"]["chunk_index"] == node["metadata"]["chunk_index"] + 1


def test_search_and_erasure_work_on_a_llamaindex_collection(
    llamaindex_run: tuple[IngestSettings, IngestResult],
) -> None:
    settings, _ = llamaindex_run
    hits = run_search("refund to IBAN", settings.stores, settings.embedding_model, 2)
    assert hits[0]["doc_id"].startswith("doc_") and "<" in hits[0]["page_content"]
    doc_id = hits[0]["doc_id"]
    store = VectorStore(settings.stores.qdrant, "ragmask")
    doc_id_path = FORMATS["llamaindex"].doc_id_path
    assert store.count_matching([doc_id_path], doc_id) >= 1
    receipt = run_erase(settings, register_request(settings.stores, KEYS, documents=[doc_id], mode="delete"))
    assert receipt["verified"] and receipt["matched"]["documents"] == 1
    assert store.count_matching([doc_id_path], doc_id) == 0

    email = next(v for values in GOLD.values() for v in values if "@" in v)
    receipt = run_erase(settings, register_request(settings.stores, KEYS, identifiers=[("email", email)]))
    assert receipt["verified"] and receipt["matched"]["points"] >= 1
    close_local_clients()
    assert leaked_values(settings.stores.data_path) == []


def test_an_ingested_llamaindex_collection_audits_clean(
    llamaindex_run: tuple[IngestSettings, IngestResult],
) -> None:
    settings, _ = llamaindex_run
    # auto: the format is detected
    report = run_audit(settings.stores).to_dict()
    assert report["format"] == "llamaindex" and report["suspected"] == 0, report
    assert report["points_scanned"] == VectorStore(settings.stores.qdrant, "ragmask").count() > 0


def test_one_collection_holds_one_payload_format(llamaindex_run: tuple[IngestSettings, IngestResult]) -> None:
    settings, _ = llamaindex_run
    before = VectorStore(settings.stores.qdrant, "ragmask").count()
    other = settings_for(settings.stores.data_path, "haystack")
    with pytest.raises(PayloadFormatError, match="holds llamaindex payloads; write it with --payload-format"):
        run_ingest([CORPUS / "notes"], other, keys=KEYS)
    assert VectorStore(settings.stores.qdrant, "ragmask").count() == before


HAYSTACK_READ = """
import json, sys
from haystack_integrations.components.retrievers.qdrant import QdrantEmbeddingRetriever
from haystack_integrations.document_stores.qdrant import QdrantDocumentStore
store = QdrantDocumentStore(path=sys.argv[1], index="ragmask", embedding_dim=384)
every = store.filter_documents()
one = store.filter_documents(filters={"field": "meta.source_id", "operator": "==", "value": every[0].meta["source_id"]})
found = QdrantEmbeddingRetriever(document_store=store, top_k=2).run(query_embedding=json.loads(sys.argv[2]))
print(json.dumps({"every": [{"id": d.id, "content": d.content, "meta": d.meta} for d in every],
                  "one": sorted(d.meta["split_id"] for d in one),
                  "found": [d.content for d in found["documents"]]}))
"""


def test_haystack_document_store_reads_an_ingested_collection(corpus: Path) -> None:
    from indexers.embedding import Embedder

    settings = settings_for(corpus / "haystack", "haystack")
    result = run_ingest([corpus / "corpus"], settings, keys=KEYS)
    assert result.counts.documents_failed == 0
    chunks_by_doc = LineageStore(settings.stores.lineage).table_counts()
    assert chunks_by_doc["chunks"] == result.points_total
    query = Embedder().embed(["card charged twice, refund to IBAN"])[0]
    # the folder belongs to one process at a time
    close_local_clients()
    read = run_python(["-c", HAYSTACK_READ, str(settings.stores.qdrant.path), json.dumps(query)], timeout=300)
    assert read.returncode == 0, read.stderr[-2000:]
    documents = json.loads(read.stdout.strip().splitlines()[-1])
    assert len(documents["every"]) == result.points_total
    assert all(
        d["meta"]["masked"] is True and d["meta"]["split_id"] == d["meta"]["chunk_index"]
        for d in documents["every"]
    )
    # a document's splits, in order
    assert documents["one"] == list(range(len(documents["one"])))
    assert "<CREDIT_CARD_" in documents["found"][0]
    assert not [v for v in GOLD_VALUES if v in read.stdout]
    assert leaked_values(settings.stores.data_path) == []
