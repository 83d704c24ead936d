"""Writes one part behind the preparation (indexers/write_behind.py): the next part is prepared while the one
before is written, the writes keep their order with at most one waiting, a failed write fails the run
with nothing left writing, and the collection and lineage are those of a run that writes in turn. Real
components (Presidio, MiniLM, Qdrant local mode, SQLite); synthetic data (Faker, fixed seed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from sqlalchemy import select

from flows.operations.ingest import run_ingest
from flows.pipeline.batch_preparer import BatchPreparer
from flows.pipeline.batch_runners import BatchesWritten
from flows.pipeline.batching import with_next
from flows.pipeline.ingest_pipeline import IngestCounts, IngestPipeline, SourceEntry
from flows.pipeline.prepared_batch import PreparedBatch
from flows.settings import IngestSettings, StoreSettings
from indexers.lineage import LineageStore
from indexers.lineage_schema import document_versions, runs
from indexers.qdrant_store import VectorStore, close_local_clients
from indexers.write_behind import WriteBehind
from masking import MaskingKeys
from tests.conftest import TEST_SECRET

KEYS = MaskingKeys(TEST_SECRET.encode())

# --- the writer ------------------------------------------------------------------------------------


def test_a_write_runs_behind_the_caller_in_order_with_at_most_one_waiting() -> None:
    released = threading.Event()
    spans: list[tuple[str, float, float]] = []

    def write(name: str, hold: threading.Event | None = None) -> str:
        started = time.perf_counter()
        if hold is not None:
            assert hold.wait(10)
        spans.append((name, started, time.perf_counter()))
        return name

    with WriteBehind[str]() as writer:
        first = writer.hand_over(lambda: write("first", released))
        # handed over: the caller goes on while it is written
        assert not first.done()
        threading.Timer(0.2, released.set).start()
        # waits for the first to be written
        second = writer.hand_over(lambda: write("second"))
        assert first.done()
        writer.wait()
    assert (first.result(), second.result()) == ("first", "second")
    assert [name for name, _, _ in spans] == ["first", "second"]
    # never two at once
    assert spans[0][2] <= spans[1][1]


def test_a_failed_write_is_raised_at_the_next_hand_over_and_the_next_is_not_started() -> None:
    started: list[str] = []

    def failing() -> str:
        raise OSError("disk full")

    def following() -> str:
        started.append("next")
        return "next"

    with WriteBehind[str]() as writer:
        writer.hand_over(failing)
        with pytest.raises(OSError, match="disk full"):
            writer.hand_over(following)
        with pytest.raises(OSError, match="disk full"):
            writer.wait()
    assert started == []


def test_leaving_waits_for_the_write_in_progress() -> None:
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.2)
        finished.set()

    with WriteBehind[None]() as writer:
        writer.hand_over(slow)
    # a part is never left half-written
    assert finished.is_set()


# --- in a run ---------------------------------------------------------------------------------------


def corpus(folder: Path) -> Path:
    fake = Faker("en_US")
    fake.seed_instance(7117)
    folder.mkdir()
    for number in range(6):
        (folder / f"note_{number}.txt").write_text(
            f"{fake.name()} ({fake.user_name()}@example.com) wrote: {fake.paragraph(nb_sentences=4)}",
            encoding="utf-8",
        )
    return folder


def settings_for(data_dir: Path) -> IngestSettings:
    return IngestSettings(stores=StoreSettings(data_dir=data_dir).resolved(), batch_documents=2, workers=1)


def in_turn(pipeline: IngestPipeline, batches: Iterator[list[SourceEntry]]) -> BatchesWritten:
    """Each batch prepared and then written, nothing behind (the Prefect flow's way)."""
    for batch, following in with_next(batches):
        yield len(batch), pipeline.run_batch(batch, None, following)


def stored(settings: IngestSettings) -> dict[str, Any]:
    store = VectorStore(settings.stores.qdrant, settings.stores.collection)
    with LineageStore(settings.stores.lineage).transaction() as tx:
        versions = sorted(
            tx.execute(
                select(
                    document_versions.c.doc_id,
                    document_versions.c.version,
                    document_versions.c.status,
                    document_versions.c.content_hash,
                )
            ).all()
        )
    points = {}
    for record in store.scroll():
        payload = dict(record.payload or {})
        # each run's own
        payload["metadata"]["provenance"].pop("run_id")
        points[str(record.id)] = payload
    return {"points": points, "versions": versions}


def test_the_next_batch_is_prepared_while_the_one_before_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = corpus(tmp_path / "corpus")
    events: list[tuple[str, str, float]] = []
    prepare_part, write_batch = BatchPreparer._prepare_part, IngestPipeline.write_batch

    def preparing(self: BatchPreparer, *args: Any, **kwargs: Any) -> PreparedBatch:
        events.append(("prepare", threading.current_thread().name, time.perf_counter()))
        return prepare_part(self, *args, **kwargs)

    def writing(self: IngestPipeline, *args: Any, **kwargs: Any) -> IngestCounts:
        # a slow disk: the preparation must not wait for it
        time.sleep(0.3)
        counts = write_batch(self, *args, **kwargs)
        events.append(("written", threading.current_thread().name, time.perf_counter()))
        return counts

    monkeypatch.setattr(BatchPreparer, "_prepare_part", preparing)
    monkeypatch.setattr(IngestPipeline, "write_batch", writing)
    behind = settings_for(tmp_path / "behind")
    try:
        counts = run_ingest([source], behind, keys=KEYS).counts
        monkeypatch.setattr(IngestPipeline, "write_batch", write_batch)
        turn = settings_for(tmp_path / "in_turn")
        in_turn_counts = run_ingest([source], turn, keys=KEYS, batch_runner=in_turn).counts.to_dict()
        assert {**in_turn_counts, "seconds": None} == {**counts.to_dict(), "seconds": None}
        # the same points, payloads and versions
        assert stored(behind) == stored(turn)
    finally:
        close_local_clients()
    assert counts.documents_indexed == 6
    writes = [(thread, at) for kind, thread, at in events if kind == "written"]
    prepares = [(thread, at) for kind, thread, at in events if kind == "prepare"][: len(writes)]
    assert len(writes) == 3 and {thread for thread, _ in writes} == {"ragmask-writer_0"}
    assert {thread for thread, _ in prepares} == {"MainThread"}
    # each batch after the first began preparing before the batch before it was written
    assert all(prepares[n + 1][1] < writes[n][1] for n in range(2))


def test_a_failed_write_fails_the_run_with_nothing_left_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = corpus(tmp_path / "corpus")
    write_batch, calls = IngestPipeline.write_batch, []

    def fails_second(self: IngestPipeline, *args: Any, **kwargs: Any) -> IngestCounts:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("lineage disk full")
        return write_batch(self, *args, **kwargs)

    monkeypatch.setattr(IngestPipeline, "write_batch", fails_second)
    settings = settings_for(tmp_path / "data")
    try:
        with pytest.raises(OSError, match="lineage disk full"):
            run_ingest([source], settings, keys=KEYS)
        assert not [t for t in threading.enumerate() if t.name.startswith("ragmask-writer")]
        with LineageStore(settings.stores.lineage).transaction() as tx:
            assert tx.scalars(select(runs.c.status)).all() == ["failed"]
        # the third part was never handed over
        assert len(calls) == 2
        written = stored(settings)
        assert {status for _, _, status, _ in written["versions"]} == {"committed"}
        # the first batch's two documents, whole
        assert len(written["versions"]) == 2
    finally:
        close_local_clients()
