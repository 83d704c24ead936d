"""``ragmask report``'s body: the masking receipt of a document's indexed version, from the lineage.

When it was masked and indexed, which entity types and how many, which action each got, the score range,
the policy, detector and model versions and the key id: what a compliance reviewer asks of one document.
Never a value or a token (the masking report holds none). The same rows go into each ingest run's
``ingest-reports`` artifact.
"""

from __future__ import annotations

from typing import Any

from flows.settings import StoreSettings
from indexers.document_catalog import DocumentCatalog
from indexers.erasure_requests import document_ids_for
from indexers.errors import LineageError
from indexers.lineage import LineageStore
from masking import MaskingKeys

REPORT_FIELDS = ("status", "entity_counts", "actions", "scores", "propagated", "distinct_values", "policy",
                 "detector", "key_id", "started_at", "text_chars", "quarantine_reason")  # fmt: skip


class NoReportError(LineageError):
    """No indexed version of the document named; one line, no path in it."""


def run_report(stores: StoreSettings, keys: MaskingKeys, document: str) -> dict[str, Any]:
    """The report of the document's committed (or last quarantined) version: `ragmask report --json`."""
    stores = stores.resolved()
    lineage = LineageStore(stores.lineage)
    try:
        lineage.check_key(keys.key_id)
        versions = DocumentCatalog(lineage).version_reports(
            stores.collection, doc_ids=document_ids_for(keys, document)
        )
    finally:
        lineage.close()
    if not versions:
        raise NoReportError(
            f"no indexed version in collection {stores.collection!r} for the --document given"
        )
    latest = max(versions, key=lambda v: (v["status"] == "committed", v["version"]))
    return {
        "collection": stores.collection,
        **summary_row(latest),
        "report": {name: latest["report"].get(name) for name in REPORT_FIELDS},
    }


def summary_row(version: dict[str, Any]) -> dict[str, Any]:
    """One version as a table row: ids, times and counts."""
    return {
        name: version[name] for name in ("doc_id", "version", "status", "run_id", "chunks", "committed_at")
    }
