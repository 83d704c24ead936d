"""Ingest throughput: ragmask end to end vs the naive pipeline users write today, on one synthetic corpus.

- ragmask: ``run_ingest`` (read, mask the whole document, leak check, chunk by tokens, embed, upsert to
  local Qdrant, lineage in SQLite), default settings.
- naive: RecursiveCharacterTextSplitter(1000, 100) -> per chunk Presidio analyze + anonymize (default
  recognizers, the spaCy model loaded whole, as Presidio's engine does) -> SentenceTransformer.encode
  (batch 32) -> Qdrant upsert per batch of 32, into local Qdrant.

Both use the same spaCy model, embedding model and storage. Each system runs in a fresh process (its
peak RSS is its own) and loads its models before the clock starts; ``load_s`` is that load time.
``recall`` is the share of the corpus's gold values (person, e-mail, street address, phone) that
appear in no stored chunk; a value is counted once per document that mentions it.

    python bench/throughput.py [--docs 200] [--doc-chars 3000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SYSTEMS = ("ragmask", "naive")
GOLD_FILE = "gold.json"
NAIVE_CHUNK_CHARS, NAIVE_OVERLAP, NAIVE_BATCH = 1000, 100, 32
COLLECTION = "bench"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def build_corpus(folder: Path, documents: int, doc_chars: int) -> int:
    """Write ``documents`` text files of about ``doc_chars`` characters and their gold values; returns
    the number of characters written."""
    from bench.synthetic import iter_paragraphs

    folder.mkdir(parents=True, exist_ok=True)
    paragraphs = iter_paragraphs()
    gold: dict[str, list[tuple[str, str]]] = {}
    written = 0
    for number in range(documents):
        name = f"doc-{number:05d}.txt"
        pieces: list[str] = []
        values: set[tuple[str, str]] = set()
        length = 0
        while length < doc_chars:
            text, found = next(paragraphs)
            pieces.append(text)
            length += len(text)
            values.update(found.items())
        body = "".join(pieces)
        (folder / name).write_text(body, encoding="utf-8")
        gold[name] = sorted(values)
        written += len(body)
    (folder.parent / GOLD_FILE).write_text(json.dumps(gold), encoding="utf-8")
    return written


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(corpus.glob("*.txt"))


def stored_texts(qdrant_path: Path) -> list[str]:
    """Every chunk's text in the collection (read after the clock stops)."""
    from indexers.qdrant_store import QdrantLocation, VectorStore

    store = VectorStore(QdrantLocation(path=qdrant_path), COLLECTION)
    return [str((record.payload or {}).get("page_content", "")) for record in store.scroll()]


def word_pieces(texts: list[str]) -> tuple[int, int]:
    """(word pieces the embedder saw, chunks it truncated): what the chunk count alone does not show."""
    from indexers.embedding import Embedder

    embedder = Embedder()
    limit = embedder.max_chunk_tokens  # the special tokens take the rest of max_seq_length
    counts = [embedder.count_tokens(text) for text in texts]
    return sum(min(count, limit) for count in counts), sum(count > limit for count in counts)


def recall(gold: dict[str, list[list[str]]], texts: Iterable[str]) -> tuple[float, dict[str, int]]:
    """(share of gold values found in no stored chunk, values left by type)."""
    stored = "\n\u2063\n".join(texts)
    total = sum(len(values) for values in gold.values())
    left: dict[str, int] = {}
    for kind, value in (pair for values in gold.values() for pair in values):
        if value in stored:
            left[kind] = left.get(kind, 0) + 1
    return (1 - sum(left.values()) / total if total else 1.0), dict(sorted(left.items()))


def run_ragmask(corpus: Path, work: Path) -> dict[str, Any]:
    from flows.ingesting import run_ingest
    from flows.settings import IngestSettings, StoreSettings
    from masking import MaskingKeys

    keys = MaskingKeys(b"bench-throughput-key-not-secret")
    started = time.perf_counter()
    warm_up = work / "warm-up"
    warm_up.mkdir(parents=True)
    (warm_up / "warm-up.txt").write_text("Jane Doe wrote to jane@example.com.", encoding="utf-8")
    run_ingest([warm_up], IngestSettings(stores=StoreSettings(data_dir=work / "warm-up-data")), keys=keys)
    load_s = time.perf_counter() - started

    settings = IngestSettings(stores=StoreSettings(data_dir=work / "data", collection=COLLECTION))
    started = time.perf_counter()
    result = run_ingest([corpus], settings, keys=keys)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "load_s": load_s,
        "documents": result.counts.documents_indexed,
        "chunks": result.counts.chunks_indexed,
        "qdrant_path": str(work / "data" / "qdrant"),
    }


def run_naive(corpus: Path, work: Path) -> dict[str, Any]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine
    from qdrant_client import QdrantClient, models
    from sentence_transformers import SentenceTransformer

    from bench.baseline import presidio_default_analyzer
    from indexers.embedding import DEFAULT_EMBEDDING_MODEL, resolve_model_path
    from masking.nlp import DEFAULT_SPACY_MODEL

    started = time.perf_counter()
    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": DEFAULT_SPACY_MODEL}],
        }
    ).create_engine()
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
        "load_s": load_s,
        "documents": documents,
        "chunks": chunks,
        "qdrant_path": str(qdrant_path),
    }


def measure(system: str, corpus: Path, work: Path) -> dict[str, Any]:
    """Run one system in this process; the numbers plus recall on the gold values."""
    run = run_ragmask if system == "ragmask" else run_naive
    numbers = run(corpus, work)
    peak = peak_rss_mb()
    gold = json.loads((corpus.parent / GOLD_FILE).read_text(encoding="utf-8"))
    texts = stored_texts(Path(numbers.pop("qdrant_path")))
    share, left = recall(gold, texts)
    pieces, truncated = word_pieces(texts)
    seconds = numbers["seconds"]
    return {
        "system": system,
        "documents": numbers["documents"],
        "chunks": numbers["chunks"],
        "seconds": round(seconds, 1),
        "load_s": round(numbers["load_s"], 1),
        "docs_per_s": round(numbers["documents"] / seconds, 2),
        "chunks_per_s": round(numbers["chunks"] / seconds, 2),
        "peak_rss_mb": round(peak),
        "word_pieces": pieces,
        "chunks_truncated": truncated,
        "recall": round(share, 4),
        "values_left": left,
    }


def run_child(system: str, corpus: Path, work: Path) -> dict[str, Any]:
    child = [sys.executable, __file__, "--single", system, "--corpus", str(corpus), "--work", str(work)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(child, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"throughput: {system} failed: {last}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200, help="documents in the synthetic corpus")
    parser.add_argument("--doc-chars", type=int, default=3000, help="about this many characters each")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--single", choices=SYSTEMS, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.single:
        print(json.dumps(measure(args.single, args.corpus, args.work)))
        return 0
    if args.docs < 1 or args.doc_chars < 1:
        parser.error("--docs and --doc-chars must be positive")
    with tempfile.TemporaryDirectory(prefix="ragmask-throughput-") as tmp:
        corpus = Path(tmp) / "corpus"
        chars = build_corpus(corpus, args.docs, args.doc_chars)
        if not args.json:
            print(f"corpus: {args.docs} documents, {chars:,} characters", file=sys.stderr, flush=True)
        rows = {}
        for system in SYSTEMS:
            work = Path(tmp) / system
            work.mkdir()
            rows[system] = run_child(system, corpus, work)
            if not args.json:
                row = rows[system]
                print(
                    f"{system:8} {row['seconds']:>7} s  {row['docs_per_s']:>6} docs/s  "
                    f"{row['chunks_per_s']:>7} chunks/s ({row['chunks']} chunks, {row['word_pieces']} word pieces, "
                    f"{row['chunks_truncated']} truncated)  peak RSS {row['peak_rss_mb']} MB  "
                    f"recall {row['recall']} (left: {row['values_left'] or 'none'})  load {row['load_s']} s",
                    flush=True,
                )
    ratio = rows["ragmask"]["docs_per_s"] / rows["naive"]["docs_per_s"]
    if args.json:
        print(json.dumps({"documents": args.docs, "characters": chars, **rows, "ratio": round(ratio, 2)}))
    else:
        print(f"ratio (ragmask docs/s / naive docs/s): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
