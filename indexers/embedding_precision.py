"""The number format the embedding model computes in, and where each one is real.

- ``fp32``: the model as published; collections written before the setting existed.
- ``bf16``: the matrix products in bfloat16 (torch autocast; layer norms, softmax and pooling stay fp32).
  Fast only where the hardware has bf16 dot-product instructions (AVX512_BF16 or AMX on x86): on the
  benchmark machine embedding took 0.55-0.62x the fp32 time and the vectors were the fp32 ones within cosine
  0.99998 (``bench/retrieval.py --bf16``), so it is the default for a new collection on such a CPU.
  Without the instructions bf16 is emulated and slower than fp32, so there a bf16 collection's vectors are
  computed in fp32: the same vectors within that cosine.
- ``int8``: the linear layers quantised per output channel (torch dynamic quantisation, CPU only): 1.5x
  faster, but vectors at cosine 0.96 of fp32 ones, which moves a third of a query's nearest chunks; opt-in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EMBEDDING_PRECISIONS = ("fp32", "bf16", "int8")
LEGACY_EMBEDDING_PRECISION = "fp32"
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@lru_cache(maxsize=1)
def _openvino_cpu_has_bf16() -> bool:
    """What OpenVINO's CPU plugin says of this CPU: ``BF16`` among its optimization capabilities where the
    CPU computes bf16 dot products in hardware. Without OpenVINO, bf16 counts as absent."""
    try:
        import openvino
    except ImportError:
        return False
    try:
        capabilities = openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except RuntimeError:
        return False
    return "BF16" in capabilities


def cpu_has_bf16(flags: Collection[str] | None = None) -> bool:
    """Whether the CPU computes bf16 dot products in hardware, as OpenVINO's device properties say
    (``flags``: another CPU's feature flags, for a test)."""
    if flags is None:
        return _openvino_cpu_has_bf16()
    return not BF16_CPU_FLAGS.isdisjoint(flags)


def new_collection_precision(flags: Collection[str] | None = None) -> str:
    """What a new collection is embedded in: bf16 where the CPU has it, fp32 elsewhere. Decided without
    importing torch, so that an unchanged re-run loads no model."""
    return "bf16" if cpu_has_bf16(flags) else LEGACY_EMBEDDING_PRECISION


def computes_bf16(precision: str, device: str) -> bool:
    """Whether ``precision`` is computed in bf16 on ``device``; a bf16 collection is computed in fp32 where
    the device has no bf16 units (the same vectors within cosine 0.9999, at the fp32 speed)."""
    if precision != "bf16":
        return False
    if device == "cpu":
        return cpu_has_bf16()
    if device.startswith("cuda"):
        import torch

        return bool(torch.cuda.is_bf16_supported())
    return False


@contextmanager
def computing_in_bf16(device: str, enabled: bool) -> Iterator[None]:
    """The context an embedding call runs in: torch's bf16 autocast on ``device`` if ``enabled``."""
    if not enabled:
        yield
        return
    import torch

    with torch.autocast(device.split(":", maxsplit=1)[0], dtype=torch.bfloat16):
        yield


def quantised_int8(model: SentenceTransformer) -> SentenceTransformer:
    """The model with every linear layer in int8, weights scaled per output channel (per tensor, the
    vectors fell to cosine 0.83 of the fp32 ones; per channel 0.96). Activations are quantised per call."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    # torch.ao's deprecation notice, on every call
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True
        )  # type: ignore[no-untyped-call]
    return model
