"""What a batch did and found: counts, stage seconds and the source scan; shared by the batch preparer
(which may run on a Dask worker) and the pipeline's writer. Doc ids, keyed hashes and numbers only."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from indexers.sources import SkippedFile, SourceFile
from masking.errors import RagmaskError
from masking.stage_clock import Seconds, add_seconds

# (doc_id, source uri, one-line reason without content)
ErrorSink = Callable[[str, str, str], None]
SourceEntry = SourceFile | SkippedFile
# The stages a run's "seconds" reports, in pipeline order.
STAGES = ("read", "detect", "propagate_tokenise", "closure", "leak_check", "chunk", "embed", "upsert",
          "lineage")  # fmt: skip


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
        add_seconds(self.seconds, other.seconds)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("entities", "seconds")}
        seconds = {stage: round(self.seconds[stage], 2) for stage in STAGES if stage in self.seconds}
        return data | {"entities": dict(sorted(self.entities.items())), "seconds": seconds}


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
