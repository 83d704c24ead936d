"""What the throughput work added, on real components: masking split over worker processes writes what
one process writes; the embedding view; the stage seconds a run reports."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from faker import Faker

from flows.operations.ingest import run_ingest
from flows.pipeline import masking_workers
from flows.pipeline.ingest_pipeline import STAGES, SettingsChangedError
from flows.pipeline.lean_imports import keep_frameworks_out, model_config_text, model_needs_torch
from flows.pipeline.masking_workers import MaskerSpec, MaskingWorkers, split_by_length
from flows.settings import IngestSettings, StoreSettings
from indexers.collection_profiles import CollectionProfiles
from indexers.document_catalog import DocumentCatalog
from indexers.embedding import Embedder, collection_embedder, embedding_view, resolve_embedding_view
from indexers.embedding_precision import computes_bf16, cpu_has_bf16, new_collection_precision
from indexers.errors import EmbedderError
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import MaskingKeys, TextDocument
from masking.detector_config import DetectorConfig
from masking.policy import load_policy
from tests.conftest import REPO

KEYS = MaskingKeys(b"ragmask-throughput-test-secret")


def write_corpus(folder: Path, documents: int, seed: int = 41) -> None:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    folder.mkdir(parents=True)
    for number in range(documents):
        lines = [
            f"{fake.name()} wrote to {fake.email()} from {fake.street_address()}, {fake.city()}. "
            f"Call {fake.phone_number()}. {fake.paragraph(nb_sentences=4)}"
            for _ in range(3)
        ]
        (folder / f"note-{number:02d}.txt").write_text("\n\n".join(lines), encoding="utf-8")


def same_vector(first: Any, second: Any) -> bool:
    """The same vector up to the precision's rounding: fp32 to 1e-4 whatever the batch's padding; bf16's
    products round differently in another batch shape (about 1e-3 an element), so within cosine 0.9999."""
    first, second = np.array(first), np.array(second)
    return bool(np.allclose(first, second, atol=1e-4) or (cpu_has_bf16() and float(first @ second) > 0.9999))


def snapshot(data_dir: Path, collection: str = "ragmask") -> tuple[dict[str, Any], Any]:
    """Every point's payload and vector, and the lineage: committed documents, their points, row counts."""
    settings = StoreSettings(data_dir=data_dir).resolved()
    store = VectorStore(settings.qdrant, collection)
    points = {
        str(r.id): (r.payload, np.round(np.array(r.vector), 5).tolist())
        for r in store.scroll(with_vectors=True)
    }
    lineage = LineageStore(settings.lineage)
    documents = DocumentCatalog(lineage).documents_in_collection(collection)
    rows = {table: count for table, count in lineage.table_counts().items() if table != "runs"}
    return points, (
        DocumentCatalog(lineage).committed_hashes(collection, documents),
        DocumentCatalog(lineage).committed_point_ids(collection),
        rows,
    )


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


def test_the_types_view_shows_the_model_each_token_as_its_type() -> None:
    text = "Ask <PERSON_1a2b3c4d> at <EMAIL_ADDRESS_230c8d02>, not <US_SSN>."
    assert embedding_view(text, "types") == "Ask person at email address, not us ssn."
    assert embedding_view(text, "tokens") == text
    with pytest.raises(EmbedderError, match="embedding view must be one of"):
        embedding_view(text, "words")
    embedder = Embedder(view="types")
    same = embedder.embed([text, "Ask person at email address, not us ssn."])
    assert np.allclose(same[0], same[1])
    as_stored = Embedder(view="tokens").embed([text])[0]
    assert not np.allclose(same[0], as_stored)


def test_auto_keeps_a_collections_view_and_a_change_needs_a_full_reindex(tmp_path: Path) -> None:
    # a new collection
    assert resolve_embedding_view("auto", None) == "types"
    # written before views existed
    assert resolve_embedding_view("auto", {"embedding_model": "m"}) == "tokens"
    assert resolve_embedding_view("auto", {"embedding_view": "types"}) == "types"
    assert resolve_embedding_view("tokens", {"embedding_view": "types"}) == "tokens"

    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2)
    data = tmp_path / "data"
    run_ingest(
        [corpus],
        IngestSettings(stores=StoreSettings(data_dir=data).resolved(), embedding_view="tokens"),
        keys=KEYS,
    )
    shutil.copy(corpus / "note-00.txt", corpus / "note-02.txt")
    # auto
    again = run_ingest([corpus], IngestSettings(stores=StoreSettings(data_dir=data).resolved()), keys=KEYS)
    assert again.counts.documents_added == 1
    with pytest.raises(SettingsChangedError, match="embedding view"):
        run_ingest(
            [corpus],
            IngestSettings(stores=StoreSettings(data_dir=data).resolved(), embedding_view="types"),
            keys=KEYS,
        )
    close_local_clients()


NO_CHANGE_RUN = """
import json, sys
from pathlib import Path
from flows.operations.ingest import run_ingest
from flows.settings import IngestSettings, StoreSettings
result = run_ingest([Path(sys.argv[1])], IngestSettings(stores=StoreSettings(data_dir=Path(sys.argv[2])).resolved()))
heavy = sorted(m for m in ("presidio_analyzer", "spacy", "torch", "sentence_transformers") if m in sys.modules)
print(json.dumps({"unchanged": result.counts.documents_unchanged, "indexed": result.counts.documents_indexed,
                  "heavy": heavy}))
"""


def test_a_run_that_finds_nothing_changed_imports_and_loads_no_model(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", 3)
    run_ingest(
        [tmp_path / "corpus"], IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    )
    # the folder belongs to one process at a time
    close_local_clients()
    done = subprocess.run(
        [sys.executable, "-c", NO_CHANGE_RUN, str(tmp_path / "corpus"), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"unchanged": 3, "indexed": 0, "heavy": []}


def test_a_changed_detector_is_refused_once_a_document_needs_masking(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", 3)
    settings = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "data").resolved())
    run_ingest([tmp_path / "corpus"], settings, keys=KEYS)
    lineage = LineageStore(settings.stores.lineage)
    profile = CollectionProfiles(lineage).profile("ragmask")
    assert profile is not None and profile["dimension"] == 384
    # as if the collection had been written by another spaCy model
    CollectionProfiles(lineage).set_profile(
        "ragmask", profile | {"detector": profile["detector"] | {"spacy_model": "other==1.0"}}
    )
    before = snapshot(tmp_path / "data")
    # nothing to mask: nothing mixes
    unchanged = run_ingest([tmp_path / "corpus"], settings, keys=KEYS)
    assert unchanged.counts.documents_unchanged == 3
    with (tmp_path / "corpus" / "note-00.txt").open("a", encoding="utf-8") as note:
        note.write("\n\nOne more paragraph for the new version.")
    with pytest.raises(SettingsChangedError, match="detector"):
        run_ingest([tmp_path / "corpus"], settings, keys=KEYS)
    # refused before anything of the batch was written
    assert snapshot(tmp_path / "data") == before
    close_local_clients()


def ingested_in(tmp_path: Path, precision: str) -> tuple[IngestSettings, LineageStore, list[str], Any]:
    """Three documents ingested in ``precision``: the settings, the lineage (its profile checked), each
    stored chunk's types view and the stored vectors."""
    write_corpus(tmp_path / "corpus", 3)
    settings = IngestSettings(
        stores=StoreSettings(data_dir=tmp_path / "d").resolved(), embedding_precision=precision
    )
    assert run_ingest([tmp_path / "corpus"], settings, keys=KEYS).counts.documents_indexed == 3
    lineage = LineageStore(settings.stores.lineage)
    assert (CollectionProfiles(lineage).profile("ragmask") or {})["embedding_precision"] == precision
    records = list(VectorStore(settings.stores.qdrant, "ragmask").scroll(with_vectors=True))
    texts = [embedding_view(str((r.payload or {})["page_content"]), "types") for r in records]
    return settings, lineage, texts, np.array([r.vector for r in records])


def test_an_int8_collection_keeps_its_precision_for_later_runs_search_and_erasure(tmp_path: Path) -> None:
    from flows.operations.reindex import run_reindex
    from flows.operations.search import run_search

    settings, lineage, texts, stored = ingested_in(tmp_path, "int8")
    int8, fp32 = Embedder(precision="int8"), Embedder(precision="fp32")
    # written by the int8 model
    assert np.allclose(np.array(int8.embed(texts)), stored, atol=1e-4)
    cosines = np.sum(np.array(fp32.embed(texts)) * stored, axis=1)
    # near the fp32 vectors, not the same
    assert cosines.min() > 0.85 and cosines.max() < 0.999
    with pytest.raises(SettingsChangedError, match="embedding precision"):
        run_ingest(
            [tmp_path / "corpus"],
            IngestSettings(stores=settings.stores, embedding_precision="fp32"),
            keys=KEYS,
        )
    # "auto" is the collection's own, a full re-index included; search and erasure embed as it was written
    auto = IngestSettings(stores=settings.stores)
    run_reindex([tmp_path / "corpus"], auto, keys=KEYS, full=True)
    assert (CollectionProfiles(lineage).profile("ragmask") or {})["embedding_precision"] == "int8"
    assert collection_embedder(CollectionProfiles(lineage).profile("ragmask")).precision == "int8"
    (hit,) = run_search("refund for the courier", settings.stores, "all-MiniLM-L6-v2", 1)
    chunk = next(
        r
        for r in VectorStore(settings.stores.qdrant, "ragmask").scroll(with_vectors=True)
        if (r.payload or {})["page_content"] == hit["page_content"]
    )
    query = np.array(int8.embed(["refund for the courier"])[0])
    assert hit["score"] == pytest.approx(float(query @ np.array(chunk.vector)), abs=1e-3)
    close_local_clients()


def test_int8_embedding_is_refused_off_the_cpu_before_the_model_loads() -> None:
    with pytest.raises(EmbedderError, match="CPU only"):
        Embedder(device="cuda", precision="int8")
    with pytest.raises(EmbedderError, match="precision must be one of"):
        Embedder(device="cpu", precision="fp16")


def test_a_new_collection_is_embedded_in_bf16_only_where_the_cpu_has_bf16_units() -> None:
    assert new_collection_precision({"avx2", "avx512f", "avx512_bf16"}) == "bf16"
    assert new_collection_precision({"amx_tile", "amx_bf16"}) == "bf16"
    assert new_collection_precision({"avx2", "avx512f", "avx512_vnni"}) == "fp32"
    assert new_collection_precision(set()) == "fp32"
    # this machine's own answer comes from OpenVINO and agrees with its flags; only bf16 is computed in bf16
    flags = next(
        (line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), ""
    )
    assert cpu_has_bf16() == bool({"avx512_bf16", "amx_bf16"} & set(flags.partition(":")[2].split()))
    assert computes_bf16("bf16", "cpu") == cpu_has_bf16()
    assert not computes_bf16("fp32", "cpu") and not computes_bf16("int8", "cpu")
    # a device without a measured bf16 path computes fp32
    assert not computes_bf16("bf16", "mps")


def test_a_bf16_collection_holds_the_fp32_vectors_within_rounding_and_keeps_its_precision(
    tmp_path: Path,
) -> None:
    settings, lineage, texts, stored = ingested_in(tmp_path, "bf16")
    bf16 = Embedder(precision="bf16")
    # written by the bf16 embedder
    assert np.allclose(np.array(bf16.embed(texts)), stored, atol=1e-5)
    cosines = np.sum(np.array(Embedder(precision="fp32").embed(texts)) * stored, axis=1)
    # the fp32 vectors within bf16's rounding: a query in fp32 finds the same
    assert cosines.min() > 0.9999
    if bf16.computes_bf16:
        # really computed in bf16, not fp32 under another name
        assert cosines.max() < 0.9999999
    else:
        # no bf16 units: computed in fp32
        assert cosines.min() > 0.9999999
    assert collection_embedder(CollectionProfiles(lineage).profile("ragmask")).precision == "bf16"
    with pytest.raises(SettingsChangedError, match="embedding precision"):
        run_ingest(
            [tmp_path / "corpus"],
            IngestSettings(stores=settings.stores, embedding_precision="fp32"),
            keys=KEYS,
        )
    close_local_clients()


def test_auto_writes_a_new_collection_in_this_cpus_precision_and_keeps_an_fp32_one(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", 2)
    fresh = IngestSettings(stores=StoreSettings(data_dir=tmp_path / "new").resolved())
    run_ingest([tmp_path / "corpus"], fresh, keys=KEYS)
    assert (CollectionProfiles(LineageStore(fresh.stores.lineage)).profile("ragmask") or {})[
        "embedding_precision"
    ] == (new_collection_precision())
    older = IngestSettings(
        stores=StoreSettings(data_dir=tmp_path / "old").resolved(), embedding_precision="fp32"
    )
    run_ingest([tmp_path / "corpus"], older, keys=KEYS)
    # a changed document: the auto run embeds again
    changed = tmp_path / "corpus" / "note-00.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA later paragraph.", encoding="utf-8")
    run_ingest([tmp_path / "corpus"], IngestSettings(stores=older.stores), keys=KEYS)
    assert (CollectionProfiles(LineageStore(older.stores.lineage)).profile("ragmask") or {})[
        "embedding_precision"
    ] == "fp32"
    close_local_clients()


def test_a_lineage_store_is_opened_for_reading_only_where_one_exists(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "lineage.db"
    assert LineageStore.existing(f"sqlite:///{missing}") is None
    # nothing created
    assert not missing.parent.exists()
    CollectionProfiles(LineageStore(f"sqlite:///{tmp_path / 'lineage.db'}")).set_profile(
        "c", {"embedding_precision": "int8"}
    )
    found = LineageStore.existing(f"sqlite:///{tmp_path / 'lineage.db'}")
    assert (
        found is not None and (CollectionProfiles(found).profile("c") or {})["embedding_precision"] == "int8"
    )
