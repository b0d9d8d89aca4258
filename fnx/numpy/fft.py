"""``fnx.numpy.fft``: discrete Fourier transforms as NumPy's, eager, traced, jitted and differentiable.

The transforms are the ``fft`` primitive (``fnx.lax.fft``) along one axis at a time: the axis is moved last,
padded with zeros or cut to the transform length ``n``, transformed, scaled for ``norm`` and moved back.
Integer and bool input computes in the default float (complex); ``rfft`` takes real input only (NumPy would
drop the imaginary part with a warning). Under jit the transforms are compiled FFTs (radix-2, or Bluestein's
algorithm for other lengths: ``fnx.lower.cpu.kernels_fft``); their derivatives follow JAX's convention for
complex numbers (docs/complex.md).

>>> import fnx.numpy as fnp
>>> fnp.fft.rfft(fnp.array([1.0, 2.0, 1.0, 0.0]))
Array([4.+0.j, 0.-2.j, 0.+0.j], dtype=complex128)
>>> fnp.fft.rfftfreq(8, d=0.5)
Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float64)
"""
from __future__ import annotations

import math

from .. import lax
from ..core import dtypes
from ..core.errors import FnxTypeError
from ..lax.fft import input_length
from ._creation import arange, asarray, to_device
from ._elementwise import conj, where
from ._shape import moveaxis, roll
from ._util import as_array, cast, normalize_axis

__all__ = ["fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "ifft", "ifft2", "ifftn", "ifftshift", "ihfft",
           "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn"]

_NORMS = (None, "backward", "ortho", "forward")


def _scale(fft_type: str, n: int, norm: str | None) -> float:
    """The factor that turns the primitive's transform (NumPy's "backward" norm) into ``norm``'s."""
    if norm not in _NORMS:
        raise FnxTypeError(f"fft.{fft_type}: norm must be one of {_NORMS}, got {norm!r}")
    inverse = fft_type in ("ifft", "irfft")
    if norm == "ortho":
        return math.sqrt(n) if inverse else 1 / math.sqrt(n)
    return (n if inverse else 1 / n) if norm == "forward" else 1.0


def _operand(a, fft_type: str, name: str | None = None):
    """``a`` as an array of the dtype the transform takes: complex, or real for ``rfft``; errors name the
    user's function ``name`` (default ``fft_type``)."""
    name = name or fft_type
    a = as_array(a, f"fft.{name}")
    if fft_type != "rfft":
        return cast(a, dtypes.to_complex(a.dtype))
    if a.dtype.kind == "c":
        raise FnxTypeError(f"fft.{name}: needs real input, got {a.dtype} (take the real part, or use fft)")
    return cast(a, dtypes.to_inexact(a.dtype))


def _transform(fft_type: str, a, n: int | None, axis: int, norm: str | None):
    """NumPy's ``np.fft.<fft_type>(a, n, axis, norm)``."""
    a = _operand(a, fft_type)
    if a.ndim == 0:
        raise FnxTypeError(f"fft.{fft_type}: needs an array of at least one dimension, got a scalar")
    axis = normalize_axis(f"fft.{fft_type}", axis, a.ndim)
    x = moveaxis(a, axis, -1)
    m = x.shape[-1]
    n = int(n) if n is not None else (2 * (m - 1) if fft_type == "irfft" else m)
    if n < 1:
        raise FnxTypeError(f"fft.{fft_type}: invalid number of points {n} (the axis {axis} of {tuple(a.shape)})")
    grow = input_length(fft_type, n) - m
    if grow:  # zeros appended, or the end cut off (negative padding)
        x = lax.pad(x, x.dtype.type(0), [(0, 0, 0)] * (x.ndim - 1) + [(0, grow, 0)])
    out = lax.fft(x, fft_type, n)
    scale = _scale(fft_type, n, norm)
    return moveaxis(out if scale == 1.0 else out * scale, -1, axis)


def fft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The 1-d discrete Fourier transform of ``a`` along ``axis``, of length ``n`` (NumPy's ``fft``)."""
    return _transform("fft", a, n, axis, norm)


def ifft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The inverse of ``fft`` (NumPy's ``ifft``)."""
    return _transform("ifft", a, n, axis, norm)


def rfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The non-negative-frequency half of ``fft`` of real ``a``: n // 2 + 1 entries (NumPy's ``rfft``)."""
    return _transform("rfft", a, n, axis, norm)


def irfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The real signal of length ``n`` (default 2 (m - 1)) whose ``rfft`` is ``a`` (NumPy's ``irfft``)."""
    return _transform("irfft", a, n, axis, norm)


_SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def hfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The real spectrum (length ``n``, default 2 (m - 1)) of a signal with Hermitian symmetry whose first half
    is ``a`` (NumPy's ``hfft``): ``irfft`` of ``conj(a)`` with the opposite normalization.

    >>> import fnx.numpy as fnp
    >>> fnp.fft.hfft(fnp.array([1.0, 2.0, 3.0]))
    Array([ 8., -2.,  0., -2.], dtype=float64)
    """
    if norm not in _NORMS:
        raise FnxTypeError(f"fft.hfft: norm must be one of {_NORMS}, got {norm!r}")
    return _transform("irfft", conj(_operand(a, "hfft")), n, axis, _SWAPPED[norm])


def ihfft(a, n: int | None = None, axis: int = -1, norm: str | None = None):
    """The inverse of ``hfft``: the first ``n // 2 + 1`` entries of the inverse transform of real ``a``
    (NumPy's ``ihfft``).

    >>> import fnx.numpy as fnp
    >>> fnp.fft.ihfft(fnp.array([8.0, -2.0, 0.0, -2.0]))
    Array([1.-0.j, 2.-0.j, 3.-0.j], dtype=complex128)
    """
    if norm not in _NORMS:
        raise FnxTypeError(f"fft.ihfft: norm must be one of {_NORMS}, got {norm!r}")
    return conj(_transform("rfft", _operand(a, "rfft", "ihfft"), n, axis, _SWAPPED[norm]))


def _nd_axes(name: str, a, s, axes) -> tuple[tuple, list]:
    """The axes and sizes of an n-d transform (NumPy's rules: all axes, or the last ``len(s)``, by default)."""
    axes = tuple(range(a.ndim)) if axes is None and s is None else \
        tuple(range(a.ndim - len(s), a.ndim)) if axes is None else tuple(axes)
    sizes = [None] * len(axes) if s is None else list(s)
    if len(sizes) != len(axes):
        raise FnxTypeError(f"fft.{name}: s {s} and axes {axes} have different lengths")
    if not axes:
        raise FnxTypeError(f"fft.{name}: needs at least one axis, got axes {axes}")
    return axes, sizes


def _nd(fft_type: str, a, s, axes, norm):
    a = as_array(a, f"fft.{fft_type}n")
    axes, sizes = _nd_axes(f"{fft_type}n", a, s, axes)
    for axis, n in zip(axes[::-1], sizes[::-1]):
        a = _transform(fft_type, a, n, axis, norm)
    return a


def fftn(a, s=None, axes=None, norm: str | None = None):
    """The n-d discrete Fourier transform over ``axes`` (all by default), of sizes ``s`` (NumPy's ``fftn``)."""
    return _nd("fft", a, s, axes, norm)


def ifftn(a, s=None, axes=None, norm: str | None = None):
    """The inverse of ``fftn`` (NumPy's ``ifftn``)."""
    return _nd("ifft", a, s, axes, norm)


def fft2(a, s=None, axes=(-2, -1), norm: str | None = None):
    """The 2-d discrete Fourier transform over the last two axes (NumPy's ``fft2``)."""
    return _nd("fft", a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm: str | None = None):
    """The inverse of ``fft2`` (NumPy's ``ifft2``)."""
    return _nd("ifft", a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm: str | None = None):
    """The n-d transform of real ``a`` (NumPy's ``rfftn``): ``rfft`` over the last of ``axes``, then ``fft``
    over the others.

    >>> import fnx.numpy as fnp
    >>> fnp.fft.rfftn(fnp.ones((2, 4))).shape
    (2, 3)
    """
    a = as_array(a, "fft.rfftn")
    axes, sizes = _nd_axes("rfftn", a, s, axes)
    return _nd("fft", _transform("rfft", a, sizes[-1], axes[-1], norm), sizes[:-1], axes[:-1], norm) \
        if len(axes) > 1 else _transform("rfft", a, sizes[-1], axes[-1], norm)


def irfftn(a, s=None, axes=None, norm: str | None = None):
    """The inverse of ``rfftn`` (NumPy's ``irfftn``): ``ifft`` over all of ``axes`` but the last, then ``irfft``
    over the last (of length ``s[-1]``, default 2 (m - 1)).

    >>> import fnx.numpy as fnp
    >>> fnp.fft.irfftn(fnp.fft.rfftn(fnp.ones((2, 4)))).shape
    (2, 4)
    """
    a = as_array(a, "fft.irfftn")
    axes, sizes = _nd_axes("irfftn", a, s, axes)
    if len(axes) > 1:
        a = _nd("ifft", a, sizes[:-1], axes[:-1], norm)
    return _transform("irfft", a, sizes[-1], axes[-1], norm)


def rfft2(a, s=None, axes=(-2, -1), norm: str | None = None):
    """``rfftn`` over the last two axes (NumPy's ``rfft2``)."""
    return rfftn(a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm: str | None = None):
    """``irfftn`` over the last two axes (NumPy's ``irfft2``)."""
    return irfftn(a, s, axes, norm)


def fftfreq(n: int, d: float = 1.0, *, dtype=None, device=None):
    """The sample frequencies of an ``n``-point ``fft`` with sample spacing ``d``: ``[0, 1, ..., -1] / (d n)``;
    ``device`` places them (the Array API's signature)."""
    k = arange(n, dtype=dtype or float)
    return to_device(where(k < (n + 1) // 2, k, k - n) / (d * n), device)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, device=None):
    """The sample frequencies of an ``n``-point ``rfft``: ``[0, 1, ..., n // 2] / (d n)``; ``device`` places
    them."""
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
