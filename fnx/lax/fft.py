"""The ``fft`` primitive: discrete Fourier transforms along the last axis.

``fft_p`` has one param ``fft_type`` (``"fft"``, ``"ifft"``, ``"rfft"`` or ``"irfft"``, NumPy's four 1-d
transforms with its default normalization: none forward, 1/n inverse) and the transform length ``n``. The
operand's last axis already has the transform's input length: ``n`` for ``fft``, ``ifft`` and ``rfft``,
``n // 2 + 1`` for ``irfft`` (``fnx.numpy.fft`` pads or cuts it, and scales for ``norm``, with other
primitives, so the primitive stays a fixed linear map whose derivative rules are simple). The transforms are
linear, so the jvp transforms the tangent; the vjp is the transpose (``fnx.transforms.autodiff.rules_fft``).
"""
from __future__ import annotations

import numpy as np

from ..core import dtypes
from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.primitive import def_primitive
from ._rules import public_names

FFT_TYPES = ("fft", "ifft", "rfft", "irfft")


def input_length(fft_type: str, n: int) -> int:
    """The length of the operand's last axis for a transform of length ``n``."""
    return n // 2 + 1 if fft_type == "irfft" else n


def _fft_eval(x: ShapedArray, *, fft_type: str, n: int) -> ShapedArray:
    if fft_type not in FFT_TYPES:
        raise FnxTypeError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}")
    if n < 1 or x.ndim < 1 or x.shape[-1] != input_length(fft_type, n):
        raise FnxTypeError(f"fft: a {fft_type} of length {n} needs a last axis of {input_length(fft_type, n)} "
                           f"(n >= 1), got {x}")
    real_input = fft_type == "rfft"
    if x.dtype.kind != ("f" if real_input else "c"):
        raise FnxTypeError(f"fft: {fft_type} needs {'real float' if real_input else 'complex'} operands, got {x}")
    if fft_type == "rfft":
        return ShapedArray(x.shape[:-1] + (n // 2 + 1,), dtypes.to_complex(x.dtype))
    if fft_type == "irfft":
        return ShapedArray(x.shape[:-1] + (n,), dtypes.to_real(x.dtype))
    return x


def _fft_impl(x, *, fft_type: str, n: int):
    x = np.asarray(x)
    out = _fft_eval(ShapedArray(x.shape, x.dtype), fft_type=fft_type, n=n)
    return getattr(np.fft, fft_type)(x, n=n, axis=-1).astype(out.dtype, copy=False)


fft_p = def_primitive("fft", _fft_eval, _fft_impl)


def fft(x, fft_type: str, n: int | None = None):
    """NumPy's ``fft_type`` transform (``"fft"``, ``"ifft"``, ``"rfft"``, ``"irfft"``) of ``x`` along its last
    axis, of length ``n`` (default: the last axis', or ``2 * (m - 1)`` for an ``irfft`` of ``m`` entries).

    >>> import numpy as np
    >>> fft(np.array([1.0, 0.0, 0.0, 0.0]), "rfft")
    Array([1.+0.j, 1.+0.j, 1.+0.j], dtype=complex128)
    """
    m = x.shape[-1]
    n = n if n is not None else (2 * (m - 1) if fft_type == "irfft" else m)
    return fft_p.bind(x, fft_type=fft_type, n=int(n))


__all__ = public_names(globals(), frozenset({"input_length"}))
