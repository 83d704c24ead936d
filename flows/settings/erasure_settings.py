"""The settings of ``erase``, ``compact`` and ``expire``: where an erasure runs and what re-embeds redacted
chunks."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, ClassVar

from pydantic import Field

from flows.settings.fields import (
    Device,
    EmbedBatch,
    EmbeddingModel,
    KeyFile,
)
from flows.settings.operation_settings import OperationSettings
from indexers.embedding import DEFAULT_EMBEDDING_MODEL


class EraseSettings(OperationSettings):
    """Where an erasure runs, and the embedding model that re-embeds redacted chunks (the collection's)."""

    embedding_model: EmbeddingModel = DEFAULT_EMBEDDING_MODEL
    key_file: KeyFile = ""
    device: Device = "auto"
    embed_batch_size: EmbedBatch = 0


class CompactSettings(EraseSettings):
    """Where a compaction runs (it purges what erasures left behind)."""


class ExpireSettings(EraseSettings):
    """Retention of one collection: documents older than it are erased, with receipts."""

    FORM_ESSENTIALS: ClassVar[tuple[str, ...]] = ("retention_days", "dry_run")

    retention_days: Annotated[
        float,
        Field(
            title="Retention (days)",
            gt=0,
            le=36_500,
            description="Erase documents indexed longer ago than this.",
        ),
    ]
    access_log_retention_days: Annotated[
        float,
        Field(
            title="Vault access-log retention (days)",
            ge=0,
            le=36_500,
            description="Also delete vault access-log rows older than this. 0: the access log is kept.",
        ),
    ] = 0
    dry_run: Annotated[
        bool, Field(title="Dry run", description="Count what would expire; erase nothing.")
    ] = False

    def retention(self) -> tuple[timedelta, timedelta | None]:
        """The documents' retention and the access log's (None: kept)."""
        access_log = self.access_log_retention_days
        return timedelta(days=self.retention_days), timedelta(days=access_log) if access_log else None


class ReceiptsSettings(OperationSettings):
    """Checking the receipts' chain: with the receipt key, or with only its exported public key (an
    auditor's way: no secret at all)."""

    public_key: Annotated[
        str,
        Field(
            title="Public key",
            description="Check with this Ed25519 public key (PEM, from `receipts public-key`) instead of "
            "the receipt key; receipts from before Ed25519 are covered by a later receipt's chain.",
        ),
    ] = ""
    receipt_log: Annotated[
        str,
        Field(
            title="Receipt head log",
            description="The exported chain heads to check against (empty: receipt-heads.jsonl in "
            "$XDG_STATE_HOME/ragmask, where erasures write them).",
        ),
    ] = ""
