"""Retrieval quality of what the embedder sees: raw text vs the two embedding views of masked text.

A masked store can only be searched by what is not personal. This measures whether the view of a
masked chunk given to the embedding model changes that: ``tokens`` (the chunk as stored, each token
``<EMAIL_ADDRESS_230c8d02>`` costing 10-14 word pieces) or ``types`` (each token as its type in words,
"email address"). Corpus: the throughput benchmark's synthetic documents (Faker, fixed seed). Queries:
one content sentence per sampled document (no personal value in it), every third word dropped, so a
query is not a verbatim copy; the relevant document is the one it came from. Metric: recall@k, the
share of queries whose document owns one of the k nearest chunks (cosine, exact search in memory),
and MRR. The raw text (unmasked, chunked the same way) is the reference a leak-prone store would give.

``--int8`` adds the ``types`` view embedded by the model with its linear layers quantised to int8
(torch dynamic quantisation: per tensor, per channel, and per channel with the feed-forward output layers
left in fp32), each with the mean cosine of its chunk vectors to the fp32 ones and the share of each
query's 5 nearest chunks it keeps; and a collection written with ``--embedding-precision int8`` queried
in fp32, as a framework reading it (LangChain, LlamaIndex, Haystack) would. ``--int8-static`` adds the
two rows of the int8-static precision (queried in int8-static, as ragmask's search does, and in fp32);
its calibration text (bench/calibration_texts.py) comes from another generator than this corpus. ``--bf16`` adds the same two
rows for bf16 (the matrix products under torch's bf16 autocast, the default for a new collection on a CPU
with bf16 units).

    python bench/retrieval.py [--docs 200] [--queries 200] [--k 5] [--int8] [--bf16] [--int8-static] [--json]
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
    chunks: list[tuple[str, str]],
    queries: list[tuple[str, str]],
    embedder: Any,
    k: int,
    reference: dict[str, Any] | None = None,
    query_embedder: Any = None,
) -> dict[str, Any]:
    """recall@k and MRR; with ``reference`` (another row's ``_vectors``, same chunks): the mean cosine to its
    chunk vectors and the share of each query's k nearest chunks that stay the same. ``query_embedder``:
    the queries embedded by another model than the chunks (default: the same)."""
    import numpy as np

    started = time.perf_counter()
    vectors = np.array(embedder.embed([text for _, text in chunks]))
    embed_s = time.perf_counter() - started
    query_vectors = np.array((query_embedder or embedder).embed([query for query, _ in queries]))
    owners = [owner for owner, _ in chunks]
    hits, reciprocal, nearest = 0, 0.0, []
    for query_vector, (_, wanted) in zip(query_vectors, queries, strict=True):
        order = np.argsort(-(vectors @ query_vector))
        nearest.append(set(order[:k].tolist()))
        ranked = list(dict.fromkeys(owners[i] for i in order[: k * 10]))
        if wanted in ranked[:k]:
            hits += 1
        if wanted in ranked:
            reciprocal += 1 / (ranked.index(wanted) + 1)
    row: dict[str, Any] = {
        "recall_at_k": round(hits / len(queries), 4),
        "mrr": round(reciprocal / len(queries), 4),
        "chunks": len(chunks),
        "embed_s": round(embed_s, 1),
    }
    if reference is not None:
        row["cosine_to_fp32"] = round(float(np.mean(np.sum(vectors * reference["_vectors"], axis=1))), 4)
        kept = [len(a & b) / k for a, b in zip(nearest, reference["_nearest"], strict=True)]
        row["nearest_kept"] = round(float(np.mean(kept)), 3)
    return row | {"_vectors": vectors, "_nearest": nearest}


def quantised(embedder: Any, how: str) -> Any:
    """A copy of the embedder whose model's linear layers run in int8 (dynamic quantisation)."""
    import copy

    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    from indexers.embedding_models import SentenceTransformerEncoder

    copied = copy.copy(embedder)
    model = copy.deepcopy(embedder._model.model)
    # the transformer inside sentence-transformers' first module
    network = model[0].model
    qconfig = per_channel_dynamic_qconfig if how != "per tensor" else default_dynamic_qconfig
    linear = [name for name, module in network.named_modules() if isinstance(module, torch.nn.Linear)]
    # the layers whose inputs carry the largest activations
    if how == "per channel, FFN output fp32":
        linear = [name for name in linear if not (name.endswith("output.dense") and "attention" not in name)]
    model[0].model = quantize_dynamic(network, dict.fromkeys(linear, qconfig), dtype=torch.qint8)  # type: ignore[no-untyped-call]
    copied._model = SentenceTransformerEncoder(model, "cpu", False)
    return copied


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
    parser.add_argument("--int8", action="store_true", help="add the types view embedded in int8")
    parser.add_argument("--bf16", action="store_true", help="add the types view embedded in bf16")
    parser.add_argument(
        "--int8-static",
        action="store_true",
        help="add the types view embedded in int8-static (OpenVINO + NNCF)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from bench.throughput_corpus import GOLD_FILE, build_corpus, corpus_files
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
    masked = [
        (name, result.masked_text or "")
        for (name, _), result in zip(
            documents, masker.mask_many([TextDocument(n, t) for n, t in documents]), strict=True
        )
    ]
    results: dict[str, Any] = {"documents": len(documents), "queries": len(queries), "k": args.k}
    # torch fp32, as a framework reading a collection embeds; "tokens" passes text through: each row
    # applies its own view
    embedder = Embedder(view="tokens", precision="fp32", backend="torch")
    # (label, texts, the view chunks are measured in, the view embedded)
    variants = (
        ("raw", documents, "tokens", "tokens"),
        ("masked, tokens view", masked, "tokens", "tokens"),
        ("masked, types view, same chunks", masked, "tokens", "types"),
        ("masked, types view, types chunks", masked, "types", "types"),
    )
    # (label, texts, chunks measured in, view embedded, chunk embedder, query embedder: None for the same)
    rows: list[tuple[str, list[tuple[str, str]], str, str, Any, Any]] = [
        (label, texts, measured_in, shown, embedder, None) for label, texts, measured_in, shown in variants
    ]
    if args.int8:
        rows += [
            (f"masked, types view, int8 {how}", masked, "tokens", "types", quantised(embedder, how), None)
            for how in ("per tensor", "per channel", "per channel, FFN output fp32")
        ]
        # a collection written with --embedding-precision int8, queried by a framework embedding in fp32
        rows.append(
            (
                "masked, types view, int8 chunks, fp32 queries",
                masked,
                "tokens",
                "types",
                Embedder(view="tokens", precision="int8"),
                embedder,
            )
        )
    if args.bf16:
        bf16 = Embedder(view="tokens", precision="bf16")
        if not bf16.computes_bf16:
            print("this CPU has no bf16 units: the bf16 rows are computed in fp32", file=sys.stderr)
        rows += [
            (f"masked, types view, bf16 ({bf16.backend})", masked, "tokens", "types", bf16, None),
            (
                f"masked, types view, bf16 chunks ({bf16.backend}), fp32 queries (torch)",
                masked,
                "tokens",
                "types",
                bf16,
                embedder,
            ),
        ]
    if args.int8_static:
        static = Embedder(view="tokens", precision="int8-static")
        rows += [
            # as ragmask's search queries it: in the collection's precision
            ("masked, types view, int8-static", masked, "tokens", "types", static, None),
            # as a framework reading the collection does
            (
                "masked, types view, int8-static chunks, fp32 queries",
                masked,
                "tokens",
                "types",
                static,
                embedder,
            ),
        ]
    reference = None
    for label, texts, measured_in, shown, model, query_model in rows:
        chunker = Chunker(partial(_count, embedder, measured_in), embedder.max_chunk_tokens, 32)
        chunks = [(name, embedding_view(c.text, shown)) for name, text in texts for c in chunker.chunk(text)]
        compared = "int8" in label or "bf16" in label
        row = evaluate(chunks, queries, model, args.k, reference if compared else None, query_model)
        if label == "masked, types view, same chunks":
            # the fp32 vectors the int8 rows are compared with
            reference = row
        results[label] = {key: value for key, value in row.items() if not key.startswith("_")}
        if not args.json:
            extra = (
                f", cosine to fp32 {row['cosine_to_fp32']:.3f}, nearest {args.k} kept {row['nearest_kept']:.2f}"
                if "cosine_to_fp32" in row
                else ""
            )
            print(
                f"{label:34} recall@{args.k} {row['recall_at_k']:.3f}  MRR {row['mrr']:.3f}  "
                f"{row['chunks']} chunks, embedded in {row['embed_s']} s{extra}",
                flush=True,
            )
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
