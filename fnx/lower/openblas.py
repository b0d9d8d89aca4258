"""NumPy's bundled OpenBLAS, found without importing Numba: its handle and its thread count.

fnx's compiled products call this library (``cpu/blas.py``), and the first tier's products reach it through
NumPy. Its threads spin while they wait for each other: when another process holds a core, two threads make
small products many times slower than one. Measured here on the first tier of the benchmark RNN (100 steps of
32x128 products, ``benchmarks/cold_start.py --tiers``-style loop) beside a busy-looping process: 2235 ms per
call with OpenBLAS's default two threads, 91 ms with one.
"""
from __future__ import annotations

import ctypes
import functools
import glob
import os

import numpy as np


@functools.lru_cache(maxsize=None)
def numpy_openblas() -> ctypes.CDLL | None:
    """NumPy's bundled ``scipy-openblas64`` (already loaded by NumPy), or None when this NumPy has none."""
    root = os.path.dirname(np.__file__)
    for pattern in ("../numpy.libs/libscipy_openblas64_*", ".dylibs/libscipy_openblas64_*"):
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            library = ctypes.CDLL(path)
            if hasattr(library, "scipy_cblas_sgemm64_") and hasattr(library, "scipy_cblas_dgemm64_"):
                return library
    return None


def set_threads(count: int) -> int | None:
    """Make NumPy's OpenBLAS use ``count`` threads; the count it had, or None without that library. Call it
    only between products of this process's threads (OpenBLAS's setting is global)."""
    library = numpy_openblas()
    if library is None or not hasattr(library, "scipy_openblas_set_num_threads64_"):
        return None
    before = library.scipy_openblas_get_num_threads64_()
    library.scipy_openblas_set_num_threads64_(ctypes.c_int(count))
    return before
