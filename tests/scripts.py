"""A Python script or module of ragmask run in a child process from the repository root, as a user's
process would run it (its own imports, environment and exit code)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from tests.conftest import REPO


def run_python(
    args: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` (``-c SCRIPT ...`` or ``-m MODULE ...``) in ``env`` (default: this process's), its
    output captured as text; the caller checks the exit code."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ if env is None else env),
        cwd=REPO,
        timeout=timeout,
        check=False,
    )
