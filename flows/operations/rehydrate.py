"""``ragmask rehydrate``: a document's vaulted values put back into masked text, every call logged.

Never a Prefect flow: its input and output are personal data, and Prefect stores parameters, results
and messages. The caller needs the vault key; the masking key only to name the document by path.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from flows.settings import StoreSettings
from indexers.erasure_requests import document_ids_for, is_doc_id
from indexers.erasure_store import ErasureStore
from indexers.lineage import LineageStore
from indexers.vault_store import Rehydrated, Rehydrator, VaultStore
from masking import load_keys
from masking.vault import VaultError, load_vault_key


def default_actor() -> str:
    """The login name, for the access log when no --actor is given."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # no name for this uid (a bare container)
        return "unknown"


def resolve_document(
    lineage: LineageStore, stores: StoreSettings, document: str, key_file: Path | None
) -> str:
    """The one doc id of the collection that ``document`` (a doc id or a source path) names."""
    if is_doc_id(document):
        candidates = [document]
    else:
        candidates = document_ids_for(load_keys(key_file=key_file, data_dir=stores.data_path), document)
    known = sorted(ErasureStore(lineage).document_points(stores.collection, candidates))
    if not known:
        raise VaultError(
            f"--document matches no document of collection {stores.collection!r} (not ingested, or erased)"
        )
    if len(known) > 1:
        raise VaultError(
            f"--document matches {len(known)} documents of collection {stores.collection!r}; give a doc id"
        )
    return known[0]


def run_rehydrate(
    stores: StoreSettings,
    document: str,
    text: str,
    *,
    reason: str,
    actor: str | None = None,
    key_file: Path | None = None,
    vault_key_file: Path | None = None,
) -> Rehydrated:
    """Rehydrate ``text`` from the vault of one document; the access log gets who, why and when."""
    stores = stores.resolved()
    master = load_vault_key(key_file=vault_key_file, data_dir=stores.data_path)
    lineage = LineageStore(stores.lineage)
    try:
        doc_id = resolve_document(lineage, stores, document, key_file)
        rehydrator = Rehydrator(VaultStore(lineage), master)
        return rehydrator.rehydrate(
            stores.collection, doc_id, text, actor=actor or default_actor(), reason=reason
        )
    finally:
        lineage.close()
