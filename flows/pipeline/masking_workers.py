"""Masking in worker processes: a batch's documents split over N processes, this one included.

spaCy's NER runs on one core, while the embedder's matrix products already use them all, so the stages
run in turn and each uses every core: with ``workers`` N >= 2, N - 1 spawned processes mask their share
of a batch while this process masks its own, then this process chunks, embeds and writes (masking in a
worker while this process embeds stalls torch on a small machine). A split batch is cut into a few
shares per process; the workers take them from the first, this process from the last, until they meet.
A worker gets its next share only when it has finished the one before (a feeder thread per worker), so
no share sits queued where this process cannot take it back. With N = 1, or a batch too small to be
worth it, masking runs here alone. Results keep the input order, so a run writes the same points,
payloads and lineage rows whatever N is.

Starting a worker costs a process, Presidio and its spaCy model (without torch or transformers where the
model uses neither: flows/pipeline/lean_imports.py). The first batch worth splitting starts the workers
(``start``; the pipeline calls it before this process loads its own models, so both load side by side),
and a worker still starting joins a batch's masking as soon as it is ready (its feeder waits; this process
takes shares from the last meanwhile). The last batch of a run starts none: a worker
started for a run of one batch would only slow this process's embedding.

Each worker loads its own spaCy model once (spawned, not forked: a forked copy of a process that has
started torch threads can hang). Text crosses to the workers through an in-memory pipe only; nothing
is written, logged or passed to Prefect. docs/benchmarks.md has the measurements.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING

from flows.pipeline.lean_imports import keep_frameworks_out
from indexers.embedding_precision import usable_cores
from indexers.freed_memory import release_freed_memory
from masking import MaskingKeys
from masking.detector_config import DetectorConfig
from masking.policy import Policy
from masking.stage_clock import Seconds, add_seconds

# imported by a worker when it starts: Presidio and spaCy take seconds to import
if TYPE_CHECKING:
    from masking import MaskedDocument, Masker, TextDocument

logger = logging.getLogger(__name__)

# A batch with less text than this is masked here: starting a worker (a process and its spaCy model,
# about 2 s) costs more than it would save, and small runs (tests, a few edited files) stay lean.
MIN_CHARS_FOR_WORKERS = 50_000
# How long a batch waits for workers still starting before its shares are handed out (a worker joins once
# ready either way). Waiting never pays in a run; tests raise it so that a small run is split for certain.
START_WAIT_S = 0.0
# A split batch is cut into this many shares per process (at most one per document), so that the
# processes finish together: a fixed half each left one waiting for the other. This process waits at the
# end for the share a worker is masking, at most one: on the benchmark's batches of 32 documents, 8 shares
# per process masked in 9.7-10.0 s, 4 in 10.5 s (when the pool still queued a second share per worker).
SHARES_PER_PROCESS = 8
# how often a wait for a worker's share checks that the pool has not broken
POOL_CHECK_S = 1.0
# how often a feeder whose worker is still starting looks whether this process has taken every share
FEEDER_WAIT_S = 0.05

# results in input order, seconds per stage
MaskedPart = tuple[list["MaskedDocument"], Seconds]


def default_workers() -> int:
    """The cores this process may use: one masking process each."""
    return usable_cores()


@dataclass(frozen=True)
class MaskerSpec:
    """What a worker process needs to build the same masker as the parent's."""

    keys: MaskingKeys
    policy: Policy
    detector_config: DetectorConfig
    run_id: str
    keep_values: bool

    def build(self) -> Masker:
        """The masker (loads spaCy: seconds)."""
        from masking import Masker

        return Masker(
            self.keys,
            self.policy,
            detector_config=self.detector_config,
            run_id=self.run_id,
            keep_values=self.keep_values,
        )


# a worker process's own masker, built once when it starts
_WORKER: dict[str, Masker] = {}


def _start_worker(spec: MaskerSpec) -> None:
    # it only masks: 3.3 s and 320 MB less to start
    keep_frameworks_out(spec.detector_config.model)
    _WORKER["masker"] = spec.build()


def _ready_in_worker() -> None:
    """Runs once the worker's initializer has built its masker: the worker is ready."""


def _mask_in_worker(documents: list[TextDocument]) -> MaskedPart:
    masker = _WORKER["masker"]
    masked = masker.mask_many(documents), masker.clock.take()
    release_freed_memory()
    return masked


class MaskingWorkers:
    """Masks a batch here or split over ``workers`` processes (this one included), in input order.

    Example:
        workers = MaskingWorkers(MaskerSpec(keys, policy, DetectorConfig(), run_id, False), workers=2)
        workers.start(chars=200_000)  # worth splitting: the worker loads its model while this process loads its own
        results, seconds = workers.mask(documents)  # one worker masks half while this process masks the rest
        workers.close()
    """

    def __init__(self, spec: MaskerSpec, workers: int) -> None:
        self.spec = spec
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        # one per worker: done when it is ready
        self._starting: list[Future[None]] = []
        # shares handed out for the next ``mask`` call
        self._ahead: HandedOut | None = None

    @cached_property
    def masker(self) -> Masker:
        """This process's own masker, built on first use."""
        return self.spec.build()

    @property
    def masker_built(self) -> bool:
        return "masker" in self.__dict__

    @property
    def started(self) -> bool:
        """Whether worker processes are running (or starting)."""
        return self._pool is not None

    def worth_splitting(self, chars: int, documents: int = 2) -> bool:
        return self.workers > 1 and documents > 1 and chars >= MIN_CHARS_FOR_WORKERS

    def start(self, chars: int) -> None:
        """Start the worker processes, if a batch of ``chars`` characters is worth splitting and they are
        not started yet; returns at once (they load their models in the background)."""
        if not self.worth_splitting(chars) or self._pool is not None:
            return
        try:
            pool = self._start_pool()
            self._starting = [pool.submit(_ready_in_worker) for _ in range(self.workers - 1)]
        except BrokenProcessPool:
            self.close()

    def mask(self, documents: Sequence[TextDocument], more_to_come: bool = True) -> MaskedPart:
        """Every document masked, in input order, and the seconds each stage took (summed over processes).
        ``more_to_come``: later calls follow, so workers not started yet are started for them; the last
        call starts none (it would not wait for them, and their start would slow this process). Shares
        handed out ahead for exactly these documents (``mask_ahead``) are collected, not masked again."""
        handed, self._ahead = self._ahead, None
        if handed is not None and handed.documents != list(documents):
            # handed out for other documents (a batch read again, a retried task)
            handed.withdraw()
            handed = None
        if handed is None:
            chars = sum(d.chars for d in documents)
            if not self.worth_splitting(chars, len(documents)):
                return self._mask_here(documents)
            if more_to_come:
                self.start(chars)
            # waits up to START_WAIT_S; a worker that failed to start closes the pool
            self.ready()
            if self._pool is None:
                return self._mask_here(documents)
            # workers still starting join the batch once ready; until then this process masks it alone
            handed = self._hand_out(documents)
        return self._collect(handed)

    def masked(self, documents: Sequence[TextDocument], more_to_come: bool = True) -> list[MaskedDocument]:
        """``mask`` without the stage seconds: a ``MaskMany`` for the scrubber and the auditor."""
        return self.mask(documents, more_to_come)[0]

    def mask_ahead(self, documents: Sequence[TextDocument]) -> None:
        """Hand the next batch's shares to the workers now, if they are ready, so that they mask while this
        process does what needs no second core (it writes the batch before); the next ``mask`` call with
        these same documents collects them. Call it only when this process is about to leave a core idle:
        a worker masking beside the embedding stalls torch."""
        if self._ahead is not None:
            self._ahead.withdraw()
            self._ahead = None
        chars = sum(d.chars for d in documents)
        if self.started and self.worth_splitting(chars, len(documents)) and self.ready():
            self._ahead = self._hand_out(documents)

    def _hand_out(self, documents: Sequence[TextDocument]) -> HandedOut:
        # Shares for the workers to take from the first and for this process to take from the last, until
        # they meet: no process waits on another's fixed half. A worker's feeder hands it one share at a time.
        shares = split_by_length(documents, min(self.workers * SHARES_PER_PROCESS, len(documents)))
        handed = HandedOut(list(documents), shares)
        pool = self._start_pool()
        for _ in range(self.workers - 1):
            handed.start_feeder(partial(self._feed, handed, pool))
        return handed

    def _feed(self, handed: HandedOut, pool: ProcessPoolExecutor) -> None:
        """A feeder thread: hand the worker the next share from the first once it has finished the one
        before, until the shares run out, this process takes the rest, or the pool breaks (its share is
        then this process's to mask)."""
        while not self._workers_started():
            if handed.exhausted():
                return
        while (index := handed.claim_first()) is not None:
            share = [handed.documents[i] for i in handed.shares[index]]
            try:
                handed.outcomes[index] = self._share_result(pool.submit(_mask_in_worker, share))
            except (Exception, CancelledError) as error:
                # broken, killed, or closed by ``close``
                handed.outcomes[index] = error
                return

    def _workers_started(self) -> bool:
        """Whether every worker has started (waiting a moment); True too when one failed to start, so that
        the feeder finds the pool broken and leaves its shares to this process."""
        done, _ = wait(self._starting, timeout=FEEDER_WAIT_S)
        return len(done) == len(self._starting)

    def start_failed(self) -> bool:
        """Whether a worker failed to start (the pool is then closed, and the next batch worth splitting
        starts a fresh one)."""
        failed = [f for f in self._starting if f.done() and f.exception() is not None]
        if failed:
            logger.warning(
                "a masking worker failed to start (%s); masking here", type(failed[0].exception()).__name__
            )
            self.close()
        return bool(failed)

    def busy_workers(self) -> int:
        """How many workers are masking the next batch's shares, handed out ahead, right now."""
        return 0 if self._ahead is None else self._ahead.feeding()

    def _collect(self, handed: HandedOut) -> MaskedPart:
        documents, shares = handed.documents, handed.shares
        by_index: dict[int, MaskedDocument] = {}
        while (index := handed.claim_last()) is not None:
            share = shares[index]
            by_index.update(zip(share, self.masker.mask_many([documents[i] for i in share]), strict=True))
        seconds = self.masker.clock.take()
        release_freed_memory()
        # the share each worker is still masking
        handed.join()
        for index, outcome in sorted(handed.outcomes.items()):
            share = shares[index]
            # a worker died (killed, out of memory): mask it here
            if isinstance(outcome, BaseException):
                logger.warning("a masking worker failed (%s); masking its share here", type(outcome).__name__)
                if isinstance(outcome, BrokenProcessPool):
                    # the next batch starts a fresh pool
                    self.close()
                share_results, share_seconds = self._mask_here([documents[i] for i in share])
            else:
                share_results, share_seconds = outcome
            by_index.update(zip(share, share_results, strict=True))
            add_seconds(seconds, share_seconds)
        return [by_index[i] for i in range(len(documents))], seconds

    def _share_result(self, future: Future[MaskedPart]) -> MaskedPart:
        """A worker's share, or BrokenProcessPool once the pool has broken. Python 3.11's pool can leave a
        share unresolved for ever when a worker dies while other shares are cancelled (its manager thread
        stops at the first cancelled one: InvalidStateError), so the wait checks the pool every second."""
        while True:
            try:
                return future.result(timeout=POOL_CHECK_S)
            except TimeoutError:
                if self._pool is None:
                    raise BrokenProcessPool("the worker pool was closed") from None
                # raises BrokenProcessPool once the pool has broken
                self._pool.submit(_ready_in_worker)

    def _mask_here(self, documents: Sequence[TextDocument]) -> MaskedPart:
        masked = self.masker.mask_many(documents), self.masker.clock.take()
        release_freed_memory()
        return masked

    def ready(self) -> bool:
        """Whether every worker has built its masker (waiting up to START_WAIT_S); a worker that failed
        to start closes the pool, and the next batch worth splitting starts a fresh one."""
        done, _ = wait(self._starting, timeout=START_WAIT_S)
        if len(done) < len(self._starting) or self.start_failed():
            return False
        return self._pool is not None

    def _start_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers - 1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.spec,),
            )
        return self._pool

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.withdraw()
            self._ahead = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._starting = []


@dataclass
class HandedOut:
    """A batch's shares (indices into ``documents``), each claimed once: by the workers' feeders from the
    first, by this process from the last. ``outcomes``: each worker share's results, or the error that
    makes it this process's to mask."""

    documents: list[TextDocument]
    shares: list[list[int]]
    outcomes: dict[int, MaskedPart | BaseException] = field(default_factory=dict, init=False)
    # the first share not yet claimed
    _first: int = field(default=0, init=False)
    # the last share not yet claimed
    _last: int = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _feeders: list[threading.Thread] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._last = len(self.shares) - 1

    def exhausted(self) -> bool:
        with self._lock:
            return self._first > self._last

    def feeding(self) -> int:
        """Feeders still handing out or waiting for a share: workers at work on this batch."""
        return sum(thread.is_alive() for thread in self._feeders)

    def claim_first(self) -> int | None:
        with self._lock:
            if self._first > self._last:
                return None
            self._first += 1
            return self._first - 1

    def claim_last(self) -> int | None:
        with self._lock:
            if self._first > self._last:
                return None
            self._last -= 1
            return self._last + 1

    def start_feeder(self, feed: Callable[[], None]) -> None:
        thread = threading.Thread(target=feed, name="ragmask-masking-feeder", daemon=True)
        self._feeders.append(thread)
        thread.start()

    def join(self) -> None:
        """Wait for the shares the workers are masking (each feeder stops when no share is left)."""
        for thread in self._feeders:
            thread.join()

    def withdraw(self) -> None:
        """Hand out no more shares (those being masked finish, unread)."""
        with self._lock:
            self._last = self._first - 1


def split_by_length(documents: Sequence[TextDocument], parts: int) -> list[list[int]]:
    """The documents' indices in ``parts`` lists of about equal length, fields included (longest first, each to the
    shortest list so far)."""
    shares: list[list[int]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for index in sorted(range(len(documents)), key=lambda i: documents[i].chars, reverse=True):
        smallest = sizes.index(min(sizes))
        shares[smallest].append(index)
        sizes[smallest] += documents[index].chars
    return shares
