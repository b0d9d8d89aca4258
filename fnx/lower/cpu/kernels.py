"""Numba kernels shared by all generated code: compiled once per install (``cache=True``).

Generated functions call these as ``k.name(...)`` for what NumPy-in-Numba lacks or does slowly: allocation
and reshapes (``array_ir``'s intrinsics: a few instructions where they are called), special functions of a
scalar (jitted functions, not ufuncs: Numba rebuilds a ufunc's wrappers at every import, seconds), reductions
over the last axis of a 2-d view, matrix products.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba.core import types
from numba.extending import overload

from . import array_ir
# allocation and reshapes, which generated code calls as k.empty...: LLVM IR emitted at the call site
from .array_ir import contiguous, copy, empty, full, reshape, select  # noqa: F401
from .blas import gemm
from .options import NUMBA_OPTIONS



@numba.njit(**NUMBA_OPTIONS)
def assign(view, x):
    """``view[...] = x`` for arrays of one shape (``array_ir.assign``), as a kernel: a scan writing its stacked
    outputs compiled 1.3-1.6 s faster (the RNN) calling it than with its loop nest inlined at every use."""
    array_ir.assign(view, x)


@numba.njit(**NUMBA_OPTIONS)
def erfc(x):
    return math.erfc(x)


@numba.njit(**NUMBA_OPTIONS)
def lgamma(x):
    return math.lgamma(x)


@numba.njit(**NUMBA_OPTIONS)
def erf_inv(y):
    """Inverse error function: Giles' single-precision approximation, then two Newton steps in float64."""
    if y <= -1.0:
        return -np.inf if y == -1.0 else np.nan
    if y >= 1.0:
        return np.inf if y == 1.0 else np.nan
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682):
            p = c + p * w
    x = p * y
    for _ in range(2):  # Newton: f(x) = erf(x) - y, f'(x) = 2/sqrt(pi) exp(-x^2)
        x -= (math.erf(x) - y) / (1.1283791670955126 * math.exp(-x * x))
    return x


@numba.njit(**NUMBA_OPTIONS)
def digamma(x):
    """psi(x): reflection for x < 0, recurrence up to x >= 10, then the asymptotic series (error < 1e-15)."""
    if x <= 0.0 and x == math.floor(x):
        return np.nan
    result = 0.0
    if x < 0.0:
        result -= math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132
                                                                          - f * (691.0 / 32760))))))
    return result + math.log(x) - 0.5 / x - series


@numba.njit(**NUMBA_OPTIONS)
def population_count(x):
    """Set bits of an unsigned integer (signed ones are reinterpreted by the caller)."""
    v, one, count = np.uint64(x), np.uint64(1), 0
    while v:
        v &= v - one
        count += 1
    return count


# -- reductions over the last axis of a 2-d array -----------------------------------------------------------

# Explicit loops rather than np.sum/np.max/np.argmax/np.all...: Numba compiles each of those as a generic
# function of its own (with its axis checks), ~0.2 s apiece in a cold process.

# The op codes of the row kernels below: op_codes.LOGICAL_OPS, ARG_OPS and CUMULATIVE_OPS.


@numba.njit(**NUMBA_OPTIONS)
def logical_rows(x, op):
    """All (op 0) or any (op 1) of each row of a 2-d bool array (``LOGICAL_OPS``)."""
    out = empty(x.shape[0], np.bool_)
    for i in range(x.shape[0]):
        result = op == 0
        for j in range(x.shape[1]):
            if x[i, j] != result:
                result = not result
                break
        out[i] = result
    return out


@numba.njit(**NUMBA_OPTIONS)
def arg_rows(x, op):
    """Index of the first maximum (op 0) or minimum (op 1) of each row of a 2-d array (the first NaN if any;
    ``ARG_OPS``)."""
    if x.shape[1] == 0:
        raise ValueError("fnx: argmax or argmin of an empty row")
    out = empty(x.shape[0], np.int64)
    for i in range(x.shape[0]):
        best, at = x[i, 0], 0
        for j in range(1, x.shape[1]):
            v = x[i, j]
            if best != best:
                break
            if v != v or (v > best if op == 0 else v < best):
                best, at = v, j
        out[i] = at
    return out


@numba.njit(**NUMBA_OPTIONS)
def int_power(x, y):
    """``x ** y`` for signed integers; to a negative power 1 for x = 1, -1 or 1 for x = -1, else 0 (JAX's
    value, and ``lax.pow``'s eagerly)."""
    if y >= 0:
        return x ** y
    if x == 1 or x == -1:
        return x if y % 2 != 0 else x * x
    return x - x


def _running_step(acc, v, op):
    """``acc`` (+, *, max or min by ``op``, as ``CUMULATIVE_OPS``) ``v``, in compiled code only."""


@overload(_running_step, jit_options={"error_model": "numpy"})
def _running_step_impl(acc, v, op):
    if isinstance(acc, types.Complex):  # complexes have no max or min, whose comparisons would not compile
        return lambda acc, v, op: acc + v if op == 0 else acc * v

    def impl(acc, v, op):
        if op == 0:
            return acc + v
        if op == 1:
            return acc * v
        if op == 2:
            return acc if acc != acc or v <= acc else v
        return acc if acc != acc or v >= acc else v
    return impl


@numba.njit(**NUMBA_OPTIONS)
def cumulative_rows(x, op, one):
    """Running sum (op 0), product (1), max (2) or min (3) along each row (``CUMULATIVE_OPS``); max/min
    propagate NaN. The running value is kept in the type of ``one`` (1 of the accumulator dtype: float64 for
    a float32 sum)."""
    out = empty(x.shape, x.dtype)
    for i in range(x.shape[0]):
        if x.shape[1] == 0:
            continue
        acc = x[i, 0] * one
        out[i, 0] = acc
        for j in range(1, x.shape[1]):
            acc = _running_step(acc, x[i, j], op)
            out[i, j] = acc
    return out


# -- products ------------------------------------------------------------------------------------------------

@numba.njit(**NUMBA_OPTIONS)
def float_matmul(a, b, transpose_a, transpose_b):
    """(M, K) @ (K, N) for floats, on BLAS (``blas.gemm``); ``a`` is given as (K, M) when ``transpose_a``
    (``b`` likewise).

    The flags, not transposed views, keep callers to one signature (C-contiguous arrays): a view's layout
    would make Numba compile and load one more specialization per combination.
    """
    m, n = (a.shape[1] if transpose_a else a.shape[0]), (b.shape[0] if transpose_b else b.shape[1])
    if (a.shape[0] if transpose_a else a.shape[1]) == 0 or m == 0 or n == 0:  # BLAS takes no empty matrix
        return full((m, n), 0, a.dtype)
    out = empty((m, n), a.dtype)
    gemm(a, b, transpose_a, transpose_b, out, 1.0, 0.0)
    return out


@numba.njit(**NUMBA_OPTIONS)
def float_matmul_update(w, a, b, transpose_a, transpose_b, scale, in_place):
    """``w + scale * (op(a) @ op(b))`` in one BLAS call (flags as ``float_matmul``'s), written into ``w``
    itself when ``in_place``: an SGD step ``w - lr * x.T @ dy`` makes no gradient array and no second pass."""
    out = w if in_place else copy(w)
    if (a.shape[0] if transpose_a else a.shape[1]) and out.shape[0] and out.shape[1]:
        gemm(a, b, transpose_a, transpose_b, out, scale, 1.0)
    return out


@numba.njit(**NUMBA_OPTIONS)
def int_matmul(a, b, transpose_a, transpose_b):
    """(M, K) @ (K, N) for integers (Numba's np.dot takes floats only); flags as ``float_matmul``'s."""
    a = contiguous(a.T) if transpose_a else a
    b = contiguous(b.T) if transpose_b else b
    out = full((a.shape[0], b.shape[1]), 0, a.dtype)
    for i in range(a.shape[0]):
        for k in range(a.shape[1]):
            v = a[i, k]
            for j in range(b.shape[1]):
                out[i, j] += v * b[k, j]
    return out


@numba.njit(**NUMBA_OPTIONS)
def batched_float_matmul(a, b):
    """(B, M, K) @ (B, K, N) -> (B, M, N) for floats: one BLAS product per batch entry, written in place."""
    if a.shape[2] == 0:
        return full((a.shape[0], a.shape[1], b.shape[2]), 0, a.dtype)
    out = empty((a.shape[0], a.shape[1], b.shape[2]), a.dtype)
    if a.shape[2] == 1:  # outer products (per-example weight gradients): a loop beats a BLAS call per entry
        for i in range(a.shape[0]):
            for m in range(a.shape[1]):
                x = a[i, m, 0]
                for n in range(b.shape[2]):
                    out[i, m, n] = x * b[i, 0, n]
        return out
    if a.shape[1] and b.shape[2]:
        for i in range(a.shape[0]):
            gemm(a[i], b[i], False, False, out[i], 1.0, 0.0)
    return out


@numba.njit(**NUMBA_OPTIONS)
def complex_matmul(a, b, transpose_a, transpose_b):
    """(M, K) @ (K, N) for complexes, on SciPy's BLAS (``cgemm``/``zgemm``, through Numba's ``np.dot``); flags as
    ``float_matmul``'s (a transposed operand is copied: O(MK) next to the product's O(MNK))."""
    a = contiguous(a.T) if transpose_a else a
    b = contiguous(b.T) if transpose_b else b
    if a.shape[1] == 0 or a.shape[0] == 0 or b.shape[1] == 0:  # BLAS takes no empty matrix
        return full((a.shape[0], b.shape[1]), 0, a.dtype)
    return np.dot(a, b)


@numba.njit(**NUMBA_OPTIONS)
def batched_complex_matmul(a, b):
    """(B, M, K) @ (B, K, N) -> (B, M, N) for complexes: one BLAS product per batch entry."""
    out = empty((a.shape[0], a.shape[1], b.shape[2]), a.dtype)
    for i in range(a.shape[0]):
        out[i] = complex_matmul(a[i], b[i], False, False)
    return out


@numba.njit(**NUMBA_OPTIONS)
def batched_int_matmul(a, b):
    """(B, M, K) @ (B, K, N) -> (B, M, N) for integers."""
    out = empty((a.shape[0], a.shape[1], b.shape[2]), a.dtype)
    for i in range(a.shape[0]):
        assign(out[i], int_matmul(a[i], b[i]))
    return out
