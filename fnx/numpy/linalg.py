"""``fnx.numpy.linalg``: norms, inverses, solves, determinants, decompositions and matrix products, as in
``numpy.linalg``.

The matrix routines are the ``inv``, ``solve``, ``det``, ``cholesky``, ``eigh``, ``svd``, ``qr`` and
``slogdet`` primitives of ``fnx.lax``, all batched over leading axes; ``pinv``, ``matrix_rank``, ``lstsq``
and the matrix norms ``2``, ``-2`` and ``'nuc'`` are built on ``svd``. Every one takes real or complex
matrices (complex ``eigh`` and ``cholesky`` read Hermitian ones); integer and bool inputs compute in the
default float, as NumPy computes in float64. The decompositions return the Array API's named tuples
(``EighResult``, ``SVDResult``, ``QRResult``, ``SlogdetResult``). Not supported: ``eig``/``eigvals``
(general, non-symmetric eigenproblems).
"""
from __future__ import annotations

import functools
import operator
from typing import Any, NamedTuple, Sequence

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.errors import FnxTypeError
from ._linalg_functions import _arrays, cross, matmul, tensordot, vecdot  # noqa: F401  (numpy.linalg names)
from ._linalg_functions import outer as _outer, trace as _trace
from ._shape import diagonal as _diagonal, matrix_transpose  # noqa: F401
from ._util import as_array, broadcast_to_shape, cast, normalize_axes, normalize_axis


def _floats(op: str, *xs) -> list:
    """The operands in their common float or complex dtype (ints and bools go to the default float)."""
    xs = _arrays(op, *xs)
    dtype = dtypes.to_inexact(xs[0].dtype)
    return [cast(x, dtype) for x in xs]


def _square(op: str, a) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise FnxTypeError(f"{op}: needs square matrices of shape (..., n, n), got shape {tuple(a.shape)}")


def _matrices(op: str, a) -> None:
    if a.ndim < 2:
        raise FnxTypeError(f"{op}: needs matrices of shape (..., m, n), got shape {tuple(a.shape)}")


def _drop_axes(x, axes: tuple, keepdims: bool):
    """``x`` reduced with kept size-1 ``axes``; remove them unless ``keepdims``."""
    if keepdims:
        return x
    return lax.reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


# -- norms -------------------------------------------------------------------------------------------------

def _vector_norm(x, axes: tuple, ord) -> object:
    """The ``ord``-norm of float (or complex: of their magnitudes) ``x`` over ``axes``, with the reduced axes
    kept (size 1)."""
    from ._elementwise import absolute, astype, not_equal, power, sqrt
    from ._reductions import max as max_, min as min_, sum as sum_
    x = absolute(x) if x.dtype.kind == "c" else x
    if ord is None or ord == 2:
        return sqrt(sum_(x * x, axis=axes, keepdims=True))
    if isinstance(ord, str):
        raise FnxTypeError(f"norm: order {ord!r} is for matrices; vector norms take numbers")
    if ord == np.inf:
        return max_(absolute(x), axis=axes, keepdims=True)
    if ord == -np.inf:
        return min_(absolute(x), axis=axes, keepdims=True)
    if ord == 0:
        return sum_(astype(not_equal(x, 0), x.dtype), axis=axes, keepdims=True)
    if ord == 1:
        return sum_(absolute(x), axis=axes, keepdims=True)
    return power(sum_(power(absolute(x), float(ord)), axis=axes, keepdims=True), 1.0 / float(ord))


def _matrix_norm(x, rows: int, cols: int, ord) -> object:
    """The ``ord``-norm of the float (or complex) matrices on axes ``rows``/``cols`` of ``x``, both axes kept
    (size 1)."""
    from ._elementwise import absolute, sqrt
    from ._reductions import max as max_, min as min_, sum as sum_
    if ord in ("nuc", 2, -2):
        return _singular_value_norm(x, rows, cols, ord)
    if x.dtype.kind == "c":  # every other norm is one of the magnitudes'
        x = absolute(x)
    if ord in (None, "fro"):
        return sqrt(sum_(x * x, axis=(rows, cols), keepdims=True))
    # 1 / -1: largest / smallest column sum; inf / -inf: largest / smallest row sum
    sums = {1: (rows, cols), -1: (rows, cols), np.inf: (cols, rows), -np.inf: (cols, rows)}
    if isinstance(ord, str) or ord not in sums:
        raise FnxTypeError(f"norm: invalid order {ord!r} for matrices (use None, 'fro', 'nuc', 1, -1, 2, -2, inf, "
                           "-inf)")
    summed, picked = sums[ord]
    total = sum_(absolute(x), axis=summed, keepdims=True)
    return (max_ if ord > 0 else min_)(total, axis=picked, keepdims=True)


def _singular_value_norm(x, rows: int, cols: int, ord) -> object:
    """The largest (``ord`` 2), smallest (-2) or sum ('nuc') of the singular values of the matrices on axes
    ``rows``/``cols`` of ``x``, both axes kept (size 1)."""
    from ._reductions import max as max_, min as min_, sum as sum_
    from ._shape import moveaxis
    values = svdvals(moveaxis(x, (rows, cols), (-2, -1)))
    reduce = {2: max_, -2: min_}.get(ord, sum_)
    kept = tuple(1 if i in (rows, cols) else n for i, n in enumerate(x.shape))
    return lax.reshape(reduce(values, axis=-1), kept)


def norm(x, ord=None, axis=None, keepdims: bool = False):
    """A vector or matrix norm, as ``numpy.linalg.norm``.

    ``axis`` None: the 2-norm of all elements when ``ord`` is None, else the vector norm of a 1-d ``x`` or the
    matrix norm of a 2-d ``x``. An int ``axis`` gives vector norms (``ord``: None/2, 1, inf, -inf, 0, any p);
    a pair gives matrix norms (``ord``: None/'fro', 'nuc' (the sum of the singular values), 1, -1, 2 (the
    largest singular value), -2 (the smallest), inf, -inf).

    >>> import fnx.numpy as fnp
    >>> float(fnp.linalg.norm(fnp.array([3.0, 4.0])))
    5.0
    """
    (x,) = _floats("norm", x)
    if axis is None:
        if ord is None:
            return _drop_axes(_vector_norm(x, tuple(range(x.ndim)), None), tuple(range(x.ndim)), keepdims)
        if x.ndim not in (1, 2):
            raise FnxTypeError(f"norm: ord={ord!r} without axis needs a 1-d or 2-d array, got shape {x.shape}")
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(axes) == 1:
        axes = normalize_axes("norm", axes, x.ndim)
        return _drop_axes(_vector_norm(x, axes, ord), axes, keepdims)
    if len(axes) == 2:
        rows, cols = (normalize_axis("norm", int(a), x.ndim) for a in axes)
        if rows == cols:
            raise FnxTypeError(f"norm: the two matrix axes {axis} are the same axis of shape {x.shape}")
        return _drop_axes(_matrix_norm(x, rows, cols, ord), (rows, cols), keepdims)
    raise FnxTypeError(f"norm: axis must be None, an int or a pair of ints, got {axis!r}")


def vector_norm(x, axis=None, keepdims: bool = False, ord=2):
    """The ``ord``-norm over ``axis`` (None: all elements; an int or a tuple of axes), as the Array API.

    >>> import fnx.numpy as fnp
    >>> float(fnp.linalg.vector_norm(fnp.ones((2, 2)), ord=1))
    4.0
    """
    (x,) = _floats("vector_norm", x)
    axes = normalize_axes("vector_norm", axis, x.ndim)
    return _drop_axes(_vector_norm(x, axes, ord), axes, keepdims)


def matrix_norm(x, keepdims: bool = False, ord="fro"):
    """The ``ord``-norm of the matrices on the last two axes (``ord``: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf).

    >>> import fnx.numpy as fnp
    >>> float(fnp.linalg.matrix_norm(fnp.array([[1.0, -2.0], [3.0, 4.0]]), ord=1))
    6.0
    """
    (x,) = _floats("matrix_norm", x)
    if x.ndim < 2:
        raise FnxTypeError(f"matrix_norm: needs at least 2 dimensions, got shape {x.shape}")
    rows, cols = x.ndim - 2, x.ndim - 1
    return _drop_axes(_matrix_norm(x, rows, cols, ord), (rows, cols), keepdims)


# -- decompositions --------------------------------------------------------------------------------------

def inv(a):
    """The inverse of each square matrix on the last two axes: ``(..., n, n) -> (..., n, n)``.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.inv(fnp.array([[2.0, 0.0], [0.0, 4.0]]))
    Array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float64)
    """
    (a,) = _floats("inv", a)
    _square("inv", a)
    return lax.inv_p.bind(a)


def det(a):
    """The determinant of each square matrix on the last two axes: ``(..., n, n) -> (...)``.

    >>> import fnx.numpy as fnp
    >>> float(fnp.linalg.det(fnp.array([[1.0, 2.0], [3.0, 4.0]])))
    -2.0000000000000004
    """
    (a,) = _floats("det", a)
    _square("det", a)
    return lax.det_p.bind(a)


def cholesky(a, upper: bool = False):
    """The Cholesky factor ``L`` (lower, ``a = L @ L.T``; ``L @ L.conj().T`` for complex Hermitian ``a``) or,
    with ``upper``, ``U = L.conj().T``; NaNs if ``a`` is not positive definite. Read from the lower triangle.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.cholesky(fnp.array([[4.0, 2.0], [2.0, 2.0]]))
    Array([[2., 0.],
           [1., 1.]], dtype=float64)
    """
    (a,) = _floats("cholesky", a)
    _square("cholesky", a)
    factor = lax.cholesky_p.bind(a)
    return _conjugate_transpose(factor) if upper else factor


def solve(a, b):
    """The solution ``x`` of ``a @ x = b`` for square ``a`` of shape ``(..., n, n)``.

    As in NumPy 2, ``b`` is one vector ``(n,)`` only when it is 1-d (result ``(..., n)``); otherwise it is a
    stack of matrices ``(..., n, k)`` (result ``(..., n, k)``). The batch axes broadcast.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.solve(fnp.array([[2.0, 0.0], [0.0, 4.0]]), fnp.array([1.0, 1.0]))
    Array([0.5 , 0.25], dtype=float64)
    """
    a, b = _floats("solve", a, b)
    _square("solve", a)
    n = a.shape[-1]
    vector = b.ndim == 1
    rhs = lax.reshape(b, (n, 1)) if vector and b.shape[0] == n else b
    if rhs.ndim < 2 or rhs.shape[-2] != n:
        raise FnxTypeError(f"solve: right-hand side of shape {tuple(b.shape)} does not fit matrices of shape "
                           f"{tuple(a.shape)} (needs (n,) or (..., n, k) with n = {n})")
    try:
        batch = tuple(np.broadcast_shapes(a.shape[:-2], rhs.shape[:-2]))
    except ValueError:
        raise FnxTypeError(f"solve: batch axes of shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           "broadcast together") from None
    x = lax.solve_p.bind(broadcast_to_shape(a, batch + (n, n)), broadcast_to_shape(rhs, batch + rhs.shape[-2:]))
    return lax.reshape(x, batch + (n,)) if vector else x


# -- eigenvalues, singular values, QR --------------------------------------------------------------------

class EighResult(NamedTuple):
    """What ``eigh`` returns: ``eigenvalues`` (..., n) ascending and ``eigenvectors`` (..., n, n) as columns."""
    eigenvalues: Any
    eigenvectors: Any


class SVDResult(NamedTuple):
    """What ``svd`` returns: ``a == U @ (S[..., None] * Vh)``."""
    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    """What ``qr`` returns: ``Q`` with orthonormal columns and upper triangular ``R``, ``a == Q @ R``."""
    Q: Any
    R: Any


class SlogdetResult(NamedTuple):
    """What ``slogdet`` returns: ``det == sign * exp(logabsdet)``."""
    sign: Any
    logabsdet: Any


def _conjugate_transpose(a):
    from ._elementwise import conj
    t = matrix_transpose(a)
    return conj(t) if a.dtype.kind == "c" else t


def eigh(a, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending, real) and eigenvectors of the symmetric (or complex Hermitian) matrices ``a``
    (..., n, n), read from their lower (``UPLO='L'``) or upper (``'U'``) triangles, as ``numpy.linalg.eigh``.

    Derivatives treat ``a`` as symmetric (Hermitian: the gradient is too) and follow JAX's convention for
    complex ``a`` (docs/complex.md). The eigenvectors' derivative is undefined where two eigenvalues are
    equal: it is then inf/NaN, as in JAX; the eigenvalues' stays finite (``eigvalsh``).

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.eigh(fnp.array([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
    Array([1., 3.], dtype=float64)
    """
    (a,) = _floats("eigh", a)
    _square("eigh", a)
    if UPLO not in ("L", "U"):
        raise FnxTypeError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    w, v = lax.eigh_p.bind(a if UPLO == "L" else _conjugate_transpose(a))
    return EighResult(w, v)


def eigvalsh(a, UPLO: str = "L"):
    """The eigenvalues (..., n), ascending, of the symmetric matrices ``a`` (..., n, n) (see ``eigh``).

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.eigvalsh(fnp.array([[2.0, 0.0], [0.0, -1.0]]))
    Array([-1.,  2.], dtype=float64)
    """
    return eigh(a, UPLO).eigenvalues


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    """The singular value decomposition ``SVDResult(U, S, Vh)`` of the matrices ``a`` (..., m, n), as
    ``numpy.linalg.svd``; just ``S`` (..., min(m, n)), descending, without ``compute_uv``.

    ``full_matrices`` gives square ``U`` (..., m, m) and ``Vh`` (..., n, n), else (..., m, k) and (..., k, n).
    ``hermitian`` is accepted for NumPy's signature; the general algorithm runs either way. Derivatives:
    ``S`` always; ``U`` and ``Vh`` only reduced (or square), and inf/NaN where two singular values are equal,
    as in JAX.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.svd(fnp.array([[0.0, 2.0], [1.0, 0.0]])).S
    Array([2., 1.], dtype=float64)
    """
    (a,) = _floats("svd", a)
    _matrices("svd", a)
    if not compute_uv:
        return lax.svd_p.bind(a, full_matrices=False, compute_uv=False)[0]
    s, u, vt = lax.svd_p.bind(a, full_matrices=bool(full_matrices), compute_uv=True)
    return SVDResult(u, s, vt)


def svdvals(x):
    """The singular values (..., min(m, n)), descending, of the matrices ``x`` (..., m, n).

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.svdvals(fnp.array([[3.0, 0.0], [0.0, -4.0]]))
    Array([4., 3.], dtype=float64)
    """
    return svd(x, compute_uv=False)


def qr(a, mode: str = "reduced"):
    """The QR decomposition of the matrices ``a`` (..., m, n), as ``numpy.linalg.qr``: ``QRResult(Q, R)``
    with ``mode='reduced'`` (Q (..., m, k), R (..., k, n), ``k = min(m, n)``) or ``'complete'`` (Q (..., m, m),
    R (..., m, n)); just ``R`` (reduced) with ``'r'``. Derivatives: every reduced form; not the complete one
    of a matrix with more rows than columns.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.qr(fnp.ones((4, 2))).R.shape
    (2, 2)
    """
    (a,) = _floats("qr", a)
    _matrices("qr", a)
    if mode not in ("reduced", "complete", "r"):
        raise FnxTypeError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r} ('raw' gives LAPACK's "
                           "Householder reflectors, which fnx does not)")
    q, r = lax.qr_p.bind(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def slogdet(a) -> SlogdetResult:
    """The sign and the log of the absolute value of the determinants of the matrices ``a`` (..., n, n): no
    overflow where ``det`` would. A singular matrix gives sign 0 and ``-inf``.

    >>> import fnx.numpy as fnp
    >>> float(fnp.linalg.slogdet(fnp.array([[0.0, 2.0], [3.0, 0.0]])).sign)
    -1.0
    """
    (a,) = _floats("slogdet", a)
    _square("slogdet", a)
    return SlogdetResult(*lax.slogdet_p.bind(a))


# -- built on the SVD: pseudo-inverse, rank, least squares -----------------------------------------------

_NO_VALUE = object()  # rtol not given (NumPy's _NoValue): pinv's default differs from rtol=None


def _reciprocals_above(s, cutoff):
    """``1/s`` where ``s > cutoff``, 0 elsewhere (no inf computed, so no NaN in derivatives)."""
    from ._elementwise import where
    large = s > cutoff
    return where(large, 1.0 / where(large, s, 1.0), 0.0)


def _relative_cutoff(s, rtol):
    """``rtol`` (a scalar or one per matrix) times the largest singular value of each matrix: (..., 1)."""
    from ._reductions import max as max_
    rtol = cast(as_array(rtol, "pinv"), s.dtype)
    return lax.reshape(rtol, rtol.shape + (1,)) * max_(s, axis=-1, keepdims=True)


def _pinv_from_svd(a, rtol):
    u, s, vt = svd(a, full_matrices=False)
    scaled = _reciprocals_above(s, _relative_cutoff(s, rtol))
    scaled = cast(scaled, a.dtype)
    return matmul(_conjugate_transpose(vt), lax.reshape(scaled, scaled.shape + (1,)) * _conjugate_transpose(u))


@functools.cache
def _differentiable_pinv():
    """``_pinv_from_svd`` with Golub and Pereyra's derivative of the pseudo-inverse (for a locally constant
    rank): finite where singular values repeat, as the SVD's own derivative is not. Made at the first call:
    ``custom_jvp`` lives in the transforms, above fnx.numpy (the lazy import keeps the layering)."""
    from ..transforms.autodiff import custom_jvp
    pinv_ = custom_jvp(_pinv_from_svd)

    @pinv_.defjvp
    def _jvp(primals, tangents):
        (a, rtol), (da, _) = primals, tangents
        p = pinv_(a, rtol)
        pt, dat = _conjugate_transpose(p), _conjugate_transpose(da)
        from ._creation import eye
        left = broadcast_to_shape(eye(a.shape[-2], dtype=a.dtype), a.shape[:-1] + a.shape[-2:-1]) - matmul(a, p)
        right = broadcast_to_shape(eye(a.shape[-1], dtype=a.dtype), a.shape[:-2] + 2 * a.shape[-1:]) - matmul(p, a)
        dp = (-matmul(p, matmul(da, p)) + matmul(matmul(p, pt), matmul(dat, left))
              + matmul(right, matmul(dat, matmul(pt, p))))
        return p, dp
    return pinv_


def pinv(a, rcond=None, hermitian: bool = False, *, rtol=_NO_VALUE):
    """The Moore-Penrose pseudo-inverse (..., n, m) of the matrices ``a`` (..., m, n), as ``numpy.linalg.pinv``:
    singular values at most ``rcond`` (or ``rtol``) times the largest count as zero. Defaults as NumPy's:
    1e-15, or ``max(m, n) * eps`` when ``rtol=None``. ``hermitian`` is accepted and ignored.

    The derivative is Golub and Pereyra's (1973), right where the rank does not change near ``a``.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.pinv(fnp.array([[2.0, 0.0], [0.0, 0.0]]))
    Array([[0.5, 0. ],
           [0. , 0. ]], dtype=float64)
    """
    (a,) = _floats("pinv", a)
    _matrices("pinv", a)
    if rcond is not None and rtol is not _NO_VALUE:
        raise FnxTypeError("pinv: give rcond or rtol, not both")
    if rcond is None:
        rcond = 1e-15 if rtol is _NO_VALUE else (max(a.shape[-2:]) * np.finfo(a.dtype).eps if rtol is None
                                                  else rtol)
    if 0 in a.shape[-2:]:
        from ._creation import zeros
        return zeros(a.shape[:-2] + a.shape[-2:][::-1], a.dtype)
    return _differentiable_pinv()(a, cast(as_array(rcond, "pinv"), a.dtype))


def matrix_rank(A, tol=None, hermitian: bool = False, *, rtol=None):
    """The rank of the matrices ``A`` (..., m, n): how many singular values exceed ``tol`` (absolute), or
    ``rtol`` times the largest (default ``max(m, n) * eps``), as ``numpy.linalg.matrix_rank``; an int64 array
    (...). A 1-d ``A`` has rank 1 unless all zero.

    >>> import fnx.numpy as fnp
    >>> int(fnp.linalg.matrix_rank(fnp.array([[1.0, 2.0], [2.0, 4.0]])))
    1
    """
    from ._reductions import any as any_, sum as sum_
    (A,) = _floats("matrix_rank", A)
    if A.ndim < 2:
        return cast(any_(A != 0), np.dtype("int64"))
    if tol is not None and rtol is not None:
        raise FnxTypeError("matrix_rank: give tol or rtol, not both")
    s = svdvals(A)
    if 0 in s.shape[-1:]:
        from ._creation import zeros
        return zeros(s.shape[:-1], np.int64)
    if tol is None:
        cutoff = _relative_cutoff(s, max(A.shape[-2:]) * np.finfo(A.dtype).eps if rtol is None else rtol)
    else:
        tol = cast(as_array(tol, "matrix_rank"), s.dtype)
        cutoff = lax.reshape(tol, tol.shape + (1,))
    return sum_(cast(s > cutoff, np.dtype("int64")), axis=-1)


def lstsq(a, b, rcond=None) -> tuple:
    """The least-squares solution ``x`` of ``a @ x ≈ b``, as ``numpy.linalg.lstsq``: ``(x, residuals, rank,
    s)`` for ``a`` (M, N) and ``b`` (M,) or (M, K); ``x`` is the minimum-norm solution (``pinv(a) @ b``) with
    singular values at most ``rcond`` times the largest counted as zero (default ``max(M, N) * eps``; -1:
    machine precision).

    ``residuals`` holds the squared 2-norm of each column of ``b - a @ x`` ((1,) for a 1-d ``b``) when M > N,
    and is empty otherwise. NumPy also empties it when ``rank < N``, a shape that depends on the values;
    fnx, as JAX, returns it then too (so it has one shape under ``jit``). ``rank`` is an int64 array.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.lstsq(fnp.array([[1.0], [1.0]]), fnp.array([1.0, 3.0]))[0]
    Array([2.], dtype=float64)
    """
    from ._reductions import sum as sum_
    a, b = _floats("lstsq", a, b)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise FnxTypeError(f"lstsq: needs a (M, N) and b (M,) or (M, K), got shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)}")
    m, n = a.shape
    eps = float(np.finfo(a.dtype).eps)
    rcond = max(m, n) * eps if rcond is None else (eps if rcond < 0 else rcond)
    s = svdvals(a)
    x = matmul(pinv(a, rcond), b)
    rank = (sum_(cast(s > rcond * s[0], np.dtype("int64"))) if s.shape[0] else
            cast(as_array(0, "lstsq"), np.dtype("int64")))
    if m > n:
        from ._elementwise import absolute
        error = absolute(b - matmul(a, x))
        residuals = sum_(error * error, axis=0, keepdims=b.ndim == 1)
    else:
        from ._creation import zeros
        residuals = zeros((0,), s.dtype)
    return x, residuals, rank, s


# -- products --------------------------------------------------------------------------------------------

def matrix_power(a, n: int):
    """``a`` multiplied by itself ``n`` times (by repeated squaring); ``n = 0`` gives the identity and a
    negative ``n`` powers the inverse.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.matrix_power(fnp.array([[1, 1], [0, 1]]), 3)
    Array([[1, 3],
           [0, 1]], dtype=int64)
    """
    a = as_array(a, "matrix_power")
    _square("matrix_power", a)
    try:
        n = operator.index(n)
    except TypeError:
        raise FnxTypeError(f"matrix_power: the exponent must be an integer, got {n!r}") from None
    if n == 0:
        from ._creation import eye
        return broadcast_to_shape(eye(a.shape[-1], dtype=a.dtype), a.shape)
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else matmul(result, a)
        n >>= 1
        if n:
            a = matmul(a, a)
    return result


def _chain_splits(shapes: Sequence[tuple]) -> list:
    """``split[i][j]``: where the cheapest product of matrices i..j divides (the matrix-chain programme)."""
    dims = [s[0] for s in shapes] + [shapes[-1][1]]
    n = len(shapes)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1], k) for k in range(i, j))
    return split


def multi_dot(arrays: Sequence):
    """The product of a chain of matrices, multiplied in the cheapest order.

    The first array may be 1-d (a row vector) and the last 1-d (a column vector); the others must be 2-d.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.multi_dot([fnp.ones(3), fnp.ones((3, 4)), fnp.ones((4, 2))]).shape
    (2,)
    """
    xs = [as_array(x, "multi_dot") for x in arrays]
    if len(xs) < 2:
        raise FnxTypeError(f"multi_dot: needs at least two arrays, got {len(xs)}")
    first_1d, last_1d = xs[0].ndim == 1, xs[-1].ndim == 1
    if first_1d:
        xs[0] = lax.reshape(xs[0], (1,) + xs[0].shape)
    if last_1d:
        xs[-1] = lax.reshape(xs[-1], xs[-1].shape + (1,))
    if any(x.ndim != 2 for x in xs):
        raise FnxTypeError(f"multi_dot: needs 2-d arrays (the first and last may be 1-d), got shapes "
                           f"{[tuple(x.shape) for x in arrays]}")
    out = _chain_product(xs, _chain_splits([x.shape for x in xs]), 0, len(xs) - 1)
    shape = out.shape[1 if first_1d else 0:1 if last_1d else 2]
    return lax.reshape(out, shape) if shape != out.shape else out


def _chain_product(xs: list, split, i: int, j: int):
    """The product of ``xs[i..j]`` in the order ``split`` gives (not a nested function: one that calls itself
    is a reference cycle, which would keep the matrices alive until the garbage collector runs)."""
    if i == j:
        return xs[i]
    k = split[i][j]
    return matmul(_chain_product(xs, split, i, k), _chain_product(xs, split, k + 1, j))


def outer(x1, x2):
    """The outer product of two vectors (1-d only, as ``numpy.linalg.outer``).

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.outer(fnp.array([1, 2]), fnp.array([3, 4]))
    Array([[3, 4],
           [6, 8]], dtype=int64)
    """
    x1, x2 = as_array(x1, "outer"), as_array(x2, "outer")
    if x1.ndim != 1 or x2.ndim != 1:
        raise FnxTypeError(f"outer: needs two 1-d arrays, got shapes {tuple(x1.shape)} and {tuple(x2.shape)}")
    return _outer(x1, x2)


def trace(x, offset: int = 0, dtype=None):
    """The sum of the ``offset`` diagonal of the matrices on the last two axes.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.trace(fnp.ones((5, 3, 3))).shape
    (5,)
    """
    return _trace(x, offset, -2, -1, dtype)


def diagonal(x, offset: int = 0):
    """The ``offset`` diagonal of the matrices on the last two axes, as the last axis of the result.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.diagonal(fnp.array([[1, 2], [3, 4]]))
    Array([1, 4], dtype=int64)
    """
    x = as_array(x, "diagonal")
    if x.ndim < 2:
        raise FnxTypeError(f"diagonal: needs at least 2 dimensions, got shape {x.shape}")
    return _diagonal(x, offset, -2, -1)
