"""Scrub's batches: masking split over processes scrubs what one process scrubs, workers start only when a
later batch can use them, a batch closes at its character limit, and the next batch is masked while the
one before is written. Synthetic data (Faker, fixed seed)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.operations.scrub import run_scrub
from flows.pipeline import masking_workers
from flows.pipeline.masking_workers import MaskingWorkers
from flows.settings import IngestSettings, StoreSettings
from indexers import scrub
from indexers.index_writer import IndexWriter
from indexers.qdrant_store import close_local_clients
from tests.scrub_sources import VALUES, raw_source, scrub_settings, target_dump


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[IngestSettings]:
    yield IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    close_local_clients()


def test_masking_split_over_two_processes_scrubs_what_one_process_scrubs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # three small documents, split anyway
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    # once the worker is ready
    monkeypatch.setattr(masking_workers, "START_WAIT_S", 120.0)
    # two batches: the last would start no worker
    monkeypatch.setattr(scrub, "DOCUMENTS_PER_BATCH", 2)
    dumps = {}
    for workers in (1, 2):
        settings = IngestSettings(
            stores=StoreSettings(data_dir=tmp_path / f"data-{workers}").resolved(), workers=workers
        )
        raw_source(settings)
        result = run_scrub(scrub_settings(settings, "raw_src", "raw_dst", "raw", doc_key="ticket"))
        assert result["points_written"] == 6 and result["audit"]["suspected"] == 0
        _, records = target_dump(settings, "raw_dst")
        dumps[workers] = sorted((str(r.id), json.dumps(r.payload, sort_keys=True)) for r in records)
        close_local_clients()
    assert dumps[2] == dumps[1]
    assert not [v for v in VALUES if any(v in payload for _, payload in dumps[2])]


def test_a_scrub_of_one_batch_starts_no_masking_worker_and_one_of_several_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, masking_pool_starts: list[int]
) -> None:
    # small documents, worth splitting
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    started = {}
    # the three documents in one batch; in two
    for per_batch in (16, 2):
        monkeypatch.setattr(scrub, "DOCUMENTS_PER_BATCH", per_batch)
        masking_pool_starts.clear()
        settings = IngestSettings(
            stores=StoreSettings(data_dir=tmp_path / f"data-{per_batch}").resolved(), workers=2
        )
        raw_source(settings)
        result = run_scrub(scrub_settings(settings, "raw_src", "raw_dst", "raw", doc_key="ticket"))
        assert result["points_written"] == 6 and result["audit"]["suspected"] == 0
        started[per_batch] = len(masking_pool_starts)
        close_local_clients()
    # one batch masked here; the first of two started the worker
    assert started == {16: 0, 2: 1}


def test_a_batch_closes_at_its_character_limit(
    settings: IngestSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are measured in characters (short chunks make small documents), at most 64 documents."""
    batches: list[int] = []
    masked = MaskingWorkers.masked

    def counted(self: MaskingWorkers, documents: Any, more_to_come: bool = True) -> Any:
        if documents and documents[0].doc_id != "audit":
            batches.append(len(documents))
        return masked(self, documents, more_to_come)

    monkeypatch.setattr(MaskingWorkers, "masked", counted)
    raw_source(settings)
    run_scrub(scrub_settings(settings, "raw_src", "raw_dst", "raw", doc_key="ticket"))
    assert batches == [3]
    # every document fills a batch
    monkeypatch.setattr(scrub, "BATCH_CHARS", 1)
    batches.clear()
    run_scrub(scrub_settings(settings, "raw_src", "raw_dst2", "raw", doc_key="ticket"))
    assert batches == [1, 1, 1]


def test_a_batch_is_masked_while_the_one_before_is_written(
    settings: IngestSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writes go to the writer thread (indexers/write_behind.py); the scrub goes on with the next batch."""
    # a batch per document
    monkeypatch.setattr(scrub, "DOCUMENTS_PER_BATCH", 1)
    events: list[tuple[str, str, float]] = []
    process, write_versions = scrub.Scrubber._process, IndexWriter.write_versions

    def processing(self: scrub.Scrubber, *args: Any, **kwargs: Any) -> None:
        events.append(("process", threading.current_thread().name, time.perf_counter()))
        process(self, *args, **kwargs)

    def writing(self: IndexWriter, *args: Any, **kwargs: Any) -> Any:
        # a slow disk: the next batch must not wait for it
        time.sleep(0.3)
        outcomes = write_versions(self, *args, **kwargs)
        events.append(("written", threading.current_thread().name, time.perf_counter()))
        return outcomes

    monkeypatch.setattr(scrub.Scrubber, "_process", processing)
    monkeypatch.setattr(IndexWriter, "write_versions", writing)
    raw_source(settings)
    result = run_scrub(scrub_settings(settings, "raw_src", "raw_dst", "raw", doc_key="ticket"))
    assert result["points_written"] == 6 and result["documents"] == 3
    processed = [at for kind, thread, at in events if kind == "process" and thread == "MainThread"]
    written = [(thread, at) for kind, thread, at in events if kind == "written"]
    assert len(processed) == len(written) == 3 and {t for t, _ in written} == {"ragmask-writer_0"}
    assert all(processed[n + 1] < written[n][1] for n in range(2))
