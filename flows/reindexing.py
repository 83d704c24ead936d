"""``ragmask reindex``'s body (kept free of Prefect imports): bring a collection in line with its sources.

Incremental: the ingest pipeline adds new documents and replaces changed ones (content hashes; tombstones
honoured: an erased document does not come back unchanged), then the documents that vanished from the
paths given are erased through the erasure path, in batches, each with a signed receipt. Which
documents belong to a path is in the lineage (the keyed hash of the path each was last read under); a
document counts as vanished only if the run read every directory under that path and did not find it,
and its file was not found unreadable (a corrupt file keeps its documents until it is fixed or gone).
Documents indexed before re-index existed (lineage revision 0004) carry no path and are never removed.

A change of policy, detector, embedding model or masking key makes the pipeline refuse before it
writes (flows/pipeline.py, ``check_profile``): one collection never mixes versions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.erasing import register_request, run_erase
from flows.ingesting import BatchRunner, IngestResult, Progress, run_ingest
from flows.pipeline import ErrorSink, batched
from flows.settings import IngestSettings
from indexers.erasure import ErasureError
from indexers.erasure_store import DELETE
from indexers.lineage import COMPLETED, FAILED, LineageStore
from indexers.qdrant_store import VectorStore
from indexers.sources import origin_of
from masking import MaskingKeys, load_keys

logger = logging.getLogger(__name__)
REMOVAL_BATCH = 500  # documents per erasure request (one receipt each)
Removed = Callable[[int, int], None]  # (documents removed so far, documents to remove)


@dataclass
class ReindexResult:
    ingest: IngestResult
    documents_removed: int = 0
    receipts: list[str] = field(default_factory=list)
    points_total: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The `ragmask reindex --json` object: ingest's keys, plus removals and their receipts."""
        return self.ingest.to_dict() | {"documents_removed": self.documents_removed, "receipts": self.receipts,
                                        "points_total": self.points_total}  # fmt: skip


def scope_keys(keys: MaskingKeys, paths: Sequence[Path]) -> set[str]:
    """The keyed hashes of the paths a run was given, as the lineage records them per document."""
    return {origin_of(keys.source_key, path, path).scope_key for path in paths}


def run_reindex(
    paths: Sequence[Path], settings: IngestSettings, *, run_id: str | None = None, keys: MaskingKeys | None = None,
    on_error: ErrorSink | None = None, progress: Progress | None = None, batch_runner: BatchRunner | None = None,
    on_removed: Removed | None = None,
) -> ReindexResult:  # fmt: skip
    """Re-index ``paths`` into the settings' collection: add, replace, then erase what vanished."""
    keys = keys or load_keys(
        key_file=settings.key_file, data_dir=settings.stores.data_dir, create_missing=True
    )
    ingested = run_ingest(paths, settings, run_id=run_id, keys=keys, on_error=on_error, progress=progress,
                          batch_runner=batch_runner, kind="reindex")  # fmt: skip
    result = ReindexResult(ingested, points_total=ingested.points_total)
    lineage = LineageStore(settings.stores.lineage)
    try:
        vanished = _vanished(lineage, settings, keys, paths, ingested)
        try:
            for batch in batched(vanished, REMOVAL_BATCH):
                receipt = run_erase(
                    settings, register_request(settings.stores, keys, documents=batch, mode=DELETE)
                )
                if not receipt["verified"]:
                    raise ErasureError(f"the removal of {len(batch)} vanished documents did not verify "
                                       f"(receipt {receipt['receipt_id']})")  # fmt: skip
                result.receipts.append(receipt["receipt_id"])
                result.documents_removed += len(batch)
                if on_removed:
                    on_removed(result.documents_removed, len(vanished))
        finally:
            result.points_total = VectorStore(settings.stores.qdrant, settings.stores.collection).count()
            status = COMPLETED if result.documents_removed == len(vanished) else FAILED
            lineage.finish_run(ingested.run_id, status, result.to_dict())
    finally:
        lineage.close()
    return result


def _vanished(
    lineage: LineageStore, settings: IngestSettings, keys: MaskingKeys, paths: Sequence[Path], ingested: IngestResult
) -> list[str]:  # fmt: skip
    scan = ingested.scan
    scopes = scope_keys(keys, paths)
    if scan.incomplete_scopes:
        logger.warning("%d of the paths given had a directory that could not be listed: nothing is removed "
                       "under them this run", len(scan.incomplete_scopes & scopes))  # fmt: skip
    known = lineage.documents_in_scopes(settings.stores.collection, sorted(scopes - scan.incomplete_scopes))
    return sorted(
        d for d, origin in known.items() if d not in scan.seen and origin not in scan.protected_origins
    )
