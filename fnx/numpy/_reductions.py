"""Reductions with ``axis`` and ``keepdims``: sums, extremes, statistics, cumulative sums, logsumexp."""
from __future__ import annotations

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.errors import FnxTypeError
from ._util import as_array, cast, normalize_axes, normalize_axis


def _keep(x, out, axes: tuple, keepdims: bool):
    if not keepdims:
        return out
    return lax.reshape(out, [1 if i in axes else n for i, n in enumerate(x.shape)])


def _accumulator_dtype(dtype: np.dtype) -> np.dtype:
    """NumPy sums small signed integers and bools in int64 and small unsigned ones in uint64."""
    if dtype.kind in "b" or (dtype.kind == "i" and dtype.itemsize < 8):
        return np.dtype("int64")
    if dtype.kind == "u" and dtype.itemsize < 8:
        return np.dtype("uint64")
    return dtype


def _reduction(p, name: str, accumulate: bool):
    def f(x, axis=None, dtype=None, keepdims: bool = False):
        x = as_array(x, name)
        axes = normalize_axes(name, axis, x.ndim)
        target = dtypes.canonicalize(dtype, name) if dtype is not None else \
            (_accumulator_dtype(x.dtype) if accumulate else x.dtype)
        return _keep(x, p.bind(cast(x, target), axes=axes), axes, keepdims)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``{name}`` of the elements over ``axis`` (all axes when None).\n\n"
                 f"    >>> import fnx.numpy as fnp\n    >>> fnp.{name}(fnp.array([[1, 2], [3, 4]]), axis=0).shape\n"
                 f"    (2,)\n")
    return f


sum = _reduction(lax.reduce_sum_p, "sum", accumulate=True)  # noqa: A001
prod = _reduction(lax.reduce_prod_p, "prod", accumulate=True)
_max = _reduction(lax.reduce_max_p, "max", accumulate=False)
_min = _reduction(lax.reduce_min_p, "min", accumulate=False)


def max(x, axis=None, keepdims: bool = False, initial=None):  # noqa: A001
    """The largest element over ``axis`` (NaN if any element is NaN), or at least ``initial``.

    >>> import fnx.numpy as fnp
    >>> fnp.max(fnp.array([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]]), axis=1)
    Array([5., 6.], dtype=float64)
    >>> fnp.max(fnp.array([1.0, fnp.nan]))
    Array(nan, dtype=float64)
    """
    out = _max(x, axis, keepdims=keepdims)
    if initial is None:
        return out
    from ._elementwise import maximum
    return maximum(out, initial)


def min(x, axis=None, keepdims: bool = False, initial=None):  # noqa: A001
    """The smallest element over ``axis`` (NaN if any element is NaN), or at most ``initial``.

    >>> import fnx.numpy as fnp
    >>> fnp.min(fnp.array([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]]), axis=0)
    Array([1., 3., 2.], dtype=float64)
    """
    out = _min(x, axis, keepdims=keepdims)
    if initial is None:
        return out
    from ._elementwise import minimum
    return minimum(out, initial)


def all(x, axis=None, keepdims: bool = False):  # noqa: A001
    """True if every element over ``axis`` is nonzero.

    >>> import fnx.numpy as fnp
    >>> fnp.all(fnp.array([[True, False], [True, True]]), axis=1)
    Array([False,  True], dtype=bool)
    """
    from ._elementwise import astype
    x = astype(x, bool)
    axes = normalize_axes("all", axis, x.ndim)
    return _keep(x, lax.reduce_and(x, axes), axes, keepdims)


def any(x, axis=None, keepdims: bool = False):  # noqa: A001
    """True if some element over ``axis`` is nonzero.

    >>> import fnx.numpy as fnp
    >>> fnp.any(fnp.array([[True, False], [False, False]]), axis=1)
    Array([ True, False], dtype=bool)
    """
    from ._elementwise import astype
    x = astype(x, bool)
    axes = normalize_axes("any", axis, x.ndim)
    return _keep(x, lax.reduce_or(x, axes), axes, keepdims)


def _count(x, axes: tuple) -> int:
    return int(np.prod([x.shape[a] for a in axes], dtype=np.int64))


def mean(x, axis=None, dtype=None, keepdims: bool = False):
    """The arithmetic mean over ``axis``, in the default float for integer input.

    >>> import fnx.numpy as fnp
    >>> fnp.mean(fnp.array([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]]), axis=0)
    Array([2.5, 4. , 4. ], dtype=float64)
    >>> fnp.mean(fnp.arange(4))
    Array(1.5, dtype=float64)
    """
    x = as_array(x, "mean")
    target = dtypes.canonicalize(dtype, "mean") if dtype is not None else dtypes.to_inexact(x.dtype)
    axes = normalize_axes("mean", axis, x.ndim)
    total = sum(cast(x, target), axis=axes, keepdims=keepdims)
    return total / target.type(_count(x, axes)) if _count(x, axes) else total * target.type(np.nan)


def var(x, axis=None, dtype=None, ddof: int = 0, keepdims: bool = False, correction=None):
    """The variance over ``axis``: ``sum((x - mean)**2) / (n - ddof)``.

    >>> import fnx.numpy as fnp
    >>> fnp.var(fnp.array([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]]), axis=1)
    Array([2.88888889, 1.55555556], dtype=float64)
    >>> fnp.var(fnp.array([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]]), axis=1, ddof=1)
    Array([4.33333333, 2.33333333], dtype=float64)
    """
    x = as_array(x, "var")
    ddof = correction if correction is not None else ddof
    axes = normalize_axes("var", axis, x.ndim)
    target = dtypes.canonicalize(dtype, "var") if dtype is not None else dtypes.to_inexact(x.dtype)
    x = cast(x, target)
    centered = x - mean(x, axes, keepdims=True)
    return sum(centered * centered, axis=axes, keepdims=keepdims) / target.type(_count(x, axes) - ddof)


def std(x, axis=None, dtype=None, ddof: int = 0, keepdims: bool = False, correction=None):
    """The standard deviation over ``axis`` (square root of ``var``).

    >>> import fnx.numpy as fnp
    >>> fnp.std(fnp.array([1.0, 2.0, 3.0, 4.0]))
    Array(1.118033988749895, dtype=float64)
    """
    from ._elementwise import sqrt
    return sqrt(var(x, axis, dtype, ddof, keepdims, correction))


def _arg_reduction(p, name: str):
    def f(x, axis=None, keepdims: bool = False):
        x = as_array(x, name)
        if axis is None:
            out = p.bind(lax.reshape(x, (x.size,)), axis=0, index_dtype=np.dtype("int64"))
            return lax.reshape(out, (1,) * x.ndim) if keepdims else out
        axis = normalize_axis(name, axis, x.ndim)
        return _keep(x, p.bind(x, axis=axis, index_dtype=np.dtype("int64")), (axis,), keepdims)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Index of the first {name[3:]}imum along ``axis`` (of the flattened array when None), as int64."
    return f


argmax = _arg_reduction(lax.argmax_p, "argmax")
argmin = _arg_reduction(lax.argmin_p, "argmin")


def _cumulative(p, name: str):
    def f(x, axis=None, dtype=None):
        x = as_array(x, name)
        if axis is None:
            x, axis = lax.reshape(x, (x.size,)), 0
        axis = normalize_axis(name, axis, x.ndim)
        target = dtypes.canonicalize(dtype, name) if dtype is not None else _accumulator_dtype(x.dtype)
        return p.bind(cast(x, target), axis=axis, reverse=False)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"The running {name[3:]} along ``axis`` (of the flattened array when None)."
    return f


cumsum = _cumulative(lax.cumsum_p, "cumsum")
cumprod = _cumulative(lax.cumprod_p, "cumprod")


def cumulative_sum(x, axis=None, dtype=None, include_initial: bool = False):
    """Array API ``cumulative_sum``: ``cumsum``, optionally starting with a 0."""
    out = cumsum(x, axis, dtype)
    if not include_initial:
        return out
    axis = 0 if axis is None else normalize_axis("cumulative_sum", axis, out.ndim)
    return lax.pad(out, out.dtype.type(0), [(1 if i == axis else 0, 0, 0) for i in range(out.ndim)])


def logsumexp(x, axis=None, keepdims: bool = False, b=None):
    """``log(sum(b * exp(x)))`` over ``axis``, computed without overflow.

    >>> import fnx.numpy as fnp
    >>> float(fnp.logsumexp(fnp.array([1000.0, 1000.0])))
    1000.6931471805599
    """
    from ._elementwise import astype_float, exp, isfinite, log, where
    x = astype_float(x)
    axes = normalize_axes("logsumexp", axis, x.ndim)
    if _count(x, axes) == 0:  # an empty sum: the result is log(0) = -inf
        m = lax.broadcast_in_dim(x.dtype.type(0), [1 if i in axes else n for i, n in enumerate(x.shape)], ())
    else:
        m = lax.stop_gradient(_max(x, axes, keepdims=True))  # only for stability: no derivative through it
        m = where(isfinite(m), m, 0.0)
    terms = exp(x - m) if b is None else exp(x - m) * b
    out = log(sum(terms, axis=axes, keepdims=True)) + m
    return out if keepdims else lax.reshape(out, [n for i, n in enumerate(x.shape) if i not in axes])


def count_nonzero(x, axis=None, keepdims: bool = False):
    """The number of nonzero elements over ``axis``, as int64.

    >>> import fnx.numpy as fnp
    >>> fnp.count_nonzero(fnp.array([[0, 1, 2], [3, 0, 0]]), axis=0)
    Array([1, 1, 1], dtype=int64)
    """
    from ._elementwise import astype
    return sum(astype(astype(x, bool), np.int64), axis=axis, keepdims=keepdims)


def median(x, axis=None, keepdims: bool = False):
    """The median over ``axis`` (the mean of the two middle values for even counts).

    >>> import fnx.numpy as fnp
    >>> fnp.median(fnp.array([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]]), axis=1)
    Array([2., 4.], dtype=float64)
    >>> fnp.median(fnp.array([4.0, 1.0, 3.0, 2.0]))
    Array(2.5, dtype=float64)
    """
    from ._elementwise import astype_float
    from ._shape import moveaxis, reshape
    from ._sorting import sort
    x = astype_float(x)
    axes = normalize_axes("median", axis, x.ndim)
    kept = [i for i in range(x.ndim) if i not in axes]
    flat = reshape(moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim))),
                   tuple(x.shape[i] for i in kept) + (-1,))
    n = flat.shape[-1]
    if n == 0:
        raise FnxTypeError(f"median: no elements over axis {axis} of shape {x.shape}")
    s = sort(flat, axis=-1)
    lo, hi = s[..., (n - 1) // 2], s[..., n // 2]
    out = (lo + hi) / 2
    return _keep(x, out, axes, keepdims) if keepdims else out


def average(x, axis=None, weights=None, keepdims: bool = False):
    """The (weighted) mean over ``axis``.

    >>> import fnx.numpy as fnp
    >>> fnp.average(fnp.array([1.0, 2.0, 4.0]), weights=fnp.array([3.0, 1.0, 0.0]))
    Array(1.25, dtype=float64)
    """
    if weights is None:
        return mean(x, axis, keepdims=keepdims)
    from ._shape import broadcast_to
    x, w = as_array(x, "average"), as_array(weights, "average")
    if w.ndim != x.ndim:  # 1-d weights along the one reduced axis
        w = w.reshape([-1 if i == normalize_axis("average", axis, x.ndim) else 1 for i in range(x.ndim)])
    w = broadcast_to(w, x.shape)
    return sum(x * w, axis, keepdims=keepdims) / sum(w, axis, keepdims=keepdims)


def ptp(x, axis=None, keepdims: bool = False):
    """``max - min`` over ``axis``.

    >>> import fnx.numpy as fnp
    >>> fnp.ptp(fnp.array([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]]), axis=1)
    Array([4., 3.], dtype=float64)
    """
    return _max(x, axis, keepdims=keepdims) - _min(x, axis, keepdims=keepdims)


amax, amin = max, min
