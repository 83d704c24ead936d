"""What a collection keeps between runs, on real components: its embedding view and precision (int8, bf16
where the CPU has the units, fp32 kept), its detector profile, and a run that finds nothing changed loads
no model and opens the lineage for reading only where one exists."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from flows.operations.ingest import run_ingest
from flows.pipeline.ingest_pipeline import SettingsChangedError
from flows.settings import IngestSettings, StoreSettings
from indexers.collection_profiles import CollectionProfiles
from indexers.embedding import Embedder, collection_embedder, embedding_view, resolve_embedding_view
from indexers.embedding_precision import (
    computes_bf16,
    cpu_has_bf16,
    int8_static_available,
    new_collection_precision,
)
from indexers.errors import EmbedderError
from indexers.lineage import LineageStore
from indexers.qdrant_store import VectorStore, close_local_clients
from tests.scripts import run_python
from tests.throughput_corpus import KEYS, snapshot, write_corpus


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
    done = run_python(["-c", NO_CHANGE_RUN, str(tmp_path / "corpus"), str(tmp_path / "data")], timeout=300)
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


def test_a_new_collection_is_embedded_in_bf16_only_where_the_cpu_has_bf16_units_else_int8_static_on_int8_units() -> (
    None
):
    assert new_collection_precision({"avx2", "avx512f", "avx512_bf16"}) == "bf16"
    assert new_collection_precision({"amx_tile", "amx_bf16"}) == "bf16"
    # int8 dot-product units and no bf16 ones: int8-static where OpenVINO and NNCF can quantise
    int8_units = "int8-static" if int8_static_available() else "fp32"
    assert new_collection_precision({"avx2", "avx512f", "avx512_vnni"}) == int8_units
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
