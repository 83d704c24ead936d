"""The settings of ``audit`` and ``scrub``: a collection scanned for unmasked personal data, and one that
holds raw text masked into a new one."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from flows.settings.fields import (
    EmbeddingModel,
    KeyFile,
    MaskingProcesses,
    MaxQuarantined,
    Policy,
    PolicyFile,
    SpacyModel,
)
from flows.settings.ingest_settings import IngestSettings
from flows.settings.operation_settings import OperationSettings
from flows.settings.stores import COLLECTION_NAME, StoreSettings
from indexers.embedding import DEFAULT_EMBEDDING_MODEL
from indexers.payload_formats import FormatChoice
from indexers.quarantine import DEFAULT_MAX_QUARANTINED
from masking.detector_config import DEFAULT_SPACY_MODEL

# what a scrub masks and embeds with, as an ingest would
MASKING_FIELDS = ("policy", "policy_file", "spacy_model", "embedding_model", "key_file", "workers")


class AuditSettings(OperationSettings):
    """What an audit scans and with which detectors."""

    FORM_ESSENTIALS: ClassVar[tuple[str, ...]] = ("policy", "fail_on_findings")

    payload_format: Annotated[
        FormatChoice,
        Field(
            title="Payload format",
            description="The collection's layout (auto: detected); its type names and ids are not read as content.",
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
            description="A scheduled audit that finds something fails, so an alert on failed runs catches it.",
        ),
    ] = True


class ScrubSettings(OperationSettings):
    """A collection that holds raw text, masked and re-embedded into a new one in the same layout."""

    FORM_ESSENTIALS: ClassVar[tuple[str, ...]] = (
        "source_collection",
        "target_collection",
        "payload_format",
        "policy",
        "delete_source",
        "dry_run",
    )
    FORM_COLLECTION: ClassVar[bool] = False

    source_collection: Annotated[
        str,
        Field(
            title="Source collection",
            pattern=COLLECTION_NAME,
            min_length=1,
            description="The collection that holds raw text; left as it is unless deleted.",
        ),
    ]
    target_collection: Annotated[
        str,
        Field(
            title="Target collection",
            pattern=COLLECTION_NAME,
            min_length=1,
            description="The masked copy, written in the same payload format.",
        ),
    ]
    payload_format: Annotated[
        FormatChoice,
        Field(title="Source payload format", description="The source's payload format (auto: detected)."),
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
        bool, Field(title="Delete the source", description="Delete the source once the target audits clean.")
    ] = False
    dry_run: Annotated[
        bool,
        Field(title="Dry run", description="Read and mask, write nothing; counts and a few masked samples."),
    ] = False
    stores: Annotated[
        StoreSettings,
        Field(title="Stores", description="Qdrant and lineage store (the collection is the target)."),
    ] = StoreSettings()
    policy: Policy = "default"
    policy_file: PolicyFile = ""
    spacy_model: SpacyModel = DEFAULT_SPACY_MODEL
    embedding_model: EmbeddingModel = DEFAULT_EMBEDDING_MODEL
    key_file: KeyFile = ""
    workers: MaskingProcesses = 0
    max_quarantined: MaxQuarantined = DEFAULT_MAX_QUARANTINED

    @model_validator(mode="after")
    def _target_is_the_collection(self) -> ScrubSettings:
        """The stores' collection would be a second, ignored name for the target: refused."""
        if self.stores.collection and self.stores.collection != self.target_collection:
            raise ValueError(
                "a scrub writes to its target collection: leave the stores' collection empty "
                f"(it was {self.stores.collection!r}, the target is {self.target_collection!r})"
            )
        return self

    def masking(self) -> IngestSettings:
        """How the target is masked and embedded, and where it is written (its lineage records it)."""
        return IngestSettings(
            stores=self.stores.model_copy(update={"collection": self.target_collection}),
            **self.model_dump(include=set(MASKING_FIELDS)),
        )
