"""What every ragmask process does first (the CLI's main, and each flow module a worker imports): the
logging allowlist, and owner-only files. The data directory holds the lineage store (the vault's
ciphertext, wrapped keys and access log among it) and Qdrant's files: with umask 077 everything this
process creates is 0600/0700, whatever the user's umask."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from flows.runtime.logging_setup import install_log_guard

PRIVATE_UMASK = 0o077
# when this module was imported: the process's start where the system does not say
_IMPORTED_AT = time.perf_counter()
# set by a process that runs one operation and exits (the CLI's direct path)
_ONE_OPERATION = {"set": False}


def harden_process() -> None:
    install_log_guard()
    os.umask(PRIVATE_UMASK)


def run_one_operation() -> None:
    """Declare that this process runs one operation and exits (the CLI's direct path): it may then leave
    out what only another operation would import (flows/pipeline/lean_imports.py). A long-lived process
    (a flow run's worker, a test session) never declares it."""
    _ONE_OPERATION["set"] = True


def runs_one_operation() -> bool:
    return _ONE_OPERATION["set"]


def leave_at_once(code: int | str | None) -> None:
    """End a one-operation process now that its command is done: its output flushed, its stores closed, the
    interpreter's teardown of every loaded module (about a second with spaCy and OpenVINO loaded) skipped.
    A process that imported Prefect exits the usual way: Prefect sends its last logs at exit."""
    if not runs_one_operation() or "prefect" in sys.modules:
        return
    if isinstance(code, str):
        print(code, file=sys.stderr)
    if "indexers.qdrant_store" in sys.modules:
        from indexers.qdrant_store import close_local_clients

        close_local_clients()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else (1 if isinstance(code, str) else 0))


def process_started_at() -> float:
    """When this process started, on ``time.perf_counter``'s clock: from /proc on Linux (so the
    interpreter's own start and every import count), else when this module was imported."""
    try:
        fields = Path("/proc/self/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, ValueError, IndexError):
        return _IMPORTED_AT
    return time.perf_counter() - age
