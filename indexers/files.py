"""Owner-only directories for what ragmask stores (the data directory, Qdrant's local folder).

ragmask makes a directory it creates private (0700) and marks it as its own (``MARKER``). A directory it did
not create is never chmod-ed behind its owner's back: one that holds ragmask's stores already (made by an
older version) or that its owner made private is taken as it is and marked; one that others may enter is
refused, unless ``ragmask init`` is asked to make it private.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from indexers.errors import StoreError

PRIVATE_DIR = 0o700
# in a directory ragmask created or was told to use (ragmask init)
MARKER = ".ragmask-owned"
# what an older ragmask left in its folders
STORE_NAMES = ("lineage.db", "qdrant", "collection", "meta.json")


class UnownedDirectoryError(StoreError):
    """A directory ragmask did not create is open to other users; ragmask will not change it."""


def private_directory(path: Path, *, take_over: bool = False) -> Path:
    """``path`` created 0700 and marked, or an existing directory ragmask may use (see the module);
    ``take_over`` (ragmask init): make an existing directory private and mark it."""
    if not path.exists():
        path.mkdir(parents=True, mode=PRIVATE_DIR)
        _mark(path)
        return path
    marked = (path / MARKER).exists()
    ours = marked or take_over or any((path / name).exists() for name in STORE_NAMES)
    info = path.stat()
    if not ours and stat.S_IMODE(info.st_mode) & 0o077:
        raise UnownedDirectoryError(
            f"{path} was not made by ragmask and other users may enter it (mode {stat.S_IMODE(info.st_mode):o}): "
            f"ragmask does not change it; run `ragmask init --data-dir {path}` to make it private and use it, "
            "or give a new folder"
        )
    if ours and info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != PRIVATE_DIR:
        path.chmod(PRIVATE_DIR)
    if not marked:
        _mark(path)
    return path


def _mark(path: Path) -> None:
    marker = path / MARKER
    marker.touch(mode=0o600, exist_ok=True)
