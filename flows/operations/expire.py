"""``ragmask expire``'s body (kept free of Prefect imports): retention enforced by the system.

Documents whose indexed version is older than the retention are erased through the erasure path (delete
mode, a request and a signed receipt per batch of 500): the receipts are the proof that retention is
enforced. The same run ages out ragmask's own records: run rows that finished before the cutoff, the
vault's access log past its own retention (if set), and collections a full re-index replaced whose
time is up. A changed document is new content: its clock starts again at its new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flows.operations.erase import Erased, ErasingSettings, erase_documents
from indexers.document_catalog import DocumentCatalog
from indexers.erasure import drop_retired_collections
from indexers.lineage import LineageStore, utc_now
from indexers.run_log import RunLog
from indexers.vault_store import VaultStore
from masking import SettingsError, load_keys


class RetentionError(SettingsError):
    """A retention setting that cannot be used; one line."""


@dataclass
class ExpireResult:
    collection: str
    retention_days: float
    cutoff: str
    dry_run: bool = False
    documents_expired: int = 0
    receipts: list[str] = field(default_factory=list)
    run_rows_deleted: int = 0
    access_log_rows_deleted: int = 0
    previous_collections_dropped: list[str] = field(default_factory=list)
    # the documents past the retention (erased, or in a dry run, to be erased)
    doc_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The `ragmask expire --json` object."""
        return dict(self.__dict__)


def run_expire(
    settings: ErasingSettings,
    retention: timedelta,
    access_log_retention: timedelta | None = None,
    *,
    dry_run: bool = False,
    on_erased: Erased | None = None,
) -> ExpireResult:
    """Erase the collection's documents indexed before now - ``retention`` and age out ragmask's records."""
    settings = settings.resolved()
    if retention <= timedelta(0):
        raise RetentionError("the retention must be longer than zero")
    stores = settings.stores
    now = utc_now()
    cutoff = now - retention
    result = ExpireResult(
        stores.collection, round(retention / timedelta(days=1), 6), cutoff.isoformat(), dry_run
    )
    keys = load_keys(key_file=settings.key_path, data_dir=stores.data_path, create_missing=False)
    lineage = LineageStore(stores.lineage)
    try:
        lineage.check_key(keys.key_id)
        expired = DocumentCatalog(lineage).documents_indexed_before(stores.collection, cutoff)
        result.documents_expired, result.doc_ids = len(expired), list(expired)
        if dry_run:
            return result
        result.receipts = erase_documents(settings, keys, expired, on_erased)
        result.run_rows_deleted = RunLog(lineage).prune_runs(cutoff)
        if access_log_retention is not None:
            result.access_log_rows_deleted = VaultStore(lineage).prune_access_log(now - access_log_retention)
        result.previous_collections_dropped = drop_retired_collections(
            lineage, stores.qdrant, stores.collection, due_only=True
        )
    finally:
        lineage.close()
    return result
