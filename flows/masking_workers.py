"""Masking in worker processes: a batch's documents split over N processes, this one included.

spaCy's NER runs on one core; the embedder's matrix products already use them all. Measured on the
2-core machine (README, "Throughput"): masking in a worker *while* this process embeds made the run
slower (three busy threads on two cores stall torch), so the stages stay in turn and each one uses
every core: with ``workers`` N >= 2, N - 1 spawned processes mask their share of a batch while this
process masks its own, then this process chunks, embeds and writes. With N = 1, or a batch too small
to be worth it, masking runs here alone. Results keep the input order, so a run writes the same
points, payloads and lineage rows whatever N is.

Each worker loads its own spaCy model once (spawned, not forked: a forked copy of a process that has
started torch threads can hang). Text crosses to the workers through an in-memory pipe only; nothing
is written, logged or passed to Prefect.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from masking import MaskingKeys
from masking.detector_config import DetectorConfig
from masking.freed_memory import release_freed_memory
from masking.policy import Policy
from masking.stage_clock import Seconds, add_seconds

if TYPE_CHECKING:  # imported by a worker when it starts: Presidio and spaCy take seconds to import
    from masking import MaskedDocument, Masker, TextDocument

logger = logging.getLogger(__name__)

# A batch with less text than this is masked here: starting a worker (a process and its spaCy model,
# about 4 s) costs more than it would save, and small runs (tests, a few edited files) stay lean.
MIN_CHARS_FOR_WORKERS = 50_000

MaskedPart = tuple[list["MaskedDocument"], Seconds]  # results in input order, seconds per stage


def default_workers() -> int:
    """The cores this process may use (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class MaskerSpec:
    """What a worker process needs to build the same masker as the parent's."""

    keys: MaskingKeys
    policy: Policy
    detector_config: DetectorConfig
    run_id: str
    keep_values: bool


_WORKER: dict[str, Masker] = {}  # a worker process's own masker, built once when it starts


def _start_worker(spec: MaskerSpec) -> None:
    from masking import Masker

    _WORKER["masker"] = Masker(spec.keys, spec.policy, detector_config=spec.detector_config,
                               run_id=spec.run_id, keep_values=spec.keep_values)  # fmt: skip


def _mask_in_worker(documents: list[TextDocument]) -> MaskedPart:
    masker = _WORKER["masker"]
    masked = masker.mask_many(documents), masker.clock.take()
    release_freed_memory()
    return masked


class MaskingWorkers:
    """Masks a batch here or split over ``workers`` processes (this one included), in input order.

    Example:
        workers = MaskingWorkers(masker, spec, workers=2)
        results, seconds = workers.mask(documents)  # one worker masks half while this process masks the rest
        workers.close()
    """

    def __init__(self, masker: Masker, spec: MaskerSpec, workers: int) -> None:
        self.masker = masker
        self.spec = spec
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def mask(self, documents: Sequence[TextDocument]) -> MaskedPart:
        """Every document masked, in input order, and the seconds each stage took (summed over processes)."""
        if (
            self.workers == 1
            or len(documents) < 2
            or sum(len(d.text) for d in documents) < MIN_CHARS_FOR_WORKERS
        ):
            return self.masker.mask_many(documents), self.masker.clock.take()
        own, *shares = split_by_length(documents, self.workers)
        futures = self._submit([[documents[i] for i in share] for share in shares])
        masked, seconds = self.masker.mask_many([documents[i] for i in own]), self.masker.clock.take()
        release_freed_memory()
        by_index = dict(zip(own, masked, strict=True))
        for share, future in zip(shares, futures, strict=True):
            try:
                if future is None:
                    raise BrokenProcessPool("the worker pool could not take the share")
                share_results, share_seconds = future.result()
            except Exception as error:  # a worker died (killed, out of memory): mask its share here
                logger.warning("a masking worker failed (%s); masking its share here", type(error).__name__)
                if isinstance(error, BrokenProcessPool):
                    self.close()  # the next batch starts a fresh pool
                share_results = self.masker.mask_many([documents[i] for i in share])
                share_seconds = self.masker.clock.take()
            by_index.update(zip(share, share_results, strict=True))
            add_seconds(seconds, share_seconds)
        return [by_index[i] for i in range(len(documents))], seconds

    def _submit(self, shares: list[list[TextDocument]]) -> list[Future[MaskedPart] | None]:
        """One future per share; None where the pool broke before it took the share."""
        futures: list[Future[MaskedPart] | None] = []
        for share in shares:
            try:
                futures.append(self._start_pool().submit(_mask_in_worker, share))
            except BrokenProcessPool:
                futures.append(None)
        return futures

    def _start_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers - 1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self.spec,),
            )  # fmt: skip
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def split_by_length(documents: Sequence[TextDocument], parts: int) -> list[list[int]]:
    """The documents' indices in ``parts`` lists of about equal text length (longest first, each to the
    shortest list so far)."""
    shares: list[list[int]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for index in sorted(range(len(documents)), key=lambda i: len(documents[i].text), reverse=True):
        smallest = sizes.index(min(sizes))
        shares[smallest].append(index)
        sizes[smallest] += len(documents[index].text)
    return shares
