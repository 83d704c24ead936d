"""The body of ``ragmask compact`` and the ``compact`` flow: purge the bytes of every erasure since the
last purge (local Qdrant: the files rewritten; server: an optimizer pass), with a receipt."""

from __future__ import annotations

from typing import Any

from flows.operations.erase import ErasingSettings, eraser_for


def run_compact(settings: ErasingSettings) -> dict[str, Any]:
    """Purge everything erased since the last purge; returns the compaction's receipt."""
    settings = settings.resolved()
    return eraser_for(settings).compact()
