"""Converted embedding models kept on disk between processes, and pruned so the cache does not grow forever.

Each conversion lives in a directory named by its fingerprint (the model's files and the converter's
versions: indexers/openvino_forward.py), about 90 MB each. An upgrade of OpenVINO, torch or transformers,
or a reinstalled model, makes a new fingerprint, and the old directory would stay for good; so whenever a
conversion is kept, directories not used for ``UNUSED_FOR`` are deleted, and staging directories a killed
process left behind after ``ABANDONED_AFTER``. A directory's modification time says when it was last used:
it is set when the conversion is kept and again each time a process reads it. Model weights only, never text.

Example:
    entry = cache_root() / fingerprint
    if (entry / "model.xml").is_file():
        mark_used(entry)
    else:
        keep(lambda path: openvino.save_model(graph, path), entry / "model.xml")
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

logger = logging.getLogger(__name__)

# a conversion no process read for this long is deleted
UNUSED_FOR = timedelta(days=30)
# a staging directory this old belonged to a process that died
ABANDONED_AFTER = timedelta(hours=1)
STAGING_PREFIX = ".staging-"
# Part of every cached conversion's fingerprint: raise it when the conversion changes.
CONVERSION_RECIPE = 2
# the packages a conversion depends on, read from their installed metadata (importing them takes seconds)
CONVERTER_PACKAGES = ("openvino", "torch", "transformers")


def _installed_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "absent"


def model_fingerprint(model_dir: Path, inputs: tuple[str, ...]) -> str:
    """What a converted model depends on: every file of the model's directory (name, size, modification
    time), the converter's and the model code's versions, the inputs and the recipe. Computed without
    importing any of them, so a process that finds the conversion never imports torch."""
    versions = "\0".join(_installed_version(package) for package in CONVERTER_PACKAGES)
    digest = hashlib.sha256(f"{CONVERSION_RECIPE}\0{versions}\0{','.join(inputs)}\n".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(model_dir)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def cache_root() -> Path:
    """Where converted models are kept: ``$XDG_CACHE_HOME/ragmask/openvino`` (``~/.cache/...``); delete
    it to reclaim the space at once."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ragmask" / "openvino"


def mark_used(entry: Path) -> None:
    """Record that a process read ``entry`` now, so pruning keeps it (best effort: a read-only disk)."""
    with suppress(OSError):
        os.utime(entry)


def keep(save: Callable[[Path], object], target: Path) -> None:
    """Have ``save`` write ``target`` (model.xml and its weights) whole or not at all: written beside it and
    renamed into place, so a concurrent process finds a complete copy or none; then prune the cache."""
    try:
        target.parent.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target.parent.parent))
    except OSError as error:
        # a read-only disk: the run goes on without the cache
        logger.info("the converted embedding model is not cached (%s)", type(error).__name__)
        return
    try:
        save(staging / target.name)
        # fails where another process kept its copy first
        staging.rename(target.parent)
    except (OSError, RuntimeError) as error:
        # that, or a full disk: no half-written copy is left
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_file():
            logger.info("the converted embedding model is not cached (%s)", type(error).__name__)
            return
    prune(target.parent.parent, keeping=target.parent)


def prune(root: Path, keeping: Path, now: float | None = None) -> int:
    """Delete the conversions under ``root`` unused for ``UNUSED_FOR`` and the staging directories older
    than ``ABANDONED_AFTER``, never ``keeping``; the number deleted. An entry another process deletes or
    is reading meanwhile is skipped (a read refreshes its time first)."""
    now = time.time() if now is None else now
    deleted = 0
    try:
        entries = [entry for entry in root.iterdir() if entry.is_dir() and entry != keeping]
    except OSError:
        return 0
    for entry in entries:
        limit = ABANDONED_AFTER if entry.name.startswith(STAGING_PREFIX) else UNUSED_FOR
        try:
            stale = now - entry.stat().st_mtime > limit.total_seconds()
        except OSError:
            # deleted by another process meanwhile
            continue
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
            deleted += not entry.exists()
    if deleted:
        logger.info("deleted %d stale entries of the model conversion cache (%s)", deleted, root)
    return deleted
