"""What preparing a batch yields for the writer: the versions ready to write, and the documents not
written with why (an ``Outcome``, named as a ``DocumentProblem`` once its source path is masked). Built
wherever the batch is prepared (this process or a Dask worker); raw URIs never leave the dataclasses'
own fields (``repr=False``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows.pipeline.batch_counts import DocumentProblem, IngestCounts, SourceScan
from indexers.index_writer import DocumentVersion
from masking.report import MaskingReport

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
