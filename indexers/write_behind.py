"""Writes on a thread of their own, one part behind the preparation (an ingest or re-index run in one
process, a scrub).

A part's writes (lineage transactions, the upsert) spend much of their time waiting on the disk or the
network, and that process's core sat idle through them: the masking workers had the next part, but
this process had nothing to do until the write returned. Here the part is handed to one writer thread
and the next part is prepared at once; before the next hand-over the part before must be written, so
at most one part waits on the writer (memory stays one part deep) and the writes keep their order (the
write protocol is per version, in indexers/index_writer.py, and there is still one writer). A write's
error surfaces at the next hand-over or at ``wait``. The threads share nothing but the lineage store,
which gives each thread its own connection.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

Written = TypeVar("Written")


class WriteBehind(Generic[Written]):
    """One writer thread, at most one write waiting on it.

    Example:
        with WriteBehind[IngestCounts]() as writer:
            for part in pipeline.prepare_batch(files):
                written = writer.hand_over(partial(pipeline.write_batch, part))
            counts = written.result()
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="ragmask-writer")
        self._last: Future[Written] | None = None

    def hand_over(self, write: Callable[[], Written]) -> Future[Written]:
        """Wait until the write before is done (its error is raised here), then start this one."""
        self.wait()
        self._last = self._executor.submit(write)
        return self._last

    def wait(self) -> None:
        """Return once every write handed over is done; raise the error of one that failed."""
        if self._last is not None:
            self._last.result()

    def __enter__(self) -> WriteBehind[Written]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """The write in progress finishes (never half a part); one not started yet is dropped."""
        self._executor.shutdown(wait=True, cancel_futures=True)
