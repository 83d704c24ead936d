"""Artifacts that more than one flow writes, and their keys.

A key names the artifact's kind and the collection (``ingest-summary-hr``): Prefect keeps a key's
history, so an operator follows one collection's masking counts over time, and collections do not mix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from prefect.artifacts import create_table_artifact

from flows.settings import StoreSettings
from flows.settings.values import redacted_url


def artifact_key(kind: str, collection: str) -> str:
    """``kind-collection`` as Prefect takes keys: lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", f"{kind}-{collection}".lower()).strip("-")


def stores_line(stores: StoreSettings) -> str:
    """Which stores a run wrote, without credentials: the Qdrant server or local folder, the lineage store."""
    resolved = stores.resolved()
    qdrant = resolved.qdrant
    where = redacted_url(qdrant.url) if qdrant.url else f"local folder {qdrant.path}"
    return f"Stores: Qdrant {where}; lineage {redacted_url(resolved.lineage_location)}."


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
