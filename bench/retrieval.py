"""Retrieval quality of what the embedder sees: raw text vs the two embedding views of masked text.

A masked store can only be searched by what is not personal. This measures whether the view of a
masked chunk given to the embedding model changes that: ``tokens`` (the chunk as stored, each token
``<EMAIL_ADDRESS_230c8d02>`` costing 10-14 word pieces) or ``types`` (each token as its type in words,
"email address"). Corpus: the throughput benchmark's synthetic documents (Faker, fixed seed). Queries:
one content sentence per sampled document (no personal value in it), every third word dropped, so a
query is not a verbatim copy; the relevant document is the one it came from. Metric: recall@k, the
share of queries whose document owns one of the k nearest chunks (cosine, exact search in memory),
and MRR. The raw text (unmasked, chunked the same way) is the reference a leak-prone store would give.

    python bench/retrieval.py [--docs 200] [--queries 200] [--k 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SEED = 7
SENTENCE = re.compile(r"[A-Z][^.!?\n]{30,200}[.!?]")


def content_queries(
    documents: Sequence[tuple[str, str]], gold: dict[str, list[list[str]]], count: int
) -> list[tuple[str, str]]:
    """(query, document name): a sentence holding none of the document's personal values, thinned."""
    rng = random.Random(SEED)
    names = [name for name, _ in documents]
    texts = dict(documents)
    queries: list[tuple[str, str]] = []
    for name in rng.sample(names, min(count, len(names))):
        values = [value for _, value in gold.get(name, [])]
        sentences = [s for s in SENTENCE.findall(texts[name]) if not any(v in s for v in values)]
        if not sentences:
            continue
        words = rng.choice(sentences).split()
        queries.append((" ".join(w for i, w in enumerate(words) if i % 3 != 2), name))
    return queries


def evaluate(
    chunks: list[tuple[str, str]], queries: list[tuple[str, str]], embedder: Any, k: int
) -> dict[str, float]:
    import numpy as np

    started = time.perf_counter()
    vectors = np.array(embedder.embed([text for _, text in chunks]))
    embed_s = time.perf_counter() - started
    query_vectors = np.array(embedder.embed([query for query, _ in queries]))
    owners = [owner for owner, _ in chunks]
    hits, reciprocal = 0, 0.0
    for query_vector, (_, wanted) in zip(query_vectors, queries, strict=True):
        order = np.argsort(-(vectors @ query_vector))
        ranked = list(dict.fromkeys(owners[i] for i in order[: k * 10]))
        if wanted in ranked[:k]:
            hits += 1
        if wanted in ranked:
            reciprocal += 1 / (ranked.index(wanted) + 1)
    return {"recall_at_k": round(hits / len(queries), 4), "mrr": round(reciprocal / len(queries), 4),
            "chunks": len(chunks), "embed_s": round(embed_s, 1)}  # fmt: skip


def _count(embedder: Any, view: str, text: str) -> int:
    from indexers.embedding import embedding_view

    return int(embedder.count_tokens(embedding_view(text, view)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from bench.throughput import GOLD_FILE, build_corpus, corpus_files
    from indexers.chunking import Chunker
    from indexers.embedding import Embedder, embedding_view
    from masking import Masker, MaskingKeys, TextDocument

    with tempfile.TemporaryDirectory(prefix="ragmask-retrieval-") as tmp:
        corpus = Path(tmp) / "corpus"
        build_corpus(corpus, args.docs, 3000)
        documents = [(path.name, path.read_text(encoding="utf-8")) for path in corpus_files(corpus)]
        gold = json.loads((corpus.parent / GOLD_FILE).read_text(encoding="utf-8"))
    queries = content_queries(documents, gold, args.queries)
    masker = Masker(MaskingKeys(b"bench-retrieval-key-not-secret"))
    masked = [(name, result.masked_text or "") for (name, _), result in
              zip(documents, masker.mask_many([TextDocument(n, t) for n, t in documents]), strict=True)]  # fmt: skip
    results: dict[str, Any] = {"documents": len(documents), "queries": len(queries), "k": args.k}
    embedder = Embedder()
    # (label, texts, the view chunks are measured in, the view embedded)
    variants = (("raw", documents, "tokens", "tokens"), ("masked, tokens view", masked, "tokens", "tokens"),
                ("masked, types view, same chunks", masked, "tokens", "types"),
                ("masked, types view, types chunks", masked, "types", "types"))  # fmt: skip
    for label, texts, measured_in, shown in variants:
        chunker = Chunker(partial(_count, embedder, measured_in), embedder.max_chunk_tokens, 32)
        chunks = [(name, embedding_view(c.text, shown)) for name, text in texts for c in chunker.chunk(text)]
        results[label] = evaluate(chunks, queries, embedder, args.k)
        if not args.json:
            row = results[label]
            print(f"{label:34} recall@{args.k} {row['recall_at_k']:.3f}  MRR {row['mrr']:.3f}  "
                  f"{row['chunks']} chunks, embedded in {row['embed_s']} s", flush=True)  # fmt: skip
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
