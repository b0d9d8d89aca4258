"""fnx.numpy.fft: frequency helpers (traced like any fnx function) and eager transforms of real input."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_frequency_helpers_match_numpy(n):
    np.testing.assert_allclose(fnp.fft.fftfreq(n, 0.25), np.fft.fftfreq(n, 0.25))
    np.testing.assert_allclose(fnp.fft.rfftfreq(n, 0.25), np.fft.rfftfreq(n, 0.25))
    x = np.arange(n * 3.0).reshape(3, n)
    for axes in (None, 0, (1,)):
        np.testing.assert_array_equal(fnp.fft.fftshift(x, axes), np.fft.fftshift(x, axes))
        np.testing.assert_array_equal(fnp.fft.ifftshift(x, axes), np.fft.ifftshift(x, axes))
    np.testing.assert_array_equal(fnx.jit(fnp.fft.fftshift)(x), np.fft.fftshift(x))


def test_transforms_of_real_input_are_numpy_s():
    x = np.random.default_rng(0).normal(size=(3, 10))
    for name in ("fft", "rfft"):
        np.testing.assert_allclose(getattr(fnp.fft, name)(fnp.asarray(x), axis=0), getattr(np.fft, name)(x, axis=0))
    spectrum = fnp.fft.rfft(x)
    np.testing.assert_allclose(fnp.fft.irfft(spectrum, n=10), x, atol=1e-14)
    np.testing.assert_allclose(fnp.fft.ifft(fnp.fft.fft(x)).real, x, atol=1e-14)
    np.testing.assert_allclose(np.fft.rfft(fnp.asarray(x)), np.fft.rfft(x))  # NumPy's own, through the protocol


def test_transforms_explain_what_is_missing():
    with pytest.raises(FnxTypeError, match="fft.rfft: fnx has no complex dtype yet"):
        fnx.jit(fnp.fft.rfft)(np.ones(4))
    with pytest.raises(FnxTypeError, match="fft.fft: fnx's transforms take real input"):
        fnp.fft.fft(np.ones(4) * 1j)
