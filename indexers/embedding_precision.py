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
- ``int8-static``: weights and activations in int8, the activation ranges calibrated once on shipped
  synthetic text (OpenVINO + NNCF, CPU only: indexers/openvino_quantise.py): 2.4x faster than fp32 where
  the CPU has int8 dot-product units (VNNI, AMX), vectors at cosine 0.996 of fp32 ones. The default for a
  new collection on such a CPU without bf16 units.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

INT8_STATIC = "int8-static"
EMBEDDING_PRECISIONS = ("fp32", "bf16", "int8", INT8_STATIC)
LEGACY_EMBEDDING_PRECISION = "fp32"
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# int8 dot-product instructions (VNNI, AMX): where int8-static runs at its speed
INT8_CPU_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
# where a GPU driver shows itself
GPU_DEVICE_FILES = ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg")


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


@lru_cache(maxsize=1)
def _cpu_flags() -> frozenset[str]:
    """This CPU's feature flags (Linux's /proc/cpuinfo; none elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            line = next((line for line in cpuinfo if line.startswith("flags")), "")
    except OSError:
        return frozenset()
    return frozenset(line.partition(":")[2].split())


def cpu_has_int8_dot(flags: Collection[str] | None = None) -> bool:
    """Whether the CPU computes int8 dot products in hardware (VNNI or AMX)."""
    return not INT8_CPU_FLAGS.isdisjoint(_cpu_flags() if flags is None else flags)


def usable_cores() -> int:
    """The cores this process may use (its CPU affinity where the system has one, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        # not on Linux
        return max(1, os.cpu_count() or 1)


def gpu_visible() -> bool:
    return any(os.path.exists(file) for file in GPU_DEVICE_FILES)


def int8_static_available() -> bool:
    """Whether this machine can quantise and run int8-static: OpenVINO and NNCF installed, no GPU."""
    return not gpu_visible() and all(
        importlib.util.find_spec(name) is not None for name in ("openvino", "nncf")
    )


def new_collection_precision(flags: Collection[str] | None = None) -> str:
    """What a new collection is embedded in: bf16 where the CPU has it (vectors within cosine 0.99998 of
    fp32's); else int8-static where it computes int8 dot products and the quantiser is installed (cosine
    0.996, retrieval within bench/retrieval.py's bound); else fp32. Decided without importing torch, so
    that an unchanged re-run loads no model."""
    if cpu_has_bf16(flags):
        return "bf16"
    if cpu_has_int8_dot(flags) and int8_static_available():
        return INT8_STATIC
    return LEGACY_EMBEDDING_PRECISION


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
