"""What every ragmask process does first (the CLI's main, and each flow module a worker imports): the
logging allowlist, and owner-only files. The data directory holds the lineage store (the vault's
ciphertext, wrapped keys and access log among it) and Qdrant's files: with umask 077 everything this
process creates is 0600/0700, whatever the user's umask."""

from __future__ import annotations

import os

from flows.runtime.logging_setup import install_log_guard

PRIVATE_UMASK = 0o077


def harden_process() -> None:
    install_log_guard()
    os.umask(PRIVATE_UMASK)
