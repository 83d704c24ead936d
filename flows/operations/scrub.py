"""``ragmask scrub``'s body (kept free of Prefect imports): read a collection that holds raw text, write a
masked, re-embedded copy in the same payload format, audit it, and only then swap an alias or delete the
source. The source stays untouched by default.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import closing
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

logger = logging.getLogger(__name__)


def run_scrub(
    scrub: ScrubSettings, progress: Progress | None = None, masked_with: IngestSettings | None = None
) -> dict[str, Any]:
    """Scrub, audit, then (if clean) swap the alias and delete the source; the `ragmask scrub --json` object.

    ``masked_with`` is how the target is masked and embedded: ``scrub.masking()`` unless a caller (a
    benchmark) tunes what the scrub's own settings do not offer.
    """
    scrub = scrub.resolved()
    settings = (masked_with or scrub.masking()).resolved()
    if scrub.source_collection == scrub.target_collection:
        raise StoreError("the target collection must differ from the source")
    location = settings.stores.qdrant
    source = VectorStore(location, scrub.source_collection)
    if not source.exists():
        raise StoreError(f"source collection {scrub.source_collection!r} does not exist")
    sample = source.first_payload()
    if sample is None:
        raise StoreError(f"source collection {scrub.source_collection!r} is empty")
    name = detect_format(sample) if scrub.payload_format == "auto" else scrub.payload_format
    fmt = (
        raw_format(scrub.text_field or None, scrub.doc_key or None, sample)
        if name == "raw"
        else FORMATS[name]
    )
    if not isinstance(value_at(sample, fmt.text_path), str):
        raise PayloadFormatError(
            f"points of {scrub.source_collection!r} have no text at {fmt.text_path!r} (format {name})"
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
    target = VectorStore(location, scrub.target_collection)
    if target.exists():
        dimension = target.dimension()
        if dimension != embedder.info.dimension:
            raise StoreError(
                f"target collection {scrub.target_collection!r} holds {dimension}-dimensional vectors; "
                f"the embedding model makes {embedder.info.dimension}"
            )
    elif not scrub.dry_run:
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
            scrub,
            masking,
            embedder,
            lineage,
            keys,
            run_id,
            progress,
            settings.describe(),
        )
    if scrub.dry_run:
        return result
    outcome = result | _go_live(
        settings, scrub, scrubber, None if name == "raw" else fmt, lineage, run_id, counts
    )
    if outcome["sparse_vectors_dropped"]:
        logger.warning(
            "sparse vectors not copied (bags of the raw words; the app's encoder refills them): %s",
            ", ".join(outcome["sparse_vectors_dropped"]),
        )
    if outcome["documents_quarantined"]:
        logger.warning(
            "%d documents quarantined: left out of %r and listed by doc id (%s)",
            outcome["documents_quarantined"],
            scrub.target_collection,
            "the rest went live" if outcome["live"] else "over --max-quarantined: nothing went live",
        )
    return outcome


def _go_live(
    settings: IngestSettings,
    scrub: ScrubSettings,
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
        review=review_of(settings.stores, scrub.target_collection, settings.key_path),
    )
    dirty = dirty_documents(audit, lineage, scrub.target_collection)
    limit = QuarantineLimit(scrub.max_quarantined)
    refused = [QuarantinedDocument(doc_id, "", (), reason) for doc_id, reason in counts.quarantined]
    live = not dirty.unattributed and limit.allows(len(refused) + len(dirty.doc_ids), counts.documents)
    # over the limit: listed, the target left as audited
    taken = describe(dirty, lineage, scrub.target_collection)
    if live and dirty.versions:
        quarantine = take_out(dirty, target, lineage, scrub.target_collection, committed=True)
        quarantine.record(lineage, scrub.target_collection, run_id)
        taken, counts.points_written = quarantine.documents, counts.points_written - quarantine.points
    if scrub.alias and live:
        target.set_alias(scrub.alias)
    quarantined = [d.to_dict() for d in [*refused, *taken]]
    kept_points = 0
    if scrub.delete_source and live and quarantined:
        kept_points = scrubber.delete_source_except({d["doc_id"] for d in quarantined})
    elif scrub.delete_source and live:
        source.drop()
    outcome = _counts(counts) | {
        "audit": audit.to_dict(),
        "documents_quarantined": len(quarantined),
        "quarantined": quarantined,
        "max_quarantined": limit.text,
        "live": live,
        "alias_swapped": bool(scrub.alias and live),
        "source_deleted": bool(scrub.delete_source and live and not quarantined),
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
    scrub: ScrubSettings,
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
        "source": scrub.source_collection,
        "target": scrub.target_collection,
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
        doc_key=scrub.doc_key or None,
        mask_many=masking.masked,
    )
    if scrub.dry_run:
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
        run_id,
        "scrub",
        scrub.target_collection,
        {"source": scrub.source_collection, "format": name} | described,
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
