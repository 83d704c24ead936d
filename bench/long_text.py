"""Masking one long text: time and peak memory per size (the windows keep memory bounded).

Each size runs in a fresh process, so peak RSS is that size's own. ``left`` counts the e-mail
addresses and phone numbers written into the text that are still in the masked text (should be 0).

    python bench/long_text.py [--mb 1 5 50] [--n-process N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def peak_rss_mb() -> float:
    # Linux reports KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(megabytes: float, n_process: int) -> dict[str, Any]:
    """Mask one synthetic text of ``megabytes`` MB in this process and return the numbers."""
    from bench.synthetic import synthetic_text
    from masking import Masker, MaskingKeys
    from masking.detector_config import DetectorConfig

    masker = Masker(
        MaskingKeys(b"bench-long-text-key-not-secret"), detector_config=DetectorConfig(n_process=n_process)
    )
    masker.mask("warm-up", "Warm-up text for Jane Doe.")
    baseline = peak_rss_mb()
    sample = synthetic_text(int(megabytes * 1_000_000))
    started = time.perf_counter()
    result = masker.mask("long-text", sample.text)
    seconds = time.perf_counter() - started
    masked = result.masked_text or ""
    checked = sample.values["EMAIL_ADDRESS"] | sample.values["PHONE_NUMBER"]
    return {
        "mb": megabytes,
        "chars": len(sample.text),
        "status": result.report.status,
        "windows": result.report.windows,
        "entities": sum(result.report.entity_counts.values()),
        "seconds": round(seconds, 1),
        "chars_per_s": round(len(sample.text) / seconds),
        "rss_after_model_load_mb": round(baseline),
        "peak_rss_mb": round(peak_rss_mb()),
        "left": sum(value in masked for value in checked),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, nargs="+", default=[1.0, 5.0], help="text sizes in MB")
    parser.add_argument("--n-process", type=int, default=1, help="spaCy worker processes")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    # the child process
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.single:
        print(json.dumps(measure(args.mb[0], args.n_process)))
        return 0
    rows = []
    for megabytes in args.mb:
        child = [
            sys.executable,
            __file__,
            "--single",
            "--mb",
            str(megabytes),
            "--n-process",
            str(args.n_process),
        ]
        done = subprocess.run(child, capture_output=True, text=True, check=False, env=os.environ.copy())
        if done.returncode != 0:
            print(
                f"long_text: {megabytes} MB failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr
            )
            return 1
        rows.append(json.loads(done.stdout))
        if not args.json:
            row = rows[-1]
            print(
                f"{row['mb']:>6} MB  {row['seconds']:>8} s  {row['chars_per_s']:>7} chars/s  "
                f"peak RSS {row['peak_rss_mb']} MB (model loaded: {row['rss_after_model_load_mb']} MB)  "
                f"windows {row['windows']}  entities {row['entities']}  left {row['left']}  {row['status']}",
                flush=True,
            )
    if args.json:
        print(json.dumps({"n_process": args.n_process, "sizes": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
