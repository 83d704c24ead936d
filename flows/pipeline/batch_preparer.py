"""Everything before a batch's write: read, keep what changed, mask, chunk, embed.

The preparer reads the lineage store (committed hashes, erasures) and writes nothing, so it can run
wherever the sources and the lineage store are reachable: in the run's own process, or on a Dask worker
while the run's process writes (flows/pipeline/dask_batches.py). Its result, a ``PreparedBatch``, holds masked
chunks, vectors and doc ids; raw text never leaves the preparer. Only a run with the vault on carries
each version's token -> value map on to the writer, which seals it at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import cached_property
from itertools import islice
from typing import TYPE_CHECKING, Any

from flows.pipeline.batch_counts import SourceEntry
from flows.pipeline.batching import batched, with_next
from flows.pipeline.lean_imports import keep_frameworks_out
from flows.pipeline.masking_workers import MaskerSpec, MaskingWorkers, default_workers
from flows.pipeline.prepared_batch import Outcome, PreparedBatch, PreparedDocument, name_problems
from flows.runtime.process import process_started_at, runs_one_operation
from flows.settings import IngestSettings
from indexers.chunking import Chunk, Chunker
from indexers.document_catalog import DocumentCatalog
from indexers.embedding import Embedder
from indexers.index_writer import DocumentVersion
from indexers.lineage import LineageStore
from indexers.sources import (
    SkippedDocument,
    SkippedFile,
    SourceDocument,
    doc_id_for,
    file_key_for,
    origin_of,
    read_documents,
)
from indexers.tombstones import Tombstones
from masking import MaskingKeys, load_policy
from masking.detector_config import DetectorConfig
from masking.stage_clock import StageClock, add_seconds
from masking.suppression import suppress

# imported when a batch first has a document to mask (Presidio, spaCy: seconds)
if TYPE_CHECKING:
    from masking import MaskedDocument, Masker, TextDocument

logger = logging.getLogger(__name__)
# a file not read, a document that could not be
SkippedEntry = SkippedFile | SkippedDocument
# said in the log before masking: detection runs at about 20k chars/s here
LONG_DOCUMENT_CHARS = 1_000_000


class BatchPreparer:
    """Reads, masks, chunks and embeds a batch of source entries, part by part; writes nothing.

    Example:
        preparer = BatchPreparer(settings, run_id, keys, LineageStore(settings.stores.lineage), view="types")
        for part in preparer.prepare(files):  # PreparedBatch: versions ready for IndexWriter.write
            writer_writes(part)  # before the next part is masked
        preparer.close()
    """

    def __init__(
        self,
        settings: IngestSettings,
        run_id: str,
        keys: MaskingKeys,
        lineage: LineageStore,
        view: str,
        *,
        full: bool = False,
        workers: int = 1,
    ) -> None:
        """``view``: the embedding view, resolved against the collection; ``full``: every document is
        written (a full re-index), not only the changed ones; ``workers``: masking processes."""
        self.settings = settings
        self.run_id = run_id
        self.keys = keys
        self.lineage = lineage
        self.full = full
        self.collection = settings.stores.collection
        self.tombstones = Tombstones(lineage)
        self.policy = load_policy(settings.policy_spec)
        self.view = view
        self.workers = workers
        # until the first document is masked: then the run's start-up is over
        self.started_at: float | None = process_started_at() if runs_one_operation() else time.perf_counter()
        # read, chunk, embed (the masker keeps its own)
        self.clock = StageClock()
        # erased subjects stay erased
        self.suppressed = self.tombstones.suppressed_subjects(self.collection)

    # The models load when a batch first has a document to mask: a run that finds nothing changed (a
    # scheduled re-index, most nights) never loads spaCy or the embedding model.
    @cached_property
    def masking(self) -> MaskingWorkers:
        """This process's masker (built on first use) and the worker processes, started when a batch is
        worth splitting. In a process that runs one operation, the embedder loads first: where it runs
        without torch (a cached OpenVINO conversion), this process's masker loads without it too."""
        if runs_one_operation() and not self.embedder.uses_torch:
            keep_frameworks_out(self.settings.spacy_model)
        spec = MaskerSpec(
            self.keys,
            self.policy,
            DetectorConfig(model=self.settings.spacy_model),
            self.run_id,
            self.settings.vault,
        )
        return MaskingWorkers(spec, self.workers)

    @property
    def masker(self) -> Masker:
        return self.masking.masker

    @cached_property
    def embedder(self) -> Embedder:
        settings = self.settings
        return Embedder(
            settings.embedding_model,
            settings.device,
            settings.embed_batch_size or None,
            self.view,
            settings.embedding_precision,
            settings.embedding_backend,
        )

    @cached_property
    def chunker(self) -> Chunker:
        limit = self.embedder.max_chunk_tokens
        chunk_tokens = min(self.settings.chunk_limit or limit, limit)
        return Chunker(self.embedder.count_tokens, chunk_tokens, self.settings.chunk_overlap)

    def loaded_models(self) -> dict[str, Any]:
        """The detector's and the embedder's details, of those models loaded so far (none if nothing changed)."""
        loaded: dict[str, Any] = {}
        if "masking" in self.__dict__ and self.masking.masker_built:
            loaded["detector"] = self.masker.versions
        if "embedder" in self.__dict__:
            loaded["embedder"] = self.embedder.info.to_dict()
        return loaded

    def model_profile(self) -> dict[str, Any]:
        """The part of a collection's profile only the loaded models can tell (loads them)."""
        return {"detector": self.masker.versions, "dimension": self.embedder.info.dimension}

    def prepare(
        self,
        files: Sequence[SourceEntry],
        more_after: bool = True,
        following: Sequence[SourceEntry] | None = None,
    ) -> Iterator[PreparedBatch]:
        """The batch in parts of at most ``batch_documents`` documents, each prepared once the one before
        is consumed: a JSON Lines file of 20,000 records is masked, embedded and written a part at a time,
        never held whole. ``more_after``: another batch follows this one; masking workers are started
        only for a part that a later one follows (a run of one batch masks here and starts none).
        ``following``: the next batch's files, if known. Once a part is masked, the next part's documents
        (the first of ``following`` after the last part) are handed to the masking workers, which mask
        them while this process embeds and writes this one on the cores they leave; they are masked once
        read again, if nothing changed in between."""
        for entries, next_entries in with_next(
            self._timed(batched(self._entries(files), self.settings.batch_documents))
        ):

            def upcoming(
                known: list[SourceDocument | SkippedEntry] | None = next_entries,
            ) -> list[SourceDocument | SkippedEntry]:
                return known if known is not None else self._first_part(following or [])

            yield self._prepare_part(entries, more_after or next_entries is not None, upcoming)

    def _first_part(self, files: Sequence[SourceEntry]) -> list[SourceDocument | SkippedEntry]:
        """The first part of a batch, read now (and again when the batch is prepared)."""
        with self.clock("read"):
            return list(islice(self._entries(files), self.settings.batch_documents))

    def _select(self, readable: list[SourceDocument]) -> tuple[list[SourceDocument], dict[str, str]]:
        """The documents to mask (changed, or every one in a full re-index; not erased since), and the
        committed content hashes of the part's documents."""
        committed = DocumentCatalog(self.lineage).committed_hashes(
            self.collection, [d.doc_id for d in readable]
        )
        changed = [d for d in readable if self.full or committed.get(d.doc_id) != d.content_hash]
        erased = self.tombstones.erased_documents(self.collection, [d.doc_id for d in changed])
        changed = [
            d for d in changed if d.doc_id not in erased or erased[d.doc_id].content_hash != d.content_hash
        ]
        return changed, committed

    def _mask_ahead(self, entries: list[SourceDocument | SkippedEntry]) -> None:
        """Hand the next part's documents to the running masking workers; what the lineage says of them is
        read again when the part is prepared (this part is not written yet)."""
        changed, _ = self._select(self._known_files([e for e in entries if isinstance(e, SourceDocument)]))
        if changed:
            self.masking.mask_ahead(_to_mask(changed))

    def _hand_ahead(self, upcoming: Callable[[], list[SourceDocument | SkippedEntry]]) -> None:
        """The next part to the masking workers, if they run."""
        if "masking" in self.__dict__ and self.masking.started:
            self._mask_ahead(upcoming())

    def _embedding_threads(self) -> int:
        """The cores the embedding may use now: those the masking workers leave."""
        busy = self.masking.busy_workers() if "masking" in self.__dict__ else 0
        return max(1, default_workers() - busy)

    def _prepare_part(
        self,
        entries: list[SourceDocument | SkippedEntry],
        more: bool,
        upcoming: Callable[[], list[SourceDocument | SkippedEntry]],
    ) -> PreparedBatch:
        batch = PreparedBatch()
        readable = self._known_files([e for e in entries if isinstance(e, SourceDocument)])
        for entry in entries:
            if not isinstance(entry, SourceDocument):
                self._record_skip(entry, batch)
        batch.counts.documents_seen += len(readable)
        # under the doc id a file already has
        batch.scan.seen.update(d.doc_id for d in readable)
        changed, committed = self._select(readable)
        # erased and unchanged since too
        batch.counts.documents_unchanged += len(readable) - len(changed)
        # nothing to mask: the models stay unloaded
        if not changed:
            name_problems(batch, lambda: self.masker)
            self._hand_ahead(upcoming)
            add_seconds(batch.counts.seconds, self.clock.take())
            return batch
        chars = sum(len(d.text) for d in changed)
        # the workers load their models beside ours, for the parts after this one
        if more:
            self.masking.start(chars)
        batch.model_profile = self.model_profile()
        if self.started_at is not None:
            batch.counts.seconds["startup"] = time.perf_counter() - self.started_at
            self.started_at = None
        for document in changed:
            if len(document.text) >= LONG_DOCUMENT_CHARS:
                logger.info(
                    "%s: %d characters to mask (about %d s)",
                    document.doc_id,
                    len(document.text),
                    len(document.text) // 20_000,
                )
        masked, seconds = self.masking.mask(_to_mask(changed), more_to_come=more)
        add_seconds(batch.counts.seconds, seconds)
        self._hand_ahead(upcoming)
        self._chunk_and_embed(changed, masked, set(committed), batch)
        name_problems(batch, lambda: self.masker)
        add_seconds(batch.counts.seconds, self.clock.take())
        return batch

    def close(self) -> None:
        # worker processes were started only if it was built
        if "masking" in self.__dict__:
            self.masking.close()

    def _timed(
        self, parts: Iterator[list[SourceDocument | SkippedEntry]]
    ) -> Iterator[list[SourceDocument | SkippedEntry]]:
        """The parts, each read on the read clock."""
        while True:
            with self.clock("read"):
                part = next(parts, None)
            if part is None:
                return
            yield part

    def _entries(self, files: Sequence[SourceEntry]) -> Iterator[SourceDocument | SkippedEntry]:
        """The files' documents as they are read, and what was not read, in input order."""
        for source in files:
            # found, not read: its documents did not vanish
            if isinstance(source, SkippedFile):
                yield source
                continue
            yield from read_documents(source, self.keys.source_key, self.settings.reader)

    def _record_skip(self, entry: SkippedEntry, batch: PreparedBatch) -> None:
        if isinstance(entry, SkippedFile):
            # root: the directory given
            origin = origin_of(self.keys.source_key, entry.path, entry.root)
            batch.scan.protected_origins.add(origin.origin_key)
            if entry.unlisted_directory:
                batch.scan.incomplete_scopes.add(origin.scope_key)
            batch.counts.files_skipped += 1
            batch.counts.files_unreadable += entry.unreadable
            doc_id = doc_id_for(self.keys.source_key, entry.uri)
            batch.outcomes.append(
                Outcome(
                    doc_id, entry.uri, "skipped", entry.reason, recorded=False, unreadable=entry.unreadable
                )
            )
            return
        batch.counts.documents_seen += 1
        batch.scan.seen.add(entry.doc_id)
        batch.scan.protected_origins.add(file_key_for(self.keys.source_key, entry.path, None))
        batch.outcomes.append(Outcome(entry.doc_id, entry.uri, "skipped", entry.reason))

    def _known_files(self, documents: list[SourceDocument]) -> list[SourceDocument]:
        """A file already indexed under another root keeps the doc id it has (never indexed twice)."""
        known = DocumentCatalog(self.lineage).documents_by_file(
            self.collection, [d.file_key for d in documents if d.file_key]
        )
        return [
            replace(d, doc_id=known[d.file_key]) if known.get(d.file_key, d.doc_id) != d.doc_id else d
            for d in documents
        ]

    def _chunk_and_embed(
        self,
        documents: Sequence[SourceDocument],
        masked: Sequence[MaskedDocument],
        replacing: set[str],
        batch: PreparedBatch,
    ) -> None:
        """Quarantine what the masker refused; chunk the rest and embed the batch's chunks at once."""
        work: list[tuple[SourceDocument, MaskedDocument, list[Chunk]]] = []
        for document, masked_result in zip(documents, masked, strict=True):
            result, suppressed = suppress(masked_result, self.suppressed)
            if suppressed:
                logger.info("%s: %d entities of erased subjects redacted", document.doc_id, suppressed)
            if result.quarantined:
                reason = result.report.quarantine_reason or "quarantined"
                batch.outcomes.append(
                    Outcome(
                        document.doc_id,
                        document.uri,
                        "quarantined",
                        reason,
                        "mask",
                        content_hash=document.content_hash,
                        report=result.report,
                    )
                )
                continue
            with self.clock("chunk"):
                chunks = self.chunker.chunk(result.masked_text or "")
            work.append((document, result, chunks))
        try:
            with self.clock("embed"):
                texts = [c.text for _, _, chunks in work for c in chunks]
                vectors = iter(self.embedder.embed(texts, self._embedding_threads))
        except Exception as error:
            # the embedder broke: every document of the batch fails, nothing is written
            reason = f"embedding failed: {type(error).__name__}"
            batch.outcomes.extend(Outcome(d.doc_id, d.uri, "failed", reason, "embed") for d, _, _ in work)
            return
        for document, result, chunks in work:
            version = DocumentVersion(
                document.doc_id,
                document.content_hash,
                result.report.to_dict(),
                chunks,
                [next(vectors) for _ in chunks],
                result.entities,
                {name: value for name, value in result.masked_fields.items() if value},
                {
                    "policy_version": self.policy.version,
                    "detector": result.report.detector,
                    "embedding_model": self.embedder.info.model,
                    "key_id": self.keys.key_id,
                    "run_id": self.run_id,
                },
                document.file_key or None,
                document.origin.keys() if document.origin else None,
            )
            values = {e.token: result.values[e.token] for e in result.entities if e.token in result.values}
            result.values.clear()
            batch.ready.append(
                PreparedDocument(
                    version,
                    document.uri,
                    document.doc_id in replacing,
                    dict(result.report.entity_counts),
                    values,
                )
            )


def _to_mask(documents: Sequence[SourceDocument]) -> list[TextDocument]:
    from masking import TextDocument

    return [TextDocument(d.doc_id, d.text, d.metadata) for d in documents]
