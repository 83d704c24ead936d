"""What a batch did and found: counts, stage seconds and the source scan; shared by the batch preparer
(which may run on a Dask worker) and the pipeline's writer. Doc ids, keyed hashes and numbers only."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from indexers.sources import SkippedFile, SourceFile
from masking.errors import RagmaskError
from masking.stage_clock import Seconds, add_seconds

SourceEntry = SourceFile | SkippedFile
# The stages a run's "seconds" reports, in pipeline order. "startup": from the start of a process that runs
# one operation (the CLI's), else of the run, until its models are loaded and its first document is masked.
STAGES = ("startup", "read", "detect", "propagate_tokenise", "closure", "leak_check", "chunk", "embed", "upsert",
          "lineage")  # fmt: skip


@dataclass(frozen=True)
class DocumentProblem:
    """A document (or a file meant to be read) that a run did not write, named safely: its doc id, its
    *masked* source path (the form ``metadata.source`` keeps: "hr / <PERSON_1a2b> .docx"), how it ended
    (skipped, failed, quarantined), at which stage (read, mask, embed, write, audit) and why, in
    ragmask's words (never content, a value or a raw file name)."""

    doc_id: str
    source: str
    outcome: str
    stage: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def line(self) -> str:
        """One line for a terminal or a run log."""
        return f"{self.doc_id} ({self.source or 'source not named'}): {self.outcome} at {self.stage}: {self.reason}"


# told of each problem as the run meets it (the CLI's lines, a task's run log)
ErrorSink = Callable[[DocumentProblem], None]


class BatchFailedError(RagmaskError):
    """A batch failed for a reason outside any one document; the message names the type only."""


@dataclass
class IngestCounts:
    """What a run (or one batch of it) did; the ``ragmask ingest --json`` object is built from this."""

    documents_seen: int = 0
    # added + changed
    documents_indexed: int = 0
    # new to the collection
    documents_added: int = 0
    # a new version replaced the committed one
    documents_changed: int = 0
    documents_unchanged: int = 0
    documents_quarantined: int = 0
    documents_failed: int = 0
    chunks_indexed: int = 0
    # under an ingested directory, not read: unsupported type, symlink, duplicate
    files_skipped: int = 0
    # of those, meant to be read and could not be: a loop, a broken link, an OS error
    files_unreadable: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    # the documents above that failed or were quarantined, and the files that could not be read, by name
    problems: list[DocumentProblem] = field(default_factory=list)
    # per stage: read, ..., embed
    seconds: Seconds = field(default_factory=lambda: defaultdict(float))

    def add(self, other: IngestCounts) -> None:
        for name in (
            "documents_seen",
            "documents_indexed",
            "documents_added",
            "documents_changed",
            "documents_unchanged",
            "documents_quarantined",
            "documents_failed",
            "chunks_indexed",
            "files_skipped",
            "files_unreadable",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.entities.update(other.entities)
        self.problems += other.problems
        # the first batch's start-up is the run's; parts prepared elsewhere (Dask workers) started alongside
        startup = max(self.seconds.get("startup", 0.0), other.seconds.get("startup", 0.0))
        add_seconds(self.seconds, other.seconds)
        if startup:
            self.seconds["startup"] = startup

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("entities", "problems", "seconds")}
        seconds = {stage: round(self.seconds[stage], 2) for stage in STAGES if stage in self.seconds}
        return data | {
            "entities": dict(sorted(self.entities.items())),
            "problems": [p.to_dict() for p in self.problems],
            "seconds": seconds,
        }

    @property
    def partial(self) -> bool:
        """Some documents were not written: failed, quarantined, or in a file that could not be read."""
        return bool(self.documents_failed or self.documents_quarantined or self.files_unreadable)


@dataclass
class SourceScan:
    """What a run found under the paths it was given: the re-index's view of what vanished. Keyed hashes
    and doc ids only."""

    # doc ids read (or failed) this run
    seen: set[str] = field(default_factory=set)
    # files found but not (fully) read
    protected_origins: set[str] = field(default_factory=set)
    # a directory under them could not be listed
    incomplete_scopes: set[str] = field(default_factory=set)

    def add(self, other: SourceScan) -> None:
        self.seen |= other.seen
        self.protected_origins |= other.protected_origins
        self.incomplete_scopes |= other.incomplete_scopes
