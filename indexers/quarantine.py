"""Documents whose written points still audit dirty: taken out of what a scrub or a full re-index wrote.

Both audit the collection they wrote (indexers/audit.py) before it goes live. A document with a suspected
value in any of its points is quarantined rather than the whole run failed: its points are deleted from the
new collection (nothing in it is raw: it is left out, never written unmasked), its version is recorded as
quarantined in the lineage with the types found (never a value, so ``ragmask report`` answers for it), and
it is listed by doc id and masked source. The run then swaps, points its alias or deletes its source only if
the quarantined documents are within ``QuarantineLimit`` (``--max-quarantined``, default 1% of documents);
above it, it fails closed as before. A suspected point the lineage cannot attribute to a document fails
the run closed too.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from indexers.audit import AuditReport
from indexers.document_catalog import DocumentCatalog
from indexers.lineage import QUARANTINED, LineageStore
from indexers.qdrant_store import VectorStore
from indexers.version_ledger import VersionLedger
from masking.errors import SettingsError

DEFAULT_MAX_QUARANTINED = "1%"
_LIMIT = re.compile(r"\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<share>%?)\s*")


class QuarantineLimitError(SettingsError):
    """A --max-quarantined value that is neither a count nor a percentage."""


@dataclass(frozen=True)
class QuarantineLimit:
    """How many documents a run may quarantine and still go live: a count ("3") or a share ("1%")."""

    text: str = DEFAULT_MAX_QUARANTINED

    def __post_init__(self) -> None:
        match = _LIMIT.fullmatch(self.text)
        if match is None or (match.group("share") and float(match.group("number")) > 100):
            raise QuarantineLimitError(
                f"max quarantined must be a count or a percentage such as 1%, not {self.text!r}"
            )
        if not match.group("share") and not match.group("number").isdigit():
            raise QuarantineLimitError(
                f"max quarantined must be a whole count or a percentage, not {self.text!r}"
            )

    def limit(self, documents: int) -> int:
        """The most documents quarantined that still let a run of ``documents`` go live."""
        match = _LIMIT.fullmatch(self.text)
        assert match is not None
        number = float(match.group("number"))
        return math.floor(number * documents / 100) if match.group("share") else int(number)

    def allows(self, quarantined: int, documents: int) -> bool:
        return quarantined <= self.limit(documents)


@dataclass(frozen=True)
class QuarantinedDocument:
    """A document left out: its id, its masked source, the types found (never a value), and why."""

    doc_id: str
    source: str
    types: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "types": list(self.types),
            "reason": self.reason,
        }


@dataclass
class DirtyDocuments:
    """The versions whose points audit dirty, with the types found; ``unattributed``: suspected points the
    lineage does not know (the run cannot quarantine them, so it fails closed)."""

    versions: dict[tuple[str, int], Counter[str]]
    unattributed: int = 0

    @property
    def doc_ids(self) -> list[str]:
        return sorted({doc_id for doc_id, _ in self.versions})


def dirty_documents(report: AuditReport, lineage: LineageStore, collection: str) -> DirtyDocuments:
    """The documents (versions) of ``collection`` that hold the audit's suspected points."""
    owners = DocumentCatalog(lineage).point_documents(collection, list(report.by_point))
    versions: dict[tuple[str, int], Counter[str]] = {}
    for point, types in report.by_point.items():
        if point in owners:
            versions.setdefault(owners[point], Counter()).update(types)
    return DirtyDocuments(versions, sum(point not in owners for point in report.by_point))


@dataclass(frozen=True)
class Quarantine:
    """What taking the dirty versions out needs to record once the run's own bookkeeping is done."""

    documents: list[QuarantinedDocument]
    # doc id, version, content hash, report
    outcomes: list[tuple[str, int, str, dict[str, Any]]]
    # deleted from the collection
    points: int = 0

    def record(self, lineage: LineageStore, collection: str, run_id: str) -> None:
        """Each document's quarantined version and last status, with its report and the types found."""
        by_id = {d.doc_id: d for d in self.documents}
        for doc_id, version, content_hash, report in self.outcomes:
            VersionLedger(lineage).record_outcome(
                collection,
                doc_id,
                QUARANTINED,
                run_id,
                by_id[doc_id].reason,
                version=version,
                content_hash=content_hash,
                report=report,
                source_masked=by_id[doc_id].source,
            )


def describe(
    dirty: DirtyDocuments, lineage: LineageStore, collection: str, sources: dict[str, str] | None = None
) -> list[QuarantinedDocument]:
    """The dirty documents as a run lists them (doc id, masked source, types, reason), nothing changed;
    ``sources``: masked sources the lineage does not hold yet (versions not committed)."""
    details = DocumentCatalog(lineage).version_details(collection, list(dirty.versions))
    known = sources or {}
    return [
        QuarantinedDocument(
            doc_id,
            known.get(doc_id) or details.get((doc_id, version), ("", {}, [], ""))[3],
            tuple(sorted(types)),
            f"the audit of what was written suspects {', '.join(sorted(types))}",
        )
        for (doc_id, version), types in sorted(dirty.versions.items())
    ]


def take_out(
    dirty: DirtyDocuments,
    store: VectorStore,
    lineage: LineageStore,
    collection: str,
    *,
    committed: bool,
    sources: dict[str, str] | None = None,
) -> Quarantine:
    """Delete the dirty versions' points from ``store`` and their rows from the lineage (chunks, entities,
    the version); ``committed``: the versions were committed (a scrub), so the documents no longer have one
    (a full re-index's are held back, and its documents' older versions are forgotten with the collection
    they are in). Returns what to record."""
    details = DocumentCatalog(lineage).version_details(collection, list(dirty.versions))
    documents = describe(dirty, lineage, collection, sources)
    outcomes, points = [], 0
    for document, (doc_id, version) in zip(documents, sorted(dirty.versions), strict=True):
        content_hash, report, point_ids, _source = details.get((doc_id, version), ("", {}, [], ""))
        store.delete(point_ids)
        points += len(point_ids)
        report = report | {
            "status": QUARANTINED,
            "quarantine_reason": document.reason,
            "audit_types": list(document.types),
        }
        outcomes.append((doc_id, version, content_hash, report))
    VersionLedger(lineage).drop_versions(collection, list(dirty.versions))
    if committed:
        VersionLedger(lineage).forget_current(collection, [doc_id for doc_id, _ in dirty.versions])
    return Quarantine(documents, outcomes, points)
