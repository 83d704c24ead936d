"""Artifacts that more than one flow writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect.artifacts import create_table_artifact


def quarantine_artifact(quarantined: Sequence[dict[str, Any]], key: str) -> None:
    """The documents a run left out: doc id, masked source, the types the audit found (never a value) and why."""
    create_table_artifact(
        [
            {
                "doc_id": d["doc_id"],
                "source": d["source"] or "-",
                "types": ", ".join(d["types"]) or "-",
                "reason": d["reason"],
            }
            for d in quarantined
        ],
        key=key,
        description=f"{len(quarantined)} documents quarantined: left out, never written raw",
    )
