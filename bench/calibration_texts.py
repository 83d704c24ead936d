"""Writes the texts the int8-static embedding precision is calibrated on (indexers/data/).

Quantising activations needs their ranges, read once from sample inputs. The samples must be fixed (two
machines must quantise a model alike, or one collection would hold two variants of vectors) and must look
like what the embedder sees: masked chunks in the ``types`` view. So they are made here, once, from
bench/documents.py's *tuning* documents (synthetic: Faker, fixed seeds; e-mail threads, minutes, HR
records, tickets, clinical notes in nine locales), masked by ragmask, chunked as an ingest chunks them,
and shown in the types view: no token, no value. bench/retrieval.py measures the result on other text
(bench/synthetic.py's paragraphs and queries).

    python bench/calibration_texts.py [--chunks 240]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TARGET = REPO / "indexers" / "data" / "embedding_calibration.jsonl"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=240)
    args = parser.parse_args(argv)

    from bench.documents import documents
    from indexers.chunking import Chunker
    from indexers.embedding import Embedder, embedding_view
    from masking import Masker, MaskingKeys, TextDocument

    embedder = Embedder(view="types", precision="fp32")
    chunker = Chunker(
        lambda text: embedder.count_tokens(embedding_view(text, "types")), embedder.max_chunk_tokens
    )
    masker = Masker(MaskingKeys(b"bench-calibration-key-not-secret"))
    texts: list[str] = []
    # several documents per text, as long case files are chunked
    made = documents("tuning", args.chunks * 3)
    for start in range(0, len(made), 4):
        body = "\n\n".join(sample.text for _, _, sample in made[start : start + 4])
        masked = masker.mask_many([TextDocument(f"calibration-{start}", body)])[0].masked_text or ""
        texts += [embedding_view(chunk.text, "types") for chunk in chunker.chunk(masked)]
        if len(texts) >= args.chunks:
            break
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(
        "".join(json.dumps(text, ensure_ascii=False) + "\n" for text in texts[: args.chunks]),
        encoding="utf-8",
    )
    print(f"{min(len(texts), args.chunks)} texts written to {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
