"""Fast Fourier transforms compiled with Numba, for the ``fft`` primitive under jit (Numba does not compile
``np.fft``). A power-of-two length is an iterative radix-2 Cooley-Tukey FFT; any other length n goes through
Bluestein's algorithm, which writes the transform as a convolution with a chirp and computes that with
radix-2 FFTs of a power of two m >= 2n - 1 (Cooley and Tukey 1965; Bluestein 1970; Press et al., Numerical
Recipes, 3rd ed., 12.2 and 13.1). Every transform is computed in complex128 and rounded once to the
operand's precision; the results agree with NumPy's pocketfft to a few ulps times log n.
"""
from __future__ import annotations

import numba
import numpy as np

from . import disk_cache  # noqa: F401  (first: it keeps this module's Numba caches in fnx's cache folder)
from .options import NUMBA_OPTIONS


@numba.njit(**NUMBA_OPTIONS)
def _twiddles(m, sign):
    """exp(sign 2 pi i k / m) for k < m / 2."""
    angle = sign * 2.0 * np.pi * np.arange(m // 2) / m
    return np.cos(angle) + 1j * np.sin(angle)


@numba.njit(**NUMBA_OPTIONS)
def _radix2(a, twiddles):
    """In place, the unnormalized DFT of ``a`` (complex128, a power-of-two length m) with the ``twiddles`` of m
    (their sign is the transform's)."""
    m = a.shape[0]
    j = 0
    for i in range(1, m):  # bit-reversed order
        bit = m >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            a[i], a[j] = a[j], a[i]
    length = 2
    while length <= m:
        half, step = length // 2, m // length
        for start in range(0, m, length):
            for k in range(half):
                u, v = a[start + k], a[start + k + half] * twiddles[k * step]
                a[start + k] = u + v
                a[start + k + half] = u - v
        length *= 2


@numba.njit(**NUMBA_OPTIONS)
def _dft_rows(x, inverse):
    """The unnormalized DFT (exponent sign -1, +1 when ``inverse``) of each row of the complex128 (r, n) ``x``."""
    r, n = x.shape
    sign = 1.0 if inverse else -1.0
    out = np.empty((r, n), np.complex128)
    if n & (n - 1) == 0:
        twiddles = _twiddles(n, sign)
        for i in range(r):
            out[i] = x[i]
            _radix2(out[i], twiddles)
        return out
    m = 1
    while m < 2 * n - 1:
        m *= 2
    forward, backward = _twiddles(m, -1.0), _twiddles(m, 1.0)
    k = np.arange(n)
    angle = sign * np.pi * ((k * k) % (2 * n)) / n  # 2jk = j^2 + k^2 - (k - j)^2, reduced mod 2n for accuracy
    chirp = np.cos(angle) + 1j * np.sin(angle)
    kernel = np.zeros(m, np.complex128)
    kernel[0] = 1.0
    for j in range(1, n):
        kernel[j] = kernel[m - j] = np.conj(chirp[j])
    _radix2(kernel, forward)
    work = np.empty(m, np.complex128)
    for i in range(r):
        work[:] = 0
        work[:n] = x[i] * chirp
        _radix2(work, forward)
        work *= kernel
        _radix2(work, backward)
        out[i] = work[:n] * chirp / m
    return out


@numba.njit(**NUMBA_OPTIONS)
def fft_rows(x, inverse):
    """NumPy's ``fft`` of each row of the complex (r, n) ``x``, or its ``ifft`` (scaled by 1/n), in x's dtype."""
    out = _dft_rows(x.astype(np.complex128), inverse)
    if inverse:
        out /= x.shape[1]
    return out.astype(x.dtype)


@numba.njit(**NUMBA_OPTIONS)
def rfft_rows(x, n, dtype):
    """NumPy's ``rfft`` of each row of the real (r, n) ``x``: the first n // 2 + 1 entries, as ``dtype``."""
    return _dft_rows(x.astype(np.complex128), False)[:, :n // 2 + 1].astype(dtype)


@numba.njit(**NUMBA_OPTIONS)
def irfft_rows(x, n, dtype):
    """NumPy's ``irfft`` of each row of the complex (r, n // 2 + 1) ``x``: the real signal of length n whose
    spectrum's first half it is (the imaginary parts of its zero and Nyquist entries ignored), as ``dtype``."""
    full = np.empty((x.shape[0], n), np.complex128)
    full[:, :x.shape[1]] = x
    for k in range(1, (n + 1) // 2):
        full[:, n - k] = np.conj(x[:, k])
    return (_dft_rows(full, True).real / n).astype(dtype)
