"""Scrub throughput: a LangChain-shaped collection of raw chunks (synthetic, Faker with a fixed seed) scrubbed
into a masked one; points/s end to end (read, mask, re-embed, write with lineage, audit of the target)
and this process's peak RSS. Models are loaded before the clock starts; masking and the audit are split over
``--workers`` processes as the CLI's default splits them (0: the cores), the workers' start inside the clock.

    .venv/bin/python bench/scrub.py [--points 2000] [--embedding-precision auto|fp32|bf16|int8] [--workers 0]
                                    [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from qdrant_client import models  # noqa: E402

from bench.synthetic import synthetic_paragraphs  # noqa: E402
from flows.settings import IngestSettings, ScrubSettings, StoreSettings  # noqa: E402
from indexers.qdrant_store import Point, VectorStore  # noqa: E402

# The scrub, the embedder and the masker are imported inside ``run``: a masking worker is spawned and
# imports this module first, and with them it would import torch and transformers too (seconds).

CHUNKS_PER_DOCUMENT = 4


def build_source(settings: IngestSettings, points: int) -> set[str]:
    """A raw LangChain collection: each point one paragraph (a person, e-mail, address, phone)."""
    store = VectorStore(settings.stores.qdrant, "raw_source")
    store.create(384, [""], models.Distance.COSINE)
    paragraphs = synthetic_paragraphs(points)
    values = {
        v
        for _text, found in paragraphs
        for kind, v in found.items()
        if kind in ("EMAIL_ADDRESS", "PHONE_NUMBER")
    }
    store.upsert(
        [
            Point(
                str(uuid.uuid4()),
                {"": [0.01] * 384},
                {
                    "page_content": text,
                    "metadata": {"source": f"tickets/{n // CHUNKS_PER_DOCUMENT}.txt", "page": n},
                },
            )
            for n, (text, _found) in enumerate(paragraphs)
        ]
    )
    return values


def run(points: int, precision: str = "auto", workers: int = 0) -> dict[str, Any]:
    from flows.operations.scrub import run_scrub
    from indexers.embedding import Embedder
    from masking import Masker, MaskingKeys

    with tempfile.TemporaryDirectory(prefix="ragmask-scrub-") as folder:
        os.environ.setdefault("RAGMASK_SECRET_KEY", "ragmask-bench-secret-not-for-production")
        os.environ["XDG_STATE_HOME"] = str(Path(folder) / "state")
        settings = IngestSettings(
            stores=StoreSettings(data_dir=Path(folder) / "data", collection="masked").resolved(),
            embedding_precision=precision,
            workers=workers,
        )
        values = build_source(settings, points)
        # models loaded outside the clock
        Embedder().embed(["warm up"])
        Masker(MaskingKeys(b"warm-up-key-0123456789")).mask("warm", "Jane Doe, jane@example.com")
        started = time.perf_counter()
        result = run_scrub(
            ScrubSettings(
                source_collection="raw_source",
                target_collection="masked",
                stores=settings.stores,
                workers=workers,
            ),
            masked_with=settings,
        )
        seconds = time.perf_counter() - started
        target = VectorStore(settings.stores.qdrant, "masked")
        stored = json.dumps([r.payload for r in target.scroll()])
        left = sum(value in stored for value in values)
    return {
        "points": points,
        "workers": workers,
        "documents": result["documents"],
        "seconds": round(seconds, 1),
        "points_per_s": round(points / seconds, 1),
        "suspected_after": result["audit"]["suspected"],
        "emails_and_phones_left": left,
        "embedding_precision": result["embedding"]["precision"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument(
        "--embedding-precision",
        default="auto",
        choices=["auto", "fp32", "bf16", "int8", "int8-static"],
        help="the target's (auto: bf16 where the CPU has bf16 units, else fp32)",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="masking processes, this one included (0: the cores)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.points, args.embedding_precision, args.workers)
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
