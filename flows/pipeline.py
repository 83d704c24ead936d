"""The ingest pipeline, one batch at a time: read -> mask -> leak check -> chunk -> embed -> upsert -> commit.

The CLI's direct path and the Prefect flow run this same code. Nothing here logs or returns text:
results are ids and counts. A document that fails is recorded with a one-line reason (exception type,
never a message that could quote text) and the rest of the batch goes on.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from flows.masking_workers import MaskerSpec, MaskingWorkers, default_workers
from flows.settings import IngestSettings
from indexers.chunking import Chunk, Chunker
from indexers.embedding import LEGACY_EMBEDDING_VIEW, Embedder, resolve_embedding_view
from indexers.erasure_store import ErasureStore
from indexers.index_writer import DocumentVersion, IndexWriter
from indexers.lineage import FAILED, QUARANTINED, LineageStore
from indexers.payload_formats import writable_format
from indexers.qdrant_store import VectorStore
from indexers.sources import (
    SkippedDocument,
    SkippedFile,
    SourceDocument,
    SourceFile,
    doc_id_for,
    file_key_for,
    iter_source_files,
    origin_of,
    read_documents,
)
from indexers.vault_store import VaultStore
from masking import MaskedDocument, Masker, MaskingError, MaskingKeys, TextDocument, load_keys, load_policy
from masking.detector import DetectorConfig
from masking.report import package_version
from masking.stage_clock import Seconds, StageClock, add_seconds
from masking.suppression import suppress
from masking.vault import VaultAddress, load_vault_key, seal_values

logger = logging.getLogger(__name__)
PIPELINE_VERSION = f"ragmask {package_version('ragmask')}"

T = TypeVar("T")
ErrorSink = Callable[[str, str, str], None]  # (doc_id, source uri, one-line reason without content)
SourceEntry = SourceFile | SkippedFile
# The stages a run's "seconds" reports, in pipeline order.
STAGES = ("read", "detect", "propagate_tokenise", "leak_check", "chunk", "embed", "upsert", "lineage")
LONG_DOCUMENT_CHARS = 1_000_000  # said in the log before masking: detection runs at about 20k chars/s here


@dataclass
class IngestCounts:
    """What a run (or one batch of it) did; the ``ragmask ingest --json`` object is built from this."""

    documents_seen: int = 0
    documents_indexed: int = 0  # added + changed
    documents_added: int = 0  # new to the collection
    documents_changed: int = 0  # a new version replaced the committed one
    documents_unchanged: int = 0
    documents_quarantined: int = 0
    documents_failed: int = 0
    chunks_indexed: int = 0
    files_skipped: int = 0  # under an ingested directory, not read: unsupported type, symlink, duplicate
    entities: Counter[str] = field(default_factory=Counter)
    seconds: Seconds = field(default_factory=lambda: defaultdict(float))  # per stage: read, ..., embed

    def add(self, other: IngestCounts) -> None:
        for name in ("documents_seen", "documents_indexed", "documents_added", "documents_changed",
                     "documents_unchanged", "documents_quarantined", "documents_failed", "chunks_indexed",
                     "files_skipped"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.entities.update(other.entities)
        add_seconds(self.seconds, other.seconds)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("entities", "seconds")}
        seconds = {stage: round(self.seconds[stage], 2) for stage in STAGES if stage in self.seconds}
        return data | {"entities": dict(sorted(self.entities.items())), "seconds": seconds}


class SettingsChangedError(MaskingError):
    """The collection was indexed with other settings; an incremental run would mix versions in it."""


PROFILE_NAMES = {"pipeline_version": "ragmask version", "policy": "policy", "detector": "detector (spaCy model, "
                 "Presidio, masker)", "embedding_model": "embedding model", "dimension": "embedding dimension",
                 "key_id": "masking key", "payload_format": "payload format",
                 "embedding_view": "embedding view"}  # fmt: skip
# What a profile recorded before a field existed meant.
PROFILE_LEGACY = {"embedding_view": LEGACY_EMBEDDING_VIEW}


@dataclass
class SourceScan:
    """What a run found under the paths it was given: the re-index's view of what vanished. Keyed hashes
    and doc ids only."""

    seen: set[str] = field(default_factory=set)  # doc ids read (or failed) this run
    protected_origins: set[str] = field(default_factory=set)  # files found but not (fully) read
    incomplete_scopes: set[str] = field(default_factory=set)  # a directory under them could not be listed


def source_files(paths: Iterable[Path]) -> list[SourceEntry]:
    """The files to read and those skipped (paths only: cheap, and gives the progress bar its total)."""
    return list(iter_source_files(paths))


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items, the last one shorter (itertools.batched arrives with Python 3.12)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class IngestPipeline:
    """Holds the loaded models and open stores for one process; ``run_batch`` does the work."""

    def __init__(
        self,
        settings: IngestSettings,
        run_id: str,
        keys: MaskingKeys | None = None,
        kind: str = "ingest",
        target: str | None = None,
        links: dict[str, str] | None = None,
    ) -> None:
        """``target``: a fresh physical collection to write every document into, its commits held back
        until it replaces the collection (a full re-index, flows/reindexing.py); ``links``: ids of the
        run elsewhere (the Prefect flow run's), kept in the run record."""
        self.settings = settings
        self.run_id = run_id
        self.kind = kind
        self.links = dict(links or {})
        self.full = target is not None
        self.scan = SourceScan()
        stores = settings.stores
        self.keys = keys or load_keys(
            key_file=settings.key_file, data_dir=stores.data_dir, create_missing=True
        )
        self.lineage = LineageStore(stores.lineage)
        self.lineage.check_key(self.keys.key_id)
        self.erasures = ErasureStore(self.lineage)
        self.policy = load_policy(settings.policy)
        self.vault_key = (
            load_vault_key(key_file=settings.vault_key_file, data_dir=stores.data_dir, create_missing=True)
            if settings.vault
            else None
        )
        self.vault = VaultStore(self.lineage)
        detector_config = DetectorConfig(model=settings.spacy_model)
        self.masker = Masker(self.keys, self.policy, detector_config=detector_config,
                             run_id=run_id, keep_values=settings.vault)  # fmt: skip
        spec = MaskerSpec(self.keys, self.policy, detector_config, run_id, settings.vault)
        self.masking = MaskingWorkers(self.masker, spec, settings.workers or default_workers())
        view = resolve_embedding_view(
            settings.embedding_view, None if self.full else self.lineage.profile(stores.collection)
        )
        self.embedder = Embedder(settings.embedding_model, settings.device, settings.embed_batch_size, view)
        limit = self.embedder.max_chunk_tokens
        chunk_tokens = min(settings.chunk_tokens or limit, limit)
        self.chunker = Chunker(self.embedder.count_tokens, chunk_tokens, settings.chunk_overlap)
        self.store = VectorStore(stores.qdrant, target or stores.collection)
        payload_format = writable_format(settings.payload_format)
        self.clock = StageClock()  # read, chunk, embed; the writer's upsert and lineage
        self.writer = IndexWriter(self.lineage, self.store, PIPELINE_VERSION, payload_format,
                                  collection=stores.collection, defer_commits=self.full, clock=self.clock)  # fmt: skip
        self.writer.check_format()
        self.store.ensure_collection(self.embedder.info.dimension, payload_format.doc_id_path)
        self.collection = stores.collection
        self.suppressed = self.erasures.suppressed_subjects(self.collection)  # erased subjects stay erased

    def provenance(self) -> dict[str, Any]:
        return {
            "pipeline_version": PIPELINE_VERSION,
            "policy": {"name": self.policy.name, "version": self.policy.version},
            "detector": self.masker.versions,
            "embedder": self.embedder.info.to_dict(),
            "key_id": self.keys.key_id,
        }

    def profile(self) -> dict[str, Any]:
        """What must not change within a collection: a change needs a full re-index."""
        return {
            "pipeline_version": PIPELINE_VERSION, "policy": {"name": self.policy.name, "version": self.policy.version},
            "detector": self.masker.versions, "embedding_model": self.embedder.info.model,
            "dimension": self.embedder.info.dimension, "embedding_view": self.embedder.view, "key_id": self.keys.key_id,
            "payload_format": self.settings.payload_format,
        }  # fmt: skip

    def check_profile(self) -> None:
        """Refuse to mix versions in one collection; the first run records the profile."""
        profile, recorded = self.profile(), self.lineage.profile(self.collection)
        if recorded is None:
            self.lineage.set_profile(self.collection, profile)
            return
        changed = [PROFILE_NAMES.get(name, name) for name in profile
                   if recorded.get(name, PROFILE_LEGACY.get(name)) != profile[name]]  # fmt: skip
        if changed:
            raise SettingsChangedError(
                f"collection {self.collection!r} was indexed with another {', '.join(changed)}: an incremental "
                "run would mix versions; run `ragmask reindex --full` (or use another collection)"
            )

    def start(self) -> int:
        """Record the run and roll back what an earlier crash left half done; returns versions rolled back."""
        if not self.full:  # a full re-index is how the profile changes
            self.check_profile()
        self.lineage.start_run(
            self.run_id, self.kind, self.collection, self.settings.describe() | self.provenance() | self.links
        )
        reconciled = self.writer.reconcile()
        if reconciled.rolled_back:
            logger.info(
                "rolled back %d unfinished document versions from an earlier run", reconciled.rolled_back
            )
        if reconciled.in_progress:
            logger.warning("%d other runs are still writing to collection %s",
                           len(reconciled.in_progress), self.collection)  # fmt: skip
        return reconciled.rolled_back

    def finish(self, counts: IngestCounts, status: str = "completed") -> None:
        self.masking.close()
        self.lineage.finish_run(self.run_id, status, counts.to_dict())

    def run_batch(self, files: Sequence[SourceEntry], on_error: ErrorSink | None = None) -> IngestCounts:
        counts = IngestCounts()
        with self.clock("read"):
            readable = self._known_files(self._read(files, counts, on_error))
        self.scan.seen.update(d.doc_id for d in readable)  # under the doc id a file already has
        committed = self.lineage.committed_hashes(self.collection, [d.doc_id for d in readable])
        changed = [d for d in readable if self.full or committed.get(d.doc_id) != d.content_hash]
        erased = self.erasures.erased_documents(self.collection, [d.doc_id for d in changed])
        changed = [
            d for d in changed if d.doc_id not in erased or erased[d.doc_id].content_hash != d.content_hash
        ]
        counts.documents_unchanged += len(readable) - len(changed)  # an erased one unchanged since counts too
        for document in changed:
            if len(document.text) >= LONG_DOCUMENT_CHARS:
                logger.info("%s: %d characters to mask (about %d s)", document.doc_id, len(document.text),
                            len(document.text) // 20_000)  # fmt: skip
        masked, seconds = self.masking.mask([TextDocument(d.doc_id, d.text, d.metadata) for d in changed])
        add_seconds(counts.seconds, seconds)
        self._index_masked(changed, masked, counts, on_error, set(committed))
        self.lineage.heartbeat(self.run_id)
        logger.debug("batch of %d files: %d documents read, %d changed, %d indexed, %d chunks", len(files),
                     counts.documents_seen, len(changed), counts.documents_indexed, counts.chunks_indexed)  # fmt: skip
        add_seconds(counts.seconds, self.clock.take())
        return counts

    def _read(
        self, files: Sequence[SourceEntry], counts: IngestCounts, on_error: ErrorSink | None
    ) -> list[SourceDocument]:
        readable: list[SourceDocument] = []
        for source in files:
            self._scan(source)
            if isinstance(source, SkippedFile):
                counts.files_skipped += 1
                if on_error:
                    on_error(
                        doc_id_for(self.keys.source_key, source.uri), source.uri, f"skipped: {source.reason}"
                    )
                continue
            for document in read_documents(source, self.keys.source_key, self.settings.reader):
                counts.documents_seen += 1
                self.scan.seen.add(document.doc_id)
                if isinstance(document, SkippedDocument):
                    self.scan.protected_origins.add(file_key_for(self.keys.source_key, source.path, None))
                    self._failed(document.doc_id, document.reason, counts)
                    if on_error:
                        on_error(document.doc_id, document.uri, f"skipped: {document.reason}")
                else:
                    readable.append(document)
        return readable

    def _index_masked(
        self, documents: Sequence[SourceDocument], masked: Sequence[MaskedDocument], counts: IngestCounts,
        on_error: ErrorSink | None, replacing: set[str],
    ) -> None:  # fmt: skip
        """Quarantine what the masker refused, chunk and index the rest."""
        to_index: list[tuple[SourceDocument, MaskedDocument, list[Chunk]]] = []
        for document, masked_result in zip(documents, masked, strict=True):
            result, suppressed = suppress(masked_result, self.suppressed)
            if suppressed:
                logger.info("%s: %d entities of erased subjects redacted", document.doc_id, suppressed)
            if result.quarantined:
                counts.documents_quarantined += 1
                self.lineage.record_outcome(
                    self.collection, document.doc_id, QUARANTINED, self.run_id, result.report.quarantine_reason,
                    self.lineage.next_version(self.collection, document.doc_id), document.content_hash,
                    result.report.to_dict(),
                )  # fmt: skip
                if on_error:
                    on_error(document.doc_id, document.uri, f"quarantined: {result.report.quarantine_reason}")
                continue
            with self.clock("chunk"):
                chunks = self.chunker.chunk(result.masked_text or "")
            to_index.append((document, result, chunks))
        self._index(to_index, counts, on_error, replacing)

    def _scan(self, source: SourceEntry) -> None:
        if isinstance(source, SkippedFile):  # found, not read: its documents did not vanish
            origin = origin_of(self.keys.source_key, source.path, source.root)  # root: the directory given
            self.scan.protected_origins.add(origin.origin_key)
            if source.unlisted_directory:
                self.scan.incomplete_scopes.add(origin.scope_key)

    def _known_files(self, documents: list[SourceDocument]) -> list[SourceDocument]:
        """A file already indexed under another root keeps the doc id it has (never indexed twice)."""
        known = self.lineage.documents_by_file(self.collection, [d.file_key for d in documents if d.file_key])
        return [
            replace(d, doc_id=known[d.file_key]) if known.get(d.file_key, d.doc_id) != d.doc_id else d
            for d in documents
        ]

    def _failed(self, doc_id: str, reason: str, counts: IngestCounts) -> None:
        counts.documents_failed += 1
        self.lineage.record_outcome(self.collection, doc_id, FAILED, self.run_id, reason)

    def _index(
        self, work: Sequence[tuple[SourceDocument, MaskedDocument, list[Chunk]]], counts: IngestCounts,
        on_error: ErrorSink | None, replacing: set[str],
    ) -> None:  # fmt: skip
        try:
            with self.clock("embed"):
                vectors = iter(self.embedder.embed([c.text for _, _, chunks in work for c in chunks]))
        except Exception as error:
            # the embedder broke: every document of the batch fails, nothing is written
            for document, _, _ in work:
                self._failed(document.doc_id, f"embedding failed: {type(error).__name__}", counts)
            return
        for document, result, chunks in work:
            version = DocumentVersion(
                document.doc_id, document.content_hash, result.report.to_dict(), chunks,
                [next(vectors) for _ in chunks], result.entities,
                {name: value for name, value in result.masked_fields.items() if value},
                {"policy_version": self.policy.version, "detector": result.report.detector,
                 "embedding_model": self.embedder.info.model, "key_id": self.keys.key_id, "run_id": self.run_id},
                document.file_key or None, document.origin.keys() if document.origin else None,
            )  # fmt: skip
            try:
                self.writer.write(
                    version, self.run_id, partial(self._seal_values, document.doc_id, result=result)
                )
            except Exception as error:
                reason = f"indexing failed: {type(error).__name__}"
                self._failed(document.doc_id, reason, counts)
                if on_error:
                    on_error(document.doc_id, document.uri, f"failed: {reason}")
                continue
            counts.documents_indexed += 1
            if document.doc_id in replacing:
                counts.documents_changed += 1
            else:
                counts.documents_added += 1
            counts.chunks_indexed += len(chunks)
            counts.entities.update(result.report.entity_counts)

    def _seal_values(self, doc_id: str, version: int, result: MaskedDocument) -> None:
        """With the vault on, seal the version's token -> value map; the clear map is dropped at once."""
        if self.vault_key is None:
            return
        address = VaultAddress(self.collection, doc_id, version)
        values = {e.token: result.values[e.token] for e in result.entities if e.token in result.values}
        result.values.clear()
        self.vault.put(address, seal_values(self.vault_key, address, values))
