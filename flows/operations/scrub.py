"""``ragmask scrub``'s body (kept free of Prefect imports): read a collection that holds raw text, write a
masked, re-embedded copy in the same payload format, audit it, and only then swap an alias or delete the
source. The source stays untouched by default.
"""

from __future__ import annotations

import uuid
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from flows.operations.audit import audit_store, review_of
from flows.pipeline.masking_workers import MaskerSpec, MaskingWorkers, default_workers
from flows.settings import IngestSettings, ScrubSettings
from indexers.embedding import Embedder, resolve_embedding_precision, resolve_embedding_view
from indexers.errors import StoreError
from indexers.lineage import LineageStore
from indexers.payload_formats import (
    FORMATS,
    PayloadFormat,
    PayloadFormatError,
    detect_format,
    raw_format,
    value_at,
)
from indexers.qdrant_store import VectorStore
from indexers.quarantine import (
    DEFAULT_MAX_QUARANTINED,
    QuarantinedDocument,
    QuarantineLimit,
    describe,
    dirty_documents,
    take_out,
)
from indexers.run_log import RunLog
from indexers.scrub import Progress, Scrubber, ScrubCounts
from masking import MaskingKeys, load_keys, load_policy
from masking.detector_config import DetectorConfig


@dataclass(frozen=True)
class ScrubRequest:
    """What to scrub into what, and how many documents may be quarantined; the stores, models and keys come
    from the IngestSettings beside it (``ScrubSettings.masking()``)."""

    source: str
    target: str
    payload_format: str = "auto"
    text_field: str | None = None
    doc_key: str | None = None
    alias: str | None = None
    delete_source: bool = False
    dry_run: bool = False
    max_quarantined: str = DEFAULT_MAX_QUARANTINED

    @classmethod
    def of(cls, settings: ScrubSettings) -> ScrubRequest:
        """The request a scrub's settings (the CLI's or a deployment form's) make."""
        return cls(
            settings.source_collection,
            settings.target_collection,
            settings.payload_format,
            settings.text_field or None,
            settings.doc_key or None,
            settings.alias or None,
            settings.delete_source,
            settings.dry_run,
            settings.max_quarantined,
        )


def run_scrub(
    settings: IngestSettings, request: ScrubRequest, progress: Progress | None = None
) -> dict[str, Any]:
    """Scrub, audit, then (if clean) swap the alias and delete the source; the `ragmask scrub --json` object."""
    settings = settings.resolved()
    if request.source == request.target:
        raise StoreError("the target collection must differ from the source")
    location = settings.stores.qdrant
    source = VectorStore(location, request.source)
    if not source.exists():
        raise StoreError(f"source collection {request.source!r} does not exist")
    sample = source.first_payload()
    if sample is None:
        raise StoreError(f"source collection {request.source!r} is empty")
    name = detect_format(sample) if request.payload_format == "auto" else request.payload_format
    fmt = raw_format(request.text_field, request.doc_key, sample) if name == "raw" else FORMATS[name]
    if not isinstance(value_at(sample, fmt.text_path), str):
        raise PayloadFormatError(
            f"points of {request.source!r} have no text at {fmt.text_path!r} (format {name})"
        )
    keys = load_keys(key_file=settings.key_path, data_dir=settings.stores.data_path, create_missing=True)
    embedder = Embedder(
        settings.embedding_model,
        settings.device,
        settings.embed_batch_size or None,
        resolve_embedding_view(settings.embedding_view, None),
        # the target is a new collection
        resolve_embedding_precision(settings.embedding_precision, None),
        settings.embedding_backend,
    )
    target = VectorStore(location, request.target)
    if target.exists():
        dimension = target.dimension()
        if dimension != embedder.info.dimension:
            raise StoreError(
                f"target collection {request.target!r} holds {dimension}-dimensional vectors; "
                f"the embedding model makes {embedder.info.dimension}"
            )
    elif not request.dry_run:
        # sparse vectors are bags of the raw words: their configs are kept (a hybrid app checks them), their
        # values are not copied; the app's own sparse encoder refills them from the masked text
        target.create(
            embedder.info.dimension, source.vector_names(), source.distance(), source.sparse_vectors()
        )
    lineage = LineageStore(settings.stores.lineage)
    lineage.check_key(keys.key_id)
    run_id = uuid.uuid4().hex
    policy, detector_config = load_policy(settings.policy_spec), DetectorConfig(model=settings.spacy_model)
    masking = MaskingWorkers(
        MaskerSpec(keys, policy, detector_config, run_id, False), settings.workers or default_workers()
    )
    # worker processes, when a batch is worth splitting
    with closing(masking):
        result, counts, scrubber = _scrub_into(
            source,
            target,
            fmt,
            name,
            request,
            masking,
            embedder,
            lineage,
            keys,
            run_id,
            progress,
            settings.describe(),
        )
    if request.dry_run:
        return result
    return result | _go_live(
        settings, request, scrubber, None if name == "raw" else fmt, lineage, run_id, counts
    )


def _go_live(
    settings: IngestSettings,
    request: ScrubRequest,
    scrubber: Scrubber,
    fmt: PayloadFormat | None,
    lineage: LineageStore,
    run_id: str,
    counts: ScrubCounts,
) -> dict[str, Any]:
    """Audit the target; quarantine what still audits dirty (indexers/quarantine.py); within the limit, swap
    the alias and delete the source as asked, but for the quarantined documents' points."""
    source, target = scrubber.source, scrubber.target
    audit = audit_store(
        target,
        fmt,
        policy=settings.policy_spec,
        spacy_model=settings.spacy_model,
        workers=settings.workers,
        review=review_of(settings.stores, request.target, settings.key_path),
    )
    dirty = dirty_documents(audit, lineage, request.target)
    limit = QuarantineLimit(request.max_quarantined)
    refused = [QuarantinedDocument(doc_id, "", (), reason) for doc_id, reason in counts.quarantined]
    live = not dirty.unattributed and limit.allows(len(refused) + len(dirty.doc_ids), counts.documents)
    # over the limit: listed, the target left as audited
    taken = describe(dirty, lineage, request.target)
    if live and dirty.versions:
        quarantine = take_out(dirty, target, lineage, request.target, committed=True)
        quarantine.record(lineage, request.target, run_id)
        taken, counts.points_written = quarantine.documents, counts.points_written - quarantine.points
    if request.alias and live:
        target.set_alias(request.alias)
    quarantined = [d.to_dict() for d in [*refused, *taken]]
    kept_points = 0
    if request.delete_source and live and quarantined:
        kept_points = scrubber.delete_source_except({d["doc_id"] for d in quarantined})
    elif request.delete_source and live:
        source.drop()
    outcome = _counts(counts) | {
        "audit": audit.to_dict(),
        "documents_quarantined": len(quarantined),
        "quarantined": quarantined,
        "max_quarantined": limit.text,
        "live": live,
        "alias_swapped": bool(request.alias and live),
        "source_deleted": bool(request.delete_source and live and not quarantined),
        "source_points_kept": kept_points,
    }
    # the run's record, with what was quarantined
    RunLog(lineage).finish_run(run_id, "completed", outcome)
    return outcome


def _scrub_into(
    source: VectorStore,
    target: VectorStore,
    fmt: PayloadFormat,
    name: str,
    request: ScrubRequest,
    masking: MaskingWorkers,
    embedder: Embedder,
    lineage: LineageStore,
    keys: MaskingKeys,
    run_id: str,
    progress: Progress | None,
    described: dict[str, Any],
) -> tuple[dict[str, Any], ScrubCounts, Scrubber]:
    """The scrub once its stores, models and masking processes are open (the dry run's result is whole)."""
    masker = masking.masker
    result: dict[str, Any] = {
        "run_id": run_id,
        "source": request.source,
        "target": request.target,
        "format": name,
        "sparse_vectors_dropped": sorted(source.sparse_vectors()),
        # model, view and precision the target's vectors were made with
        "embedding": embedder.info.to_dict(),
    }
    scrubber = Scrubber(
        source,
        target,
        fmt,
        masker,
        embedder,
        lineage,
        keys,
        run_id,
        doc_key=request.doc_key,
        mask_many=masking.masked,
    )
    if request.dry_run:
        counts = scrubber.run(dry_run=True, progress=progress)
        return (
            result
            | _counts(counts)
            | {
                "samples": counts.samples,
                "audit": None,
                "alias_swapped": False,
                "source_deleted": False,
                "dry_run": True,
            },
            counts,
            scrubber,
        )
    RunLog(lineage).start_run(
        run_id, "scrub", request.target, {"source": request.source, "format": name} | described
    )
    try:
        scrubber.writer.reconcile()
        counts = scrubber.run(progress=progress)
    except BaseException:
        RunLog(lineage).finish_run(run_id, "failed", {})
        raise
    RunLog(lineage).finish_run(run_id, "completed", _counts(counts))
    return result, counts, scrubber


def _counts(counts: ScrubCounts) -> dict[str, Any]:
    return {
        "points_read": counts.points_read,
        "points_written": counts.points_written,
        "points_quarantined": counts.points_quarantined,
        "documents": counts.documents,
        "documents_unchanged": counts.documents_unchanged,
        "documents_masked_whole": counts.documents_masked_whole,
        "entities": dict(sorted(counts.entities.items())),
    }
