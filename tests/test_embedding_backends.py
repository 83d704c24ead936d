"""The OpenVINO backend on the real model: the vectors torch computes, within the precision's rounding; the
auto backend's choices; a collection that does not depend on which backend wrote it."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from faker import Faker

from flows.operations.ingest import run_ingest
from flows.settings import IngestSettings, StoreSettings
from indexers import conversion_cache, embedding_models, openvino_forward
from indexers.embedding import (
    DEFAULT_EMBEDDING_MODEL,
    Embedder,
    embedding_view,
    openvino_installed,
    resolve_embedding_backend,
)
from indexers.embedding_models import resolve_model_path
from indexers.embedding_precision import cpu_has_bf16
from indexers.errors import EmbedderError
from indexers.qdrant_store import VectorStore, close_local_clients
from masking import MaskingKeys

KEYS = MaskingKeys(b"ragmask-backend-test-secret-key")

pytestmark = pytest.mark.skipif(not openvino_installed(), reason="openvino is not installed")


def chunks(count: int, seed: int = 7) -> list[str]:
    """Masked chunks of different lengths, as the types view shows them to the model."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return [
        embedding_view(
            f"<PERSON_{number:08x}> asked about {fake.paragraph(nb_sentences=1 + number % 6)} "
            f"Reply to <EMAIL_ADDRESS_{number:08x}>.",
            "types",
        )
        for number in range(count)
    ]


def cosines(first: list[list[float]], second: list[list[float]]) -> np.ndarray:
    products: np.ndarray = np.sum(np.array(first) * np.array(second), axis=1)
    return products


def test_auto_takes_openvino_for_fp32_and_bf16_on_a_cpu_and_torch_elsewhere() -> None:
    assert resolve_embedding_backend("auto", "cpu", "fp32") == "openvino"
    assert resolve_embedding_backend("auto", "cpu", "bf16") == "openvino"
    # torch's own quantised layers
    assert resolve_embedding_backend("auto", "cpu", "int8") == "torch"
    assert resolve_embedding_backend("auto", "cuda", "bf16") == "torch"
    assert resolve_embedding_backend("torch", "cpu", "bf16") == "torch"
    with pytest.raises(EmbedderError, match="fp32 and bf16 on the CPU, not int8 on cpu"):
        resolve_embedding_backend("openvino", "cpu", "int8")
    with pytest.raises(EmbedderError, match="not bf16 on cuda"):
        resolve_embedding_backend("openvino", "cuda", "bf16")
    with pytest.raises(EmbedderError, match="backend must be one of auto, torch, openvino, not 'onnx'"):
        Embedder(backend="onnx")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_openvino_computes_torchs_vectors_within_the_precisions_rounding(precision: str) -> None:
    texts = chunks(40)
    compiled = Embedder(device="cpu", precision=precision, backend="openvino")
    reference = Embedder(device="cpu", precision="fp32", backend="torch")
    assert compiled.backend == "openvino" and compiled.info.backend == "openvino"
    assert reference.info.backend == "torch"
    vectors = compiled.embed(texts)
    # normalised, as torch's
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    agreement = cosines(vectors, reference.embed(texts))
    if precision == "fp32":
        assert agreement.min() > 0.999999
        assert np.allclose(vectors, reference.embed(texts), atol=1e-4)
    else:
        assert agreement.min() > 0.9999
        # really computed in bf16, not f32 under another name
        if cpu_has_bf16():
            assert agreement.max() < 0.9999999
            torch_bf16 = Embedder(device="cpu", precision="bf16", backend="torch").embed(texts)
            assert cosines(vectors, torch_bf16).min() > 0.9999
    # one text alone, or among others of other lengths: the same vector (the padding is masked out)
    alone = compiled.embed(texts[:1])[0]
    assert float(np.dot(alone, vectors[0])) > 0.9999


def test_a_collection_does_not_depend_on_the_backend_that_wrote_it(tmp_path: Path) -> None:
    """torch writes a collection, an OpenVINO run adds to it: no settings change is refused, and each
    chunk's vector is what either backend computes for it, within the precision's rounding."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    fake = Faker("en_US")
    fake.seed_instance(3)
    for number in range(2):
        text = f"{fake.name()} wrote from {fake.street_address()}. {fake.paragraph(nb_sentences=5)}"
        (corpus / f"note-{number}.txt").write_text(text, encoding="utf-8")
    stores = StoreSettings(data_dir=tmp_path / "d").resolved()
    torch_run = run_ingest(
        [corpus], IngestSettings(stores=stores, device="cpu", embedding_backend="torch"), keys=KEYS
    )
    (corpus / "note-2.txt").write_text(f"{fake.name()} called. {fake.paragraph()}", encoding="utf-8")
    openvino_run = run_ingest(
        [corpus], IngestSettings(stores=stores, device="cpu", embedding_backend="openvino"), keys=KEYS
    )
    assert torch_run.counts.documents_indexed == 2 and openvino_run.counts.documents_indexed == 1
    records = list(VectorStore(stores.qdrant, "ragmask").scroll(with_vectors=True))
    texts = [embedding_view(str((r.payload or {})["page_content"]), "types") for r in records]
    stored = [list(map(float, r.vector)) for r in records]  # type: ignore[arg-type]
    precision = "bf16" if cpu_has_bf16() else "fp32"
    for backend in ("torch", "openvino"):
        assert (
            cosines(Embedder(device="cpu", precision=precision, backend=backend).embed(texts), stored).min()
            > 0.9999
        )
    close_local_clients()


@pytest.fixture
def failing_converter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """OpenVINO's converter refusing the model, as it does for an architecture it cannot trace."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Could not trace the model")

    embedding_models.forget_loaded_models()
    # no conversion kept by an earlier process either
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(openvino_forward, "compile_with_openvino", refuse)
    yield
    embedding_models.forget_loaded_models()


@pytest.mark.usefixtures("failing_converter")
def test_a_model_openvino_cannot_compile_is_embedded_by_torch_under_auto(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(
        EmbedderError,
        match=r"^OpenVINO cannot compile embedding model 'all-MiniLM-L6-v2' "
        r"\(RuntimeError\)$",
    ):
        # asked for by name: an error, one line
        Embedder(device="cpu", precision="fp32", backend="openvino")
    fallback = Embedder(device="cpu", precision="fp32")
    assert fallback.backend == "torch" and fallback.info.backend == "torch"
    assert "embedding with torch" in caplog.text
    texts = chunks(3)
    assert np.allclose(
        fallback.embed(texts), Embedder(device="cpu", precision="fp32", backend="torch").embed(texts)
    )


def test_a_conversion_is_kept_on_disk_for_the_next_process_and_dropped_when_the_model_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second load reads the kept conversion (the converter is not called); a changed model file
    changes the fingerprint, so the stale conversion is not used."""
    import openvino

    model_dir = tmp_path / "model"
    shutil.copytree(resolve_model_path(DEFAULT_EMBEDDING_MODEL), model_dir)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    embedding_models.forget_loaded_models()
    texts = chunks(4)
    try:
        first = Embedder(str(model_dir), device="cpu", precision="fp32")
        assert first.backend == "openvino"
        kept = list(conversion_cache.cache_root().glob("*/model.xml"))
        assert len(kept) == 1 and kept[0].with_suffix(".bin").stat().st_size > 1_000_000
        # renamed into place, whole
        assert not list(conversion_cache.cache_root().glob(".staging-*"))
        vectors = first.embed(texts)

        def no_converter(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("the converter was called")

        monkeypatch.setattr(openvino, "convert_model", no_converter)
        month_ago = time.time() - 31 * 86400
        os.utime(kept[0].parent, (month_ago, month_ago))
        # as in a new process
        embedding_models.forget_loaded_models()
        second = Embedder(str(model_dir), device="cpu", precision="fp32")
        # read from the cache: the converter would have failed
        assert second.backend == "openvino"
        # marked used: pruning keeps it
        assert time.time() - kept[0].parent.stat().st_mtime < 60
        assert np.allclose(second.embed(texts), vectors, atol=1e-6)

        config = model_dir / "config.json"
        config.write_text(config.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        embedding_models.forget_loaded_models()
        changed = Embedder(str(model_dir), device="cpu", precision="fp32")
        # a new fingerprint: converting again, which fails here
        assert changed.backend == "torch"
    finally:
        embedding_models.forget_loaded_models()


def test_a_conversion_that_cannot_be_saved_whole_leaves_nothing_in_the_cache(tmp_path: Path) -> None:
    def disk_full(path: Path) -> None:
        # half a file, then the disk is full
        path.write_text("<net", encoding="utf-8")
        raise RuntimeError("No space left on device")

    target = tmp_path / "cache" / "fingerprint" / "model.xml"
    conversion_cache.keep(disk_full, target)
    assert not target.exists() and list((tmp_path / "cache").iterdir()) == []


def aged(entry: Path, seconds: float) -> Path:
    entry.mkdir(parents=True)
    (entry / "model.xml").write_text("<net/>", encoding="utf-8")
    then = time.time() - seconds
    os.utime(entry, (then, then))
    return entry


def test_keeping_a_conversion_prunes_what_no_process_used_for_a_month(tmp_path: Path) -> None:
    """An upgrade makes a new fingerprint; the old conversion (90 MB) must not stay for good."""
    root = tmp_path / "cache"
    day, hour = 86400.0, 3600.0
    # an earlier OpenVINO's conversion
    old = aged(root / ("a" * 32), 31 * day)
    # another model, read last month
    recent = aged(root / ("b" * 32), 29 * day)
    # a process killed while saving
    dead_staging = aged(root / ".staging-dead", 2 * hour)
    # a process saving now
    live_staging = aged(root / ".staging-live", 60.0)
    target = root / ("c" * 32) / "model.xml"

    conversion_cache.keep(lambda path: path.write_text("<net/>", encoding="utf-8"), target)

    assert target.is_file()
    assert not old.exists() and not dead_staging.exists()
    assert recent.exists() and live_staging.exists()
    # the rest
    assert conversion_cache.prune(root, keeping=target.parent, now=time.time() + 31 * day) == 2
    assert target.parent.exists()
