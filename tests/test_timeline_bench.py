"""bench/timeline.py's accounting: each sampled interval goes to the innermost stage, idle is what the
cores did not use."""

from __future__ import annotations

import pytest

from bench.timeline import BETWEEN, Timeline


def test_intervals_go_to_the_innermost_stage_and_idle_is_the_cores_left_unused() -> None:
    timeline = Timeline(stages=[("embed", 0.0, 1.0), ("chunk", 1.0, 2.0), ("detect", 0.0, 0.5)])
    timeline.samples = [
        (0.0, 0.0, {7: 0.0}),
        # detect (inside embed's interval, shorter): both cores busy
        (0.5, 0.5, {7: 0.5}),
        # embed: this process on both cores, the worker idle
        (1.0, 1.5, {7: 0.5}),
        # chunk: one core idle... and half of this one
        (2.0, 2.0, {7: 0.5}),
        # between stages: the worker alone; 9 is new (not counted)
        (3.0, 2.0, {7: 1.5, 9: 0.0}),
    ]
    rows = timeline.by_stage(cores=2)
    assert rows["detect"]["idle"] == pytest.approx(0.0)
    assert rows["embed"]["this process"] == pytest.approx(1.0)
    assert rows["embed"]["idle"] == pytest.approx(0.0)
    assert rows["chunk"]["idle"] == pytest.approx(1.5)
    assert rows[BETWEEN]["workers"] == pytest.approx(1.0)
    assert rows[BETWEEN]["idle"] == pytest.approx(1.0)
    assert sum(row["wall"] for row in rows.values()) == pytest.approx(3.0)
