"""The embedding model run from its cached OpenVINO conversion alone: no torch, transformers or
sentence-transformers in the process.

Importing sentence-transformers (and with it torch and transformers) takes most of a small run's start-up,
yet once an earlier process has kept the model's conversion (indexers/openvino_forward.py,
indexers/conversion_cache.py) none of it is needed: the fast tokenizer reads the model's
``tokenizer.json``, OpenVINO runs the forward pass, and mean pooling and normalising are a few array
operations. OpenVINO also keeps the compiled kernels for this CPU (``CACHE_DIR``), so a process compiles
in a fraction of a second. The vectors are those of sentence-transformers' own pipeline on the same
conversion (tests/test_embedding_backends.py compares them).

Only the layout every sentence-transformers model of this family has is taken: a Transformer, mean
pooling, an optional Normalize, and a fast tokenizer. Anything else returns None from ``cached_model``,
and the embedder loads sentence-transformers as before.

Example:
    model = cached_model(Path(model_dir), "f32", threads=2)
    if model is not None:
        vectors = model.encode(["Ask about the invoice."], batch_size=16)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexers.conversion_cache import cache_root, mark_used, model_fingerprint
from indexers.embedding_precision import usable_cores

if TYPE_CHECKING:
    import numpy as np
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

# the inputs a conversion may take, in the order the converter named them (indexers/openvino_forward.py)
INPUT_SETS = (("input_ids", "attention_mask", "token_type_ids"), ("input_ids", "attention_mask"))
TRANSFORMER = "sentence_transformers.models.Transformer"
POOLING = "sentence_transformers.models.Pooling"
NORMALIZE = "sentence_transformers.models.Normalize"
# OpenVINO keeps what it compiled for this CPU here, beside the conversions
KERNELS_DIR = "kernels"
# the precision whose conversion is quantised once (indexers/openvino_quantise.py)
INT8_STATIC = "int8-static"


@dataclass(frozen=True)
class ModelLayout:
    """What a sentence-transformers model directory says about its pipeline."""

    max_seq_length: int
    dimension: int
    lower_case: bool


def model_layout(model_dir: Path) -> ModelLayout | None:
    """The layout when it is the one this runtime reproduces (Transformer, mean pooling, optional
    Normalize, fast tokenizer); None otherwise."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        kinds = [module["type"] for module in modules]
        if kinds not in ([TRANSFORMER, POOLING], [TRANSFORMER, POOLING, NORMALIZE]):
            return None
        pooling_dir = model_dir / modules[1]["path"]
        pooling = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    modes = {key for key, value in pooling.items() if key.startswith("pooling_mode_") and value is True}
    if modes != {"pooling_mode_mean_tokens"} or not (model_dir / "tokenizer.json").is_file():
        return None
    try:
        return ModelLayout(
            int(config["max_seq_length"]),
            int(pooling["word_embedding_dimension"]),
            bool(config.get("do_lower_case", False)),
        )
    except (KeyError, TypeError, ValueError):
        return None


class CachedOpenVinoModel:
    """A model's cached conversion, compiled for this CPU, with its fast tokenizer: normalised vectors and
    the tokenizer's word-piece counts. One inference at a time (the embedder calls it from one thread)."""

    def __init__(
        self, compile_for: Callable[[int], Any], threads: int, tokenizer: Tokenizer, layout: ModelLayout,
        inputs: tuple[str, ...],
    ) -> None:  # fmt: skip
        """``compile_for(n)``: the model compiled to run on n threads; ``threads``: how many by default."""
        self.compile_for = compile_for
        self.threads = threads
        self._compiled = {threads: compile_for(threads)}
        self.layout = layout
        self.inputs = inputs
        self.max_seq_length = layout.max_seq_length
        self.dimension = layout.dimension
        # counting never truncates; encoding truncates to the model's length and pads to the batch's longest
        self._counter = tokenizer
        self._encoder = tokenizer.__class__.from_str(tokenizer.to_str())
        self._counter.no_truncation()
        self._counter.no_padding()
        self._encoder.enable_truncation(layout.max_seq_length)
        self._encoder.enable_padding()
        self.special_tokens = int(self._counter.post_processor.num_special_tokens_to_add(False))

    def _prepared(self, text: str) -> str:
        # sentence-transformers strips each text (and lower-cases it where the model says so)
        text = text.strip()
        return text.lower() if self.layout.lower_case else text

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(self._prepared(text), add_special_tokens=False).ids)

    def compiled(self, threads: int) -> Any:
        """The model compiled for ``threads`` threads (compiled on first use: a fraction of a second with
        OpenVINO's kernel cache)."""
        threads = max(1, min(threads, self.threads))
        if threads not in self._compiled:
            self._compiled[threads] = self.compile_for(threads)
        return self._compiled[threads]

    def encode(
        self, texts: list[str], batch_size: int, threads: Callable[[], int] | None = None
    ) -> np.ndarray:
        """Unit vectors, one row per text, in order; batches of similar length, so little is padding.
        ``threads``: asked before each batch how many threads it may use (the cores other work leaves)."""
        import numpy as np

        prepared = [self._prepared(text) for text in texts]
        # longest first, as sentence-transformers orders them
        order = sorted(range(len(prepared)), key=lambda i: -len(prepared[i]))
        vectors = np.zeros((len(prepared), self.dimension), dtype=np.float32)
        for first in range(0, len(order), batch_size):
            indices = order[first : first + batch_size]
            encodings = self._encoder.encode_batch([prepared[i] for i in indices])
            feed = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            model = self.compiled(threads() if threads is not None else self.threads)
            hidden = model({name: feed[name] for name in self.inputs})[0]
            mask = feed["attention_mask"][:, :, None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            vectors[indices] = pooled / np.clip(norms, 1e-12, None)
        return vectors


def quantised_copy(
    target: Path, model_dir: Path, inputs: tuple[str, ...], layout: ModelLayout
) -> Path | None:
    """The int8-static copy of the conversion at ``target``, quantised now (and kept) where no earlier
    process kept one; None where the quantiser (nncf) is not installed or fails."""
    from indexers.conversion_cache import keep

    from .openvino_quantise import quantised_graph, quantiser_installed

    quantised = target.parent.with_name(f"{target.parent.name}-{INT8_STATIC}") / "model.xml"
    if quantised.is_file():
        mark_used(quantised.parent)
        return quantised
    if not quantiser_installed():
        return None
    import openvino

    try:
        graph = quantised_graph(
            openvino.Core().read_model(target), model_dir / "tokenizer.json", inputs, layout.max_seq_length
        )
    # the quantiser's errors have no common base
    except Exception as error:
        logger.warning("the embedding model cannot be quantised (%s)", type(error).__name__)
        return None
    keep(lambda path: openvino.save_model(graph, path, compress_to_fp16=False), quantised)
    return quantised if quantised.is_file() else None


def cached_model(model_dir: Path, variant: str, threads: int | None = None) -> CachedOpenVinoModel | None:
    """The model from its cached conversion, or None where there is none yet or the model's layout is not
    one this runtime reproduces (the caller then loads sentence-transformers, which converts and keeps it).
    ``variant``: f32, bf16 (the conversion computed in bf16) or int8-static (the conversion quantised
    once and kept: indexers/openvino_quantise.py); ``threads``: the cores OpenVINO may use (None: this
    process's)."""
    layout = model_layout(model_dir)
    if layout is None:
        return None
    found = next(
        (
            (inputs, target)
            for inputs in INPUT_SETS
            if (target := cache_root() / model_fingerprint(model_dir, inputs) / "model.xml").is_file()
        ),
        None,
    )
    if found is None:
        return None
    inputs, target = found
    import openvino
    from tokenizers import Tokenizer

    mark_used(target.parent)
    if variant == INT8_STATIC:
        quantised = quantised_copy(target, model_dir, inputs, layout)
        if quantised is None:
            return None
        target = quantised
    core = openvino.Core()
    kernels = cache_root() / KERNELS_DIR
    try:
        kernels.mkdir(parents=True, exist_ok=True)
        core.set_property({"CACHE_DIR": str(kernels)})
    except OSError:
        # a read-only disk: compiled afresh each time
        pass

    def compile_for(count: int) -> Any:
        return core.compile_model(
            graph,
            "CPU",
            {
                # int8-static's int8 regions run in int8 whatever the hint; the rest in f32
                "INFERENCE_PRECISION_HINT": "bf16" if variant == "bf16" else "f32",
                "INFERENCE_NUM_THREADS": count,
                # one batch at a time, all its threads on it
                "PERFORMANCE_HINT": "LATENCY",
            },
        )

    try:
        graph = core.read_model(target)
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        return CachedOpenVinoModel(compile_for, threads or usable_cores(), tokenizer, layout, inputs)
    # OpenVINO's and the tokenizer's errors have no common base
    except Exception as error:
        # a damaged copy, a tokenizer this version cannot read: sentence-transformers' path instead
        logger.info("the cached embedding model cannot be used (%s)", type(error).__name__)
        return None
