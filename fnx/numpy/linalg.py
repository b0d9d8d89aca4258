"""``fnx.numpy.linalg``: norms, inverses, solves, determinants and matrix products, as in ``numpy.linalg``.

The decompositions are the ``inv``, ``solve``, ``det`` and ``cholesky`` primitives of ``fnx.lax``; all
batched over leading axes. Integer and bool inputs compute in the default float, as NumPy computes in
float64. Not available yet (they need a decomposition primitive fnx does not have): ``slogdet``, ``eigh``,
``eig``, ``svd``, ``svdvals``, ``qr``, ``pinv``, ``matrix_rank``, ``lstsq``, ``cond``, and the norms
``'nuc'``, ``2`` and ``-2`` of matrices.
"""
from __future__ import annotations

import operator
from typing import Sequence

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.errors import FnxTypeError
from ._linalg_functions import _arrays, cross, matmul, tensordot, vecdot  # noqa: F401  (numpy.linalg names)
from ._linalg_functions import outer as _outer, trace as _trace
from ._shape import diagonal as _diagonal, matrix_transpose  # noqa: F401
from ._util import as_array, broadcast_to_shape, cast, normalize_axes, normalize_axis


def _floats(op: str, *xs) -> list:
    """The operands in their common float dtype (ints and bools go to the default float)."""
    xs = _arrays(op, *xs)
    dtype = dtypes.to_inexact(xs[0].dtype)
    return [cast(x, dtype) for x in xs]


def _square(op: str, a) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise FnxTypeError(f"{op}: needs square matrices of shape (..., n, n), got shape {tuple(a.shape)}")


def _drop_axes(x, axes: tuple, keepdims: bool):
    """``x`` reduced with kept size-1 ``axes``; remove them unless ``keepdims``."""
    if keepdims:
        return x
    return lax.reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


# -- norms -------------------------------------------------------------------------------------------------

def _vector_norm(x, axes: tuple, ord) -> object:
    """The ``ord``-norm of float ``x`` over ``axes``, with the reduced axes kept (size 1)."""
    from ._elementwise import absolute, astype, not_equal, power, sqrt
    from ._reductions import max as max_, min as min_, sum as sum_
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
    """The ``ord``-norm of the float matrices on axes ``rows``/``cols`` of ``x``, both axes kept (size 1)."""
    from ._elementwise import absolute, sqrt
    from ._reductions import max as max_, min as min_, sum as sum_
    if ord in (None, "fro"):
        return sqrt(sum_(x * x, axis=(rows, cols), keepdims=True))
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"norm: the matrix norm ord={ord!r} needs singular values, and fnx has no "
                                  "SVD primitive yet")
    # 1 / -1: largest / smallest column sum; inf / -inf: largest / smallest row sum
    sums = {1: (rows, cols), -1: (rows, cols), np.inf: (cols, rows), -np.inf: (cols, rows)}
    if isinstance(ord, str) or ord not in sums:
        raise FnxTypeError(f"norm: invalid order {ord!r} for matrices (use None, 'fro', 1, -1, inf, -inf)")
    summed, picked = sums[ord]
    total = sum_(absolute(x), axis=summed, keepdims=True)
    return (max_ if ord > 0 else min_)(total, axis=picked, keepdims=True)


def norm(x, ord=None, axis=None, keepdims: bool = False):
    """A vector or matrix norm, as ``numpy.linalg.norm``.

    ``axis`` None: the 2-norm of all elements when ``ord`` is None, else the vector norm of a 1-d ``x`` or the
    matrix norm of a 2-d ``x``. An int ``axis`` gives vector norms (``ord``: None/2, 1, inf, -inf, 0, any p);
    a pair gives matrix norms (``ord``: None/'fro', 1, -1, inf, -inf).

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
    """The ``ord``-norm of the matrices on the last two axes (``ord``: 'fro', 1, -1, inf, -inf).

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
    """The Cholesky factor ``L`` (lower, ``a = L @ L.T``) or, with ``upper``, ``U = L.T``; NaNs if ``a`` is not
    positive definite.

    >>> import fnx.numpy as fnp
    >>> fnp.linalg.cholesky(fnp.array([[4.0, 2.0], [2.0, 2.0]]))
    Array([[2., 0.],
           [1., 1.]], dtype=float64)
    """
    (a,) = _floats("cholesky", a)
    _square("cholesky", a)
    factor = lax.cholesky_p.bind(a)
    return matrix_transpose(factor) if upper else factor


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
