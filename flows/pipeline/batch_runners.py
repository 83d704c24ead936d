"""How a run's batches are run: each yields (files, counts) per batch written. Here, written one part
behind (``batches_here``); as Prefect task runs (flows/prefect/ingest.py); or prepared on Dask
(flows/pipeline/dask_batches.py)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future
from functools import partial

from flows.pipeline.batching import with_next
from flows.pipeline.ingest_pipeline import ErrorSink, IngestCounts, IngestPipeline, SourceEntry
from indexers.write_behind import WriteBehind

# closed early when a run fails
BatchesWritten = Generator[tuple[int, IngestCounts], None, None]
BatchRunner = Callable[[IngestPipeline, Iterator[list[SourceEntry]]], BatchesWritten]


def batches_here(on_error: ErrorSink | None = None) -> BatchRunner:
    """Each batch prepared in this process while the part before is written on a writer thread
    (indexers/write_behind.py); a batch is yielded once all its parts are written."""

    def run(pipeline: IngestPipeline, batches: Iterator[list[SourceEntry]]) -> BatchesWritten:
        # a batch handed over, not yielded
        previous: tuple[int, list[Future[IngestCounts]]] | None = None
        with WriteBehind[IngestCounts]() as writer:
            for batch, following in with_next(batches):
                writes = [
                    writer.hand_over(partial(pipeline.write_batch, part, on_error))
                    for part in pipeline.prepare_batch(batch, following)
                ]
                # written before this batch's first part was handed over (else waited)
                if previous is not None:
                    yield _written(*previous)
                previous = (len(batch), writes)
            writer.wait()
            if previous is not None:
                yield _written(*previous)

    return run


def _written(files: int, writes: list[Future[IngestCounts]]) -> tuple[int, IngestCounts]:
    counts = IngestCounts()
    for write in writes:
        counts.add(write.result())
    return files, counts
