"""The settings more than one operation takes, declared once each: type, title, description and bounds.

They are the Prefect forms' fields and, through flows/settings/cli_options.py, the CLI's options.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from flows.settings.stores import StoreSettings
from indexers.quarantine import QuarantineLimit, QuarantineLimitError
from masking.policy import PRESETS

PresetName = Literal["default", "strict", "hipaa"]
EmbeddingView = Literal["auto", "types", "tokens"]
EmbeddingPrecision = Literal["auto", "fp32", "bf16", "int8", "int8-static"]
EmbeddingBackend = Literal["auto", "torch", "openvino"]
TaskRunnerName = Literal["threads", "dask"]
MIN_CHUNK_TOKENS = 16

PRESET_NAMES: tuple[PresetName, ...] = ("default", "strict", "hipaa")
# one list of presets: masking.policy's
assert set(PRESET_NAMES) == set(PRESETS)

Stores = Annotated[StoreSettings, Field(title="Stores", description="Collection, Qdrant and lineage store.")]
KeyFile = Annotated[
    str,
    Field(
        title="Masking key file",
        description="A path on the worker, outside the data directory. Empty: RAGMASK_SECRET_KEY / "
        "RAGMASK_KEY_FILE, else the data directory's key.",
    ),
]
EmbeddingModel = Annotated[
    str,
    Field(title="Embedding model", min_length=1, description="sentence-transformers model name or path."),
]
SpacyModel = Annotated[
    str, Field(title="spaCy model", min_length=1, description="Installed spaCy model name or path (NER).")
]
Policy = Annotated[
    PresetName,
    Field(
        title="Masking policy",
        description="Preset: default (mask PII), strict (mask more, lower thresholds), hipaa (the 18 "
        "identifiers). The command line also takes a YAML/TOML policy file here.",
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
        description="Processes that mask, this one included: a batch of 50,000+ characters is split between "
        "them. 0: the cores this process may use; 1: no worker processes. Ingest and reindex with the Dask "
        "runner and no scheduler: the local cluster's workers.",
    ),
]


def _quarantine_limit(value: str) -> str:
    """A count or a share, in ragmask's words when it is neither (the regex would say nothing)."""
    try:
        return QuarantineLimit(value.strip()).text
    except QuarantineLimitError as error:
        raise ValueError(str(error)) from None


MaxQuarantined = Annotated[
    str,
    Field(
        title="Most documents quarantined",
        description="Scrub and full re-index: documents whose written points still audit dirty are left out "
        "and listed; the run goes live with at most this many (a count, or a share such as 1%), else it "
        "fails closed.",
        # for the server to refuse what the body refuses (the body says why in words)
        json_schema_extra={"pattern": r"^\s*(\d+|\d+(\.\d+)?\s*%)\s*$"},
    ),
    AfterValidator(_quarantine_limit),
]
Device = Annotated[
    str,
    Field(title="Embedding device", min_length=1, description="cpu, cuda, or auto: cuda where there is one."),
]
EmbedBatch = Annotated[
    int,
    Field(
        title="Embedding batch",
        ge=0,
        le=4096,
        description="Chunks per forward pass; 0: the device's default.",
    ),
]
