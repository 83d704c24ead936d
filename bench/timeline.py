"""Where a core sits idle in one ragmask ingest of the throughput corpus: idle core-seconds per stage.

bench/throughput.py says how long each stage takes; this says what the other core does meanwhile. It
ingests the same synthetic corpus once (models loaded before the clock, as there), samples the CPU time
of this process and of its masking workers every 50 ms from /proc, and charges each interval to the
innermost stage this process is in (the stages of masking/stage_clock.py; "between stages": waits and
bookkeeping; a moment when the writer thread writes one part while the next is prepared goes to the
shorter of the two stages). Idle core-seconds = cores x wall - the CPU time used: what a better schedule could win.
Linux only (/proc).

    python bench/timeline.py [--docs 200] [--doc-chars 3000] [--workers 0]
                             [--embedding-precision auto|fp32|bf16|int8|int8-static] [--corpus paragraphs|cases]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.throughput_corpus import build_corpus, build_long_corpus, descendant_pids  # noqa: E402
from masking.stage_clock import StageClock  # noqa: E402

SAMPLE_S = 0.05
TICKS = os.sysconf("SC_CLK_TCK")
BETWEEN = "between stages"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process so far (0 once it has ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class Timeline:
    """Stage intervals of this process and CPU samples of it and its children."""

    stages: list[tuple[str, float, float]] = field(default_factory=list)
    samples: list[tuple[float, float, dict[int, float]]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        me = os.getpid()
        while not self.stopped.wait(SAMPLE_S):
            children = {pid: cpu_seconds(pid) for pid in descendant_pids(me)}
            self.samples.append((time.perf_counter(), cpu_seconds(me), children))

    def recording_stages(self) -> None:
        """Every StageClock of this process also records its intervals here (the benchmark's own run)."""
        timed = StageClock.__call__
        stages = self.stages

        @contextmanager
        def recorded(clock: StageClock, stage: str) -> Iterator[None]:
            started = time.perf_counter()
            with timed(clock, stage):
                yield
            stages.append((stage, started, time.perf_counter()))

        StageClock.__call__ = recorded  # type: ignore[method-assign,assignment]

    def stage_at(self, moment: float) -> str:
        """The innermost (shortest) stage interval holding the moment."""
        holding = [(end - start, stage) for stage, start, end in self.stages if start <= moment < end]
        return min(holding)[1] if holding else BETWEEN

    def by_stage(self, cores: int) -> dict[str, dict[str, float]]:
        totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for (t0, own0, kids0), (t1, own1, kids1) in zip(self.samples, self.samples[1:], strict=False):
            wall = t1 - t0
            own = own1 - own0
            workers = sum(seconds - kids0.get(pid, seconds) for pid, seconds in kids1.items() if pid in kids0)
            row = totals[self.stage_at((t0 + t1) / 2)]
            row["wall"] += wall
            row["this process"] += own
            row["workers"] += workers
            row["idle"] += max(0.0, cores * wall - own - workers)
        return totals


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--doc-chars", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=0, help="masking processes (0: the cores)")
    parser.add_argument(
        "--embedding-precision",
        default="auto",
        choices=["auto", "fp32", "bf16", "int8", "int8-static"],
        help="fp32 shows a CPU without bf16 units on one that has them",
    )
    parser.add_argument(
        "--corpus", default="paragraphs", choices=["paragraphs", "cases"], help="as bench/throughput.py's"
    )
    args = parser.parse_args(argv)

    from flows.operations.ingest import run_ingest
    from flows.pipeline.masking_workers import default_workers
    from flows.settings import IngestSettings, StoreSettings
    from masking import MaskingKeys

    keys = MaskingKeys(b"bench-timeline-key-not-secret")
    with tempfile.TemporaryDirectory(prefix="ragmask-timeline-") as tmp:
        work = Path(tmp)
        corpus, warm_up = work / "corpus", work / "warm-up"
        corpus.mkdir()
        warm_up.mkdir()
        (build_long_corpus if args.corpus == "cases" else build_corpus)(corpus, args.docs, args.doc_chars)
        (warm_up / "warm-up.txt").write_text("Jane Doe wrote to jane@example.com.", encoding="utf-8")
        run_ingest(
            [warm_up],
            IngestSettings(
                stores=StoreSettings(data_dir=work / "warm-up-data").resolved(),
                embedding_precision=args.embedding_precision,
            ),
            keys=keys,
        )

        timeline = Timeline()
        timeline.recording_stages()
        sampler = threading.Thread(target=timeline.sample, daemon=True)
        settings = IngestSettings(
            stores=StoreSettings(data_dir=work / "data").resolved(),
            workers=args.workers,
            embedding_precision=args.embedding_precision,
        )
        started = time.perf_counter()
        sampler.start()
        run_ingest([corpus], settings, keys=keys)
        wall = time.perf_counter() - started
        timeline.stopped.set()
        sampler.join()

    cores = default_workers()
    rows = timeline.by_stage(cores)
    print(f"{args.docs} documents in {wall:.2f} s on {cores} cores")
    print(f"{'stage':20s} {'wall s':>7s} {'this process':>13s} {'workers':>8s} {'idle core-s':>12s}")
    for stage, row in sorted(rows.items(), key=lambda item: -item[1]["wall"]):
        print(
            f"{stage:20s} {row['wall']:7.2f} {row['this process']:13.2f} {row['workers']:8.2f} {row['idle']:12.2f}"
        )
    print(
        f"{'total':20s} {sum(r['wall'] for r in rows.values()):7.2f} "
        f"{sum(r['this process'] for r in rows.values()):13.2f} {sum(r['workers'] for r in rows.values()):8.2f} "
        f"{sum(r['idle'] for r in rows.values()):12.2f}"
    )
    return 0


# masking workers are spawned: they import this module without running it
if __name__ == "__main__":
    raise SystemExit(main())
