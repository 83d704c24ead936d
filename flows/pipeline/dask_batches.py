"""``--task-runner dask``: batches prepared on a Dask cluster, written by the run's own process.

Dask workers read, mask, chunk and embed (flows/pipeline/batch_preparer.py); the run's process is the one writer:
it records outcomes, upserts and commits each batch in input order through the pipeline's write path,
so a run writes the same points, payloads and lineage rows as with the default runner. One writer is what
a local store needs (a local Qdrant folder belongs to one process; SQLite takes one writer at a time) and
keeps the write protocol (indexers/index_writer.py) in one process for a server too; the expensive
stages, detection and embedding, are what scale out.

What crosses to a worker is a ``PreparationJob``: settings without secrets, the run id and a sealed batch
reference (indexers/source_refs.py), never text or file names. A worker reads the files itself, so they
must be at the same paths there (as for a Prefect worker); it loads its masking key from its own
environment (RAGMASK_SECRET_KEY or the key file) and is refused if that is not the run's key; it loads
the models once per run. What comes back is masked chunks, vectors and doc ids, and with the vault on
each version's token -> value map, which the writer seals at once (use a tls:// scheduler then). The
local cluster started here never spills to disk.

In a Prefect flow run each batch is a ``prepare-batch`` task run on prefect-dask's runner
(flows/prefect/ingest.py); the CLI's direct path submits to a ``distributed`` client itself. Both use this runner.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from flows.pipeline.batch_counts import BatchFailedError, ErrorSink, IngestCounts, SourceEntry
from flows.pipeline.batch_preparer import BatchPreparer
from flows.pipeline.batch_runners import BatchesWritten
from flows.pipeline.ingest_pipeline import IngestPipeline
from flows.pipeline.masking_workers import default_workers
from flows.pipeline.prepared_batch import PreparedBatch
from flows.settings import IngestSettings
from indexers.lineage import LineageStore
from indexers.source_refs import SourceRefs
from masking import SettingsError, load_keys

logger = logging.getLogger(__name__)


class WorkerKeyError(SettingsError):
    """A Dask worker's masking key is not the run's: it would write other tokens."""


@dataclass(frozen=True)
class PreparationJob:
    """One batch for a worker: no text, no file name, no secret."""

    # the run's, as ``IngestPipeline.worker_settings`` gives them
    settings: IngestSettings
    run_id: str
    # the run's masking key: the worker's must be the same
    key_id: str
    # a full re-index prepares every document, changed or not
    full: bool
    # a sealed reference to the batch's source entries
    batch_ref: str
    # per worker, so that workers on one machine share its cores; 0: torch's default
    torch_threads: int = 0


class Result(Protocol):
    def result(self) -> Any: ...


Submit = Callable[[PreparationJob], Result]
# a worker process's preparer, kept for the batches of one run
_PREPARERS: dict[str, BatchPreparer] = {}


def prepare_batch(job: PreparationJob) -> list[PreparedBatch]:
    """On a worker: the batch read, masked, chunked and embedded, in parts. A failure leaves as its type
    only."""
    try:
        preparer = _PREPARERS.get(job.run_id) or _open_preparer(job)
        entries = SourceRefs(preparer.lineage, preparer.keys).resolve_batch(job.batch_ref)
        return list(preparer.prepare(entries))
    except WorkerKeyError:
        raise
    except Exception as error:
        raise BatchFailedError(f"{job.batch_ref} failed: {type(error).__name__}") from None


def _open_preparer(job: PreparationJob) -> BatchPreparer:
    # an earlier run's models: one run at a time per worker
    for previous in _PREPARERS.values():
        previous.close()
        previous.lineage.close()
    _PREPARERS.clear()
    if job.torch_threads:
        import torch

        torch.set_num_threads(job.torch_threads)
    settings = job.settings
    keys = load_keys(key_file=settings.key_path, data_dir=settings.stores.data_path, create_missing=False)
    if keys.key_id != job.key_id:
        raise WorkerKeyError(
            f"this Dask worker's masking key is {keys.key_id}, the run's is {job.key_id}: "
            "give the workers the run's RAGMASK_SECRET_KEY or key file"
        )
    lineage = LineageStore(settings.stores.lineage)
    preparer = BatchPreparer(settings, job.run_id, keys, lineage, settings.embedding_view, full=job.full)
    _PREPARERS[job.run_id] = preparer
    return preparer


class DaskBatches:
    """Runs an ingest's batches on Dask: up to ``ahead`` batches prepared while this process writes the
    oldest, in input order.

    Example:
        with local_dask_client(workers=2) as client:
            batches = DaskBatches(lambda job: client.submit(prepare_batch, job, pure=False), ahead=4)
            run_ingest(paths, settings, batch_runner=batches)
    """

    def __init__(self, submit: Submit, ahead: int, on_error: ErrorSink | None = None, torch_threads: int = 0):
        self.submit = submit
        self.ahead = max(1, ahead)
        self.on_error = on_error
        self.torch_threads = torch_threads

    def __call__(self, pipeline: IngestPipeline, batches: Iterator[list[SourceEntry]]) -> BatchesWritten:
        """(files, counts) per batch written."""
        refs = SourceRefs(pipeline.lineage, pipeline.keys)
        settings = pipeline.worker_settings()
        pending: deque[tuple[int, str, Result]] = deque()
        try:
            for batch in batches:
                batch_ref = refs.register_batch(batch)
                job = PreparationJob(
                    settings,
                    pipeline.run_id,
                    pipeline.keys.key_id,
                    pipeline.full,
                    batch_ref,
                    self.torch_threads,
                )
                pending.append((len(batch), batch_ref, self.submit(job)))
                if len(pending) > self.ahead:
                    yield self._write_oldest(pipeline, refs, pending)
            while pending:
                yield self._write_oldest(pipeline, refs, pending)
        finally:
            # a failed run: the references of batches never written
            for _, batch_ref, _ in pending:
                refs.discard(batch_ref)

    def _write_oldest(
        self, pipeline: IngestPipeline, refs: SourceRefs, pending: deque[tuple[int, str, Result]]
    ) -> tuple[int, IngestCounts]:
        files, batch_ref, future = pending[0]
        parts: list[PreparedBatch] = future.result()
        pending.popleft()
        refs.discard(batch_ref)
        counts = IngestCounts()
        for part in parts:
            counts.add(pipeline.write_batch(part, self.on_error))
        return files, counts


def dask_workers(settings: IngestSettings) -> int:
    """How many workers a local cluster gets: ``workers``, 0 meaning the cores."""
    return settings.workers or default_workers()


def local_cluster_options(workers: int) -> dict[str, Any]:
    """A local cluster: one single-threaded process per worker, no dashboard (no port, no extra package)."""
    return {"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}


@contextmanager
def no_spilling() -> Iterator[None]:
    """Workers started inside keep results in memory only (Dask spills to disk by default under memory
    pressure, and a prepared batch may hold a vault run's values) and log warnings only, as here."""
    import dask

    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    variable, previous = "DASK_LOGGING__DISTRIBUTED", os.environ.get("DASK_LOGGING__DISTRIBUTED")
    # read by each worker process when it imports distributed
    os.environ[variable] = "warning"
    memory = {"distributed.worker.memory.target": False, "distributed.worker.memory.spill": False}
    try:
        with dask.config.set(memory):
            yield
    finally:
        quiet.setLevel(level)
        if previous is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = previous


def torch_threads_per_worker(workers: int) -> int:
    """The cores shared out between local workers (each worker's torch would otherwise take them all)."""
    return max(1, default_workers() // max(1, workers))


@contextmanager
def dask_batches(settings: IngestSettings, on_error: ErrorSink | None = None) -> Iterator[DaskBatches]:
    """The direct path's runner: a ``distributed`` client of the cluster at ``dask_address``, or of a
    local cluster started for the run and closed after it."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SettingsError("--task-runner dask needs Dask: pip install 'ragmask[dask]'") from None
    with no_spilling():
        if settings.dask_address:
            client = Client(settings.dask_address)  # type: ignore[no-untyped-call]
            threads = 0
        else:
            workers = dask_workers(settings)
            client = Client(LocalCluster(**local_cluster_options(workers)))  # type: ignore[no-untyped-call]
            threads = torch_threads_per_worker(workers)
        try:
            workers_now = len(client.scheduler_info().get("workers", {})) or 1
            yield DaskBatches(
                lambda job: client.submit(prepare_batch, job, pure=False, retries=2),
                2 * workers_now,
                on_error,
                threads,
            )
        finally:
            cluster = client.cluster
            client.close()  # type: ignore[no-untyped-call]
            if cluster is not None and not settings.dask_address:
                cluster.close()
