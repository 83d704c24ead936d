"""A small run's start-up: the embedding model from its cached OpenVINO conversion without torch, a CLI
process that imports neither torch, transformers nor Prefect to ingest a file, reports its start-up, and
exits with its output whole."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from faker import Faker

from indexers import embedding_models
from indexers.embedding import DEFAULT_EMBEDDING_MODEL, Embedder, openvino_installed
from indexers.embedding_models import SentenceTransformerEncoder, load_model, resolve_model_path
from indexers.openvino_runtime import model_layout

pytestmark = pytest.mark.skipif(not openvino_installed(), reason="openvino is not installed")

REPO = Path(__file__).resolve().parent.parent
# what a one-file ingest needs none of
HEAVY = ("torch", "transformers", "sentence_transformers", "prefect")


def texts() -> list[str]:
    fake = Faker("en_US")
    fake.seed_instance(11)
    return [
        f"  {fake.paragraph(nb_sentences=3)} Ask person about it.  ",
        "",
        "a",
        # longer than the model's 256 word pieces: truncated alike
        " ".join(fake.paragraph(nb_sentences=8) for _ in range(12)),
        "Tabs\tand\nnew lines\n\n",
        "ÉCOLE Zürich naïve café",
    ]


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_the_cached_conversion_embeds_and_counts_as_sentence_transformers_does(
    fresh_model_cache: Path, precision: str
) -> None:
    # the first process converts through sentence-transformers, keeps the conversion and runs it alone,
    # as every later process does: one computation everywhere, to the last bit
    converting = Embedder(device="cpu", precision=precision, backend="openvino")
    assert not converting.uses_torch
    assert list(fresh_model_cache.rglob("model.xml"))
    # sentence-transformers' own pipeline on the same compiled forward pass
    first = Embedder(device="cpu", precision=precision, backend="openvino")
    first._model = SentenceTransformerEncoder(
        load_model(DEFAULT_EMBEDDING_MODEL, "cpu", precision, "openvino"), "cpu", False
    )
    assert first.uses_torch
    # the next process runs the conversion alone
    embedding_models.forget_loaded_models()
    second = Embedder(device="cpu", precision=precision, backend="openvino")
    assert not second.uses_torch and second.backend == "openvino"
    assert second.info == first.info == converting.info
    assert np.array_equal(np.array(second.embed(texts())), np.array(converting.embed(texts())))
    assert second.max_chunk_tokens == first.max_chunk_tokens == 254
    sample = texts()
    assert [second.count_tokens(t) for t in sample] == [first.count_tokens(t) for t in sample]
    ours, theirs = np.array(second.embed(sample)), np.array(first.embed(sample))
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # the same compiled graph: equal up to float summation order
    assert np.sum(ours * theirs, axis=1).min() > 0.99999
    # one text alone or among longer ones: padding changes nothing
    assert float(np.dot(second.embed(sample[:1])[0], ours[0])) > 0.9999


def test_a_model_of_another_layout_is_loaded_by_sentence_transformers(
    fresh_model_cache: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "model"
    shutil.copytree(resolve_model_path(DEFAULT_EMBEDDING_MODEL), model_dir)
    assert model_layout(model_dir) is not None
    pooling = model_dir / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text(encoding="utf-8"))
    config |= {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    pooling.write_text(json.dumps(config), encoding="utf-8")
    # CLS pooling: not what the runtime reproduces
    assert model_layout(model_dir) is None
    Embedder(str(model_dir), device="cpu", precision="fp32", backend="openvino")
    embedding_models.forget_loaded_models()
    # a conversion is kept, yet the model still goes through sentence-transformers
    assert list(fresh_model_cache.rglob("model.xml"))
    again = Embedder(str(model_dir), device="cpu", precision="fp32", backend="openvino")
    assert again.uses_torch and again.backend == "openvino"


def ingest_process(corpus: Path, data: Path, *python_options: str) -> subprocess.CompletedProcess[str]:
    """``ragmask ingest CORPUS --json`` as its own process (``-X importtime`` lists every module it imports)."""
    env = {**os.environ, "PREFECT_API_URL": "", "RAGMASK_SECRET_KEY": "startup-test-key-not-secret"}
    command = [
        sys.executable,
        *python_options,
        "-m",
        "flows.cli",
        "ingest",
        str(corpus),
        "--data-dir",
        str(data),
        "--json",
    ]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, check=False, timeout=300)  # fmt: skip


def imported(stderr: str) -> dict[str, int]:
    """Each module -X importtime lists, with its cumulative microseconds (a module kept out of the process
    is listed too, refused in a few microseconds)."""
    found: dict[str, int] = {}
    for match in re.finditer(r"^import time:\s*\d+ \|\s*(\d+) \|\s*([\w.]+)$", stderr, re.M):
        found[match.group(2)] = max(found.get(match.group(2), 0), int(match.group(1)))
    return found


def test_a_one_file_ingest_loads_no_framework_reports_its_start_up_and_exits_whole(tmp_path: Path) -> None:
    fake = Faker("en_US")
    fake.seed_instance(5)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text(
        f"{fake.paragraph(nb_sentences=4)} Call {fake.name()} at {fake.email()}.", encoding="utf-8"
    )
    # the first run may convert the model and keep it (a fresh machine); the second finds it
    first = ingest_process(corpus, tmp_path / "first", "-X", "importtime")
    assert first.returncode == 0, first.stderr[-500:]
    done = ingest_process(corpus, tmp_path / "second", "-X", "importtime")
    assert done.returncode == 0, done.stderr[-500:]
    modules = imported(done.stderr)
    assert "presidio_analyzer" in modules and "openvino" in modules and "qdrant_client" in modules
    # tried at most (spaCy's thinc looks for torch) and refused at once: never loaded
    loaded = {name.split(".")[0] for name, microseconds in modules.items() if microseconds > 1_000}
    assert not loaded & set(HEAVY)
    # the JSON is whole: flushed before the process left
    result = json.loads(done.stdout)
    assert result["documents_indexed"] == 1 and result["entities"]["PERSON"] == 1
    seconds = result["seconds"]
    # the first key, and it spans the imports: more than any one stage
    assert next(iter(seconds)) == "startup"
    assert seconds["startup"] > max(v for k, v in seconds.items() if k != "startup")


def test_a_failing_command_still_says_why_and_exits_non_zero(tmp_path: Path) -> None:
    done = ingest_process(tmp_path / "missing", tmp_path)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("ragmask")]
    assert lines and "missing" in lines[-1]
