"""``ragmask audit``'s body: the CLI's direct path and the audit flow's. Kept free of Prefect imports.

The masker built here only detects: its tokens are thrown away, so it takes a fresh random key and
needs no key file; an audit can run on any collection, also one ragmask did not write.
"""

from __future__ import annotations

import secrets

from flows.settings import StoreSettings
from indexers.audit import Auditor, AuditReport, Progress
from indexers.qdrant_store import StoreError, VectorStore
from masking import Masker, MaskingKeys, load_policy
from masking.detector import DetectorConfig
from masking.nlp import DEFAULT_SPACY_MODEL


def run_audit(
    stores: StoreSettings, *, policy: str | None = None, spacy_model: str = DEFAULT_SPACY_MODEL,
    progress: Progress | None = None,
) -> AuditReport:  # fmt: skip
    """Scan every payload of the collection; the report holds types, paths and point ids only."""
    store = VectorStore(stores.qdrant, stores.collection)
    if not store.exists():
        raise StoreError(f"collection {stores.collection!r} does not exist")
    masker = Masker(MaskingKeys(secrets.token_bytes(32)), load_policy(policy),
                    detector_config=DetectorConfig(model=spacy_model))  # fmt: skip
    return Auditor(masker).audit(store, progress)
