"""``ragmask audit``'s body: the CLI's direct path and the audit flow's. Kept free of Prefect imports.

The masker built here only detects: its tokens are thrown away, so it takes a fresh random key and
needs no key file; an audit can run on any collection, also one ragmask did not write.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import closing

from flows.masking_workers import MaskerSpec, MaskingWorkers, default_workers
from flows.settings import StoreSettings
from indexers.audit import Auditor, AuditReport, Progress
from indexers.payload_formats import CHOICES, FORMATS, PayloadFormat, PayloadFormatError, detect_format
from indexers.qdrant_store import StoreError, VectorStore
from masking import MaskingKeys, load_policy
from masking.detector_config import DEFAULT_SPACY_MODEL, DetectorConfig


def run_audit(
    stores: StoreSettings, *, payload_format: str = "auto", policy: str | None = None,
    spacy_model: str = DEFAULT_SPACY_MODEL, progress: Progress | None = None, workers: int = 0,
) -> AuditReport:  # fmt: skip
    """Scan every payload of the collection; the report holds types, paths and point ids only.
    ``payload_format`` (auto: detected; raw: none) says which strings are bookkeeping, not content.
    ``workers``: processes that detect, this one included (0: the cores); a collection of one page
    (256 points) is read here alone."""
    store = VectorStore(stores.qdrant, stores.collection)
    if not store.exists():
        raise StoreError(f"collection {stores.collection!r} does not exist")
    return audit_store(store, _format_of(store, payload_format), policy=policy, spacy_model=spacy_model,
                       progress=progress, workers=workers)  # fmt: skip


def audit_store(
    store: VectorStore, payload_format: PayloadFormat | None, *, policy: str | None = None,
    spacy_model: str = DEFAULT_SPACY_MODEL, progress: Progress | None = None, workers: int = 0,
) -> AuditReport:  # fmt: skip
    """``run_audit`` of a store at hand, its format known (the audits that a scrub and a full re-index run on
    what they wrote). The detector reads without closure: an audit reports what it sees, it masks nothing."""
    spec = MaskerSpec(MaskingKeys(secrets.token_bytes(32)), load_policy(policy),
                      DetectorConfig(model=spacy_model, closure_rounds=0), uuid.uuid4().hex, keep_values=False)  # fmt: skip
    with closing(MaskingWorkers(spec, workers or default_workers())) as masking:
        return Auditor(masking.masker, payload_format, masking.masked).audit(store, progress)


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
    except PayloadFormatError:  # an unknown layout: every string is read
        return None
