"""What a Prefect form may reach: paths under the sources ``ragmask serve`` was given, and the stores
serve was started with.

A deployment's form is open to whoever can trigger a run; without bounds, a run with ``paths=["/etc"]``
reads what the worker's user can read, and one with another ``data_dir`` writes a lineage store and
Qdrant wherever it points. ``ragmask serve`` sets both bounds in its own environment, which its flow runs
inherit: ``RAGMASK_SOURCE_ROOTS`` (the ``--source`` directories, resolved; a process without the variable,
such as the CLI, whose paths the operator typed, is not bound) and ``RAGMASK_FORM_STORES=locked`` (the
store fields of a form must be empty or the ones serve uses, unless serve was started with
``--allow-form-stores``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from masking.errors import SettingsError

SOURCE_ROOTS = "RAGMASK_SOURCE_ROOTS"
FORM_STORES = "RAGMASK_FORM_STORES"
LOCKED = "locked"


class OutsideSourcesError(SettingsError):
    """A form's path lies outside the configured sources; the message names the path as typed."""


def configured_roots() -> list[Path] | None:
    """The source roots, resolved; None where no bound is configured."""
    value = os.environ.get(SOURCE_ROOTS)
    if value is None:
        return None
    return [Path(root).expanduser().resolve() for root in value.split(os.pathsep) if root.strip()]


def check_within_sources(paths: Sequence[str]) -> None:
    """Refuse, before any work, a path that does not lie under a source root once symlinks are resolved."""
    roots = configured_roots()
    if roots is None:
        return
    for path in paths:
        resolved = Path(path).expanduser().resolve()
        if not any(resolved.is_relative_to(root) for root in roots):
            allowed = ", ".join(str(root) for root in roots) or "none: serve was given no --source"
            raise OutsideSourcesError(
                f"path {path!r} lies outside the sources this deployment may read ({allowed})"
            )


def stores_locked() -> bool:
    return os.environ.get(FORM_STORES) == LOCKED
