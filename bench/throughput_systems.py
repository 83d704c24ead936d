"""The two sides bench/throughput.py compares, each a whole pipeline into Qdrant: ragmask's ingest, and a
naive script (Presidio over each document, then chunk and embed)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.throughput_corpus import (
    COLLECTION,
    NAIVE_BATCH,
    NAIVE_CHUNK_CHARS,
    NAIVE_OVERLAP,
    DescendantPeakRss,
    corpus_files,
    peak_rss_mb,
)


def run_ragmask(corpus: Path, work: Path, options: dict[str, Any]) -> dict[str, Any]:
    from flows.operations.ingest import run_ingest
    from flows.settings import IngestSettings, StoreSettings
    from masking import MaskingKeys

    secret = "bench-throughput-key-not-secret"
    # what Dask workers load: their key must be the run's
    os.environ["RAGMASK_SECRET_KEY"] = secret
    keys = MaskingKeys(secret.encode())
    started = time.perf_counter()
    warm_up = work / "warm-up"
    warm_up.mkdir(parents=True)
    (warm_up / "warm-up.txt").write_text("Jane Doe wrote to jane@example.com.", encoding="utf-8")
    # the warm-up loads the model the run uses
    precision = options.get("embedding_precision", "auto")
    backend = options.get("embedding_backend", "auto")
    run_ingest(
        [warm_up],
        IngestSettings(
            stores=StoreSettings(data_dir=work / "warm-up-data").resolved(),
            embedding_precision=precision,
            embedding_backend=backend,
        ),
        keys=keys,
    )
    load_s = time.perf_counter() - started

    settings = IngestSettings(
        stores=StoreSettings(data_dir=work / "data", collection=COLLECTION).resolved(),
        workers=options["workers"],
        embedding_view=options["embedding_view"],
        embedding_precision=precision,
        embedding_backend=backend,
        task_runner=options.get("task_runner", "threads"),
    )
    with DescendantPeakRss() as workers_rss:
        started = time.perf_counter()
        result = run_ingest([corpus], settings, keys=keys)
        seconds = time.perf_counter() - started
    numbers = {
        "seconds": seconds,
        # the run's, before reopening the collection adds its own
        "peak_rss_mb": peak_rss_mb(),
        "worker_peak_rss_mb": workers_rss.peak_mb,
        "load_s": load_s,
        "documents": result.counts.documents_indexed,
        "chunks": result.counts.chunks_indexed,
        "stage_seconds": result.to_dict()["seconds"],
        **embedding_of(settings),
        "qdrant_path": str(work / "data" / "qdrant"),
    }
    if options.get("reopen"):
        numbers |= reopen_and_search(settings)
    return numbers


def embedding_of(settings: Any) -> dict[str, str]:
    """The view, precision and backend the run's fresh collection was written with."""
    from indexers.embedding import (
        pick_device,
        resolve_embedding_backend,
        resolve_embedding_precision,
        resolve_embedding_view,
    )

    precision = resolve_embedding_precision(settings.embedding_precision, None)
    backend = resolve_embedding_backend(settings.embedding_backend, pick_device(settings.device), precision)
    return {
        "embedding_view": resolve_embedding_view(settings.embedding_view, None),
        "embedding_precision": f"{precision} ({backend})",
    }


def reopen_and_search(settings: Any) -> dict[str, float]:
    """Seconds to open the collection again (local mode loads every point) and for 20 searches."""
    from indexers.embedding import Embedder
    from indexers.qdrant_store import VectorStore, close_local_clients

    close_local_clients()
    started = time.perf_counter()
    store = VectorStore(settings.stores.qdrant, COLLECTION)
    points = store.count()
    reopen_s = time.perf_counter() - started
    embedder = Embedder()
    queries = [f"who wrote about the invoice for batch {n}" for n in range(20)]
    started = time.perf_counter()
    for query in queries:
        store.search(embedder.embed([query])[0], 5)
    return {
        "reopen_s": round(reopen_s, 2),
        "points": points,
        "search_ms": round((time.perf_counter() - started) * 1000 / len(queries), 1),
    }


def run_naive(corpus: Path, work: Path, options: dict[str, Any]) -> dict[str, Any]:
    import torch
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine
    from qdrant_client import QdrantClient, models
    from sentence_transformers import SentenceTransformer

    from bench.baseline import presidio_default_analyzer
    from indexers.embedding import DEFAULT_EMBEDDING_MODEL
    from indexers.embedding_models import resolve_model_path
    from masking.detector_config import DEFAULT_SPACY_MODEL
    from masking.nlp import load_nlp_engine

    started = time.perf_counter()
    # the whole model, as Presidio's engine loads it
    if options.get("naive_parser"):
        nlp_engine = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": DEFAULT_SPACY_MODEL}],
            }
        ).create_engine()
    else:
        # the same components as ragmask's: parser and senter excluded
        nlp_engine = load_nlp_engine(DEFAULT_SPACY_MODEL, numpy_blas=bool(options.get("naive_numpy_blas")))
    analyzer = presidio_default_analyzer(nlp_engine)
    anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]
    model = SentenceTransformer(resolve_model_path(DEFAULT_EMBEDDING_MODEL))
    analyzer.analyze("Warm-up text for Jane Doe.", language="en")
    model.encode(["warm-up"])
    qdrant_path = work / "naive-qdrant"
    client = QdrantClient(path=str(qdrant_path))
    load_s = time.perf_counter() - started

    started = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=NAIVE_CHUNK_CHARS, chunk_overlap=NAIVE_OVERLAP)
    dimension = model.get_sentence_embedding_dimension()
    client.create_collection(
        COLLECTION,
        vectors_config=models.VectorParams(size=int(dimension or 0), distance=models.Distance.COSINE),
    )
    pending: list[tuple[str, str]] = []
    next_id = 0
    documents = chunks = 0

    def flush(batch: list[tuple[str, str]]) -> None:
        nonlocal next_id
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(options.get("naive_bf16"))):
            vectors = model.encode([text for _, text in batch], batch_size=NAIVE_BATCH)
        points = [
            models.PointStruct(
                id=next_id + offset,
                vector=vector.tolist(),
                payload={"page_content": text, "metadata": {"source": source}},
            )
            for offset, ((source, text), vector) in enumerate(zip(batch, vectors, strict=True))
        ]
        client.upsert(COLLECTION, points=points, wait=True)
        next_id += len(points)

    for path in corpus_files(corpus):
        for chunk in splitter.split_text(path.read_text(encoding="utf-8")):
            found = analyzer.analyze(chunk, language="en")
            masked = anonymizer.anonymize(text=chunk, analyzer_results=found).text  # type: ignore[arg-type]
            pending.append((path.name, masked))
            chunks += 1
            if len(pending) == NAIVE_BATCH:
                flush(pending)
                pending = []
        documents += 1
    if pending:
        flush(pending)
    seconds = time.perf_counter() - started
    client.close()
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        # one process
        "worker_peak_rss_mb": 0.0,
        "load_s": load_s,
        "documents": documents,
        "chunks": chunks,
        "embedding_precision": "bf16 (torch)" if options.get("naive_bf16") else "fp32 (torch)",
        "qdrant_path": str(qdrant_path),
    }
