"""``ragmask reindex``'s body (kept free of Prefect imports): bring a collection in line with its sources.

Incremental: the ingest pipeline adds new documents and replaces changed ones (content hashes; tombstones
honoured: an erased document does not come back unchanged), then the documents that vanished from the
paths given are erased through the erasure path, in batches, each with a signed receipt. Which
documents belong to a path is in the lineage (the keyed hash of the path each was last read under); a
document counts as vanished only if the run read every directory under that path and did not find it,
and its file was not found unreadable (a corrupt file keeps its documents until it is fixed or gone).
Documents whose lineage holds no path (indexed by a version that recorded none) are never removed.

A change of policy, detector, embedding model or masking key makes the pipeline refuse before it
writes (flows/pipeline/ingest_pipeline.py, ``check_profile``): one collection never mixes versions.

Full (``full=True``): every document is written into a fresh physical collection ``<name>__<time>_<id>``
under the collection's own name in the lineage, its commits held back. The new collection is audited;
only a clean audit commits the new versions (superseding the old ones) and swaps the name to it; else it
is dropped with its pending versions and the old collection serves on. The paths given are then the
collection's whole source: every document the run did not find is erased (receipts), and one it found but
could not write (a corrupt file, a quarantine) is forgotten without a tombstone, so it comes back when
it can be read. The replaced collection is kept for ``keep_previous`` (a rollback), then dropped by the
next re-index; any erasure drops it at once, since the lineage no longer tracks its points. A plain
collection (what ingest creates) cannot be kept: Qdrant cannot rename it, and its name becomes the alias.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flows.operations.audit import run_audit
from flows.operations.erase import Erased, erase_documents
from flows.operations.ingest import IngestResult, Progress, run_ingest
from flows.pipeline.batch_runners import BatchRunner
from flows.pipeline.ingest_pipeline import DocumentProblem, ErrorSink, IngestPipeline
from flows.settings import IngestSettings, ReindexSettings
from indexers.collection_profiles import CollectionProfiles
from indexers.document_catalog import DocumentCatalog
from indexers.erasure import drop_retired_collections
from indexers.lineage import COMPLETED, FAILED, LineageStore
from indexers.lineage_deletion import LineageDeletion
from indexers.qdrant_store import VectorStore
from indexers.quarantine import DEFAULT_MAX_QUARANTINED, QuarantineLimit, dirty_documents, take_out
from indexers.rebuild import fresh_name
from indexers.run_log import RunLog
from indexers.sources import origin_of
from masking import MaskingKeys, RagmaskError, load_keys

logger = logging.getLogger(__name__)


DEFAULT_KEEP_PREVIOUS = timedelta(hours=24)


class FullReindexRefusedError(RagmaskError):
    """The new collection of a full re-index did not audit clean: it was dropped, the old one serves on."""


@dataclass
class ReindexResult:
    ingest: IngestResult
    documents_removed: int = 0
    receipts: list[str] = field(default_factory=list)
    points_total: int = 0
    full: bool = False
    # full: the physical collection that now serves the name
    swapped_in: str | None = None
    # full: the one it replaced, kept for a rollback
    previous_kept: str | None = None
    # full: found but not written (corrupt, quarantined): back when readable
    documents_forgotten: int = 0
    # full: left out, still dirty in the audit
    quarantined: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The `ragmask reindex --json` object: ingest's keys, plus removals and their receipts."""
        return self.ingest.to_dict() | {
            "documents_removed": self.documents_removed,
            "receipts": self.receipts,
            "points_total": self.points_total,
            "full": self.full,
            "swapped_in": self.swapped_in,
            "previous_kept": self.previous_kept,
            "documents_forgotten": self.documents_forgotten,
            "quarantined": self.quarantined,
        }


def scope_keys(keys: MaskingKeys, paths: Sequence[Path]) -> set[str]:
    """The keyed hashes of the paths a run was given, as the lineage records them per document."""
    return {origin_of(keys.source_key, path, path).scope_key for path in paths}


def run_reindex(
    paths: Sequence[Path],
    settings: IngestSettings,
    *,
    run_id: str | None = None,
    keys: MaskingKeys | None = None,
    on_error: ErrorSink | None = None,
    progress: Progress | None = None,
    batch_runner: BatchRunner | None = None,
    on_removed: Erased | None = None,
    full: bool = False,
    keep_previous: timedelta = DEFAULT_KEEP_PREVIOUS,
    links: dict[str, str] | None = None,
) -> ReindexResult:
    """Re-index ``paths`` into the settings' collection: add, replace, then erase what vanished; ``full``
    rebuilds it into a fresh collection swapped in once it audits clean."""
    settings = settings.resolved()
    keys = keys or load_keys(
        key_file=settings.key_path, data_dir=settings.stores.data_path, create_missing=True
    )
    lineage = LineageStore(settings.stores.lineage)
    try:
        drop_retired_collections(lineage, settings.stores.qdrant, settings.stores.collection, due_only=True)
        target = _fresh_target(settings, lineage) if full else None
        ingested = run_ingest(
            paths,
            settings,
            run_id=run_id,
            keys=keys,
            on_error=on_error,
            progress=progress,
            batch_runner=batch_runner,
            kind="reindex-full" if full else "reindex",
            target=target,
            links=links,
        )
        result = ReindexResult(ingested, points_total=ingested.points_total, full=full)
        if ingested.pipeline is not None:
            _swap_in(settings, lineage, ingested.pipeline, result, keep_previous)
        _remove_vanished(settings, lineage, keys, paths, result, on_removed)
    finally:
        lineage.close()
    return result


def _remove_vanished(
    settings: IngestSettings,
    lineage: LineageStore,
    keys: MaskingKeys,
    paths: Sequence[Path],
    result: ReindexResult,
    on_removed: Erased | None,
) -> None:
    """Erase what vanished (a request and receipt per batch); then close the run with the final counts."""
    ingested = result.ingest
    vanished = _vanished(lineage, settings, keys, paths, ingested, whole_collection=result.full)

    def removed(done: int, total: int) -> None:
        result.documents_removed = done
        if on_removed:
            on_removed(done, total)

    try:
        result.receipts = erase_documents(settings, keys, vanished, removed)
    finally:
        result.points_total = VectorStore(settings.stores.qdrant, settings.stores.collection).count()
        status = COMPLETED if result.documents_removed == len(vanished) else FAILED
        RunLog(lineage).finish_run(ingested.run_id, status, result.to_dict())


def _fresh_target(settings: IngestSettings, lineage: LineageStore) -> str:
    """A new physical collection's name; leftovers of full re-indexes that died are dropped first."""
    live = VectorStore(settings.stores.qdrant, settings.stores.collection)
    keep = set(CollectionProfiles(lineage).retired(settings.stores.collection)) | (
        {live.physical()} if live.exists() else set()
    )
    for orphan in set(live.siblings()) - keep:
        VectorStore(settings.stores.qdrant, orphan).drop()
    return fresh_name(settings.stores.collection)


def _swap_in(
    settings: IngestSettings,
    lineage: LineageStore,
    pipeline: IngestPipeline,
    result: ReindexResult,
    keep: timedelta,
) -> None:
    """Audit the new collection; documents that still audit dirty are quarantined (indexers/quarantine.py);
    within the limit: commit the other versions, swap the name to it, keep or drop the old one."""
    target, writer, collection = pipeline.store.collection, pipeline.writer, settings.stores.collection
    try:
        if pipeline.scan.incomplete_scopes:
            raise FullReindexRefusedError(
                "a directory under the paths could not be listed, and a full re-index "
                f"needs the whole source: dropped; {collection!r} is unchanged"
            )
        audit = run_audit(
            settings.stores.model_copy(update={"collection": target}),
            payload_format=settings.payload_format,
            policy=settings.policy_spec,
            spacy_model=settings.spacy_model,
            workers=settings.workers,
            reviewed_as=collection,
            key_file=settings.key_path,
        )
        dirty = dirty_documents(audit, lineage, collection)
        limit, written_documents = (
            QuarantineLimit(
                settings.max_quarantined if isinstance(settings, ReindexSettings) else DEFAULT_MAX_QUARANTINED
            ),
            len(writer.deferred),
        )
        if dirty.unattributed or not limit.allows(len(dirty.doc_ids), written_documents):
            raise FullReindexRefusedError(
                f"the new collection audited with {audit.suspected} suspected values in {len(dirty.doc_ids)} of "
                f"{written_documents} documents (more than --max-quarantined {limit.text}): dropped; {collection!r} "
                "is unchanged"
            )
        sources = {c.doc_id: c.source_masked for c in writer.deferred}
        writer.withhold(set(dirty.doc_ids))
        quarantine = take_out(dirty, pipeline.store, lineage, collection, committed=False, sources=sources)
    except BaseException:
        writer.abandon_deferred()
        pipeline.store.drop()
        pipeline.finish(result.ingest.counts, FAILED)
        raise
    written = {p.doc_id for p in writer.deferred}
    writer.commit_deferred()
    previous = VectorStore(settings.stores.qdrant, settings.stores.collection).swap_in(target)
    if previous is not None:
        if keep > timedelta(0):
            CollectionProfiles(lineage).retire(previous, settings.stores.collection, keep)
            result.previous_kept = previous
        else:
            VectorStore(settings.stores.qdrant, previous).drop()
    CollectionProfiles(lineage).set_profile(settings.stores.collection, pipeline.profile())
    result.swapped_in = target
    # found but not written (corrupt, quarantined): forgotten, no tombstone, so they come back when readable
    stale = set(DocumentCatalog(lineage).documents_in_collection(settings.stores.collection)) - written
    for doc_id in sorted(stale & pipeline.scan.seen):
        LineageDeletion(lineage).delete_document(settings.stores.collection, doc_id)
        result.documents_forgotten += 1
    quarantine.record(lineage, collection, result.ingest.run_id)
    result.quarantined = [d.to_dict() for d in quarantine.documents]
    if result.quarantined:
        logger.warning(
            "%d documents quarantined: left out of the new collection and listed by doc id",
            len(result.quarantined),
        )
    counts = result.ingest.counts
    counts.problems += [
        DocumentProblem(d.doc_id, d.source, "quarantined", "audit", d.reason) for d in quarantine.documents
    ]
    counts.documents_quarantined += len(quarantine.documents)
    counts.documents_indexed -= len(quarantine.documents)
    counts.chunks_indexed -= quarantine.points


def _vanished(
    lineage: LineageStore,
    settings: IngestSettings,
    keys: MaskingKeys,
    paths: Sequence[Path],
    ingested: IngestResult,
    whole_collection: bool = False,
) -> list[str]:
    """Documents to erase: committed, not found by this run, their file not found unreadable; within the
    paths given, or (a full re-index) anywhere in the collection."""
    scan = ingested.scan
    # the walk was complete (``_swap_in`` refuses otherwise)
    if whole_collection:
        return sorted(
            d
            for d in DocumentCatalog(lineage).documents_in_collection(settings.stores.collection)
            if d not in scan.seen
        )
    scopes = scope_keys(keys, paths)
    if scan.incomplete_scopes:
        logger.warning(
            "%d of the paths given had a directory that could not be listed: nothing is removed "
            "under them this run",
            len(scan.incomplete_scopes & scopes),
        )
    known = DocumentCatalog(lineage).documents_in_scopes(
        settings.stores.collection, sorted(scopes - scan.incomplete_scopes)
    )
    return sorted(
        d for d, origin in known.items() if d not in scan.seen and origin not in scan.protected_origins
    )
