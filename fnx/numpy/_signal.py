"""1-d signals: ``convolve``, ``correlate`` (as one lax convolution) and ``interp`` (piecewise linear)."""
from __future__ import annotations

from .. import lax
from ..core import dtypes
from ..core.errors import FnxTypeError
from ._shape import concatenate
from ._elementwise import astype, astype_float, clip, equal, greater, less, remainder, where
from ._indexing import take
from ._sorting import argsort, searchsorted
from ._util import as_array

_MODES = ("full", "same", "valid")


def _vectors(op: str, a, v) -> tuple:
    a, v = as_array(a, op), as_array(v, op)
    dtype = dtypes.result_type(a.dtype, v.dtype)
    a, v = astype(a, dtype), astype(v, dtype)
    if a.ndim != 1 or v.ndim != 1 or a.shape[0] == 0 or v.shape[0] == 0:
        raise FnxTypeError(f"{op}: needs two non-empty 1-d arrays, got shapes {a.shape} and {v.shape}")
    return a, v


def _full_correlation(a, v):
    """``out[k] = sum_n a[n + k - (len(v) - 1)] * v[n]``, k = 0 .. len(a) + len(v) - 2, in ``a``'s dtype."""
    dtype = a.dtype
    work = dtype if dtype.kind == "f" else dtypes.to_inexact(dtype)
    n, m = a.shape[0], v.shape[0]
    out = lax.conv_general_dilated(lax.reshape(astype(a, work), (1, 1, n)), lax.reshape(astype(v, work), (1, 1, m)),
                                   (1,), [(m - 1, m - 1)])
    out = lax.reshape(out, (n + m - 1,))
    return out if work == dtype else astype(lax.round(out) if dtype.kind in "iu" else out, dtype)


def _crop(full, n: int, m: int, mode: str, op: str):
    if mode not in _MODES:
        raise FnxTypeError(f"{op}: mode must be one of {_MODES}, got {mode!r}")
    length = {"full": n + m - 1, "same": max(n, m), "valid": max(n, m) - min(n, m) + 1}[mode]
    start = {"full": 0, "same": (min(n, m) - 1) // 2, "valid": min(n, m) - 1}[mode]
    return lax.slice(full, (start,), (start + length,))


def convolve(a, v, mode: str = "full"):
    """The discrete linear convolution of the 1-d arrays ``a`` and ``v``, as ``np.convolve`` (modes
    ``"full"``, ``"same"``, ``"valid"``); differentiable in both.

    >>> import fnx.numpy as fnp
    >>> fnp.convolve(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]))
    Array([0. , 1. , 2.5, 4. , 1.5], dtype=float64)
    """
    a, v = _vectors("convolve", a, v)
    return _crop(_full_correlation(a, lax.rev(v, (0,))), a.shape[0], v.shape[0], mode, "convolve")


def correlate(a, v, mode: str = "valid"):
    """The cross-correlation ``c[k] = sum_n a[n + k] * v[n]`` of 1-d real arrays, as ``np.correlate``."""
    a, v = _vectors("correlate", a, v)
    n, m = a.shape[0], v.shape[0]
    if n >= m:
        return _crop(_full_correlation(a, v), n, m, mode, "correlate")
    # NumPy swaps the operands when v is longer, and reverses the result to keep the lag order
    return lax.rev(_crop(_full_correlation(v, a), m, n, mode, "correlate"), (0,))


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise linear interpolation of the points ``(xp, fp)`` (``xp`` increasing) at ``x``, as
    ``np.interp``: ``left``/``right`` (default ``fp[0]``/``fp[-1]``) outside ``[xp[0], xp[-1]]``; with
    ``period``, ``x`` and ``xp`` are angles (``xp`` need not be sorted). Differentiable in ``x`` and ``fp``.

    >>> import fnx.numpy as fnp
    >>> fnp.interp(fnp.array([0.5, 2.5, 9.0]), fnp.array([0.0, 1.0, 3.0]), fnp.array([0.0, 10.0, 30.0]))
    Array([ 5., 25., 30.], dtype=float64)
    """
    x, xp, fp = (astype_float(as_array(v, "interp")) for v in (x, xp, fp))
    if xp.ndim != 1 or fp.shape != xp.shape or xp.shape[0] == 0:
        raise FnxTypeError(f"interp: xp and fp must be 1-d of one non-zero length, got {xp.shape} and {fp.shape}")
    if period is not None:
        if left is not None or right is not None:
            raise FnxTypeError("interp: left and right cannot be given with period")
        x, xp, fp = _periodic(x, xp, fp, period)
    n = xp.shape[0]
    if n == 1:
        return where(less(x, xp[0]), fp[0] if left is None else left,
                     where(greater(x, xp[0]), fp[-1] if right is None else right, fp[0]))
    i = clip(searchsorted(xp, x, side="right") - 1, 0, n - 2)
    x0, x1, f0, f1 = take(xp, i), take(xp, i + 1), take(fp, i), take(fp, i + 1)
    inside = f0 + (x - x0) * ((f1 - f0) / (x1 - x0))
    out = where(less(x, xp[0]), fp[0] if left is None else left, inside)
    out = where(equal(x, xp[-1]), fp[-1], out)
    return where(greater(x, xp[-1]), fp[-1] if right is None else right, out)


def _periodic(x, xp, fp, period):
    """Angles reduced to [0, period), the points sorted and extended by one period on each side."""
    x, xp = remainder(x, period), remainder(xp, period)
    order = argsort(xp)
    xp, fp = take(xp, order), take(fp, order)
    xp = concatenate([xp[-1:] - period, xp, xp[:1] + period])
    fp = concatenate([fp[-1:], fp, fp[:1]])
    return x, xp, fp

