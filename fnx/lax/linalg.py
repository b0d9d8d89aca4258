"""Linear algebra primitives: ``dot_general``, the batched matrix routines inv, solve, det, cholesky, and the
decompositions eigh, svd, qr, slogdet.

Every matrix routine maps over leading (batch) axes, takes float32, float64, complex64 or complex128 and
returns its dtype, except where a result is real by nature (eigenvalues of Hermitian matrices, singular
values, log-determinants: the real dtype of the same precision). The decompositions return several results
(``multiple_results`` primitives):

* ``eigh_p(a) -> [w (..., n), v (..., n, n)]``: eigenvalues (real) in ascending order and eigenvectors
  (columns) of the symmetric (Hermitian) matrices whose lower triangles ``a`` holds (as ``numpy.linalg.eigh``).
* ``svd_p(a, full_matrices, compute_uv) -> [s (..., k), u (..., m, k|m), vt (..., k|n, n)]`` (just ``[s]``
  without ``compute_uv``), ``k = min(m, n)``, singular values (real) descending; ``a = u @ diag(s) @ vt``.
* ``qr_p(a, full_matrices) -> [q (..., m, k|m), r (..., k|m, n)]`` by Householder reflections (LAPACK's sign
  convention: ``r``'s diagonal is real and may be negative).
* ``slogdet_p(a) -> [sign (...), logabsdet (...)]``; a singular matrix gives ``(0, -inf)``; a complex
  matrix's sign is the complex number ``det / |det|``, its ``logabsdet`` real.

A matrix holding a NaN or an infinity gives NaN in every result of that matrix (as JAX does) rather than
LAPACK's error.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.avals import ShapedArray, aval_of
from ..core.dtypes import to_real
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


def _square_matrix(name: str, a, kinds: str = "fc") -> None:
    if a.dtype.kind not in kinds or a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        what = "float or complex" if "c" in kinds else "float"
        raise FnxTypeError(f"{name}: needs {what} square matrices (..., n, n), got {a}")


def _matrix_rule(name: str, drop_last: int, kinds: str = "fc"):
    def abstract_eval(a):
        _square_matrix(name, a, kinds)
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


# -- decompositions -------------------------------------------------------------------------------------------

def _float_matrices(name: str, a, square: bool) -> None:
    if a.dtype.kind not in "fc" or a.ndim < 2 or (square and a.shape[-1] != a.shape[-2]):
        kind = "square matrices (..., n, n)" if square else "matrices (..., m, n)"
        raise FnxTypeError(f"{name}: needs float or complex {kind}, got {a}")


def _eigh_eval(a):
    _float_matrices("eigh", a, True)
    return [ShapedArray(a.shape[:-1], to_real(a.dtype)), a]


def _svd_shapes(shape: tuple, full_matrices: bool) -> tuple:
    """The shapes of (s, u, vt) for matrices of ``shape`` (..., m, n)."""
    *batch, m, n = shape
    k = min(m, n)
    u_cols, vt_rows = (m, n) if full_matrices else (k, k)
    return (*batch, k), (*batch, m, u_cols), (*batch, vt_rows, n)


def _svd_eval(a, *, full_matrices: bool, compute_uv: bool):
    _float_matrices("svd", a, False)
    shapes = _svd_shapes(a.shape, full_matrices)
    dtypes = (to_real(a.dtype), a.dtype, a.dtype)
    return [ShapedArray(s, d) for s, d in zip(shapes if compute_uv else shapes[:1], dtypes)]


def _qr_shapes(shape: tuple, full_matrices: bool) -> tuple:
    *batch, m, n = shape
    k = m if full_matrices else min(m, n)
    return (*batch, m, k), (*batch, k, n)


def _qr_eval(a, *, full_matrices: bool):
    _float_matrices("qr", a, False)
    return [ShapedArray(s, a.dtype) for s in _qr_shapes(a.shape, full_matrices)]


def _slogdet_eval(a):
    _float_matrices("slogdet", a, True)
    return [ShapedArray(a.shape[:-2], a.dtype), ShapedArray(a.shape[:-2], to_real(a.dtype))]


def _finite_matrices_impl(decompose, abstract_eval):
    """The NumPy impl ``decompose(a) -> results`` made to check ``a`` with ``abstract_eval`` and to give NaN
    results for the matrices of ``a`` holding a NaN or an infinity (LAPACK would fail on them), every result
    cast to its abstract value's dtype."""
    def impl(a, **params):
        a = np.asarray(a)
        avals = abstract_eval(aval_of(a), **params)
        bad = ~np.isfinite(a).all(axis=(-2, -1))
        outs = decompose(np.where(bad[..., None, None], 0, a) if bad.any() else a, **params)
        outs = [np.array(o, dtype=aval.dtype) for o, aval in zip(outs, avals)]
        for o in outs:
            o[bad] = np.nan
        return outs
    return impl


def _svd_numpy(a, *, full_matrices: bool, compute_uv: bool):
    if not compute_uv:
        return [np.linalg.svd(a, compute_uv=False)]
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return [s, u, vt]


def _qr_numpy(a, *, full_matrices: bool):
    return list(np.linalg.qr(a, mode="complete" if full_matrices else "reduced"))


eigh_p = def_primitive("eigh", _eigh_eval, _finite_matrices_impl(lambda a: list(np.linalg.eigh(a)), _eigh_eval),
                       multiple_results=True)
svd_p = def_primitive("svd", _svd_eval, _finite_matrices_impl(_svd_numpy, _svd_eval), multiple_results=True)
qr_p = def_primitive("qr", _qr_eval, _finite_matrices_impl(_qr_numpy, _qr_eval), multiple_results=True)
slogdet_p = def_primitive("slogdet", _slogdet_eval,
                          _finite_matrices_impl(lambda a: list(np.linalg.slogdet(a)), _slogdet_eval),
                          multiple_results=True)


def eigh(a) -> tuple:
    """Eigenvalues ``w`` (ascending) and eigenvectors ``v`` (columns) of the symmetric matrices ``a`` (..., n, n),
    read from their lower triangles: ``a @ v == v * w[..., None, :]``.

    >>> import numpy as np
    >>> w, v = eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    Array([1., 3.], dtype=float64)
    """
    return tuple(eigh_p.bind(a))


def svd(a, full_matrices: bool = False, compute_uv: bool = True):
    """The singular value decomposition ``(s, u, vt)`` of the matrices ``a`` (..., m, n), or just ``s`` without
    ``compute_uv``: ``a == u @ (s[..., None] * vt)`` (reduced; ``full_matrices`` makes ``u`` and ``vt`` square).

    >>> import numpy as np
    >>> svd(np.array([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False)
    Array([4., 3.], dtype=float64)
    """
    outs = svd_p.bind(a, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    return tuple(outs) if compute_uv else outs[0]


def qr(a, full_matrices: bool = False) -> tuple:
    """The QR decomposition ``(q, r)`` of the matrices ``a`` (..., m, n): ``q`` with orthonormal columns
    (..., m, k), ``r`` upper triangular (..., k, n), ``k = min(m, n)`` (``m`` with ``full_matrices``).

    >>> import numpy as np
    >>> q, r = qr(np.ones((3, 2)))
    >>> r.shape
    (2, 2)
    """
    return tuple(qr_p.bind(a, full_matrices=bool(full_matrices)))


def slogdet(a) -> tuple:
    """The sign and the log of the absolute value of the determinants of the matrices ``a`` (..., n, n).

    >>> import numpy as np
    >>> float(slogdet(np.array([[0.0, 2.0], [3.0, 0.0]]))[1])  # log 6
    1.791759469228055
    """
    return tuple(slogdet_p.bind(a))
