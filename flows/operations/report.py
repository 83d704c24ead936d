"""``ragmask report``'s body: the masking receipt of a document's indexed version, from the lineage.

When it was masked and indexed, which entity types and how many, which action each got, the score range,
the policy, detector and model versions and the key id: what a compliance reviewer asks of one document.
Never a value or a token (the masking report holds none); a document a run failed or quarantined is also
named by its masked source path, the form its payload keeps. The same rows go into each ingest run's
``ingest-reports`` artifact.
"""

from __future__ import annotations

from typing import Any

from flows.settings import StoreSettings
from indexers.document_catalog import DocumentCatalog
from indexers.erasure_requests import document_ids_for
from indexers.errors import LineageError
from indexers.lineage import COMMITTED, LineageStore
from masking import MaskingKeys

REPORT_FIELDS = ("status", "entity_counts", "actions", "scores", "propagated", "distinct_values", "policy",
                 "detector", "key_id", "started_at", "text_chars", "quarantine_reason")  # fmt: skip


class NoReportError(LineageError):
    """No indexed version of the document named; one line, no path in it."""


def run_report(stores: StoreSettings, keys: MaskingKeys, document: str) -> dict[str, Any]:
    """The report of the document's committed (or last quarantined) version, and what the last run that
    met it did (``last_outcome``: a failure names its stage and reason, and the masked source path):
    `ragmask report --json`. A document that failed before any version was written has the last outcome
    only (``report`` is None)."""
    stores = stores.resolved()
    lineage = LineageStore(stores.lineage)
    try:
        lineage.check_key(keys.key_id)
        doc_ids = document_ids_for(keys, document)
        catalog = DocumentCatalog(lineage)
        versions = catalog.version_reports(stores.collection, doc_ids=doc_ids)
        outcomes = catalog.last_outcomes(stores.collection, doc_ids)
    finally:
        lineage.close()
    if not versions and not outcomes:
        raise NoReportError(
            f"no document in collection {stores.collection!r} for the --document given: never met by a run"
        )
    if not versions:
        outcome = outcomes[0]
        return {
            "collection": stores.collection,
            "doc_id": outcome["doc_id"],
            "version": None,
            "status": outcome["status"],
            "run_id": outcome["run_id"],
            "chunks": 0,
            "committed_at": None,
            "report": None,
            "last_outcome": outcome,
        }
    latest = max(versions, key=lambda v: (v["status"] == "committed", v["version"]))
    # a later run failed or quarantined it: the version above is what is still indexed
    later = [o for o in outcomes if o["doc_id"] == latest["doc_id"] and o["status"] != COMMITTED]
    return {
        "collection": stores.collection,
        **summary_row(latest),
        "report": {name: latest["report"].get(name) for name in REPORT_FIELDS},
        "last_outcome": later[0] if later else None,
    }


def summary_row(version: dict[str, Any]) -> dict[str, Any]:
    """One version as a table row: ids, times and counts."""
    return {
        name: version[name] for name in ("doc_id", "version", "status", "run_id", "chunks", "committed_at")
    }
