"""``fnx.numpy.fft``: discrete Fourier transforms, a basic set while fnx has no complex dtype.

The frequency helpers (``fftfreq``, ``rfftfreq``, ``fftshift``, ``ifftshift``) are ordinary fnx functions:
eager, traced, jitted. The transforms themselves produce or take complex numbers, which fnx arrays cannot hold
yet: ``fft``, ``ifft``, ``rfft`` and ``irfft`` compute eagerly with NumPy on concrete real (or, for the
inverses, complex NumPy) input and return NumPy arrays (complex spectra; ``irfft`` a real fnx array); under
``jit``, ``grad`` or ``vmap`` they raise an error that says so.

>>> import fnx.numpy as fnp
>>> fnp.fft.rfftfreq(8, d=0.5)
Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float64)
"""
from __future__ import annotations

import numpy as np

from ..core.errors import FnxTypeError
from ..core.tracing import Tracer
from ._creation import arange, asarray
from ._elementwise import where
from ._shape import roll

__all__ = ["fft", "fftfreq", "fftshift", "ifft", "ifftshift", "irfft", "rfft", "rfftfreq"]


def _concrete(x, op: str) -> np.ndarray:
    if isinstance(x, Tracer):
        raise FnxTypeError(f"fft.{op}: fnx has no complex dtype yet, so Fourier transforms run eagerly on "
                           "concrete values only (not under jit, grad or vmap)")
    value = np.asarray(x)
    if value.dtype.kind not in "biufc":
        raise FnxTypeError(f"fft.{op}: needs numbers, got {value.dtype}")
    return value


def _real_input(x, op: str) -> np.ndarray:
    value = _concrete(x, op)
    if value.dtype.kind == "c":
        raise FnxTypeError(f"fft.{op}: fnx's transforms take real input (fnx has no complex dtype yet)")
    return value


def fft(a, n: int | None = None, axis: int = -1, norm: str | None = None) -> np.ndarray:
    """The 1-d discrete Fourier transform of real ``a`` along ``axis`` (a NumPy complex array; eager only)."""
    return np.fft.fft(_real_input(a, "fft"), n, axis, norm)


def ifft(a, n: int | None = None, axis: int = -1, norm: str | None = None) -> np.ndarray:
    """The inverse of ``fft`` (a NumPy complex array; eager only)."""
    return np.fft.ifft(_concrete(a, "ifft"), n, axis, norm)


def rfft(a, n: int | None = None, axis: int = -1, norm: str | None = None) -> np.ndarray:
    """The non-negative-frequency half of ``fft`` of real ``a`` (a NumPy complex array; eager only)."""
    return np.fft.rfft(_real_input(a, "rfft"), n, axis, norm)


def irfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The real signal whose ``rfft`` is ``a`` (an fnx array; eager only)."""
    return asarray(np.fft.irfft(_concrete(a, "irfft"), n, axis, norm))


def fftfreq(n: int, d: float = 1.0, dtype=None):
    """The sample frequencies of an ``n``-point ``fft`` with sample spacing ``d``: ``[0, 1, ..., -1] / (d n)``."""
    k = arange(n, dtype=dtype or float)
    return where(k < (n + 1) // 2, k, k - n) / (d * n)


def rfftfreq(n: int, d: float = 1.0, dtype=None):
    """The sample frequencies of an ``n``-point ``rfft``: ``[0, 1, ..., n // 2] / (d n)``."""
    return arange(n // 2 + 1, dtype=dtype or float) / (d * n)


def fftshift(x, axes=None):
    """``x`` with the zero frequency moved to the centre (each of ``axes``, default all)."""
    x = asarray(x)
    axes = tuple(range(x.ndim)) if axes is None else (axes,) if isinstance(axes, int) else tuple(axes)
    return roll(x, [x.shape[a] // 2 for a in axes], axes)


def ifftshift(x, axes=None):
    """The inverse of ``fftshift``."""
    x = asarray(x)
    axes = tuple(range(x.ndim)) if axes is None else (axes,) if isinstance(axes, int) else tuple(axes)
    return roll(x, [-(x.shape[a] // 2) for a in axes], axes)
