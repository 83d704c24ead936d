"""The Prefect ``ingest`` flow: the run of flows/operations/ingest.py with each batch as a task, plus artifacts.

Prefect stores flow parameters verbatim, exception messages in states, logs and events, and (if
enabled) pickled results. So: the CLI hands its paths over as a sealed source reference (file names can
be personal data; indexers/source_refs.py), a deployment's form takes the directories to read; never
text or secrets (the Qdrant API key comes from RAGMASK_QDRANT_API_KEY inside the run); a task gets a
batch reference, not file names; tasks keep no results and no cache; every exception leaves the flow as
its type only; logs go through the allowlist of flows/runtime/logging_setup.py; artifacts carry ids and counts.
Batches are written one at a time by the flow run's process: a local Qdrant folder and the write
protocol belong to one process (an ``ingest-batch`` task's batch reference resolves in this process's
memory). With ``task_runner`` "dask", ``prepare-batch`` task runs read, mask, chunk and embed batches on
Dask workers, each given a sealed batch reference (indexers/source_refs.py), and the flow run writes their
results in input order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE

from flows.operations.ingest import IngestResult, RunEngine, run_ingest
from flows.operations.report import summary_row
from flows.pipeline.batch_counts import BatchFailedError, DocumentProblem, ErrorSink
from flows.pipeline.batch_runners import BatchesWritten
from flows.pipeline.batching import with_next
from flows.pipeline.dask_batches import (
    DaskBatches,
    PreparationJob,
    dask_workers,
    local_cluster_options,
    no_spilling,
    prepare_batch,
    torch_threads_per_worker,
)
from flows.pipeline.ingest_pipeline import IngestCounts, IngestPipeline, SourceEntry
from flows.pipeline.prepared_batch import PreparedBatch
from flows.prefect.artifacts import artifact_key, stores_line
from flows.prefect.collection_slots import collection_slot
from flows.prefect.flow_runs import prefect_link
from flows.prefect.partial_runs import failures_artifact, partial_or_completed
from flows.prefect.shell import operation_run, ragmask_flow, summary_artifact
from flows.settings import IngestSettings, StoreSettings
from flows.settings.source_roots import check_within_sources
from indexers.document_catalog import DocumentCatalog
from indexers.lineage import LineageStore
from indexers.source_refs import SourceRefs
from masking import MaskingKeys, load_keys
from masking.errors import SettingsError

_pipelines: dict[str, IngestPipeline] = {}
# a batch and the one after
_batches: dict[str, tuple[list[SourceEntry], list[SourceEntry] | None]] = {}


# A retry is safe: documents an attempt committed are unchanged for the next (content hashes), and a
# version an attempt left pending is rolled back by the next run's reconcile (never indexed twice).
@task(name="ingest-batch", persist_result=False, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def ingest_batch(run_id: str, batch_ref: str) -> IngestCounts:
    """Mask, chunk, embed, upsert and commit one batch; returns counts only (and logs them)."""
    pipeline, (files, following) = _pipelines[run_id], _batches[batch_ref]
    task_logger = get_run_logger()
    try:
        counts = pipeline.run_batch(files, problem_logger(task_logger), following)
    except Exception as error:
        raise BatchFailedError(f"{batch_ref} failed: {type(error).__name__}") from None
    log_counts(task_logger, batch_ref, counts)
    return counts


# Runs on a Dask worker; the flow run writes what it returns. A retry prepares the batch again.
@task(name="prepare-batch", persist_result=False, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def prepare_batch_task(job: PreparationJob) -> list[PreparedBatch]:
    """Read, mask, chunk and embed one batch on a Dask worker; writes nothing."""
    return prepare_batch(job)


def problem_logger(run_logger: Any) -> ErrorSink:
    def log_problem(problem: DocumentProblem) -> None:
        # the doc id and the masked source path, never the file's own name
        run_logger.warning("%s", problem.line())

    return log_problem


def log_counts(run_logger: Any, batch_ref: str, counts: IngestCounts) -> None:
    run_logger.info(
        "%s: %d documents seen, %d indexed, %d unchanged, %d quarantined, %d failed, %d chunks",
        batch_ref,
        counts.documents_seen,
        counts.documents_indexed,
        counts.documents_unchanged,
        counts.documents_quarantined,
        counts.documents_failed,
        counts.chunks_indexed,
    )


def counts_sentence(result: IngestResult) -> str:
    """What an ingest-like run did to its documents, in one sentence."""
    c = result.counts
    return (
        f"Collection **{result.collection}**: {c.documents_seen} documents seen, {c.documents_indexed} indexed "
        f"({c.documents_added} new, {c.documents_changed} changed), {c.documents_unchanged} unchanged, "
        f"{c.documents_quarantined} quarantined, {c.documents_failed} failed; {c.chunks_indexed} chunks indexed."
    )


def summary_markdown(result: IngestResult, stores: StoreSettings) -> str:
    return (
        f"# ragmask ingest `{result.run_id}`\n\n{counts_sentence(result)} {result.points_total} points in the "
        f"collection.\n\n{stores_line(stores)}\n"
    )


@contextmanager
def flow_sources(
    stores: StoreSettings, keys: MaskingKeys, paths: Sequence[str], source_ref: str
) -> Iterator[list[Path]]:
    """The paths a flow reads: typed into a deployment's form, or a sealed reference the CLI registered
    (resolved here, deleted when the run ends)."""
    if not paths and not source_ref:
        raise SettingsError("no paths to read: give at least one file or directory")
    if paths and source_ref:
        raise SettingsError("give the paths to read, or a registered source reference, not both")
    lineage = LineageStore(stores.lineage)
    try:
        yield SourceRefs(lineage, keys).resolve(source_ref) if source_ref else [Path(p) for p in paths]
    finally:
        if source_ref:
            SourceRefs(lineage, keys).discard(source_ref)
        lineage.close()


class BatchTasks:
    """Runs the batches of an ingest-like run as task runs and keeps a progress artifact: each batch an
    ``ingest-batch`` task run here, or with ``task_runner`` "dask" a ``prepare-batch`` task run on
    prefect-dask's runner, written by the flow run (flows/pipeline/dask_batches.py). Batch references, never file
    names, cross the task boundary."""

    def __init__(self, settings: IngestSettings, operation: str = "ingest") -> None:
        self.settings = settings
        self.run_id = uuid.uuid4().hex
        progress_id = create_progress_artifact(
            0.0,
            key=artifact_key(f"{operation}-progress", settings.stores.collection),
            description="files processed",
        )
        # the synchronous API inside a synchronous flow
        assert isinstance(progress_id, UUID)
        self.progress_id = progress_id
        self._exit_stack = ExitStack()
        self._dask: DaskBatches | None = None

    def run(self, pipeline: IngestPipeline, batches: Iterator[list[SourceEntry]]) -> BatchesWritten:
        if self._dask is not None:
            flow_logger = get_run_logger()
            for number, (files, counts) in enumerate(self._dask(pipeline, batches), start=1):
                log_counts(flow_logger, f"batch-{number}", counts)
                yield files, counts
            return
        _pipelines[self.run_id] = pipeline
        for batch, following in with_next(batches):
            batch_ref = f"batch-{uuid.uuid4().hex[:8]}"
            _batches[batch_ref] = batch, following
            try:
                yield len(batch), ingest_batch(self.run_id, batch_ref)
            finally:
                # kept across the task's retries, dropped after
                _batches.pop(batch_ref, None)

    def progress(self, done: int, total: int, _counts: IngestCounts) -> None:
        update_progress_artifact(self.progress_id, 100.0 * done / max(total, 1))

    def __enter__(self) -> BatchTasks:
        if self.settings.task_runner == "dask":
            self._dask = self._exit_stack.enter_context(self._dask_batches())
        return self

    def __exit__(self, *_exc: object) -> None:
        _pipelines.pop(self.run_id, None)
        self._exit_stack.close()

    @contextmanager
    def _dask_batches(self) -> Iterator[DaskBatches]:
        try:
            from prefect_dask.task_runners import DaskTaskRunner
        except ImportError:
            raise SettingsError("task runner dask needs prefect-dask: pip install 'ragmask[dask]'") from None
        address, workers = self.settings.dask_address, dask_workers(self.settings)
        runner = (
            DaskTaskRunner(address=address)
            if address
            else DaskTaskRunner(cluster_kwargs=local_cluster_options(workers))
        )
        with no_spilling(), runner:
            ahead = 2 * (len(runner.client.scheduler_info().get("workers", {})) or 1)
            yield DaskBatches(
                lambda job: runner.submit(prepare_batch_task, {"job": job}),
                ahead,
                problem_logger(get_run_logger()),
                0 if address else torch_threads_per_worker(workers),
            )


@dataclass(frozen=True)
class IngestRun:
    """What an ingest-like flow run works with, resolved on the worker."""

    settings: IngestSettings
    keys: MaskingKeys
    sources: list[Path]
    tasks: BatchTasks

    def engine(self) -> RunEngine:
        """The run id, keys, batch task runner, progress artifact and Prefect link that ``run_ingest`` and
        ``run_reindex`` take from a flow run."""
        return RunEngine(
            run_id=self.tasks.run_id,
            keys=self.keys,
            batch_runner=self.tasks.run,
            progress=self.tasks.progress,
            links=prefect_link(),
        )


def check_form(parameters: IngestSettings, paths: Sequence[str]) -> None:
    """Before any work, outside the run's type-only error: a path outside the sources or a store a form may
    not choose is refused with a message that names it (flows/settings/source_roots.py; only what was typed)."""
    check_within_sources(paths)
    parameters.for_flow_run()


@contextmanager
def ingest_run(
    parameters: IngestSettings, paths: Sequence[str], source_ref: str, operation: str = "ingest"
) -> Iterator[IngestRun]:
    """An ingest or reindex flow run's settings resolved from its parameters (checked by ``check_form``
    before: a password typed into the form is refused, not used), its keys, its sources and batch tasks,
    with the collection's write slot held for the whole run."""
    settings = parameters.resolved()
    keys = load_keys(key_file=settings.key_path, data_dir=settings.stores.data_path, create_missing=True)
    with (
        collection_slot(settings.stores.collection),
        flow_sources(settings.stores, keys, paths, source_ref) as sources,
        BatchTasks(settings, operation) as tasks,
    ):
        yield IngestRun(settings, keys, sources, tasks)


def ingest_artifacts(
    result: IngestResult, stores: StoreSettings, operation: str = "ingest", summary: str | None = None
) -> None:
    """The run's summary (``summary``, else the ingest's), the documents it did not write, the masking
    report of each version it wrote, and the entities it masked by type."""
    summary = summary or summary_markdown(result, stores)
    summary_artifact(summary, f"{operation}-summary", result.collection, f"{operation} run summary")
    failures_artifact(operation, result.counts.problems, result.collection)
    lineage = LineageStore(stores.lineage)
    try:
        versions = DocumentCatalog(lineage).version_reports(result.collection, run_id=result.run_id)
    finally:
        lineage.close()
    # `ragmask report` per document of the run: counts and versions, never a value
    create_table_artifact(
        [
            summary_row(v)
            | {
                "entities": ", ".join(
                    f"{t}={n}" for t, n in sorted(v["report"].get("entity_counts", {}).items())
                ),
                "policy": "{name} {version}".format(
                    **v["report"].get("policy", {"name": "-", "version": ""})
                ),
                "key_id": v["report"].get("key_id"),
            }
            for v in versions
        ]
        or [{"doc_id": "(no document indexed)"}],
        key=artifact_key(f"{operation}-reports", result.collection),
        description="masking report of each document version this run wrote",
    )
    create_table_artifact(
        [{"entity_type": t, "count": n} for t, n in sorted(result.counts.entities.items())]
        or [{"entity_type": "(none)", "count": 0}],
        key=artifact_key(f"{operation}-entities", result.collection),
        description="entities masked, by type",
    )


def ingest_body(paths: Sequence[str], settings: IngestSettings, source_ref: str) -> dict[str, Any]:
    """What both ingest flows run: the files, batch by batch as task runs, then the artifacts."""
    check_form(settings, paths)
    with operation_run("ingest"):
        with ingest_run(settings, paths, source_ref) as run:
            result = run_ingest(run.sources, run.settings, **run.engine())
        ingest_artifacts(result, run.settings.stores)
    returned = result.to_dict() | {"settings": settings.effective()}
    return partial_or_completed("ingest", result.counts, result.collection, returned)


@ragmask_flow("ingest", batch_tasks=True)
def ingest_flow(paths: tuple[str, ...], settings: IngestSettings = IngestSettings()) -> dict[str, Any]:
    """Ingest files and directories into a masked collection; returns `ragmask ingest --json`. A run that
    left documents out ends Completed with a message and a ``ragmask.run.partial`` event.

    Args:
        paths: Directories or files to read, as the worker sees them (e.g. /sources/hr).
        settings: The run's settings, the same object the CLI builds. Store fields left empty come
            from the worker's RAGMASK_* variables; secrets are never parameters.
    """
    return ingest_body(paths, settings, "")


@ragmask_flow("ingest", batch_tasks=True)
def ingest_registered_flow(source_ref: str, settings: IngestSettings = IngestSettings()) -> dict[str, Any]:
    """The CLI's ingest (the same flow, ``ingest``, in the UI): the files it registered, given as a sealed
    reference so that their names stay out of Prefect. Not deployed: a form takes ``paths``.

    Args:
        source_ref: The sealed reference to the files the CLI registered.
        settings: The run's settings, the same object the CLI builds.
    """
    return ingest_body((), settings, source_ref)
