"""Ingest throughput: ragmask end to end vs the naive pipeline users write today, on one synthetic corpus.

- ragmask: ``run_ingest`` (read, mask the whole document, leak check, chunk by tokens, embed, upsert to
  local Qdrant, lineage in SQLite), the CLI's defaults (``--workers`` 0: the cores; ``--embedding-view``
  auto: "types" for a new collection).
- naive: RecursiveCharacterTextSplitter(1000, 100) -> per chunk Presidio analyze + anonymize (default
  recognizers) -> SentenceTransformer.encode (batch 32) -> Qdrant upsert per batch of 32, into local
  Qdrant. Its spaCy pipeline has the same components as ragmask's (parser and senter excluded);
  ``--naive-parser`` loads the whole model instead, as Presidio's engine does by default. It multiplies
  with thinc's default BLIS, as spaCy does for its users; ``--naive-numpy-blas`` gives it ragmask's
  NumPy BLAS (masking/matrix_products.py), with NumPy's thread per core (it is one process).

Both use the same spaCy model, embedding model and storage. Each run is a fresh process (its peak RSS
is its own, read when the run ends; its masking workers' largest, sampled from /proc while it runs)
that loads its models before the clock starts (``load_s``). With ``--runs`` N the systems
run in turn, N times each (ragmask, naive, ragmask, ...), and each figure is the median with its
range; the ratio is the median docs/s of ragmask over the naive pipeline's. ragmask's ``seconds``
are its own per-stage sums (summed over processes when masking is split). ``recall`` is the share of
the corpus's gold values (person, e-mail, street address, phone) that appear in no stored chunk; a
value is counted once per document that mentions it. With ``--only ragmask`` (the 2,000-document run)
the child also times reopening the collection and 20 searches. ``--task-runner dask`` runs ragmask's
batches on a local Dask cluster of ``--workers`` processes, started inside the clock, each worker
loading its models inside it too (what a run on a fresh cluster costs); peak RSS is then the writer's only.
``--floor`` then times masking and embedding alone in ragmask's first child (``floor_seconds``): the
least any schedule of those two stages could take on the machine's cores, and the ratio that would give.

    python bench/throughput.py [--docs 200] [--doc-chars 3000] [--runs 3] [--workers 0]
                               [--embedding-view auto] [--embedding-precision auto|fp32|bf16|int8]
                               [--embedding-backend auto|torch|openvino]
                               [--naive-parser] [--naive-bf16] [--naive-numpy-blas]
                               [--only SYSTEM] [--floor]
                               [--task-runner threads|dask] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
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
    """This process's peak RSS."""
    # Linux reports KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class DescendantPeakRss:
    """The largest peak RSS of this process's descendants (masking workers, a local Dask cluster's),
    read from /proc every half second while the run lasts: a process's own high-water mark (VmHWM).
    RUSAGE_CHILDREN is no use for this: Linux keeps a spawned child's high-water mark from before its
    exec, when it was a copy of this process, so it reported this process's size (about 790 MB) for
    any worker, even a Dask cluster's idle process."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> DescendantPeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            for pid in descendant_pids(os.getpid()):
                self.peak_mb = max(self.peak_mb, _status_kib(pid, "VmHWM") / 1024)
            if self._stop.wait(self.interval_s):
                return


def descendant_pids(pid: int) -> list[int]:
    """Every process below ``pid`` (children of any of its threads: a pool spawns from its own)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = [int(child) for child in task.read_text(encoding="ascii").split()]
        except OSError:
            # the thread ended
            continue
        for child in children:
            found += [child, *descendant_pids(child)]
    return found


def _status_kib(pid: int, field: str) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines()
    except OSError:
        # it ended
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith(f"{field}:")), 0)


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


def word_pieces(texts: list[str], view: str) -> tuple[int, int]:
    """(word pieces the embedder saw, chunks it truncated): what the chunk count alone does not show."""
    from indexers.embedding import Embedder, embedding_view

    embedder = Embedder()
    # the special tokens take the rest of max_seq_length
    limit = embedder.max_chunk_tokens
    counts = [embedder.count_tokens(embedding_view(text, view)) for text in texts]
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


def run_ragmask(corpus: Path, work: Path, options: dict[str, Any]) -> dict[str, Any]:
    from flows.operations.ingest import run_ingest
    from flows.settings.run_settings import IngestSettings, StoreSettings
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
            stores=StoreSettings(data_dir=work / "warm-up-data"),
            embedding_precision=precision,
            embedding_backend=backend,
        ),
        keys=keys,
    )
    load_s = time.perf_counter() - started

    settings = IngestSettings(
        stores=StoreSettings(data_dir=work / "data", collection=COLLECTION),
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
        **_embedding_of(settings),
        "qdrant_path": str(work / "data" / "qdrant"),
    }
    if options.get("reopen"):
        numbers |= reopen_and_search(settings)
    return numbers


def _embedding_of(settings: Any) -> dict[str, str]:
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
    from indexers.embedding import DEFAULT_EMBEDDING_MODEL, resolve_model_path
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


def measure(system: str, corpus: Path, work: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Run one system in this process; the numbers plus recall on the gold values."""
    run = run_ragmask if system == "ragmask" else run_naive
    numbers = run(corpus, work, options)
    gold = json.loads((corpus.parent / GOLD_FILE).read_text(encoding="utf-8"))
    texts = stored_texts(Path(numbers.pop("qdrant_path")))
    share, left = recall(gold, texts)
    pieces, truncated = word_pieces(texts, numbers.get("embedding_view", "tokens"))
    seconds = numbers["seconds"]
    extra: dict[str, Any] = {
        key: numbers[key]
        for key in ("stage_seconds", "reopen_s", "points", "search_ms", "embedding_precision")
        if key in numbers
    }
    if options.get("floor") and system == "ragmask":
        extra |= floor_seconds(
            corpus,
            texts,
            numbers["embedding_view"],
            options["embedding_precision"],
            options["embedding_backend"],
        )
    return extra | {
        "system": system,
        "documents": numbers["documents"],
        "chunks": numbers["chunks"],
        "seconds": round(seconds, 1),
        "load_s": round(numbers["load_s"], 1),
        "docs_per_s": round(numbers["documents"] / seconds, 2),
        "chunks_per_s": round(numbers["chunks"] / seconds, 2),
        "peak_rss_mb": round(numbers["peak_rss_mb"]),
        "worker_peak_rss_mb": round(numbers["worker_peak_rss_mb"]),
        "word_pieces": pieces,
        "chunks_truncated": truncated,
        "recall": round(share, 4),
        "values_left": left,
    }


def floor_seconds(
    corpus: Path, texts: list[str], view: str, precision: str, backend: str
) -> dict[str, float]:
    """What no schedule of ragmask's stages avoids, each stage alone with its models loaded: masking every
    document in one process (``detect_s``: core-seconds, propagation and leak check included) and
    embedding the stored chunks on every core (``embed_s``) and on one (``embed_one_core_s``). Packed
    perfectly on the cores, with nothing else to do, a run takes no less than ``floor_s`` = (detect_s +
    min(cores x embed_s, embed_one_core_s)) / cores: how far a faster schedule alone could go."""
    import torch

    from flows.pipeline.masking_workers import default_workers
    from indexers import embedding
    from indexers.embedding import Embedder, resolve_embedding_precision
    from masking import Masker, MaskingKeys, TextDocument

    masker = Masker(MaskingKeys(b"bench-throughput-floor-key"))
    masker.mask_many([TextDocument("warm-up", "Jane Doe wrote to jane@example.com.")])
    documents = [TextDocument(path.stem, path.read_text(encoding="utf-8")) for path in corpus_files(corpus)]
    started = time.perf_counter()
    masker.mask_many(documents)
    detect_s = time.perf_counter() - started
    precision = resolve_embedding_precision(precision, None)
    embedder = Embedder(view=view, precision=precision, backend=backend)
    embedder.embed(texts[:16])
    started = time.perf_counter()
    embedder.embed(texts)
    embed_s = time.perf_counter() - started
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    # OpenVINO compiles for the threads there are when it loads
    embedding._loaded_model.cache_clear()
    one_core = Embedder(view=view, precision=precision, backend=backend)
    one_core.embed(texts[:16])
    started = time.perf_counter()
    one_core.embed(texts)
    embed_one_core_s = time.perf_counter() - started
    torch.set_num_threads(threads)
    cores = default_workers()
    floor_s = (detect_s + min(cores * embed_s, embed_one_core_s)) / cores
    return {
        "detect_s": round(detect_s, 1),
        "embed_s": round(embed_s, 1),
        "embed_one_core_s": round(embed_one_core_s, 1),
        "cores": cores,
        "floor_s": round(floor_s, 1),
    }


def run_child(system: str, corpus: Path, work: Path, options: dict[str, Any]) -> dict[str, Any]:
    child = [
        sys.executable,
        __file__,
        "--single",
        system,
        "--corpus",
        str(corpus),
        "--work",
        str(work),
        "--options",
        json.dumps(options),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(child, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"throughput: {system} failed: {last}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One system's runs: the first run's row, with the median and range of its timings over all runs."""
    row = dict(runs[0])
    for key in ("seconds", "docs_per_s", "chunks_per_s", "peak_rss_mb", "worker_peak_rss_mb"):
        values = [run[key] for run in runs]
        row[key] = round(statistics.median(values), 2)
        row[f"{key}_range"] = [min(values), max(values)]
    if "stage_seconds" in row:
        stages = {stage for run in runs for stage in run["stage_seconds"]}
        row["stage_seconds"] = {
            stage: round(statistics.median(run["stage_seconds"].get(stage, 0.0) for run in runs), 2)
            for stage in row["stage_seconds"]
            if stage in stages
        }
    row["runs"] = len(runs)
    return row


def print_rows(rows: dict[str, dict[str, Any]], ratio: float | None) -> None:
    """The human-readable report: one row per system, its stages, the ratio and the floor."""
    for system, row in rows.items():
        print(
            f"{system:8} {row['seconds']:>7} s (range {row['seconds_range'][0]}-{row['seconds_range'][1]})  "
            f"{row['docs_per_s']:>6} docs/s  {row['chunks_per_s']:>7} chunks/s ({row['chunks']} chunks, "
            f"{row['word_pieces']} word pieces, {row['chunks_truncated']} truncated)  peak RSS {row['peak_rss_mb']} MB "
            f"(a worker's {row['worker_peak_rss_mb']} MB)  "
            f"recall {row['recall']} (left: {row['values_left'] or 'none'})  load {row['load_s']} s"
            + (f"  embedded in {row['embedding_precision']}" if "embedding_precision" in row else ""),
            flush=True,
        )
        if "stage_seconds" in row:
            print("         stages (s): " + ", ".join(f"{k} {v}" for k, v in row["stage_seconds"].items()))
        if "reopen_s" in row:
            print(
                f"         reopen {row['reopen_s']} s ({row['points']} points), search {row['search_ms']} ms"
            )
    if ratio:
        print(f"ratio (median ragmask docs/s / median naive docs/s): {ratio:.2f}")
    if "floor_s" in rows.get("ragmask", {}):
        floor = rows["ragmask"]
        print(
            f"floor: masking alone {floor['detect_s']} s on one core, embedding alone {floor['embed_s']} s on "
            f"{floor['cores']} cores ({floor['embed_one_core_s']} s on one): at best {floor['floor_s']} s"
        )
        if ratio:
            print(
                f"ratio at the floor (median naive seconds / floor): {rows['naive']['seconds'] / floor['floor_s']:.2f}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200, help="documents in the synthetic corpus")
    parser.add_argument("--doc-chars", type=int, default=3000, help="about this many characters each")
    parser.add_argument("--runs", type=int, default=3, help="runs per system, interleaved")
    parser.add_argument("--workers", type=int, default=0, help="ragmask's --workers (0: the cores)")
    parser.add_argument("--embedding-view", default="auto", choices=["auto", "types", "tokens"])
    parser.add_argument(
        "--embedding-precision",
        default="auto",
        choices=["auto", "fp32", "bf16", "int8"],
        help="ragmask's --embedding-precision (auto: bf16 where the CPU has bf16 units, else fp32)",
    )
    parser.add_argument(
        "--embedding-backend",
        default="auto",
        choices=["auto", "torch", "openvino"],
        help="ragmask's --embedding-backend (auto: openvino for fp32 and bf16 on a CPU)",
    )
    parser.add_argument(
        "--naive-bf16",
        action="store_true",
        help="the naive pipeline embeds under torch's bf16 autocast too (default: fp32, "
        "sentence-transformers' own default)",
    )
    parser.add_argument(
        "--naive-numpy-blas",
        action="store_true",
        help="the naive pipeline's spaCy multiplies through NumPy's BLAS on one thread, as "
        "ragmask's does (default: thinc's BLIS, spaCy's own default)",
    )
    parser.add_argument(
        "--task-runner",
        default="threads",
        choices=["threads", "dask"],
        help="ragmask's --task-runner; dask starts a local cluster of --workers processes inside "
        "the clock, and each worker loads its models inside it too",
    )
    parser.add_argument("--naive-parser", action="store_true", help="the naive pipeline loads spaCy whole")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="after ragmask's first run, time masking and embedding alone: the least any "
        "schedule of them could take, and the ratio that would give",
    )
    parser.add_argument("--only", choices=SYSTEMS, help="run one system (with reopen and search timings)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    # the child process
    parser.add_argument("--single", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.single:
        print(json.dumps(measure(args.single, args.corpus, args.work, json.loads(args.options))))
        return 0
    if args.docs < 1 or args.doc_chars < 1 or args.runs < 1:
        parser.error("--docs, --doc-chars and --runs must be positive")
    systems = (args.only,) if args.only else SYSTEMS
    options = {
        "workers": args.workers,
        "embedding_view": args.embedding_view,
        "naive_parser": args.naive_parser,
        "naive_bf16": args.naive_bf16,
        "naive_numpy_blas": args.naive_numpy_blas,
        "embedding_precision": args.embedding_precision,
        "embedding_backend": args.embedding_backend,
        "reopen": bool(args.only),
        "task_runner": args.task_runner,
    }
    with tempfile.TemporaryDirectory(prefix="ragmask-throughput-") as tmp:
        corpus = Path(tmp) / "corpus"
        chars = build_corpus(corpus, args.docs, args.doc_chars)
        if not args.json:
            print(
                f"corpus: {args.docs} documents, {chars:,} characters; {args.runs} runs each, interleaved",
                file=sys.stderr,
                flush=True,
            )
        runs: dict[str, list[dict[str, Any]]] = {system: [] for system in systems}
        for number in range(args.runs):
            for system in systems:
                work = Path(tmp) / f"{system}-{number}"
                work.mkdir()
                row = run_child(system, corpus, work, options | {"floor": args.floor and number == 0})
                runs[system].append(row)
                if not args.json:
                    print(
                        f"  run {number + 1} {system:8} {row['seconds']:>7} s  {row['docs_per_s']:>6} docs/s",
                        file=sys.stderr,
                        flush=True,
                    )
    rows = {system: summarise(runs[system]) for system in systems}
    ratio = rows["ragmask"]["docs_per_s"] / rows["naive"]["docs_per_s"] if len(systems) == 2 else None
    if args.json:
        print(
            json.dumps(
                {
                    "documents": args.docs,
                    "characters": chars,
                    "options": options,
                    **rows,
                    "ratio": round(ratio, 2) if ratio else None,
                }
            )
        )
        return 0
    print_rows(rows, ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
