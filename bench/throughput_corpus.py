"""What bench/throughput.py measures with: its corpus of long documents with gold values, the peak memory of
a process and its children, and what a run left in its collection."""

from __future__ import annotations

import json
import os
import resource
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

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
    """Write ``documents`` text files of about ``doc_chars`` characters of Faker paragraphs and their gold
    values; returns the number of characters written."""
    from bench.synthetic import iter_paragraphs

    pieces = ((text, set(found.items())) for text, found in iter_paragraphs())
    return write_documents(folder, "doc", documents, doc_chars, pieces, "")


def build_long_corpus(folder: Path, documents: int, doc_chars: int) -> int:
    """Write ``documents`` distinct long documents of about ``doc_chars`` characters, each a case file of
    bench/documents.py's held-out documents (e-mail threads, minutes, HR records, tickets, clinical notes
    in nine locales, no two alike), and their gold values; returns the characters written."""
    from bench.documents import DIRECT_IDENTIFIERS
    from bench.documents import documents as generated

    # enough pieces: each is about 600 characters
    samples = (sample for _, _, sample in generated("held-out", documents * max(1, doc_chars // 400) + 16))
    pieces = (
        (s.text, {(kind, s.text[start:end]) for start, end, kind in s.gold if kind in DIRECT_IDENTIFIERS})
        for s in samples
    )
    return write_documents(folder, "case", documents, doc_chars, pieces, "\n\n")


def write_documents(
    folder: Path,
    prefix: str,
    documents: int,
    doc_chars: int,
    pieces: Iterator[tuple[str, set[tuple[str, str]]]],
    separator: str,
) -> int:
    """``documents`` files of ``pieces`` (text, gold values) joined by ``separator`` until each holds about
    ``doc_chars`` characters, and the gold file beside the folder; the characters written."""
    folder.mkdir(parents=True, exist_ok=True)
    gold: dict[str, list[tuple[str, str]]] = {}
    written = 0
    for number in range(documents):
        name = f"{prefix}-{number:05d}.txt"
        parts: list[str] = []
        values: set[tuple[str, str]] = set()
        length = 0
        while length < doc_chars:
            text, found = next(pieces)
            parts.append(text)
            length += len(text) + len(separator)
            values.update(found)
        body = separator.join(parts)
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
