"""The int8-static precision: the conversion quantised once on the shipped calibration text, kept, and
read back by the next process; vectors close to fp32's; chosen for a new collection only where the CPU
has int8 dot-product units and no bf16 ones; never on torch or a GPU."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from faker import Faker

from indexers import embedding_models, openvino_quantise
from indexers.embedding import Embedder, embedding_view, resolve_embedding_backend
from indexers.embedding_precision import int8_static_available, new_collection_precision
from indexers.errors import EmbedderError
from indexers.openvino_quantise import calibration_texts

TOKEN = "<PERSON_0a1b2c3d>"


def chunks(count: int) -> list[str]:
    fake = Faker("en_GB")
    fake.seed_instance(21)
    return [
        embedding_view(f"{TOKEN} wrote: {fake.paragraph(nb_sentences=2 + n % 5)}", "types")
        for n in range(count)
    ]


def test_the_calibration_text_is_masked_synthetic_text_in_the_types_view() -> None:
    texts = calibration_texts()
    assert len(texts) >= 200
    joined = "\n".join(texts)
    # the types view: no token survives, and nothing that looks like a value
    assert "<PERSON_" not in joined and "@" not in joined
    assert "person" in joined and "email address" in joined


def test_a_new_collection_takes_int8_static_only_on_a_cpu_with_int8_units_and_no_bf16() -> None:
    assert new_collection_precision({"avx512f", "avx512_bf16", "avx512_vnni"}) == "bf16"
    expected = "int8-static" if int8_static_available() else "fp32"
    assert new_collection_precision({"avx512f", "avx512_vnni"}) == expected
    assert new_collection_precision({"avx2", "amx_int8"}) == expected
    assert new_collection_precision({"avx2", "fma"}) == "fp32"


def test_int8_static_runs_on_the_cpu_through_openvino_only() -> None:
    assert resolve_embedding_backend("auto", "cpu", "int8-static") == "openvino"
    with pytest.raises(EmbedderError, match="int8-static precision runs on the CPU through OpenVINO"):
        resolve_embedding_backend("torch", "cpu", "int8-static")
    with pytest.raises(EmbedderError, match="not with the auto backend on cuda"):
        resolve_embedding_backend("auto", "cuda", "int8-static")


@pytest.mark.slow
@pytest.mark.skipif(not int8_static_available(), reason="openvino and nncf are not installed")
def test_the_model_is_quantised_once_kept_and_close_to_fp32(
    fresh_model_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = chunks(48)
    quantised = Embedder(device="cpu", precision="int8-static")
    assert not quantised.uses_torch and quantised.info.precision == "int8-static"
    # the quantiser's progress went to stderr: stdout carries --json
    assert capsys.readouterr().out == ""
    kept = [
        path for path in fresh_model_cache.rglob("model.xml") if path.parent.name.endswith("-int8-static")
    ]
    assert len(kept) == 1
    reference = np.array(Embedder(device="cpu", precision="fp32", backend="torch").embed(texts))
    vectors = np.array(quantised.embed(texts))
    agreement = np.sum(vectors * reference, axis=1)
    assert agreement.mean() > 0.99 and agreement.min() > 0.98
    # quantised for real: not fp32 under another name
    assert agreement.max() < 0.99999

    def no_quantiser(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("quantised again")

    monkeypatch.setattr(openvino_quantise, "quantised_graph", no_quantiser)
    # as a new process: read from the cache
    embedding_models.forget_loaded_models()
    again = Embedder(device="cpu", precision="int8-static")
    assert np.allclose(np.array(again.embed(texts)), vectors, atol=1e-5)
    assert json.dumps(again.info.to_dict())
