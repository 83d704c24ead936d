"""What preparing a batch yields for the writer: the versions ready to write, and the documents not
written with why (an ``Outcome``, named as a ``DocumentProblem`` once its source path is masked). Built
wherever the batch is prepared (this process or a Dask worker); raw URIs never leave the dataclasses'
own fields (``repr=False``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from flows.pipeline.batch_counts import DocumentProblem, IngestCounts, SourceScan
from indexers.index_writer import DocumentVersion
from indexers.sources import source_words
from masking.report import MaskingReport

# loads Presidio and spaCy
if TYPE_CHECKING:
    from masking import Masker

# a problem's name when its source words could not be masked
WITHHELD_SOURCE = "(source withheld: could not be masked)"


@dataclass(frozen=True)
class Outcome:
    """A document (or skipped file) that is not written, and why: ``verb`` is how the run's error lines
    say it (skipped, quarantined, failed); ``reason`` never quotes content."""

    doc_id: str
    uri: str = field(repr=False)
    verb: str
    reason: str
    # read, mask, embed
    stage: str = "read"
    # kept in the lineage as FAILED / QUARANTINED (a skipped file is counted only)
    recorded: bool = True
    # a file that was meant to be read and could not be (a skipped file of another type is not a problem)
    unreadable: bool = False
    # the masked source path, once named (``BatchPreparer._name``)
    source: str = ""
    # quarantined: the version's content hash
    content_hash: str = ""
    # quarantined: the masking report
    report: MaskingReport | None = None

    @property
    def is_problem(self) -> bool:
        """Not written though meant to be: listed by name in the run's failures."""
        return self.recorded or self.unreadable

    def problem(self) -> DocumentProblem:
        return DocumentProblem(self.doc_id, self.source, self.verb, self.stage, self.reason)


@dataclass(frozen=True)
class PreparedDocument:
    """A version ready to write; ``values`` (vault only) is sealed, then cleared, by the writer."""

    version: DocumentVersion
    uri: str = field(repr=False)
    # the collection has a committed version of this document
    replaces: bool
    entity_counts: dict[str, int]
    values: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass
class PreparedBatch:
    """One batch prepared: what to write, in input order, and what not to, with counts and the scan."""

    counts: IngestCounts = field(default_factory=IngestCounts)
    scan: SourceScan = field(default_factory=SourceScan)
    # in the order the lineage records them
    outcomes: list[Outcome] = field(default_factory=list)
    ready: list[PreparedDocument] = field(default_factory=list)
    # the preparer's detector versions and dimension, if it masked
    model_profile: dict[str, Any] | None = None


def name_problems(batch: PreparedBatch, masker: Callable[[], Masker]) -> None:
    """The part's problems named by their masked source path, the form ``metadata.source`` keeps: a
    document that was not masked (unreadable, quarantined, failed) has its source words masked alone.
    ``masker`` is called (and loads) only when a part has a problem to name."""
    unnamed = [i for i, o in enumerate(batch.outcomes) if o.is_problem and not o.source]
    if not unnamed:
        return
    from masking import TextDocument

    masked = masker().mask_many(
        [
            TextDocument(batch.outcomes[i].doc_id, "", {"source": source_words(batch.outcomes[i].uri)})
            for i in unnamed
        ]
    )
    for i, result in zip(unnamed, masked, strict=True):
        result.values.clear()
        source = result.masked_fields.get("source") or WITHHELD_SOURCE
        batch.outcomes[i] = replace(batch.outcomes[i], source=source)
