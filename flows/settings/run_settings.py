"""Settings shared by the CLI, the flows and the deployments; every one also from a RAGMASK_* variable
(the CLI's options declare the variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from indexers.embedding import DEFAULT_EMBEDDING_MODEL
from indexers.files import private_directory
from indexers.payload_formats import WritableFormat
from indexers.qdrant_store import QdrantLocation
from indexers.quarantine import DEFAULT_MAX_QUARANTINED
from indexers.readers import ReaderOptions
from masking.detector_config import DEFAULT_SPACY_MODEL

DEFAULT_DATA_DIR = Path(".ragmask")


DEFAULT_COLLECTION = "ragmask"
TaskRunnerName = Literal["threads", "dask"]
TASK_RUNNERS: tuple[TaskRunnerName, ...] = ("threads", "dask")


@dataclass(frozen=True)
class StoreSettings:
    """Where the data lives: the collection, Qdrant (server URL or local folder) and the lineage store."""

    data_dir: Path = DEFAULT_DATA_DIR
    collection: str = DEFAULT_COLLECTION
    qdrant_url: str | None = None
    qdrant_api_key: str | None = field(default=None, repr=False)
    qdrant_path: Path | None = None
    lineage_url: str | None = None

    @classmethod
    def from_env(
        cls,
        *,
        data_dir: str | None = None,
        collection: str | None = None,
        qdrant_url: str | None = None,
        qdrant_path: str | None = None,
        lineage_url: str | None = None,
    ) -> StoreSettings:
        """What a flow run uses: its parameters where given, else the worker's RAGMASK_* variables, so a
        deployment keeps server URLs and keys out of the parameters Prefect stores."""

        def pick(given: str | None, variable: str) -> str | None:
            return given if given is not None else os.environ.get(variable) or None

        path = pick(qdrant_path, "RAGMASK_QDRANT_PATH")
        return cls(
            data_dir=Path(pick(data_dir, "RAGMASK_DATA_DIR") or DEFAULT_DATA_DIR),
            collection=pick(collection, "RAGMASK_COLLECTION") or DEFAULT_COLLECTION,
            qdrant_url=pick(qdrant_url, "RAGMASK_QDRANT_URL"),
            qdrant_api_key=os.environ.get("RAGMASK_QDRANT_API_KEY") or None,
            qdrant_path=Path(path) if path else None,
            lineage_url=pick(lineage_url, "RAGMASK_LINEAGE_URL"),
        )

    @property
    def qdrant(self) -> QdrantLocation:
        if self.qdrant_url:
            return QdrantLocation(url=self.qdrant_url, api_key=self.qdrant_api_key)
        return QdrantLocation(path=self.qdrant_path or self.data_dir / "qdrant")

    @property
    def lineage(self) -> str:
        """The lineage store's URL, its data directory made ready to write (indexers/files.py)."""
        if self.lineage_url:
            return self.lineage_url
        private_directory(self.data_dir)
        return self.lineage_location

    @property
    def lineage_location(self) -> str:
        """The lineage store's URL, touching nothing: for reads that must not create a store."""
        return self.lineage_url or f"sqlite:///{(self.data_dir / 'lineage.db').resolve()}"


@dataclass(frozen=True)
class IngestSettings:
    """How documents are read, masked, chunked and embedded."""

    stores: StoreSettings = field(default_factory=StoreSettings)
    policy: str | None = None
    spacy_model: str = DEFAULT_SPACY_MODEL
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    device: str = "auto"
    # None: the embedder's default for its device
    embed_batch_size: int | None = None
    # types | tokens | auto: the collection's own, "types" for a new one
    embedding_view: str = "auto"
    # fp32 | bf16 | int8 | auto: the collection's own, and for a new one
    embedding_precision: str = "auto"
    # bf16 where the CPU has bf16 units, else fp32 (indexers/embedding_precision.py)
    # torch | openvino | auto: OpenVINO for fp32 and bf16 on a CPU
    embedding_backend: str = "auto"
    # None: the embedding model's limit
    chunk_tokens: int | None = None
    chunk_overlap: int = 32
    batch_documents: int = 32
    # processes that mask, this one included; 0: the cores this process may use. Above 1, worker processes
    # are spawned: a calling script needs its `if __name__ == "__main__":` guard (the CLI has it)
    workers: int = 1
    # threads: batches prepared in this process (masking over ``workers`` processes); dask: prepared on a
    # Dask cluster (``dask_address``, or a local one of ``workers`` processes), written by this process
    task_runner: TaskRunnerName = "threads"
    dask_address: str | None = None
    key_file: Path | None = None
    # keep token -> value maps, envelope-encrypted, for rehydration
    vault: bool = False
    vault_key_file: Path | None = None
    # how points are laid out: whose readers read them
    payload_format: WritableFormat = "langchain"
    reader: ReaderOptions = field(default_factory=ReaderOptions.from_env)
    # scrub and full re-index: documents that still audit dirty are left out; the run goes live with at most
    # this many of them (a count, or a share of the documents such as "1%"), else it fails closed
    max_quarantined: str = DEFAULT_MAX_QUARANTINED

    def describe(self) -> dict[str, Any]:
        """For the run record: no secrets, no paths of documents."""
        return {
            "policy": self.policy or "default",
            "spacy_model": self.spacy_model,
            "embedding_model": self.embedding_model,
            "embedding_view": self.embedding_view,
            "embedding_precision": self.embedding_precision,
            "embedding_backend": self.embedding_backend,
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap": self.chunk_overlap,
            "vault": self.vault,
            "task_runner": self.task_runner,
            "payload_format": self.payload_format,
            "qdrant": self.stores.qdrant.describe(),
        }
