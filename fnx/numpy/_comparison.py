"""Whole-array comparisons and type questions: allclose, array_equal, array_equiv, isscalar."""
from __future__ import annotations

import numpy as np

from ..core.array import Array
from ._elementwise import equal, isclose, isnan, logical_and, logical_or
from ._reductions import all as _all
from ._util import as_array


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Whether every element of ``a`` is close to ``b`` (``isclose``), as a boolean scalar array.

    >>> import fnx.numpy as fnp
    >>> bool(fnp.allclose(fnp.array([1.0, 2.0]), fnp.array([1.0, 2.0 + 1e-9])))
    True
    """
    return _all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def array_equal(a1, a2, equal_nan: bool = False):
    """Whether ``a1`` and ``a2`` have the same shape and elements (a boolean scalar array; NaNs are equal only
    with ``equal_nan``).

    >>> import fnx.numpy as fnp
    >>> bool(fnp.array_equal(fnp.array([1, 2]), fnp.array([1, 2]))), bool(fnp.array_equal([1, 2], [1, 2, 3]))
    (True, False)
    """
    a1, a2 = as_array(a1, "array_equal"), as_array(a2, "array_equal")
    if a1.shape != a2.shape:
        return as_array(False, "array_equal")
    same = equal(a1, a2)
    if equal_nan and "f" in (a1.dtype.kind, a2.dtype.kind):
        same = logical_or(same, logical_and(isnan(a1), isnan(a2)))
    return _all(same)


def array_equiv(a1, a2):
    """Whether ``a1`` and ``a2`` broadcast to one shape and are equal there (a boolean scalar array)."""
    a1, a2 = as_array(a1, "array_equiv"), as_array(a2, "array_equiv")
    try:
        np.broadcast_shapes(a1.shape, a2.shape)
    except ValueError:
        return as_array(False, "array_equiv")
    return _all(equal(a1, a2))


def isscalar(element) -> bool:
    """Whether ``element`` is a scalar: a Python or NumPy scalar, or (as in JAX, unlike NumPy) a 0-d array.

    >>> import fnx.numpy as fnp
    >>> fnp.isscalar(3.0), fnp.isscalar(fnp.asarray(3.0)), fnp.isscalar(fnp.ones(1))
    (True, True, False)
    """
    from ..core.tracing import Tracer
    if isinstance(element, (np.ndarray, Array, Tracer)):
        return element.ndim == 0
    return isinstance(element, (bool, int, float, complex, np.generic))
