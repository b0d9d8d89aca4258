"""Linear algebra primitives: ``dot_general`` and the batched matrix routines inv, solve, det, cholesky."""
from __future__ import annotations

import math

import numpy as np

from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.primitive import def_primitive
from .elementwise import convert_element_type
from .precision import check_precision
from ._rules import describe, same_dtype


def _dot_general_eval(lhs, rhs, *, dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    dtype = same_dtype("dot_general", [lhs, rhs])
    if dtype.kind == "b":
        raise FnxTypeError(f"dot_general: does not take bool operands {describe([lhs, rhs])}")
    ok = len(lc) == len(rc) and len(lb) == len(rb) and all(
        0 <= a < lhs.ndim and 0 <= b < rhs.ndim and lhs.shape[a] == rhs.shape[b] for a, b in zip(lc + lb, rc + rb))
    if not ok or len(set(lc + lb)) != len(lc + lb) or len(set(rc + rb)) != len(rc + rb):
        raise FnxTypeError(f"dot_general: contracting dims {lc},{rc} / batch dims {lb},{rb} do not fit "
                           f"{describe([lhs, rhs])}")
    free_l = [n for i, n in enumerate(lhs.shape) if i not in lc + lb]
    free_r = [n for i, n in enumerate(rhs.shape) if i not in rc + rb]
    return ShapedArray(tuple(lhs.shape[i] for i in lb) + tuple(free_l) + tuple(free_r), dtype)


def _dot_general_impl(lhs, rhs, *, dimension_numbers):
    """``matmul`` over (batch, free, contracted) x (batch, contracted, free) views: NumPy's einsum took 12 ms
    for the MLP step's 128x784 by 784x512 float32 products (its batched path does not reach BLAS), matmul
    takes a BLAS call."""
    (lc, rc), (lb, rb) = dimension_numbers
    lhs, rhs = np.asarray(lhs), np.asarray(rhs)
    lf = [i for i in range(lhs.ndim) if i not in lc + lb]
    rf = [i for i in range(rhs.ndim) if i not in rc + rb]
    batch = [lhs.shape[i] for i in lb]
    size = lambda x, axes: math.prod(x.shape[i] for i in axes)  # noqa: E731
    a = lhs.transpose(list(lb) + lf + list(lc)).reshape(batch + [size(lhs, lf), size(lhs, lc)])
    b = rhs.transpose(list(rb) + list(rc) + rf).reshape(batch + [size(rhs, rc), size(rhs, rf)])
    out = np.matmul(a, b).astype(lhs.dtype, copy=False)
    return out.reshape(batch + [lhs.shape[i] for i in lf] + [rhs.shape[i] for i in rf])


dot_general_p = def_primitive("dot_general", _dot_general_eval, _dot_general_impl)


def _square_matrix(name: str, a) -> None:
    if a.dtype.kind != "f" or a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise FnxTypeError(f"{name}: needs float square matrices (..., n, n), got {a}")


def _matrix_rule(name: str, drop_last: int):
    def abstract_eval(a):
        _square_matrix(name, a)
        return ShapedArray(a.shape[:a.ndim - drop_last], a.dtype)
    return abstract_eval


def _cholesky_impl(a):
    a = np.asarray(a)
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:  # some matrix is not positive definite: NaNs for it alone, as JAX gives
        flat = a.reshape((-1,) + a.shape[-2:])
        out = np.full_like(flat, np.nan)
        for i, m in enumerate(flat):
            try:
                out[i] = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                pass
        return out.reshape(a.shape)


inv_p = def_primitive("inv", _matrix_rule("inv", 0), lambda a: np.linalg.inv(a).astype(np.asarray(a).dtype))
det_p = def_primitive("det", _matrix_rule("det", 2), lambda a: np.asarray(np.linalg.det(a)).astype(np.asarray(a).dtype))
cholesky_p = def_primitive("cholesky", _matrix_rule("cholesky", 0), _cholesky_impl)


def _solve_eval(a, b):
    _square_matrix("solve", a)
    same_dtype("solve", [a, b])
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2] or b.shape[-2] != a.shape[-1]:
        raise FnxTypeError(f"solve: right-hand side {b} does not match matrices {a} (needs (..., n, k))")
    return b


solve_p = def_primitive("solve", _solve_eval, lambda a, b: np.linalg.solve(a, b).astype(np.asarray(b).dtype))


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """Generalized dot: ``dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))``.

    Output axes: batch, then lhs free axes, then rhs free axes. ``precision``: see ``lax.Precision``.
    """
    check_precision(precision, "dot_general")
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    out = dot_general_p.bind(lhs, rhs, dimension_numbers=dn)
    return out if preferred_element_type is None else convert_element_type(out, preferred_element_type)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """Vector/matrix product of rank-1 or rank-2 operands."""
    return dot_general(lhs, rhs, (((lhs.ndim - 1,), (0,)), ((), ())), precision, preferred_element_type)
