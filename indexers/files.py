"""Owner-only directories for what ragmask stores (the data directory, Qdrant's local folder)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700


def private_directory(path: Path) -> Path:
    """``path`` created 0700 (parents as the umask says), or tightened to 0700 if it exists and is ours:
    a directory others cannot enter keeps its files private even if they were created 0644."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != PRIVATE_DIR:
        path.chmod(PRIVATE_DIR)
    return path
