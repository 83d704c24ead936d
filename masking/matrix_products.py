"""spaCy's matrix products through NumPy's BLAS, on one thread per masking process.

thinc multiplies with the BLIS library its ``blis`` wheel bundles, which picks its kernels by CPU model
and falls back to a slow generic one on a CPU it does not know (it logs ``libblis: selecting
sub-configuration 'generic'``); NumPy's OpenBLAS knows more CPUs. Only layers built while the switch is
on use it, so it applies to the models ragmask loads and to nothing else in the process. A GPU's ops,
and a CPU backend other than thinc's plain NumPy one (thinc-apple-ops), are left as they are.

ragmask already masks in one process per core, so detection holds NumPy's BLAS to one thread: its
default of a thread per core would put two threads of each process on every core. docs/benchmarks.md
has the measurements.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from thinc.api import NumpyOps, get_current_ops, use_ops
from threadpoolctl import threadpool_limits


@contextmanager
def numpy_matrix_products() -> Iterator[None]:
    """Layers built inside the block (a spaCy model loaded there) multiply through NumPy's BLAS."""
    if type(get_current_ops()) is NumpyOps:
        with use_ops("numpy", use_blis=False):
            yield
    else:
        yield


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """NumPy's BLAS on one thread for the block (about 0.2 ms to enter and leave)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
