"""The BLAS behind fnx's matrix products: NumPy's own OpenBLAS, called through symbol names fnx owns.

Numba's ``np.dot`` calls the OpenBLAS that SciPy bundles (through ``scipy.linalg.cython_blas``). NumPy's
wheels bundle a newer build (``scipy-openblas64``), whose float32 products of the benchmark MLP's shapes
run 7-9% faster on this machine (helper measurements in docs/design.md, "BLAS"). Compiled code cannot hold
its address: a disk-cached function must work in the next process, where the library loads elsewhere.

So ``gemm`` calls ``fnx_cblas_sgemm`` / ``fnx_cblas_dgemm`` (the CBLAS interface with 64-bit integers), and
importing this module binds those names before any cached function that calls them can load (``kernels``
imports it first). They are bound to NumPy's ``scipy_cblas_sgemm64_`` / ``..._dgemm64_`` when NumPy has
that library, and otherwise to adapters compiled here around Numba's ``np.dot`` (SciPy's BLAS). Either way
the same cached machine code runs; only the binding differs.
"""
from __future__ import annotations

import ctypes

import llvmlite.binding as llvm
import numba
import numpy as np
from numba import types
from numba.core.errors import NumbaTypeError
from numba.extending import intrinsic, overload

from ..openblas import numpy_openblas
from . import disk_cache  # noqa: F401  (first: it keeps this module's Numba caches in fnx's cache folder)

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # the CBLAS enum values


def _signature(real: types.Float) -> types.Type:
    """void gemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)."""
    i32, i64, ptr = types.int32, types.int64, types.CPointer(real)
    return types.void(i32, i32, i32, i64, i64, i64, real, ptr, i64, ptr, i64, real, ptr, i64)


# Every cached kernel that multiplies refers to these names: Numba's cache of kernels.py does not notice a
# change here, so a renamed symbol needs kernels.py's cache invalidated too (or a process would crash).
_GEMMS = {types.float32: "sgemm", types.float64: "dgemm"}
_EXTERNAL = {real: types.ExternalFunction(f"fnx_cblas_{gemm}", _signature(real)) for real, gemm in _GEMMS.items()}


def _adapter(real: types.Float):
    """A C function with the CBLAS gemm signature computed by Numba's ``np.dot``. fnx passes C-contiguous
    operands only, so each leading dimension is the row length of its matrix."""
    @numba.cfunc(_signature(real), cache=True, error_model="numpy")
    def gemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        out = numba.carray(c, (m, n))
        if trans_a == TRANS:
            product = _times(numba.carray(a, (k, m)).T, b, trans_b == TRANS, k, n)
        else:
            product = _times(numba.carray(a, (m, k)), b, trans_b == TRANS, k, n)
        if beta == 0:
            out[:] = alpha * product
        else:
            out[:] = alpha * product + beta * out
    return gemm


@numba.njit(cache=True)
def _times(left, b, transpose_b, k, n):
    """``left @ op(b)``, ``b`` a pointer to a C-contiguous (K, N) matrix, or (N, K) when ``transpose_b``."""
    if transpose_b:
        return np.dot(left, numba.carray(b, (n, k)).T)
    return np.dot(left, numba.carray(b, (k, n)))


def _bind() -> str:
    """Bind fnx's gemm names; returns which BLAS they reach."""
    library = numpy_openblas()
    for real, gemm in _GEMMS.items():
        if library is not None:
            address = ctypes.cast(getattr(library, f"scipy_cblas_{gemm}64_"), ctypes.c_void_p).value
        else:
            address = _adapter(real).address
        llvm.add_symbol(f"fnx_cblas_{gemm}", address)
    return "numpy-openblas64" if library is not None else "scipy (numba np.dot)"


BACKEND = _bind()


@intrinsic
def _data(typingctx, array):
    """The data pointer of an array, typed as a pointer to its elements."""
    def codegen(context, builder, signature, args):
        return context.make_array(signature.args[0])(context, builder, args[0]).data
    return types.CPointer(array.dtype)(array), codegen


def gemm(a, b, transpose_a, transpose_b, out, alpha, beta):
    """``out[:] = alpha * op(a) @ op(b) + beta * out`` for C-contiguous float32 or float64 matrices, in
    compiled code only (``op`` transposes when its flag is set). No dimension may be 0."""


@overload(gemm, jit_options={"error_model": "numpy", "nogil": True})
def _gemm(a, b, transpose_a, transpose_b, out, alpha, beta):
    arrays = (a, b, out)
    if not all(isinstance(x, types.Array) and x.ndim == 2 and x.layout == "C" and x.dtype == a.dtype
               for x in arrays) or a.dtype not in _EXTERNAL:
        raise NumbaTypeError(f"gemm: needs C-contiguous float32 or float64 matrices of one dtype, got {arrays}")
    call, real = _EXTERNAL[a.dtype], np.dtype(str(a.dtype)).type

    def impl(a, b, transpose_a, transpose_b, out, alpha, beta):
        m, n = out.shape
        call(ROW_MAJOR, TRANS if transpose_a else NO_TRANS, TRANS if transpose_b else NO_TRANS, m, n,
             a.shape[0] if transpose_a else a.shape[1], real(alpha), _data(a), a.shape[1], _data(b), b.shape[1],
             real(beta), _data(out), n)
    return impl
