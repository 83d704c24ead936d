"""Seconds per pipeline stage, summed over a run: where the time goes, without a profiler.

The masker, the index writer and the ingest pipeline each time their own stages on one clock; the
run's JSON reports the sums ("seconds": {"detect": ..., "embed": ...}), and bench/throughput.py
prints them. Timing costs two ``perf_counter`` calls per stage and batch.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

Seconds = defaultdict[str, float]


def add_seconds(total: Seconds, more: Mapping[str, float]) -> None:
    """Add one batch's (or worker's) stage seconds to a running total."""
    for stage, seconds in more.items():
        total[stage] += seconds


class StageClock:
    """Sums the seconds spent in named stages.

    Example:
        clock = StageClock()
        with clock("embed"):
            vectors = embedder.embed(texts)
        clock.take()  # {"embed": 1.93}, and the clock starts again from zero
    """

    def __init__(self) -> None:
        self.seconds: Seconds = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started

    def take(self) -> Seconds:
        """The sums so far; the clock is reset (a batch hands its stages to the run's counts)."""
        taken, self.seconds = self.seconds, defaultdict(float)
        return taken
