"""One settings object per operation, carried whole from the CLI, or a deployment's form, to the flow
and into its body.

The CLI builds an ``<Operation>Parameters`` from its options; run in this process, the body gets
``parameters.settings()``; run through Prefect, the flow gets the same object as its ``settings``
parameter and its body gets the same ``settings()``. So the two paths cannot drift apart, and the form
in the Prefect UI is these models: typed fields with titles, descriptions, bounds, presets as choices.

Prefect stores parameters verbatim, so nothing here is a secret or a document's content: store fields
left empty are read from the worker's RAGMASK_* variables, a URL that holds a password is refused (unless
it is the worker's own variable, then it is left out), and the Qdrant API key never crosses.

Example::

    parameters = IngestParameters(stores=StoreParameters(collection="hr"), policy="strict")
    run_ingest([Path("/sources/hr")], parameters.settings())      # here
    ingest_flow(paths=["/sources/hr"], settings=parameters)         # through Prefect: the same settings
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypedDict, cast
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from flows.settings.run_settings import (
    DEFAULT_COLLECTION,
    DEFAULT_DATA_DIR,
    IngestSettings,
    StoreSettings,
    TaskRunnerName,
)
from flows.settings.source_roots import stores_locked
from indexers.embedding import DEFAULT_EMBEDDING_MODEL
from indexers.payload_formats import FormatChoice, WritableFormat
from indexers.quarantine import DEFAULT_MAX_QUARANTINED
from indexers.readers import ReaderOptions
from masking.detector_config import DEFAULT_SPACY_MODEL
from masking.errors import SettingsError
from masking.policy import PRESETS

PresetName = Literal["default", "strict", "hipaa"]
EmbeddingView = Literal["auto", "types", "tokens"]
EmbeddingPrecision = Literal["auto", "fp32", "bf16", "int8"]
EmbeddingBackend = Literal["auto", "torch", "openvino"]

# empty: from the environment
COLLECTION_NAME = r"^([A-Za-z0-9][A-Za-z0-9_.-]*)?$"
SECRET_URLS = ("qdrant_url", "lineage_url")
MIN_CHUNK_TOKENS = 16


def _holds_password(url: str) -> bool:
    try:
        return bool(urlsplit(url).password)
    except ValueError:
        # unparseable: treat as secret-bearing
        return True


def redacted_url(url: str | None) -> str | None:
    """A URL as it may be shown: its password replaced by ``***``."""
    if not url or not _holds_password(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def absolute_path(path: Path | str | None) -> str:
    """Paths cross to a worker absolute: a relative one would be read from the worker's directory."""
    return str(Path(path).expanduser().resolve()) if path else ""


class Parameters(BaseModel):
    """The base of every operation's settings object: frozen, no unknown fields (a typo is an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def effective(self) -> dict[str, Any]:
        """What a run really uses, as JSON (store fields resolved from RAGMASK_* variables, passwords
        redacted): the same on both paths, printed as ``settings`` in the command's ``--json``."""
        return self.model_dump(mode="json") | {"stores": self._stores().effective()}

    def for_flow_run(self, api_key: str | None = None) -> Self:
        """This object as Prefect may store it (see ``StoreParameters.for_flow_run``): the CLI calls it
        before it starts a flow run, and every flow again on what it was given."""
        return self.model_copy(update={"stores": self._stores().for_flow_run(api_key)})

    def _stores(self) -> StoreParameters:
        # each operation's model declares it where its form shows it
        stores = getattr(self, "stores", None)
        assert isinstance(stores, StoreParameters)
        return stores


class StoreParameters(Parameters):
    """Where a run reads and writes. Every field left empty comes from the worker's RAGMASK_* variable,
    else its default; server URLs with passwords belong there, never here."""

    collection: Annotated[
        str,
        Field(
            title="Collection",
            max_length=200,
            pattern=COLLECTION_NAME,
            description="Qdrant collection (its logical name). Empty: "
            f"RAGMASK_COLLECTION, else {DEFAULT_COLLECTION!r}.",
        ),
    ] = ""
    data_dir: Annotated[
        str,
        Field(
            title="Data directory",
            description="Where keys, the local lineage "
            f"store and local Qdrant live. Empty: RAGMASK_DATA_DIR, else "
            f"{str(DEFAULT_DATA_DIR)!r} in the worker's directory.",
        ),
    ] = ""
    qdrant_url: Annotated[
        str,
        Field(
            title="Qdrant URL",
            description="Qdrant server URL, without credentials. Empty: RAGMASK_QDRANT_URL, else local mode.",
        ),
    ] = ""
    qdrant_path: Annotated[
        str,
        Field(
            title="Qdrant local folder",
            description="Local-mode folder. Empty: RAGMASK_QDRANT_PATH, else qdrant/ in the data directory.",
        ),
    ] = ""
    lineage_url: Annotated[
        str,
        Field(
            title="Lineage store URL",
            description="SQLAlchemy URL without "
            "a password. Empty: RAGMASK_LINEAGE_URL, else SQLite in the "
            "data directory.",
        ),
    ] = ""

    @classmethod
    def of(cls, stores: StoreSettings) -> StoreParameters:
        """The CLI's store settings as parameters (paths absolute, the API key left behind)."""
        return cls(
            collection=stores.collection,
            data_dir=absolute_path(stores.data_dir),
            qdrant_url=stores.qdrant_url or "",
            qdrant_path=absolute_path(stores.qdrant_path),
            lineage_url=stores.lineage_url or "",
        )

    def for_flow_run(self, api_key: str | None = None) -> StoreParameters:
        """These parameters as Prefect may store them: a URL with a password is left out when it is the
        worker's own RAGMASK_* variable (the run reads it there) and refused otherwise; so is an API key
        given other than by RAGMASK_QDRANT_API_KEY."""
        if api_key and api_key != os.environ.get("RAGMASK_QDRANT_API_KEY"):
            raise SettingsError(
                "--qdrant-api-key cannot go to a flow run (Prefect stores parameters verbatim): "
                "set RAGMASK_QDRANT_API_KEY in the environment instead"
            )
        if stores_locked():
            self._check_unchanged()
        cleared: dict[str, str] = {}
        for name in SECRET_URLS:
            url = getattr(self, name)
            if url and _holds_password(url):
                variable = f"RAGMASK_{name.upper()}"
                if os.environ.get(variable) != url:
                    raise SettingsError(
                        f"--{name.replace('_', '-')} holds a password, and Prefect stores flow "
                        f"parameters verbatim: set {variable} in the environment instead"
                    )
                cleared[name] = ""
        return self.model_copy(update=cleared)

    def _check_unchanged(self) -> None:
        """Under ``ragmask serve`` (flows/settings/source_roots.py): a store field is empty or the one serve uses."""
        for name in ("data_dir", "qdrant_path", "qdrant_url", "lineage_url"):
            value, served = getattr(self, name), os.environ.get(f"RAGMASK_{name.upper()}", "")
            if name in ("data_dir", "qdrant_path"):
                value, served = absolute_path(value or None), absolute_path(served or None)
            if value and value != served:
                raise SettingsError(
                    f"{name} {getattr(self, name)!r} cannot be set from a form: this deployment "
                    "uses the stores `ragmask serve` was started with (serve "
                    "--allow-form-stores lets a form choose them)"
                )

    def settings(self, api_key: str | None = None) -> StoreSettings:
        """The store settings of the run: these fields, the empty ones from RAGMASK_* variables."""
        resolved = StoreSettings.from_env(
            data_dir=self.data_dir or None,
            collection=self.collection or None,
            qdrant_url=self.qdrant_url or None,
            qdrant_path=self.qdrant_path or None,
            lineage_url=self.lineage_url or None,
        )
        if api_key:
            return StoreSettings(**{**resolved.__dict__, "qdrant_api_key": api_key})
        return resolved

    def effective(self) -> dict[str, Any]:
        stores = self.settings()
        return {
            "collection": stores.collection,
            "data_dir": absolute_path(stores.data_dir),
            "qdrant_url": redacted_url(stores.qdrant_url),
            "qdrant_path": absolute_path(stores.qdrant_path) or None,
            "lineage_url": redacted_url(stores.lineage_url),
        }


Stores = Annotated[
    StoreParameters, Field(title="Stores", description="Collection, Qdrant and lineage store.")
]
KeyFile = Annotated[
    str,
    Field(
        title="Masking key file",
        description="A path on the worker, outside the "
        "data directory. Empty: RAGMASK_SECRET_KEY / RAGMASK_KEY_FILE, else the "
        "data directory's key.",
    ),
]
EmbeddingModel = Annotated[
    str,
    Field(
        title="Embedding model",
        min_length=1,
        description="sentence-transformers model name or path on the worker.",
    ),
]
SpacyModel = Annotated[
    str, Field(title="spaCy model", min_length=1, description="Installed spaCy model name or path (NER).")
]
Policy = Annotated[
    PresetName,
    Field(
        title="Masking policy",
        description="Preset: default (mask PII), strict "
        "(mask more, lower thresholds), hipaa (the 18 identifiers).",
    ),
]
PolicyFile = Annotated[
    str,
    Field(
        title="Policy file",
        description="A YAML/TOML policy file on the worker; replaces the preset when given.",
    ),
]


MaskingProcesses = Annotated[
    int,
    Field(
        title="Masking processes",
        ge=0,
        le=256,
        description="Processes that mask, the flow's own included: a batch of "
        "50,000+ characters is split between them. 0: the worker's cores; 1: no "
        "worker processes. Ingest and reindex with the Dask runner and no "
        "scheduler: the local cluster's workers.",
    ),
]


MaxQuarantined = Annotated[
    str,
    Field(
        title="Most documents quarantined",
        pattern=r"^\s*\d+(\.\d+)?\s*%?\s*$",
        description="Scrub and full re-index: documents whose written points "
        "still audit dirty are left out and listed; the run goes live with at most "
        "this many (a count, or a share such as 1%), else it fails closed.",
    ),
]


class PolicyFields(TypedDict):
    policy: PresetName
    policy_file: str


PRESET_NAMES: dict[str, PresetName] = {"default": "default", "strict": "strict", "hipaa": "hipaa"}
# one list of presets: masking.policy's
assert set(PRESET_NAMES) == set(PRESETS)


def policy_fields(policy: str | None) -> PolicyFields:
    """The CLI's --policy (a preset name or a file) as the form's two fields."""
    preset = PRESET_NAMES.get(policy or "default")
    if preset:
        return {"policy": preset, "policy_file": ""}
    return {"policy": "default", "policy_file": absolute_path(policy)}


class IngestParameters(Parameters):
    """How an ingest reads, masks, chunks, embeds and lays out documents, and where it writes them."""

    stores: Stores = StoreParameters()
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
            description="What the embedding model sees of a chunk: each token as its type in "
            "words ('types', half the word pieces) or the chunk as stored ('tokens'); auto: the collection's own, "
            "'types' for a new one.",
        ),
    ] = "auto"
    embedding_precision: Annotated[
        EmbeddingPrecision,
        Field(
            title="Embedding precision",
            description="bf16: the model's matrix products in bfloat16, 0.55-0.62x the "
            "fp32 time where the CPU has bf16 units, vectors within cosine 0.99998 of fp32 ones; int8: its linear layers in "
            "int8 on the CPU, vectors at cosine 0.96 (opt-in); auto: the collection's own, for a new one bf16 where "
            "the CPU has bf16 units, else fp32.",
        ),
    ] = "auto"
    embedding_backend: Annotated[
        EmbeddingBackend,
        Field(
            title="Embedding backend",
            description="What computes the model's forward pass: openvino (fp32 and bf16 "
            "on a CPU: 0.8x torch's time, the same vectors within the precision's rounding) or torch; auto: openvino "
            "where it applies and is installed, else torch.",
        ),
    ] = "auto"
    workers: MaskingProcesses = 0
    task_runner: Annotated[
        TaskRunnerName,
        Field(
            title="Task runner",
            description="threads: each batch prepared "
            "and written on this worker; dask: batches read, masked and "
            "embedded on a Dask cluster, written by this flow run.",
        ),
    ] = "threads"
    dask_address: Annotated[
        str,
        Field(
            title="Dask scheduler",
            description="tcp://host:8786 of a running "
            "cluster whose workers see the sources at the same paths and hold the "
            "masking key; empty: a local cluster started for the run.",
        ),
    ] = ""
    chunk_tokens: Annotated[
        int,
        Field(
            title="Chunk size (tokens)",
            ge=0,
            le=8192,
            description="0: the embedding model's limit; else at least 16.",
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
            description="Lay points out as this "
            "framework's Qdrant integration does, so its readers read the "
            "collection.",
        ),
    ] = "langchain"
    vault: Annotated[
        bool,
        Field(
            title="Vault",
            description="Keep token -> value maps, envelope-encrypted, for "
            "`ragmask rehydrate` (master key: the worker's RAGMASK_VAULT_KEY).",
        ),
    ] = False
    vault_key_file: Annotated[
        str, Field(title="Vault master key file", description="A path on the worker.")
    ] = ""
    max_file_bytes: Annotated[
        int,
        Field(
            title="Largest file (bytes)", ge=1, description="Larger files are skipped, each with one line."
        ),
    ] = ReaderOptions().max_file_bytes
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

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> IngestParameters:
        return cls(
            stores=StoreParameters.of(settings.stores),
            **policy_fields(settings.policy),
            spacy_model=settings.spacy_model,
            embedding_model=settings.embedding_model,
            key_file=absolute_path(settings.key_file),
            batch_documents=settings.batch_documents,
            workers=settings.workers,
            task_runner=settings.task_runner,
            dask_address=settings.dask_address or "",
            embedding_view=cast(EmbeddingView, settings.embedding_view),
            embedding_precision=cast(EmbeddingPrecision, settings.embedding_precision),
            embedding_backend=cast(EmbeddingBackend, settings.embedding_backend),
            chunk_tokens=settings.chunk_tokens or 0,
            chunk_overlap=settings.chunk_overlap,
            payload_format=settings.payload_format,
            vault=settings.vault,
            vault_key_file=absolute_path(settings.vault_key_file),
            max_file_bytes=settings.reader.max_file_bytes,
            max_document_chars=settings.reader.max_document_chars,
            max_table_rows=settings.reader.max_table_rows,
        )

    def settings(self, api_key: str | None = None) -> IngestSettings:
        reader = ReaderOptions(
            max_file_bytes=self.max_file_bytes,
            max_document_chars=self.max_document_chars,
            max_table_rows=self.max_table_rows,
        )
        return IngestSettings(
            stores=self.stores.settings(api_key),
            policy=self.policy_file or self.policy,
            spacy_model=self.spacy_model,
            embedding_model=self.embedding_model,
            chunk_tokens=self.chunk_tokens or None,
            chunk_overlap=self.chunk_overlap,
            batch_documents=self.batch_documents,
            workers=self.workers,
            task_runner=self.task_runner,
            dask_address=self.dask_address or None,
            embedding_view=self.embedding_view,
            embedding_precision=self.embedding_precision,
            embedding_backend=self.embedding_backend,
            key_file=_path(self.key_file),
            vault=self.vault,
            vault_key_file=_path(self.vault_key_file),
            payload_format=self.payload_format,
            reader=reader,
        )


def _path(value: str) -> Path | None:
    return Path(value) if value else None


class ReindexParameters(IngestParameters):
    """An ingest's settings, plus how a full re-index swaps collections."""

    full: Annotated[
        bool,
        Field(
            title="Full re-index",
            description="Rebuild into a fresh collection, swapped in "
            "once it audits clean (needed after a change of policy, model or key); the "
            "paths are then the whole source.",
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

    def settings(self, api_key: str | None = None) -> IngestSettings:
        return replace(super().settings(api_key), max_quarantined=self.max_quarantined)


class EraseParameters(Parameters):
    """Where an erasure runs, and the embedding model that re-embeds redacted chunks (the collection's)."""

    stores: Stores = StoreParameters()
    embedding_model: EmbeddingModel = DEFAULT_EMBEDDING_MODEL
    key_file: KeyFile = ""

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> Self:
        return cls(
            stores=StoreParameters.of(settings.stores),
            embedding_model=settings.embedding_model,
            key_file=absolute_path(settings.key_file),
        )

    def settings(self, api_key: str | None = None) -> IngestSettings:
        return IngestSettings(
            stores=self.stores.settings(api_key),
            embedding_model=self.embedding_model,
            key_file=_path(self.key_file),
        )


class CompactParameters(EraseParameters):
    """Where a compaction runs (it purges what erasures left behind)."""


class ExpireParameters(EraseParameters):
    """Retention of one collection: documents older than it are erased, with receipts."""

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
            description="0: the access log is kept.",
        ),
    ] = 0
    dry_run: Annotated[
        bool, Field(title="Dry run", description="Count what would expire; erase nothing.")
    ] = False

    def retention(self) -> tuple[timedelta, timedelta | None]:
        """The documents' retention and the access log's (None: kept)."""
        access_log = self.access_log_retention_days
        return timedelta(days=self.retention_days), timedelta(days=access_log) if access_log else None


class AuditParameters(Parameters):
    """What an audit scans and with which detectors."""

    stores: Stores = StoreParameters()
    payload_format: Annotated[
        FormatChoice,
        Field(
            title="Payload format",
            description="The collection's layout "
            "(auto: detected); its type names and ids are not read as "
            "content.",
        ),
    ] = "auto"
    policy: Policy = "default"
    policy_file: PolicyFile = ""
    spacy_model: SpacyModel = DEFAULT_SPACY_MODEL
    workers: MaskingProcesses = 0
    fail_on_findings: Annotated[
        bool,
        Field(
            title="Fail the run on findings",
            description="A scheduled audit "
            "that finds something fails, so an alert on failed runs catches "
            "it.",
        ),
    ] = True

    @property
    def policy_spec(self) -> str:
        return self.policy_file or self.policy


class ScrubParameters(Parameters):
    """A collection that holds raw text, masked and re-embedded into a new one in the same layout."""

    source_collection: Annotated[
        str,
        Field(
            title="Source collection",
            pattern=COLLECTION_NAME,
            description="Holds raw text; left as it is unless deleted below.",
        ),
    ]
    target_collection: Annotated[
        str, Field(title="Target collection", pattern=COLLECTION_NAME, description="The masked copy.")
    ]
    payload_format: Annotated[
        FormatChoice, Field(title="Source payload format", description="auto: detected from a point.")
    ] = "auto"
    text_field: Annotated[
        str, Field(title="Text field", description="raw format: the payload field with the chunk text.")
    ] = ""
    doc_key: Annotated[
        str, Field(title="Document key", description="Payload path (dotted) naming a point's document.")
    ] = ""
    alias: Annotated[
        str, Field(title="Alias", description="Point this alias at the target once it audits clean.")
    ] = ""
    delete_source: Annotated[
        bool, Field(title="Delete the source", description="Once the target audits clean.")
    ] = False
    dry_run: Annotated[bool, Field(title="Dry run", description="Read and mask, write nothing.")] = False
    stores: Annotated[
        StoreParameters,
        Field(title="Stores", description="Qdrant and lineage store (the collection is the target)."),
    ] = StoreParameters()
    policy: Policy = "default"
    policy_file: PolicyFile = ""
    spacy_model: SpacyModel = DEFAULT_SPACY_MODEL
    embedding_model: EmbeddingModel = DEFAULT_EMBEDDING_MODEL
    key_file: KeyFile = ""
    workers: MaskingProcesses = 0
    max_quarantined: MaxQuarantined = DEFAULT_MAX_QUARANTINED

    def settings(self, api_key: str | None = None) -> IngestSettings:
        # the lineage records it
        stores = self.stores.model_copy(update={"collection": self.target_collection})
        return IngestSettings(
            stores=stores.settings(api_key),
            policy=self.policy_file or self.policy,
            spacy_model=self.spacy_model,
            embedding_model=self.embedding_model,
            key_file=_path(self.key_file),
            workers=self.workers,
            max_quarantined=self.max_quarantined,
        )
