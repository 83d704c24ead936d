"""An ingest run: files in batches through the pipeline, with progress; the CLI's direct path and the
body of the Prefect ``ingest`` flow (flows/prefect/ingest.py), which runs each batch as a task.

Kept free of Prefect imports: importing Prefect costs seconds the direct path does not need.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from flows.pipeline.batch_runners import BatchRunner, batches_here
from flows.pipeline.batching import batched
from flows.pipeline.ingest_pipeline import (
    ErrorSink,
    IngestCounts,
    IngestPipeline,
    SourceScan,
    count_source_files,
)
from flows.settings import IngestSettings
from indexers.sources import iter_source_files
from masking import MaskingKeys

logger = logging.getLogger(__name__)
# (files done, files total, counts so far)
Progress = Callable[[int, int, IngestCounts], None]


class RunEngine(TypedDict):
    """What a Prefect flow run hands ``run_ingest`` and ``run_reindex`` beside the files and settings: the
    run id its batch tasks use, its keys, the task runner, the progress artifact and the flow run's link."""

    run_id: str
    keys: MaskingKeys
    batch_runner: BatchRunner
    progress: Progress
    links: dict[str, str]


@dataclass
class IngestResult:
    run_id: str
    collection: str
    counts: IngestCounts
    points_total: int
    # for the re-index: what vanished
    scan: SourceScan = field(default_factory=SourceScan, repr=False)
    # a full re-index's, its run still open
    pipeline: IngestPipeline | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts.to_dict()
        entities = counts.pop("entities")
        return {
            "run_id": self.run_id,
            "collection": self.collection,
            **counts,
            "points_total": self.points_total,
            "entities": entities,
        }


def run_ingest(
    paths: Sequence[Path],
    settings: IngestSettings,
    *,
    run_id: str | None = None,
    keys: MaskingKeys | None = None,
    on_error: ErrorSink | None = None,
    progress: Progress | None = None,
    batch_runner: BatchRunner | None = None,
    kind: str = "ingest",
    target: str | None = None,
    links: dict[str, str] | None = None,
) -> IngestResult:
    """Ingest ``paths`` batch by batch; ``batch_runner`` lets the flow run each batch as a task (default:
    ``settings.task_runner``, here or on Dask); ``kind``
    names the run in the lineage (a re-index runs this too). With a ``target`` (a full re-index) every
    document is written there with its commit held back, and the run is left open for the caller.
    ``links``: ids of this run elsewhere (a Prefect flow run's), for the lineage's run record."""
    settings = settings.resolved()
    run_id = run_id or uuid.uuid4().hex
    # fails here, before anything is written, on a path that does not exist
    total = count_source_files(paths)
    pipeline = IngestPipeline(settings, run_id, keys, kind, target, links, files_expected=total)
    pipeline.start()
    totals = IngestCounts()
    done = 0
    try:
        with ExitStack() as stack:
            if batch_runner is None and settings.task_runner == "dask":
                # Dask is an optional extra
                from flows.pipeline.dask_batches import dask_batches

                batch_runner = stack.enter_context(dask_batches(settings, on_error))
            runner = batch_runner or batches_here(on_error)
            # closed on the way out of the block, so a failed run's writes stop before it is marked failed
            written = stack.enter_context(
                closing(runner(pipeline, batched(iter_source_files(paths), settings.batch_documents)))
            )
            for files_done, counts in written:
                totals.add(counts)
                done += files_done
                if progress:
                    # files added since the count: past 100% never
                    progress(done, max(total, done), totals)
    except BaseException:
        pipeline.finish(totals, "failed")
        raise
    # a full re-index closes the run once the swap is done
    held_open = target is not None
    if not held_open:
        pipeline.finish(totals)
    return IngestResult(
        run_id,
        settings.stores.collection,
        totals,
        pipeline.store.count(),
        pipeline.scan,
        pipeline if held_open else None,
    )
