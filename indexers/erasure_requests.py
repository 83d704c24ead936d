"""Erasure requests registered from identifiers or documents, before anything runs: identifier types
and keyed fingerprints only, in the lineage store. The work then needs nothing but the request's opaque
id (indexers/erasure.py carries it out), which is all a Prefect flow ever sees."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from indexers.erasure import AlreadyErasedError, new_request_id
from indexers.erasure_store import DELETE, DOCUMENT, REDACT, SUBJECT, ErasureRequest, ErasureStore
from indexers.errors import ErasureError
from indexers.lineage import LineageStore
from indexers.sources import SkippedDocument, SourceFile, doc_id_for, read_documents
from indexers.tombstones import Tombstones
from masking import MaskingKeys
from masking.fingerprints import REQUEST_TYPES, SubjectFingerprints, subject_fingerprints

MODES = (REDACT, DELETE)


def parse_identifier(spec: str) -> tuple[str, str]:
    """``TYPE=VALUE`` of --id into (entity type, value)."""
    kind, separator, value = spec.partition("=")
    if not separator or not kind.strip() or not value.strip():
        raise ErasureError("--id takes TYPE=VALUE, e.g. --id US_SSN=123-45-6789")
    return kind.strip().upper(), value.strip()


def subject_request_fingerprints(
    keys: MaskingKeys, identifiers: Iterable[tuple[str, str]]
) -> tuple[SubjectFingerprints, list[str]]:
    """(fingerprints, identifier types) for (request type or entity type, value) pairs."""
    subjects = SubjectFingerprints(frozenset())
    types: list[str] = []
    for kind, value in identifiers:
        entity_type = REQUEST_TYPES.get(kind, kind)
        subjects = subjects | subject_fingerprints(keys.fingerprint_key, entity_type, value)
        types.append(kind)
    return subjects, sorted(set(types))


def is_doc_id(document: str) -> bool:
    """A --document value that is a doc id, not a path (a doc id needs no key to resolve)."""
    return document.startswith("doc_") and not Path(document).exists()


def document_ids_for(keys: MaskingKeys, document: str) -> list[str]:
    """Doc ids a --document value may denote: a doc id itself, or a source path under any of its
    ancestor folders (the ingest root is not known here; the lineage says which id exists)."""
    if is_doc_id(document):
        return [document]
    path = Path(document).expanduser().resolve()
    candidates: list[str] = []
    for root in path.parents:
        source = SourceFile(path, root)
        if path.is_file():
            candidates += [
                d.doc_id
                for d in read_documents(source, keys.source_key)
                if not isinstance(d, SkippedDocument)
            ]
        candidates.append(doc_id_for(keys.source_key, source.uri))
    return list(dict.fromkeys(candidates))


def register_request(
    lineage: LineageStore,
    collection: str,
    keys: MaskingKeys,
    *,
    identifiers: Sequence[tuple[str, str]] = (),
    documents: Sequence[str] = (),
    mode: str = REDACT,
    purge: bool = False,
) -> str:
    """Store the request (no values) and return its id; an identical request that never completed (a
    killed or failed run) is returned instead, so running the same command again finishes the job."""
    if bool(identifiers) == bool(documents):
        raise ErasureError("name a subject (--email, --phone, --name, --id) or a --document, not both")
    if mode not in MODES:
        raise ErasureError(f"--mode must be one of {', '.join(MODES)}")
    lineage.check_key(keys.key_id)
    erasures = ErasureStore(lineage)
    request_id = new_request_id()
    if identifiers:
        subjects, types = subject_request_fingerprints(keys, identifiers)
        request = ErasureRequest(request_id, collection, SUBJECT, mode, purge, types, subjects)
    else:
        candidates = [doc_id for document in documents for doc_id in document_ids_for(keys, document)]
        unfinished = erasures.open_document_ids(collection) & set(candidates)
        known = sorted(set(erasures.document_points(collection, candidates)) | unfinished)
        if not known:
            erased = Tombstones(lineage).erased_documents(collection, candidates)
            if erased:
                raise AlreadyErasedError(sorted(t.request_id for t in erased.values())[0])
            raise ErasureError(f"no document of collection {collection!r} matches the --document given")
        request = ErasureRequest(
            request_id, collection, DOCUMENT, DELETE, purge, ["document"], document_ids=known
        )
    earlier = erasures.open_request(request)
    if earlier is not None:
        return earlier
    erasures.register(request)
    return request_id
