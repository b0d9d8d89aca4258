"""``fnx.numpy.fft``: discrete Fourier transforms, the Array API's ``fft`` extension (2023.12).

The frequency helpers (``fftfreq``, ``rfftfreq``, ``fftshift``, ``ifftshift``) are ordinary fnx functions:
eager, traced, jitted. The transforms (``fft``, ``ifft``, ``fftn``, ``ifftn``, ``rfft``, ``irfft``, ``rfftn``,
``irfftn``, ``hfft``, ``ihfft``) compute eagerly with NumPy's pocketfft on concrete input, keeping its
precision (float32 gives complex64), and return fnx Arrays, or NumPy arrays for dtypes fnx does not hold
(complex, where fnx has no complex dtypes); under ``jit``, ``grad`` or ``vmap`` they raise an error that says
so. ``norm`` is ``"backward"`` (no scaling forward, ``1/n`` back), ``"ortho"`` or ``"forward"``.

>>> import fnx.numpy as fnp
>>> fnp.fft.rfftfreq(8, d=0.5)
Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float64)
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..core import dtypes
from ..core.array import Array
from ..core.errors import FnxTypeError, FnxValueError
from ..core.tracing import Tracer
from ._creation import arange, asarray, to_device
from ._elementwise import where
from ._shape import roll

__all__ = ["fft", "fftfreq", "fftn", "fftshift", "hfft", "ifft", "ifftn", "ifftshift", "ihfft", "irfft", "irfftn",
           "rfft", "rfftfreq", "rfftn"]


def _concrete(x, op: str) -> np.ndarray:
    if isinstance(x, Tracer):
        raise FnxTypeError(f"fft.{op}: Fourier transforms run eagerly with NumPy, on concrete values only (not "
                           "under jit, grad or vmap)")
    value = np.asarray(x)
    if value.dtype.kind not in "biufc":
        raise FnxTypeError(f"fft.{op}: needs numbers, got {value.dtype}")
    return value


def _numpy(name: str, numpy_f: Callable, a, *args):
    """``numpy_f(a, *args)`` as an fnx Array, or as NumPy's array where fnx has no such dtype; NumPy's
    complaints about the arguments as errors naming ``fft.<name>``."""
    try:
        value = numpy_f(_concrete(a, name), *args)
    except (ValueError, TypeError) as e:
        raise FnxValueError(f"fft.{name}: {e} (input of shape {np.shape(a)}, arguments {args})") from None
    try:
        dtypes.canonicalize(value.dtype)
    except FnxTypeError:
        return value
    return Array._wrap(value)


def _one_axis(name: str, what: str) -> Callable:
    numpy_f = getattr(np.fft, name)

    def transform(a, n: int | None = None, axis: int = -1, norm: str = "backward"):
        return _numpy(name, numpy_f, a, n, axis, norm)
    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = f"{what} along ``axis`` (``n`` points: cropped or zero-padded), as ``numpy.fft.{name}``."
    return transform


def _several_axes(name: str, what: str) -> Callable:
    numpy_f = getattr(np.fft, name)

    def transform(a, s=None, axes=None, norm: str = "backward"):
        return _numpy(name, numpy_f, a, s, axes, norm)
    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = (f"{what} over ``axes`` (default all; ``s`` points along each), as "
                         f"``numpy.fft.{name}``.")
    return transform


fft = _one_axis("fft", "The discrete Fourier transform")
ifft = _one_axis("ifft", "The inverse of ``fft``")
rfft = _one_axis("rfft", "The non-negative-frequency half of ``fft`` of real input")
irfft = _one_axis("irfft", "The real signal whose ``rfft`` is the input (``n``: its length)")
hfft = _one_axis("hfft", "The real spectrum of a signal with Hermitian symmetry, given by its first half")
ihfft = _one_axis("ihfft", "The inverse of ``hfft``: half of the Hermitian ``ifft`` of real input")
fftn = _several_axes("fftn", "The n-d discrete Fourier transform")
ifftn = _several_axes("ifftn", "The inverse of ``fftn``")
rfftn = _several_axes("rfftn", "``fftn`` of real input, the last axis halved as in ``rfft``")
irfftn = _several_axes("irfftn", "The inverse of ``rfftn``")


def fftfreq(n: int, d: float = 1.0, dtype=None, *, device=None):
    """The sample frequencies of an ``n``-point ``fft`` with sample spacing ``d``: ``[0, 1, ..., -1] / (d n)``."""
    k = arange(n, dtype=dtype or float)
    return to_device(where(k < (n + 1) // 2, k, k - n) / (d * n), device)


def rfftfreq(n: int, d: float = 1.0, dtype=None, *, device=None):
    """The sample frequencies of an ``n``-point ``rfft``: ``[0, 1, ..., n // 2] / (d n)``."""
    return to_device(arange(n // 2 + 1, dtype=dtype or float) / (d * n), device)


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
