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
``--whole-process`` times each side as a whole process instead (bench/whole_process.py: from its start
to its exit, imports and model loads included; ragmask is ``ragmask ingest``), by default on
``--corpus cases``: distinct long case files of bench/documents.py's held-out documents, no file repeated.
``--floor`` then times masking and embedding alone in ragmask's first child (``floor_seconds``): the
least any schedule of those two stages could take on the machine's cores, and the ratio that would give.

    python bench/throughput.py [--docs 200] [--doc-chars 3000] [--runs 3] [--workers 0]
                               [--embedding-view auto] [--embedding-precision auto|fp32|bf16|int8|int8-static]
                               [--embedding-backend auto|torch|openvino]
                               [--naive-parser] [--naive-bf16] [--naive-numpy-blas]
                               [--only SYSTEM] [--floor] [--whole-process]
                               [--corpus auto|paragraphs|cases]
                               [--task-runner threads|dask] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.throughput_corpus import (  # noqa: E402
    GOLD_FILE,
    SYSTEMS,
    build_corpus,
    build_long_corpus,
    corpus_files,
    recall,
    stored_texts,
    word_pieces,
)
from bench.throughput_systems import run_naive, run_ragmask  # noqa: E402
from bench.whole_process import run_whole  # noqa: E402


def measure(system: str, corpus: Path, work: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Run one system in this process; the numbers plus recall on the gold values."""
    run = run_ragmask if system == "ragmask" else run_naive
    return scored(system, run(corpus, work, options), corpus, options)


def scored(system: str, numbers: dict[str, Any], corpus: Path, options: dict[str, Any]) -> dict[str, Any]:
    """A run's numbers with what it stored scored: recall on the gold values, word pieces embedded."""
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
    from indexers import embedding_models
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
    embedding_models.forget_loaded_models()
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
        "--corpus-dir",
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
        choices=["auto", "fp32", "bf16", "int8", "int8-static"],
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
    parser.add_argument(
        "--whole-process",
        action="store_true",
        help="time each side as a whole process, from its start to its exit (imports and model loads "
        "included; ragmask is `ragmask ingest`), on the case-file corpus by default",
    )
    parser.add_argument(
        "--corpus",
        default="auto",
        choices=["auto", "paragraphs", "cases"],
        help="paragraphs: Faker paragraphs; cases: distinct long case files of bench/documents.py's "
        "held-out documents (auto: cases with --whole-process, else paragraphs)",
    )
    parser.add_argument("--only", choices=SYSTEMS, help="run one system (with reopen and search timings)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    # the child process
    parser.add_argument("--single", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--corpus-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.single:
        print(json.dumps(measure(args.single, args.corpus_dir, args.work, json.loads(args.options))))
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
        "whole_process": args.whole_process,
    }
    kind = args.corpus if args.corpus != "auto" else ("cases" if args.whole_process else "paragraphs")
    build = build_long_corpus if kind == "cases" else build_corpus
    with tempfile.TemporaryDirectory(prefix="ragmask-throughput-") as tmp:
        corpus = Path(tmp) / "corpus"
        chars = build(corpus, args.docs, args.doc_chars)
        if not args.json:
            print(
                f"corpus: {args.docs} {kind} documents, {chars:,} characters; {args.runs} runs each, "
                f"interleaved{', whole processes' if args.whole_process else ''}",
                file=sys.stderr,
                flush=True,
            )
        runs: dict[str, list[dict[str, Any]]] = {system: [] for system in systems}
        for number in range(args.runs):
            for system in systems:
                work = Path(tmp) / f"{system}-{number}"
                work.mkdir()
                if args.whole_process:
                    row = scored(system, run_whole(system, corpus, work, options), corpus, options)
                else:
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
                    "corpus": kind,
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
