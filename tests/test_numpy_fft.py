"""fnx.numpy.fft: frequency helpers (traced like any fnx function) and the Array API's eager transforms, against
NumPy's."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError, FnxValueError


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
    np.testing.assert_allclose(np.asarray(fnp.fft.ifft(fnp.fft.fft(x))).real, x, atol=1e-14)
    np.testing.assert_allclose(np.fft.rfft(fnp.asarray(x)), np.fft.rfft(x))  # NumPy's own, through the protocol


ONE_AXIS = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
SEVERAL_AXES = ["fftn", "ifftn", "rfftn", "irfftn"]


def _input(name: str, shape: tuple, dtype: str, seed: int) -> np.ndarray:
    """Real input for the transforms of real signals, complex (where fnx has it, else real) for the others."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(dtype)
    if name in ("rfft", "rfftn", "ihfft") or not any(d.kind == "c" for d in fnx.core.dtypes.SUPPORTED_DTYPES):
        return x
    return (x + 1j * rng.normal(size=shape)).astype(np.result_type(x, np.complex64))


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(ONE_AXIS + SEVERAL_AXES), shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       dtype=st.sampled_from(["float32", "float64"]), norm=st.sampled_from(["backward", "ortho", "forward"]),
       seed=st.integers(0, 2**16))
def test_transforms_match_numpy_in_precision_and_value(name, shape, dtype, norm, seed):
    shape[-1] += name in ("irfft", "hfft", "irfftn")  # their default output length, 2 (n - 1), must be positive
    x = _input(name, tuple(shape), dtype, seed)
    expected = getattr(np.fft, name)(x, norm=norm)
    out = getattr(fnp.fft, name)(fnp.asarray(x) if x.dtype.kind != "c" else x, norm=norm)
    assert np.asarray(out).dtype == expected.dtype  # float32 stays single precision (complex64)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-4 if dtype == "float32" else 1e-12, atol=1e-5)
    assert isinstance(out, fnx.Array) == (expected.dtype in fnx.core.dtypes.SUPPORTED_DTYPES)


def test_lengths_and_axes_are_numpy_s():
    x = np.random.default_rng(1).normal(size=(4, 6))
    np.testing.assert_allclose(fnp.fft.rfft(x, n=8, axis=0), np.fft.rfft(x, n=8, axis=0))
    np.testing.assert_allclose(fnp.fft.irfftn(fnp.fft.rfftn(x), s=x.shape, axes=(0, 1)), x, atol=1e-14)
    np.testing.assert_allclose(fnp.fft.fftn(x, s=(2, 3), axes=(1, 0)), np.fft.fftn(x, s=(2, 3), axes=(1, 0)))
    np.testing.assert_allclose(fnp.fft.hfft(fnp.fft.ihfft(x[0]), n=6), x[0], atol=1e-14)


def test_transforms_explain_what_is_missing():
    with pytest.raises(FnxTypeError, match="fft.rfft: Fourier transforms run eagerly with NumPy"):
        fnx.jit(fnp.fft.rfft)(np.ones(4))
    with pytest.raises(FnxTypeError, match="fft.fftn: needs numbers, got <U1"):
        fnp.fft.fftn(np.array(["a"]))
    with pytest.raises(FnxValueError, match="fft.irfft: Invalid number of FFT data points \\(0\\)"):
        fnp.fft.irfft(np.ones(1))
