"""The ingest pipeline, one batch at a time: read -> mask -> leak check -> chunk -> embed -> upsert -> commit.

The CLI's direct path and the Prefect flow run this same code. Nothing here logs or returns text:
results are ids and counts. A document that fails is recorded with a one-line reason (exception type,
never a message that could quote text) and the rest of the batch goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from flows.pipeline.batch_counts import (
    STAGES,
    DocumentProblem,
    ErrorSink,
    IngestCounts,
    SourceEntry,
    SourceScan,
)
from flows.pipeline.batch_preparer import BatchPreparer
from flows.pipeline.masking_workers import default_workers
from flows.pipeline.prepared_batch import PreparedBatch, PreparedDocument
from flows.settings import IngestSettings
from indexers.collection_profiles import CollectionProfiles
from indexers.embedding import LEGACY_EMBEDDING_VIEW, resolve_embedding_precision, resolve_embedding_view
from indexers.embedding_precision import LEGACY_EMBEDDING_PRECISION
from indexers.errors import StoreError
from indexers.index_writer import IndexWriter
from indexers.lineage import FAILED, QUARANTINED, LineageStore
from indexers.payload_formats import writable_format
from indexers.qdrant_store import VectorStore
from indexers.run_log import RunLog
from indexers.sources import iter_source_files
from indexers.vault_store import VaultStore
from indexers.version_ledger import VersionLedger
from masking import MaskingKeys, SettingsError, load_keys
from masking.report import package_version
from masking.stage_clock import StageClock, add_seconds
from masking.vault import VaultAddress, load_vault_key, seal_values

logger = logging.getLogger(__name__)
PIPELINE_VERSION = f"ragmask {package_version('ragmask')}"

__all__ = [
    "STAGES",
    "DocumentProblem",
    "ErrorSink",
    "IngestCounts",
    "IngestPipeline",
    "SourceEntry",
    "SourceScan",
]


class WriteRollbackError(StoreError):
    """A run's failed writes could not be rolled back before it reported (one line, no values)."""


class SettingsChangedError(SettingsError):
    """The collection was indexed with other settings; an incremental run would mix versions in it."""


PROFILE_NAMES = {"pipeline_version": "ragmask version", "policy": "policy", "detector": "detector (spaCy model, "
                 "Presidio, masker)", "embedding_model": "embedding model", "dimension": "embedding dimension",
                 "key_id": "masking key", "payload_format": "payload format",
                 "embedding_view": "embedding view", "embedding_precision": "embedding precision"}  # fmt: skip
# What a profile recorded before a field existed meant.
PROFILE_LEGACY = {"embedding_view": LEGACY_EMBEDDING_VIEW, "embedding_precision": LEGACY_EMBEDDING_PRECISION}


def count_source_files(paths: Iterable[Path]) -> int:
    """How many entries a run will meet: the progress bar's total, from a walk that keeps nothing, so a
    run's memory does not grow with the number of files (the run walks again as it reads)."""
    return sum(1 for _ in iter_source_files(paths))


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
        files_expected: int | None = None,
    ) -> None:
        """``target``: a fresh physical collection to write every document into, its commits held back
        until it replaces the collection (a full re-index, flows/operations/reindex.py); ``links``: ids of the
        run elsewhere (the Prefect flow run's), kept in the run record; ``files_expected``: the source
        entries the run will meet (None: unknown), so that the last batch starts no masking worker."""
        self.files_expected = files_expected
        self._files_given = 0
        self.settings = settings
        self.run_id = run_id
        self.kind = kind
        self.links = dict(links or {})
        self.full = target is not None
        self.scan = SourceScan()
        stores = settings.stores
        self.keys = keys or load_keys(
            key_file=settings.key_path, data_dir=stores.data_path, create_missing=True
        )
        self.lineage = LineageStore(stores.lineage)
        self.lineage.check_key(self.keys.key_id)
        self.vault_key = (
            load_vault_key(key_file=settings.vault_key_path, data_dir=stores.data_path, create_missing=True)
            if settings.vault
            else None
        )
        self.vault = VaultStore(self.lineage)
        existing = CollectionProfiles(self.lineage).profile(stores.collection)
        self.recorded = None if self.full else existing
        self.view = resolve_embedding_view(settings.embedding_view, self.recorded)
        # a precision is the user's choice, not a default to migrate: a full re-index keeps it too
        self.precision = resolve_embedding_precision(settings.embedding_precision, existing)
        self.preparer = BatchPreparer(
            settings.model_copy(update={"embedding_precision": self.precision}),
            run_id,
            self.keys,
            self.lineage,
            self.view,
            full=self.full,
            workers=settings.workers or default_workers(),
        )
        self.policy = self.preparer.policy
        # checked against the recorded one once known
        self._model_profile: dict[str, Any] | None = None
        self.store = VectorStore(stores.qdrant, target or stores.collection)
        payload_format = writable_format(settings.payload_format)
        # read, chunk, embed; the writer's upsert and lineage
        self.clock = StageClock()
        self.writer = IndexWriter(
            self.lineage,
            self.store,
            PIPELINE_VERSION,
            payload_format,
            collection=stores.collection,
            defer_commits=self.full,
            clock=self.clock,
        )
        self.writer.check_format()
        self.doc_id_path = payload_format.doc_id_path
        # a new collection needs the model's dimension now; one that exists later
        if not self.store.exists():
            self.store.ensure_collection(self.preparer.embedder.info.dimension, self.doc_id_path)
        self.collection = stores.collection

    def provenance(self) -> dict[str, Any]:
        """For the run record: what the run is set to use; the detector and embedder details once their
        models are loaded (each document version's report has its own)."""
        return self._run_settings() | self.preparer.loaded_models()

    def profile(self) -> dict[str, Any]:
        """What must not change within a collection: a change needs a full re-index. The model parts come
        from the batches prepared so far (here or on Dask workers), else from loading the models here."""
        return self._settings_profile() | (self._model_profile or self.preparer.model_profile())

    def _run_settings(self) -> dict[str, Any]:
        return {
            "pipeline_version": PIPELINE_VERSION,
            "policy": {"name": self.policy.name, "version": self.policy.version},
            "embedding_model": self.settings.embedding_model,
            "embedding_view": self.view,
            "embedding_precision": self.precision,
            "key_id": self.keys.key_id,
        }

    def _settings_profile(self) -> dict[str, Any]:
        return self._run_settings() | {"payload_format": self.settings.payload_format}

    def check_profile(self) -> None:
        """Refuse to mix versions in one collection; the first run records the profile. The parts only the
        models tell (detector versions, dimension) are checked when a batch first brings them, before it is
        written: a run that finds nothing changed loads no model."""
        if self.recorded is None:
            CollectionProfiles(self.lineage).set_profile(self.collection, self.profile())
            self.recorded = CollectionProfiles(self.lineage).profile(self.collection)
            return
        self._refuse_changes(self._settings_profile())

    def _refuse_changes(self, profile: dict[str, Any]) -> None:
        recorded = self.recorded or {}
        changed = [
            PROFILE_NAMES.get(name, name)
            for name in profile
            if recorded.get(name, PROFILE_LEGACY.get(name)) != profile[name]
        ]
        if changed:
            raise SettingsChangedError(
                f"collection {self.collection!r} was indexed with another {', '.join(changed)}: an incremental "
                "run would mix versions; run `ragmask reindex --full` (or use another collection)"
            )

    def _check_model_profile(self, model_profile: dict[str, Any] | None) -> None:
        """A batch's detector versions and dimension, before anything of it is written."""
        if model_profile is None or self._model_profile is not None:
            return
        if not self.full:
            self._refuse_changes(model_profile)
        self.store.ensure_collection(int(model_profile["dimension"]), self.doc_id_path)
        self._model_profile = model_profile

    def start(self) -> int:
        """Record the run and roll back what an earlier crash left half done; returns versions rolled back."""
        # a full re-index is how the profile changes
        if not self.full:
            self.check_profile()
        RunLog(self.lineage).start_run(
            self.run_id, self.kind, self.collection, self.settings.describe() | self.provenance() | self.links
        )
        reconciled = self.writer.reconcile()
        if reconciled.rolled_back:
            logger.info(
                "rolled back %d unfinished document versions from an earlier run", reconciled.rolled_back
            )
        if reconciled.in_progress:
            logger.warning(
                "%d other runs are still writing to collection %s",
                len(reconciled.in_progress),
                self.collection,
            )
        return reconciled.rolled_back

    def finish(self, counts: IngestCounts, status: str = "completed") -> None:
        """Close the run: versions it left pending (a commit that failed) are rolled back first, so none of
        their points is live or counted once it reports (a full re-index commits its own at the swap)."""
        self.preparer.close()
        if not self.writer.defer_commits:
            try:
                rolled_back = self.writer.roll_back_run(self.run_id)
            except Exception as error:
                RunLog(self.lineage).finish_run(self.run_id, "failed", counts.to_dict())
                raise WriteRollbackError(
                    f"writes failed and this run's pending versions could not be rolled back "
                    f"({type(error).__name__}: is the disk full?); the next run rolls them back"
                ) from None
            if rolled_back:
                logger.warning("rolled back %d document versions whose commit failed", rolled_back)
        RunLog(self.lineage).finish_run(self.run_id, status, counts.to_dict())

    def worker_settings(self) -> IngestSettings:
        """The settings a preparer elsewhere (a Dask worker) needs to prepare what this run would: the view
        resolved here, masking in that process only, no Qdrant API key (it does not write)."""
        return self.settings.model_copy(
            update={
                "embedding_view": self.view,
                "embedding_precision": self.precision,
                "workers": 1,
                "stores": self.settings.stores.model_copy(update={"qdrant_api_key": ""}),
            }
        )

    def run_batch(
        self,
        files: Sequence[SourceEntry],
        on_error: ErrorSink | None = None,
        following: Sequence[SourceEntry] | None = None,
    ) -> IngestCounts:
        """Prepare a batch here and write it, part by part (a file of many records is never held whole).
        ``following``: the next batch's files, if known: its first documents are masked while this one
        is written."""
        counts = IngestCounts()
        for part in self.prepare_batch(files, following):
            counts.add(self.write_batch(part, on_error))
        return counts

    def prepare_batch(
        self, files: Sequence[SourceEntry], following: Sequence[SourceEntry] | None = None
    ) -> Iterator[PreparedBatch]:
        """A batch's parts prepared here, each once the one before is consumed, for ``write_batch``."""
        self._files_given += len(files)
        more_after = self.files_expected is None or self._files_given < self.files_expected
        return self.preparer.prepare(files, more_after, following)

    def write_batch(self, batch: PreparedBatch, on_error: ErrorSink | None = None) -> IngestCounts:
        """Record a prepared batch's outcomes and write its versions (this process is the one writer)."""
        self._check_model_profile(batch.model_profile)
        counts = batch.counts
        self.scan.add(batch.scan)
        for outcome in batch.outcomes:
            if outcome.verb == "quarantined":
                counts.documents_quarantined += 1
                VersionLedger(self.lineage).record_outcome(
                    self.collection,
                    outcome.doc_id,
                    QUARANTINED,
                    self.run_id,
                    outcome.reason,
                    VersionLedger(self.lineage).next_version(self.collection, outcome.doc_id),
                    outcome.content_hash,
                    outcome.report.to_dict() if outcome.report else None,
                    source_masked=outcome.source,
                )
            elif outcome.recorded:
                self._failed(outcome.problem(), counts)
            if outcome.is_problem:
                self._problem(outcome.problem(), counts, on_error)
        self._write(batch.ready, counts, on_error)
        RunLog(self.lineage).heartbeat(self.run_id)
        logger.debug(
            "batch: %d documents read, %d indexed, %d chunks",
            counts.documents_seen,
            counts.documents_indexed,
            counts.chunks_indexed,
        )
        add_seconds(counts.seconds, self.clock.take())
        return counts

    def _failed(self, problem: DocumentProblem, counts: IngestCounts) -> None:
        counts.documents_failed += 1
        VersionLedger(self.lineage).record_outcome(
            self.collection,
            problem.doc_id,
            FAILED,
            self.run_id,
            f"{problem.stage}: {problem.reason}",
            source_masked=problem.source,
        )

    @staticmethod
    def _problem(problem: DocumentProblem, counts: IngestCounts, on_error: ErrorSink | None) -> None:
        counts.problems.append(problem)
        if on_error:
            on_error(problem)

    def _write(
        self, documents: Sequence[PreparedDocument], counts: IngestCounts, on_error: ErrorSink | None
    ) -> None:
        """The part's versions written together (a failing one costs only itself), their outcomes counted."""
        writes = [
            self.writer.version_write(
                d.version, partial(self._seal_values, d.version.doc_id, values=d.values)
            )
            for d in documents
        ]
        try:
            outcomes = self.writer.write_versions(writes, self.run_id)
        finally:
            for document in documents:
                # the clear token -> value maps, sealed in the vault now
                document.values.clear()
        for document, outcome in zip(documents, outcomes, strict=True):
            version = document.version
            if isinstance(outcome, Exception):
                reason = f"indexing failed: {type(outcome).__name__}"
                problem = DocumentProblem(
                    version.doc_id, version.fields.get("source", ""), "failed", "write", reason
                )
                self._failed(problem, counts)
                self._problem(problem, counts, on_error)
                continue
            counts.documents_indexed += 1
            if document.replaces:
                counts.documents_changed += 1
            else:
                counts.documents_added += 1
            counts.chunks_indexed += len(version.chunks)
            counts.entities.update(document.entity_counts)

    def _seal_values(self, doc_id: str, version: int, values: dict[str, str]) -> None:
        """With the vault on, seal the version's token -> value map (``_write`` drops the clear map once the
        part is written: a part that fails together seals each version again, on its own)."""
        if self.vault_key is None:
            return
        address = VaultAddress(self.collection, doc_id, version)
        self.vault.put(address, seal_values(self.vault_key, address, dict(values)))
