"""The settings of ``ingest`` and ``reindex``: how documents are read, masked, chunked, embedded and laid out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator

from flows.settings.fields import (
    MIN_CHUNK_TOKENS,
    Device,
    EmbedBatch,
    EmbeddingBackend,
    EmbeddingModel,
    EmbeddingPrecision,
    EmbeddingView,
    KeyFile,
    MaskingProcesses,
    MaxQuarantined,
    Policy,
    PolicyFile,
    SpacyModel,
    TaskRunnerName,
)
from flows.settings.operation_settings import OperationSettings
from indexers.embedding import DEFAULT_EMBEDDING_MODEL
from indexers.payload_formats import WritableFormat
from indexers.quarantine import DEFAULT_MAX_QUARANTINED
from indexers.readers import ReaderOptions
from masking.detector_config import DEFAULT_SPACY_MODEL

# bytes in a mebibyte: sizes are set in MiB
MIB = 1024 * 1024


class IngestSettings(OperationSettings):
    """How an ingest reads, masks, chunks, embeds and lays out documents, and where it writes them."""

    FORM_ESSENTIALS: ClassVar[tuple[str, ...]] = ("policy",)

    policy: Policy = "default"
    policy_file: PolicyFile = ""
    spacy_model: SpacyModel = DEFAULT_SPACY_MODEL
    embedding_model: EmbeddingModel = DEFAULT_EMBEDDING_MODEL
    key_file: KeyFile = ""
    batch_documents: Annotated[
        int,
        Field(
            title="Documents per batch",
            ge=1,
            le=10_000,
            description="Files per Prefect task run; a file of many records is masked and written this many at a time.",
        ),
    ] = 32
    embedding_view: Annotated[
        EmbeddingView,
        Field(
            title="Embedding view",
            description="What the embedding model sees of a chunk: each token as its type in words ('types', "
            "half the word pieces) or the chunk as stored ('tokens'); auto: the collection's own, 'types' for a "
            "new one.",
        ),
    ] = "auto"
    embedding_precision: Annotated[
        EmbeddingPrecision,
        Field(
            title="Embedding precision",
            description="bf16: the model's matrix products in bfloat16 where the CPU has bf16 units, vectors "
            "within rounding of fp32 ones; int8-static: weights and activations in int8, calibrated once, on the "
            "CPU through OpenVINO (cosine 0.996 to fp32); int8: torch's dynamic int8 (opt-in, lower fidelity); "
            "auto: the collection's own, for a new one bf16 where the CPU has bf16 units, else int8-static "
            "where it has int8 dot-product units (VNNI, AMX), else fp32.",
        ),
    ] = "auto"
    embedding_backend: Annotated[
        EmbeddingBackend,
        Field(
            title="Embedding backend",
            description="What computes the model's forward pass: openvino (fp32 and bf16 on a CPU, the same "
            "vectors within the precision's rounding) or torch; auto: openvino where it applies and is "
            "installed, else torch.",
        ),
    ] = "auto"
    device: Device = "auto"
    embed_batch_size: EmbedBatch = 0
    workers: MaskingProcesses = 0
    task_runner: Annotated[
        TaskRunnerName,
        Field(
            title="Task runner",
            description="threads: each batch prepared and written here; dask: batches read, masked and "
            "embedded on a Dask cluster (pip install 'ragmask[dask]'), written here.",
        ),
    ] = "threads"
    dask_address: Annotated[
        str,
        Field(
            title="Dask scheduler",
            description="With the dask runner: tcp://host:8786 of a running cluster whose workers see the "
            "sources at the same paths and hold the masking key; empty: a local cluster started for the run.",
        ),
    ] = ""
    chunk_tokens: Annotated[
        int,
        Field(
            title="Chunk size (tokens)",
            ge=0,
            le=8192,
            description=f"0: the embedding model's limit; else at least {MIN_CHUNK_TOKENS}.",
            # the body's bound, for the server to refuse too ("5 is less than the minimum of 16")
            json_schema_extra={"if": {"exclusiveMinimum": 0}, "then": {"minimum": MIN_CHUNK_TOKENS}},
        ),
    ] = 0
    chunk_overlap: Annotated[
        int,
        Field(
            title="Chunk overlap (tokens)",
            ge=0,
            le=1024,
            description="Tokens a chunk repeats from the one before.",
        ),
    ] = 32
    payload_format: Annotated[
        WritableFormat,
        Field(
            title="Payload format",
            description="Lay points out as this framework's Qdrant integration does, so its readers (a "
            "LangChain vector store, a LlamaIndex retriever, a Haystack document store) read the collection.",
        ),
    ] = "langchain"
    vault: Annotated[
        bool,
        Field(
            title="Vault",
            description="Keep token -> value maps, envelope-encrypted, for `ragmask rehydrate` (master key: "
            "RAGMASK_VAULT_KEY or the vault key file).",
        ),
    ] = False
    vault_key_file: Annotated[
        str,
        Field(title="Vault master key file", description="A path on the worker, outside the data directory."),
    ] = ""
    max_file_mib: Annotated[
        float,
        Field(title="Largest file (MiB)", gt=0, description="Larger files are skipped, each with one line."),
    ] = ReaderOptions().max_file_bytes / MIB
    max_document_chars: Annotated[
        int, Field(title="Longest document (characters)", ge=1, description="Longer documents are skipped.")
    ] = ReaderOptions().max_document_chars
    max_table_rows: Annotated[
        int,
        Field(
            title="Most table rows",
            ge=1,
            description="A CSV, TSV or workbook with more rows (all sheets) is skipped.",
        ),
    ] = ReaderOptions().max_table_rows

    @field_validator("chunk_tokens")
    @classmethod
    def _chunk_size(cls, value: int) -> int:
        if 0 < value < MIN_CHUNK_TOKENS:
            raise ValueError(
                f"a chunk of fewer than {MIN_CHUNK_TOKENS} tokens holds no context (0: the model's limit)"
            )
        return value

    @property
    def chunk_limit(self) -> int | None:
        """The chunk size in tokens; None: the embedding model's limit."""
        return self.chunk_tokens or None

    @property
    def reader(self) -> ReaderOptions:
        return ReaderOptions(
            max_file_bytes=round(self.max_file_mib * MIB),
            max_document_chars=self.max_document_chars,
            max_table_rows=self.max_table_rows,
        )

    @property
    def vault_key_path(self) -> Path | None:
        return Path(self.vault_key_file) if self.vault_key_file else None

    def describe(self) -> dict[str, Any]:
        """For the run record: no secrets, no paths of documents."""
        return {
            "policy": self.policy_spec,
            "spacy_model": self.spacy_model,
            "embedding_model": self.embedding_model,
            "embedding_view": self.embedding_view,
            "embedding_precision": self.embedding_precision,
            "embedding_backend": self.embedding_backend,
            "chunk_tokens": self.chunk_limit,
            "chunk_overlap": self.chunk_overlap,
            "vault": self.vault,
            "task_runner": self.task_runner,
            "payload_format": self.payload_format,
            "qdrant": self.stores.qdrant.describe(),
        }


class ReindexSettings(IngestSettings):
    """An ingest's settings, plus how a full re-index swaps collections."""

    FORM_ESSENTIALS: ClassVar[tuple[str, ...]] = ("policy", "full")

    full: Annotated[
        bool,
        Field(
            title="Full re-index",
            description="Rebuild into a fresh collection, swapped in once it audits clean (needed after a change "
            "of policy, model or key); the paths are then the whole source.",
        ),
    ] = False
    keep_previous_hours: Annotated[
        float,
        Field(
            title="Keep the replaced collection (hours)",
            ge=0,
            le=24 * 365,
            description="Full re-index: kept this long for a rollback (0: dropped at once).",
        ),
    ] = 24
    max_quarantined: MaxQuarantined = DEFAULT_MAX_QUARANTINED
