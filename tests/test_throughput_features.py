"""What the throughput work added, on real components: masking split over worker processes writes what
one process writes, workers start only where a later batch can use them, and a run reports its seconds per
stage. A collection's view and precision are in test_collection_profile.py."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from flows.operations.ingest import run_ingest
from flows.pipeline import masking_workers
from flows.pipeline.ingest_pipeline import STAGES
from flows.pipeline.lean_imports import keep_frameworks_out, model_config_text, model_needs_torch
from flows.pipeline.masking_workers import MaskerSpec, MaskingWorkers, split_by_length
from flows.settings import IngestSettings, StoreSettings
from indexers.qdrant_store import close_local_clients
from masking import TextDocument
from masking.detector_config import DetectorConfig
from masking.policy import load_policy
from tests.throughput_corpus import KEYS, same_vector, snapshot, write_corpus


def test_masking_split_over_two_processes_writes_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_corpus(tmp_path / "corpus", 8)
    # a small corpus, split anyway
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    # once the worker is ready
    monkeypatch.setattr(masking_workers, "START_WAIT_S", 120.0)
    handed_out: list[int] = []
    mask_ahead = MaskingWorkers.mask_ahead

    def counted(self: MaskingWorkers, documents: list[TextDocument]) -> None:
        handed_out.append(len(documents))
        mask_ahead(self, documents)

    monkeypatch.setattr(MaskingWorkers, "mask_ahead", counted)
    withdrawn: list[int] = []
    withdraw = masking_workers.HandedOut.withdraw

    def counted_withdraw(handed: masking_workers.HandedOut) -> None:
        withdrawn.append(len(handed.documents))
        withdraw(handed)

    monkeypatch.setattr(masking_workers.HandedOut, "withdraw", counted_withdraw)
    results = {}
    for workers in (1, 2):
        data = tmp_path / f"data-{workers}"
        settings = IngestSettings(
            stores=StoreSettings(data_dir=data).resolved(), batch_documents=4, workers=workers
        )
        results[workers] = run_ingest([tmp_path / "corpus"], settings, keys=KEYS, run_id="same-run")
        close_local_clients()
    assert results[1].counts.documents_indexed == results[2].counts.documents_indexed == 8
    assert results[2].counts.entities == results[1].counts.entities
    assert snapshot(tmp_path / "data-2") == snapshot(tmp_path / "data-1")
    # the second batch went to the worker while the first was written...
    assert handed_out == [4]
    # ...and, read again unchanged, was collected from it
    assert withdrawn == []
    close_local_clients()


def test_the_last_batch_starts_no_masking_worker_and_a_run_of_several_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, masking_pool_starts: list[int]
) -> None:
    write_corpus(tmp_path / "corpus", 4)
    # a small corpus, worth splitting
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    started = {}
    # one batch; two batches
    for batch_documents in (4, 2):
        masking_pool_starts.clear()
        settings = IngestSettings(
            stores=StoreSettings(data_dir=tmp_path / f"d{batch_documents}").resolved(),
            batch_documents=batch_documents,
            workers=2,
        )
        result = run_ingest([tmp_path / "corpus"], settings, keys=KEYS)
        assert result.counts.documents_indexed == 4
        started[batch_documents] = len(masking_pool_starts)
        close_local_clients()
    # the one batch masked here; the first of two started the worker
    assert started == {4: 0, 2: 1}
    assert multiprocessing.active_children() == []


def test_a_file_of_many_records_is_prepared_and_written_in_parts_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.pipeline.ingest_pipeline import IngestPipeline

    fake = Faker("en_US")
    fake.seed_instance(47)
    records = [
        json.dumps({"id": f"r{n}", "text": f"{fake.name()} wrote to {fake.email()}. {fake.paragraph()}"})
        for n in range(10)
    ]
    records.insert(5, '{"id": "broken", "body": "no text field"}')
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "tickets.jsonl").write_text("\n".join(records), encoding="utf-8")
    parts: list[int] = []
    write_batch = IngestPipeline.write_batch

    def counted(self: IngestPipeline, batch: Any, on_error: Any = None) -> Any:
        parts.append(batch.counts.documents_seen)
        return write_batch(self, batch, on_error)

    monkeypatch.setattr(IngestPipeline, "write_batch", counted)
    results = {}
    for batch_documents in (100, 4):
        parts.clear()
        settings = IngestSettings(
            stores=StoreSettings(data_dir=tmp_path / f"d{batch_documents}").resolved(),
            batch_documents=batch_documents,
        )
        results[batch_documents] = (
            run_ingest([tmp_path / "corpus"], settings, keys=KEYS, run_id="same"),
            list(parts),
        )
        close_local_clients()
    # one file: one batch, three parts
    assert results[100][1] == [11] and results[4][1] == [4, 4, 3]
    for result, _ in results.values():
        assert result.counts.documents_seen == 11 and result.counts.documents_indexed == 10
        # the record without text, recorded in its part
        assert result.counts.documents_failed == 1
    (parted, parted_lineage), (whole, whole_lineage) = snapshot(tmp_path / "d4"), snapshot(tmp_path / "d100")
    assert parted_lineage == whole_lineage
    assert {i: payload for i, (payload, _) in parted.items()} == {
        i: payload for i, (payload, _) in whole.items()
    }
    # other batch shapes: other padding, the same vectors
    for point_id, (_, vector) in parted.items():
        assert same_vector(vector, whole[point_id][1])
    close_local_clients()


def test_a_killed_masking_worker_costs_its_share_here_and_the_next_batch_gets_a_fresh_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    # each batch split, once the worker is ready
    monkeypatch.setattr(masking_workers, "START_WAIT_S", 120.0)
    documents = fake_documents(6)
    spec = MaskerSpec(KEYS, load_policy(None), DetectorConfig(), "r", False)
    expected = [m.masked_text for m in spec.build().mask_many(documents)]
    workers = MaskingWorkers(spec, workers=2)
    try:
        assert [m.masked_text for m in workers.mask(documents)[0]] == expected
        (worker,) = multiprocessing.active_children()
        assert worker.pid is not None
        # as the kernel's OOM killer would
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=10)
        # its share masked here
        assert [m.masked_text for m in workers.mask(documents)[0]] == expected
        # a fresh pool
        assert [m.masked_text for m in workers.mask(documents)[0]] == expected
        assert [child.pid for child in multiprocessing.active_children()] not in ([], [worker.pid])
    finally:
        workers.close()


def test_a_share_left_unresolved_by_a_broken_pool_is_masked_here_not_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    monkeypatch.setattr(masking_workers, "START_WAIT_S", 120.0)
    monkeypatch.setattr(masking_workers, "POOL_CHECK_S", 0.2)
    workers = MaskingWorkers(MaskerSpec(KEYS, load_policy(None), DetectorConfig(), "r", False), workers=2)
    try:
        # the pool is up
        assert workers.mask(fake_documents(2))[0]
        (worker,) = multiprocessing.active_children()
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=10)
        # what Python 3.11's pool can leave after InvalidStateError
        unresolved: Future[Any] = Future()
        started = time.monotonic()
        with pytest.raises(BrokenProcessPool):
            workers._share_result(unresolved)
        assert time.monotonic() - started < 30
    finally:
        workers.close()


def fake_documents(count: int, seed: int = 43) -> list[TextDocument]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return [
        TextDocument(f"d{i}", f"{fake.name()} wrote to {fake.email()}. {fake.paragraph()}")
        for i in range(count)
    ]


def test_workers_start_beside_this_process_s_model_and_a_batch_does_not_wait_for_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    documents = fake_documents(4)
    spec = MaskerSpec(KEYS, load_policy(None), DetectorConfig(), "r", False)
    # spaCy now loaded in this process
    expected = [m.masked_text for m in spec.build().mask_many(documents)]
    workers = MaskingWorkers(spec, workers=2)
    try:
        workers.start(chars=10_000)
        # the worker is starting...
        assert len(multiprocessing.active_children()) == 1
        # ...and this process has not built its masker for it
        assert not workers.masker_built
        # in well under a second: the worker is still importing
        results, seconds = workers.mask(documents)
        # so the batch was masked here, without waiting
        assert not workers.ready()
        assert [m.masked_text for m in results] == expected
        assert seconds["detect"] > 0
        deadline = time.monotonic() + 120
        while not workers.ready() and time.monotonic() < deadline:
            time.sleep(0.2)
        # it joins a later batch
        assert workers.ready()
        assert [m.masked_text for m in workers.mask(documents)[0]] == expected
    finally:
        workers.close()
    assert multiprocessing.active_children() == []


def test_a_masking_worker_loads_neither_torch_nor_transformers_and_masks_what_this_process_masks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    monkeypatch.setattr(masking_workers, "START_WAIT_S", 120.0)
    documents = fake_documents(6)
    spec = MaskerSpec(KEYS, load_policy(None), DetectorConfig(), "r", False)
    expected = [m.masked_text for m in spec.build().mask_many(documents)]
    # this process has it (spaCy's thinc imports it where installed)
    assert "torch" in sys.modules
    workers = MaskingWorkers(spec, workers=2)
    try:
        # split: half in the worker
        assert [m.masked_text for m in workers.mask(documents)[0]] == expected
        (worker,) = multiprocessing.active_children()
        mapped = Path(f"/proc/{worker.pid}/maps").read_text(encoding="utf-8")
        assert "libtorch" not in mapped and "tokenizers" not in mapped
        own = Path(f"/proc/{os.getpid()}/maps").read_text(encoding="utf-8")
        # the check would see it
        assert "libtorch" in own
    finally:
        workers.close()


def test_a_model_keeps_torch_out_only_where_its_configuration_names_neither(tmp_path: Path) -> None:
    # the default CNN model
    assert not model_needs_torch(DetectorConfig().model)
    assert model_config_text(DetectorConfig().model) is not None
    trf = tmp_path / "en_core_web_trf" / "en_core_web_trf-3.8.0"
    trf.mkdir(parents=True)
    (trf / "config.cfg").write_text(
        '[components.transformer.model]\n@architectures = "spacy-transformers.TransformerModel.v3"\n',
        encoding="utf-8",
    )
    assert model_needs_torch(str(tmp_path / "en_core_web_trf"))
    # unreadable: keep them
    assert model_needs_torch("no_such_spacy_model")
    # torch is imported here: too late, nothing done
    assert not keep_frameworks_out(DetectorConfig().model)
    assert sys.modules["torch"] is not None


def count_masked_here(workers: MaskingWorkers, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the documents this process masks from now on (a worker's are not counted)."""
    masked_here: list[str] = []
    mask_many = workers.masker.mask_many

    def counted(docs: list[TextDocument]) -> Any:
        masked_here.extend(d.doc_id for d in docs)
        return mask_many(docs)

    monkeypatch.setattr(workers.masker, "mask_many", counted)
    return masked_here


def test_this_process_masks_the_shares_a_busy_worker_has_not_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    monkeypatch.setattr(masking_workers, "START_WAIT_S", 120.0)
    # a share per document
    documents = fake_documents(8)
    spec = MaskerSpec(KEYS, load_policy(None), DetectorConfig(), "r", False)
    expected = [m.masked_text for m in spec.build().mask_many(documents)]
    workers = MaskingWorkers(spec, workers=2)
    try:
        # the worker is ready
        assert workers.mask(documents[:2])[0]
        masked_here = count_masked_here(workers, monkeypatch)
        # the worker is busy elsewhere for 5 s
        workers._start_pool().submit(time.sleep, 5)
        assert [m.masked_text for m in workers.mask(documents)[0]] == expected
        # a fixed split left it half, a queue of shares two; now only the one share handed to it is its
        assert len(masked_here) == 7 and len(set(masked_here)) == len(masked_here)
    finally:
        workers.close()


def test_shares_handed_out_ahead_are_collected_and_other_documents_withdraw_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 0)
    monkeypatch.setattr(masking_workers, "START_WAIT_S", 120.0)
    documents, others = fake_documents(8), fake_documents(8, seed=47)
    spec = MaskerSpec(KEYS, load_policy(None), DetectorConfig(), "r", False)
    masker = spec.build()
    expected, expected_others = ([m.masked_text for m in masker.mask_many(d)] for d in (documents, others))
    workers = MaskingWorkers(spec, workers=2)
    try:
        # the worker is ready
        assert workers.mask(documents[:2])[0]
        masked_here = count_masked_here(workers, monkeypatch)
        workers.mask_ahead(documents)
        # this process writes the batch before; the worker masks all 8 in well under that
        time.sleep(5)
        assert [m.masked_text for m in workers.mask(documents)[0]] == expected
        # every share was the worker's
        assert masked_here == []
        workers.mask_ahead(documents)
        # not what was handed out
        assert [m.masked_text for m in workers.mask(others)[0]] == expected_others
        assert set(masked_here) <= {d.doc_id for d in others}
    finally:
        workers.close()


def test_split_by_length_balances_text_and_keeps_every_document() -> None:
    documents = [TextDocument(f"d{i}", "x" * size) for i, size in enumerate([90, 10, 50, 40, 30, 20])]
    shares = split_by_length(documents, 2)
    assert sorted(i for share in shares for i in share) == list(range(len(documents)))
    assert [sum(len(documents[i].text) for i in share) for share in shares] == [120, 120]


def test_a_scrubbed_chunk_s_fields_count_as_what_there_is_to_mask(
    monkeypatch: pytest.MonkeyPatch, masking_pool_starts: list[int]
) -> None:
    """A scrubbed chunk's text is all fields (its document's ``text`` is empty): its length decides
    whether a batch is split and how the shares are balanced."""
    documents = [
        TextDocument(f"d{i}", "", {"0.0": "y" * size}) for i, size in enumerate([90, 10, 50, 40, 30, 20])
    ]
    assert [d.chars for d in documents] == [90, 10, 50, 40, 30, 20]
    assert [sum(documents[i].chars for i in share) for share in split_by_length(documents, 2)] == [120, 120]

    monkeypatch.setattr(masking_workers, "MIN_CHARS_FOR_WORKERS", 200)
    workers = MaskingWorkers(MaskerSpec(KEYS, load_policy(), DetectorConfig(), "run", False), workers=2)
    try:
        # 100 characters: masked here, no worker started
        workers.masked(documents[:2])
        assert masking_pool_starts == []
        # 240: worth splitting, the workers start for the next batch
        masked = workers.masked(documents)
        assert masking_pool_starts == [1]
        assert [m.doc_id for m in masked] == [d.doc_id for d in documents]
    finally:
        workers.close()


def test_a_run_reports_seconds_per_stage(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", 3)
    result = run_ingest(
        [tmp_path / "corpus"],
        IngestSettings(stores=StoreSettings(data_dir=tmp_path / "d").resolved()),
        keys=KEYS,
    )
    seconds = result.to_dict()["seconds"]
    # pipeline order
    assert list(seconds) == [stage for stage in STAGES if stage in seconds]
    assert {"detect", "embed", "upsert", "lineage"} <= set(seconds)
    assert seconds["detect"] > 0 and seconds["embed"] > 0
    close_local_clients()
