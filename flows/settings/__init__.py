"""The settings: one type per operation (ingest_settings, erasure_settings,
audit_and_scrub_settings, serve_settings, over operation_settings), the stores they share (stores), the options
the command line generates from them (cli_options), and the sources a Prefect form may reach (source_roots)."""

from flows.settings.audit_and_scrub_settings import AuditSettings, ScrubSettings
from flows.settings.erasure_settings import CompactSettings, EraseSettings, ExpireSettings, ReceiptsSettings
from flows.settings.ingest_settings import IngestSettings, ReindexSettings
from flows.settings.operation_settings import OperationSettings
from flows.settings.serve_settings import ServeSettings
from flows.settings.stores import DEFAULT_COLLECTION, DEFAULT_DATA_DIR, StoreSettings

__all__ = [
    "DEFAULT_COLLECTION",
    "DEFAULT_DATA_DIR",
    "AuditSettings",
    "CompactSettings",
    "EraseSettings",
    "ExpireSettings",
    "IngestSettings",
    "OperationSettings",
    "ReceiptsSettings",
    "ReindexSettings",
    "ScrubSettings",
    "ServeSettings",
    "StoreSettings",
]
