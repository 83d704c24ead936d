"""Both sides of bench/throughput.py as a user meets them: whole processes, timed from their start to their
exit, imports and model loads included (``--whole-process``).

- ragmask: ``python -m flows.cli ingest CORPUS --data-dir WORK --json`` (the CLI's direct path, as
  ``ragmask ingest`` runs it), with the benchmark's options as its flags.
- naive: this file run as a script (``python bench/whole_process.py naive CORPUS WORK OPTIONS``): the
  naive pipeline of bench/throughput_systems.py, its imports inside the process.

The wall time is the parent's clock around the child (start to reaped). Peak RSS: the child's own, from
``wait4``; its masking workers' largest, sampled from /proc while it runs. The start-up each
reports: ragmask's ``seconds.startup`` (from the process's start until its models are loaded and its first
document is masked), the naive script's time from its start until its models are loaded and warm. What
each stored is read back after its process has exited, outside the clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.throughput_corpus import COLLECTION, _status_kib, corpus_files, descendant_pids  # noqa: E402

SECRET = "bench-throughput-key-not-secret"


def ragmask_command(corpus: Path, work: Path, options: dict[str, Any]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "flows.cli",
        "ingest",
        str(corpus),
        "--data-dir",
        str(work / "data"),
        "--collection",
        COLLECTION,
        "--workers",
        str(options["workers"]),
        "--embedding-view",
        options["embedding_view"],
        "--embedding-precision",
        options["embedding_precision"],
        "--embedding-backend",
        options["embedding_backend"],
        "--json",
    ]


def naive_command(corpus: Path, work: Path, options: dict[str, Any]) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "naive",
        str(corpus),
        str(work),
        json.dumps(options),
    ]


class WorkerPeakRss:
    """The largest high-water mark (VmHWM) among a process's descendants, sampled while it runs."""

    def __init__(self, pid: int, interval_s: float = 0.25) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            for pid in descendant_pids(self.pid):
                self.peak_mb = max(self.peak_mb, _status_kib(pid, "VmHWM") / 1024)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def run_whole(system: str, corpus: Path, work: Path, options: dict[str, Any]) -> dict[str, Any]:
    """One system as a whole process: wall seconds, peak RSS, what it reports, and where it stored."""
    command = (ragmask_command if system == "ragmask" else naive_command)(corpus, work, options)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "RAGMASK_SECRET_KEY": SECRET,
        "PREFECT_API_URL": "",
        "PYTHONPATH": str(REPO),
    }
    output_file, errors_file = work / "stdout.txt", work / "stderr.txt"
    with output_file.open("w", encoding="utf-8") as output, errors_file.open("w", encoding="utf-8") as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=output, stderr=errors, env=env, cwd=REPO)
        workers = WorkerPeakRss(child.pid)
        # reaped here, so that its resource usage is its own
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    worker_peak = workers.stop()
    if child.returncode != 0:
        last = (errors_file.read_text(encoding="utf-8").strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"throughput: {system} failed: {last}")
    reported: dict[str, Any] = json.loads(output_file.read_text(encoding="utf-8").strip().splitlines()[-1])
    # the child's high-water mark (or a worker's it waited for, were one larger)
    peak = usage.ru_maxrss / 1024
    if system == "ragmask":
        from bench.throughput_systems import embedding_of
        from flows.settings import IngestSettings

        stages = reported["seconds"]
        chosen = IngestSettings(
            embedding_view=options["embedding_view"],
            embedding_precision=options["embedding_precision"],
            embedding_backend=options["embedding_backend"],
        )
        return embedding_of(chosen) | {
            "seconds": seconds,
            "peak_rss_mb": peak,
            "worker_peak_rss_mb": worker_peak,
            "load_s": stages.get("startup", 0.0),
            "documents": reported["documents_indexed"],
            "chunks": reported["chunks_indexed"],
            "stage_seconds": {k: v for k, v in stages.items() if k != "startup"},
            "qdrant_path": str(work / "data" / "qdrant"),
        }
    return reported | {"seconds": seconds, "peak_rss_mb": peak, "worker_peak_rss_mb": worker_peak}


def naive_main(corpus: Path, work: Path, options: dict[str, Any]) -> int:
    """The naive pipeline in this process, its start-up counted from the process's start."""
    from bench.throughput_systems import run_naive
    from flows.runtime.process import process_started_at

    started = process_started_at()
    numbers = run_naive(corpus, work, options)
    numbers["load_s"] = time.perf_counter() - started - numbers["seconds"]
    numbers["documents"] = len(corpus_files(corpus))
    print(json.dumps(numbers))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "naive":
        raise SystemExit("usage: whole_process.py naive CORPUS WORK OPTIONS_JSON")
    sys.exit(naive_main(Path(sys.argv[2]), Path(sys.argv[3]), json.loads(sys.argv[4])))
