"""The int8-static embedding precision: the cached OpenVINO conversion quantised once, weights and
activations in int8, by NNCF's post-training quantisation.

Torch's dynamic int8 (the ``int8`` precision) scales activations per call and left vectors at cosine 0.96
of fp32; calibrating the activation ranges once, on fixed sample text, keeps them near 0.996 and runs the
matrix products on the CPU's int8 dot-product units (VNNI), 2.4x faster than fp32 on the benchmark's
chunks. The samples are masked synthetic chunks in the ``types`` view, shipped with the package
(``data/embedding_calibration.jsonl``, written by bench/calibration_texts.py): the same on every machine,
so every machine quantises a model alike, and never a user's text. The result is kept in the conversion
cache beside the f32 conversion; quantising takes about 20 s, once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CALIBRATION_FILE = "embedding_calibration.jsonl"
# how many of the samples the activation ranges are read from
CALIBRATION_SAMPLES = 240


def calibration_texts() -> list[str]:
    """The shipped calibration samples (masked, ``types`` view, synthetic)."""
    lines = resources.files("indexers").joinpath("data", CALIBRATION_FILE).read_text(encoding="utf-8")
    return [str(json.loads(line)) for line in lines.splitlines() if line.strip()][:CALIBRATION_SAMPLES]


def quantiser_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("nncf") is not None


def quantised_graph(graph: Any, tokenizer_file: Path, inputs: tuple[str, ...], max_length: int) -> Any:
    """``graph`` (an f32 OpenVINO model) with its matrix products in int8, calibrated on the shipped samples.
    The attention's softmax, the layer norms and the pooling stay in floating point (NNCF's transformer
    preset)."""
    import nncf
    import numpy as np
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length)

    def feed(text: str) -> dict[str, Any]:
        encoding = tokenizer.encode(text.strip())
        arrays = {
            "input_ids": encoding.ids,
            "attention_mask": encoding.attention_mask,
            "token_type_ids": encoding.type_ids,
        }
        return {name: np.array([arrays[name]], dtype=np.int64) for name in inputs}

    samples = calibration_texts()
    # NNCF reports each step at INFO: a quantisation is one line of ours
    logging.getLogger("nncf").setLevel(logging.WARNING)
    logger.info("quantising the embedding model to int8 once (about 20 s; kept for later runs)")
    # its progress bars on stderr: stdout carries a command's --json
    with contextlib.redirect_stdout(sys.stderr):
        return nncf.quantize(
            graph,
            nncf.Dataset(samples, feed),
            model_type=nncf.ModelType.TRANSFORMER,
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(samples),
        )
