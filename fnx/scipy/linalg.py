"""``fnx.scipy.linalg``: SciPy's linear-algebra signatures over fnx's primitives (``cholesky``, ``solve``,
``inv``, ``det``), differentiable, batchable and jittable through them.

``solve_triangular`` solves with the general ``solve`` primitive on the chosen triangle (fnx has no
triangular-solve primitive yet): same results, at the cost of an LU factorization.

>>> import fnx.numpy as fnp
>>> from fnx.scipy import linalg
>>> linalg.cholesky(fnp.array([[4.0, 2.0], [2.0, 2.0]]), lower=True)
Array([[2., 0.],
       [1., 1.]], dtype=float64)
"""
from __future__ import annotations

from ..numpy import linalg as _np_linalg
from .. import numpy as fnp
from ..core.errors import FnxTypeError

__all__ = ["cho_factor", "cho_solve", "cholesky", "det", "inv", "solve", "solve_triangular"]

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def cholesky(a, lower: bool = False):
    """The Cholesky factor of the positive definite ``a`` (``(..., n, n)``): upper ``U`` with ``a = U.T @ U``
    (SciPy's default) or, with ``lower=True``, lower ``L`` with ``a = L @ L.T``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import linalg
    >>> linalg.cholesky(fnp.array([[4.0, 2.0], [2.0, 2.0]]), lower=True)
    Array([[2., 0.],
           [1., 1.]], dtype=float64)
    """
    return _np_linalg.cholesky(a, upper=not lower)


def cho_factor(a, lower: bool = False) -> tuple:
    """``(c, lower)`` for ``cho_solve``: ``c`` the Cholesky factor (the other triangle zero)."""
    return cholesky(a, lower), lower


def cho_solve(c_and_lower: tuple, b):
    """The ``x`` with ``a @ x = b`` from ``cho_factor(a)``: two triangular solves.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import linalg
    >>> c = linalg.cho_factor(fnp.array([[4.0, 2.0], [2.0, 2.0]]))
    >>> linalg.cho_solve(c, fnp.array([2.0, 1.0]))
    Array([0.5, 0. ], dtype=float64)
    """
    c, lower = c_and_lower
    y = solve_triangular(c, b, trans=0 if lower else 1, lower=lower)
    return solve_triangular(c, y, trans=1 if lower else 0, lower=lower)


def solve_triangular(a, b, trans=0, lower: bool = False, unit_diagonal: bool = False):
    """The ``x`` with ``op(a) @ x = b``, reading only ``a``'s lower (``lower=True``) or upper triangle.

    ``trans``: 0 or ``"N"`` (``op(a) = a``), 1/``"T"`` or 2/``"C"`` (``a.T``; real data). ``unit_diagonal``:
    take the diagonal as ones. ``b`` is ``(n,)`` or ``(n, k)``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import linalg
    >>> linalg.solve_triangular(fnp.array([[2.0, 0.0], [1.0, 1.0]]), fnp.array([2.0, 3.0]), lower=True)
    Array([1., 2.], dtype=float64)
    """
    if trans not in _TRANS:
        raise FnxTypeError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    a = fnp.asarray(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise FnxTypeError(f"solve_triangular: a must be square, got shape {a.shape}")
    tri = fnp.tril(a) if lower else fnp.triu(a)
    if unit_diagonal:
        eye = fnp.eye(a.shape[-1], dtype=bool)
        tri = fnp.where(eye, fnp.ones_like(tri), tri)
    return _np_linalg.solve(fnp.matrix_transpose(tri) if _TRANS[trans] else tri, b)


def solve(a, b, lower: bool = False, assume_a: str = "gen"):
    """The ``x`` with ``a @ x = b``; ``assume_a="pos"`` solves through the Cholesky factor (``"sym"``,
    ``"her"`` and ``"gen"``: a general solve).

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import linalg
    >>> linalg.solve(fnp.array([[3.0, 1.0], [1.0, 2.0]]), fnp.array([9.0, 8.0]))
    Array([2., 3.], dtype=float64)
    """
    if assume_a == "pos":
        return cho_solve(cho_factor(a, lower), b)
    return _np_linalg.solve(a, b)


def inv(a):
    """The inverse of the square matrix ``a``."""
    return _np_linalg.inv(a)


def det(a):
    """The determinant of the square matrix ``a``."""
    return _np_linalg.det(a)
