"""The embedding model's forward pass compiled by OpenVINO, inside sentence-transformers.

sentence-transformers still tokenises, pools and normalises; only the transformer's forward pass (the
matrix products: nearly all of the time) runs in OpenVINO's CPU kernels. The loaded torch model is
converted in this process, so nothing is downloaded and any model sentence-transformers loads can be
tried; the conversion (about 2.5 s) is kept on disk for the next process (indexers/conversion_cache.py). On the benchmark machine
(2-core AMD EPYC with AVX512_BF16) 400 chunks took 3.8 s in bf16 against 4.5 s under torch's bf16
autocast, and 6.3 s in f32 against torch's 7.8 s; the vectors are torch fp32's within cosine 0.99998
(bf16) and 0.9999999 (f32). sentence-transformers' own ``backend="openvino"`` needs
optimum-intel, which does not install beside transformers 5.
"""

from __future__ import annotations

import logging
import threading
import warnings
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from indexers.conversion_cache import cache_root, keep, mark_used, model_fingerprint

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

# The inputs a BERT-like model's forward pass takes from the tokenizer, in the order it takes them.
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _LastHiddenState(torch.nn.Module):
    """The Hugging Face model as a function of its inputs alone, for the converter to trace."""

    def __init__(self, model: torch.nn.Module, inputs: tuple[str, ...]) -> None:
        super().__init__()
        self.model = model
        self.inputs = inputs

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return self.model(**dict(zip(self.inputs, tensors, strict=True))).last_hidden_state  # type: ignore[no-any-return]


class OpenVinoForward(torch.nn.Module):
    """Stands where sentence-transformers keeps the Hugging Face model and answers as it does
    (``last_hidden_state``). One inference at a time: a compiled model's default request is not shared
    between threads."""

    def __init__(self, compiled: Any, config: Any, inputs: tuple[str, ...]) -> None:
        super().__init__()
        self.compiled = compiled
        self.config = config
        self.inputs = inputs
        self._lock = threading.Lock()

    def forward(self, **features: Any) -> dict[str, torch.Tensor]:
        feed = {name: features[name].cpu().numpy() for name in self.inputs if name in features}
        if "token_type_ids" in self.inputs and "token_type_ids" not in feed:
            feed["token_type_ids"] = torch.zeros_like(features["input_ids"]).cpu().numpy()
        with self._lock:
            # the request's buffer is reused by the next call
            output = self.compiled(feed)[0].copy()
        return {"last_hidden_state": torch.from_numpy(output)}


def _converted(hf_model: Any, example: Any, inputs: tuple[str, ...]) -> Any:
    """The model as an OpenVINO graph with named inputs of any batch size and length (about 2.5 s)."""
    import openvino
    from transformers.utils import logging as transformers_logging

    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # the tracer reads every property
    try:
        # the tracer's notes on Python control flow
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            converted = openvino.convert_model(
                _LastHiddenState(hf_model.eval(), inputs),
                example_input=tuple(example[name] for name in inputs),
            )
    finally:
        transformers_logging.set_verbosity(verbosity)
    converted.reshape({port.get_any_name(): openvino.PartialShape([-1, -1]) for port in converted.inputs})
    for port, name in zip(converted.inputs, inputs, strict=True):
        port.get_tensor().set_names({name})
    return converted


def _graph(hf_model: Any, example: Any, inputs: tuple[str, ...], model_dir: Path | None) -> Any:
    """The converted model: read from the cache where an earlier process kept it, else converted (and kept,
    for a model in a local directory)."""
    import openvino

    if model_dir is None:
        return _converted(hf_model, example, inputs)
    target = cache_root() / model_fingerprint(model_dir, inputs) / "model.xml"
    if target.is_file():
        mark_used(target.parent)
        try:
            return openvino.Core().read_model(target)
        except RuntimeError as error:
            # a damaged copy: convert again, and leave it for the user to delete
            logger.info(
                "the cached embedding model cannot be read (%s): converting again", type(error).__name__
            )
            return _converted(hf_model, example, inputs)
    converted = _converted(hf_model, example, inputs)
    keep(partial(_save, converted), target)
    return converted


def _save(converted: Any, path: Path) -> None:
    import openvino

    openvino.save_model(converted, path, compress_to_fp16=False)


def compile_with_openvino(
    model: SentenceTransformer, bf16: bool, model_dir: Path | None = None
) -> SentenceTransformer:
    """``model`` with its transformer's forward pass compiled by OpenVINO (in bf16 where ``bf16``, else f32)
    for this process's torch thread count. ``model_dir``: the model's local directory, whose conversion is
    cached (indexers/conversion_cache.py). Raises whatever the converter raises for a model it cannot take."""
    import openvino

    transformer: Any = model[0]
    hf_model: Any = transformer.model
    example = model.tokenizer(["an example", "a second, longer example"], padding=True, return_tensors="pt")
    inputs = tuple(name for name in MODEL_INPUTS if name in example)
    compiled = openvino.Core().compile_model(
        _graph(hf_model, example, inputs, model_dir),
        "CPU",
        {
            "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
            "INFERENCE_NUM_THREADS": torch.get_num_threads(),
            # one batch at a time, all threads on it
            "PERFORMANCE_HINT": "LATENCY",
        },
    )
    transformer.model = OpenVinoForward(compiled, hf_model.config, inputs)
    transformer.model_forward_params = None
    return model
