"""Derivative rules of the ``fft`` primitive (fnx/lax/fft.py): each transform is linear, so its jvp transforms
the tangent, and its vjp is its transpose in JAX's convention (no conjugation of the map; docs/complex.md):

* ``fft`` and ``ifft`` are symmetric matrices: their own transposes;
* ``rfft`` is the first n // 2 + 1 rows of ``fft`` applied to a real signal: the transpose pads the cotangent
  with zeros to n, applies ``fft`` and keeps the real part (the cotangent of a real operand);
* ``irfft`` sums each spectrum entry once (the ends) or twice (the others, their mirror images), over n: the
  transpose is ``conj(rfft(ct) * weights / n)`` (as JAX's ``_irfft_transpose``).
"""
from __future__ import annotations

import numpy as np

from ... import lax
from ...core.primitive import bind1
from ...lax.fft import fft_p
from .engine import def_operand_vjp, jvp_rules, linear_jvp


def _irfft_weights(n: int, dtype) -> np.ndarray:
    """1 for the zero frequency (and the Nyquist one, n even), 2 for the others, over n."""
    weights = np.full(n // 2 + 1, 2.0 / n)
    weights[0] = 1.0 / n
    if n % 2 == 0:
        weights[-1] = 1.0 / n
    return weights.astype(dtype)


def _fft_vjp(i, ct, primals, out, *, fft_type, n):
    if fft_type in ("fft", "ifft"):
        return bind1(fft_p, (ct,), {"fft_type": fft_type, "n": n})
    if fft_type == "rfft":
        padded = lax.pad(ct, 0j, [(0, 0, 0)] * (ct.ndim - 1) + [(0, n - ct.shape[-1], 0)])
        return lax.real(bind1(fft_p, (padded,), {"fft_type": "fft", "n": n}))
    spectrum = bind1(fft_p, (ct,), {"fft_type": "rfft", "n": n})
    return lax.conj(spectrum * _irfft_weights(n, spectrum.dtype))


jvp_rules[fft_p] = linear_jvp(fft_p)
def_operand_vjp(fft_p, _fft_vjp)
