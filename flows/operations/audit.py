"""``ragmask audit``'s body: the CLI's direct path and the audit flow's. Kept free of Prefect imports.

The masker built here only detects: its tokens are thrown away, so it takes a fresh random key and
needs no key file; an audit can run on any collection, also one ragmask did not write.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import closing
from pathlib import Path

from flows.pipeline.masking_workers import MaskerSpec, MaskingWorkers, default_workers
from flows.settings import StoreSettings
from indexers.audit import Auditor, AuditReport, Progress, Review
from indexers.errors import StoreError
from indexers.lineage import LineageStore
from indexers.payload_formats import CHOICES, FORMATS, PayloadFormat, PayloadFormatError, detect_format
from indexers.qdrant_store import VectorStore
from indexers.reviewed_findings import accepted_findings
from masking import KeyConfigError, MaskingKeys, load_keys, load_policy
from masking.detector_config import DEFAULT_SPACY_MODEL, DetectorConfig


def run_audit(
    stores: StoreSettings,
    *,
    payload_format: str = "auto",
    policy: str | None = None,
    spacy_model: str = DEFAULT_SPACY_MODEL,
    progress: Progress | None = None,
    workers: int = 0,
    reviewed_as: str | None = None,
    key_file: Path | None = None,
) -> AuditReport:
    """Scan every payload of the collection; the report holds types, paths, point ids and keyed
    fingerprints only. ``payload_format`` (auto: detected; raw: none) says which strings are bookkeeping,
    not content. ``workers``: processes that detect, this one included (0: the cores); a collection of one
    page (256 points) is read here alone. ``reviewed_as``: the collection whose accepted findings apply
    (a full re-index audits its new collection as the one it replaces); by default this one. ``key_file``:
    the masking key that fingerprints findings (default: RAGMASK_SECRET_KEY or the default key file)."""
    stores = stores.resolved()
    store = VectorStore(stores.qdrant, stores.collection)
    if not store.exists():
        raise StoreError(f"collection {stores.collection!r} does not exist")
    return audit_store(
        store,
        _format_of(store, payload_format),
        policy=policy,
        spacy_model=spacy_model,
        progress=progress,
        workers=workers,
        review=review_of(stores, reviewed_as or stores.collection, key_file),
    )


def review_of(stores: StoreSettings, collection: str, key_file: Path | None = None) -> Review:
    """The key findings are fingerprinted with and the collection's accepted findings; an audit of a
    collection ragmask did not write has neither, and creates no key and no lineage store for it."""
    stores = stores.resolved()
    try:
        key: bytes | None = load_keys(key_file=key_file, data_dir=stores.data_path).fingerprint_key
    except KeyConfigError:
        key = None
    lineage = LineageStore.existing(stores.lineage_location)
    if lineage is None:
        return Review(key)
    try:
        return Review(key, accepted_findings(lineage, collection))
    finally:
        lineage.close()


def audit_store(
    store: VectorStore,
    payload_format: PayloadFormat | None,
    *,
    policy: str | None = None,
    spacy_model: str = DEFAULT_SPACY_MODEL,
    progress: Progress | None = None,
    workers: int = 0,
    review: Review | None = None,
) -> AuditReport:
    """``run_audit`` of a store at hand, its format known (the audits that a scrub and a full re-index run on
    what they wrote). The detector reads without closure: an audit reports what it sees, it masks nothing.
    ``review``: the findings accepted as false positives, passed over and listed."""
    spec = MaskerSpec(
        MaskingKeys(secrets.token_bytes(32)),
        load_policy(policy),
        DetectorConfig(model=spacy_model, closure_rounds=0),
        uuid.uuid4().hex,
        keep_values=False,
    )
    with closing(MaskingWorkers(spec, workers or default_workers())) as masking:
        return Auditor(masking.masker, payload_format, masking.masked).audit(store, progress, review)


def _format_of(store: VectorStore, name: str) -> PayloadFormat | None:
    if name == "raw":
        return None
    if name != "auto":
        if name not in FORMATS:
            raise PayloadFormatError(f"unknown payload format {name!r}: choose one of {', '.join(CHOICES)}")
        return FORMATS[name]
    sample = store.first_payload()
    try:
        return FORMATS[detect_format(sample)] if sample is not None else None
    except PayloadFormatError:
        # an unknown layout: every string is read
        return None
