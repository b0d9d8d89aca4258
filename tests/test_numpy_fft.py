"""fnx.numpy.fft: frequency helpers and the transforms (the ``fft`` primitive) against NumPy, eagerly and
under jit, in both precisions; derivatives against JAX's; vmap."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_frequency_helpers_match_numpy(n):
    np.testing.assert_allclose(fnp.fft.fftfreq(n, 0.25), np.fft.fftfreq(n, 0.25))
    np.testing.assert_allclose(fnp.fft.rfftfreq(n, 0.25), np.fft.rfftfreq(n, 0.25))
    for frequencies in (fnp.fft.fftfreq, fnp.fft.rfftfreq):  # the Array API's keywords
        got = frequencies(n, d=2.0, dtype=np.float32, device="cpu")
        assert got.dtype == np.float32 and got.device == fnp.fft.fftfreq(1).device
        np.testing.assert_allclose(got, getattr(np.fft, frequencies.__name__)(n, 2.0), rtol=1e-6)
    x = np.arange(n * 3.0).reshape(3, n)
    for axes in (None, 0, (1,)):
        np.testing.assert_array_equal(fnp.fft.fftshift(x, axes), np.fft.fftshift(x, axes))
        np.testing.assert_array_equal(fnp.fft.ifftshift(x, axes), np.fft.ifftshift(x, axes))
    np.testing.assert_array_equal(fnx.jit(fnp.fft.fftshift)(x), np.fft.fftshift(x))


def _reference(name, a, n, axis, norm):
    return getattr(np.fft, name)(a, n=n, axis=axis, norm=norm)


def _check(got, want, dtype):
    tol = 2e-5 if dtype in (np.float32, np.complex64) else 1e-12
    want = np.asarray(want)
    assert got.dtype == (want.astype(np.complex64) if dtype in (np.float32, np.complex64) and want.dtype.kind == "c"
                         else want.astype(np.float32) if dtype in (np.float32, np.complex64) else want).dtype
    np.testing.assert_allclose(np.asarray(got), want, rtol=tol, atol=tol * max(1.0, np.abs(want).max(initial=0)))


@settings(max_examples=25, deadline=None)
@given(data=st.data(), name=st.sampled_from(["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]),
       dtype=st.sampled_from([np.float32, np.float64, np.complex64, np.complex128]),
       shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9),
       norm=st.sampled_from([None, "ortho", "forward"]))
def test_transforms_eagerly_as_numpy(data, name, dtype, shape, norm):
    if name in ("rfft", "ihfft") and np.dtype(dtype).kind == "c":
        dtype = np.float64 if dtype == np.complex128 else np.float32
    a = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-4, 4, width=32)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = data.draw(st.sampled_from([None, 1, 3, 8, 11]))
    if name in ("irfft", "hfft") and n is None and shape[axis] == 1:
        n = 2  # NumPy's default 2 (m - 1) is 0 for m = 1: an error
    _check(getattr(fnp.fft, name)(a, n, axis, norm), _reference(name, a, n, axis, norm), dtype)


_jitted = {name: fnx.jit(lambda a, name=name: (getattr(fnp.fft, name)(a), getattr(fnp.fft, name)(a, 12, 0, "ortho")))
           for name in ("fft", "ifft", "rfft", "irfft")}


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft"])
@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_compiled_transforms_as_numpy(name, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7)) + (1j * rng.standard_normal((5, 7)) if name != "rfft" else 0)
    a = a.astype(dtype if name != "rfft" else np.float32 if dtype == np.float32 else np.float64)
    full, padded = _jitted[name](a)
    _check(full, _reference(name, a, None, -1, None), a.dtype)
    _check(padded, _reference(name, a, 12, 0, "ortho"), a.dtype)


def test_n_dimensional_transforms_and_round_trips():
    x = np.random.default_rng(1).standard_normal((4, 6, 5))
    np.testing.assert_allclose(fnp.fft.fftn(x), np.fft.fftn(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fnp.fft.ifft2(x, s=(3, 8)), np.fft.ifft2(x, s=(3, 8)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fnp.fft.fftn(x, axes=(0, 2), norm="ortho"), np.fft.fftn(x, axes=(0, 2), norm="ortho"),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fnp.fft.irfft(fnp.fft.rfft(x), n=5), x, atol=1e-14)
    np.testing.assert_allclose(fnp.fft.ifft(fnp.fft.fft(x)).real, x, atol=1e-14)
    np.testing.assert_allclose(np.fft.rfft(fnp.asarray(x)), np.fft.rfft(x))  # NumPy's own, through the protocol


_N_DIMENSIONAL = [("rfftn", {}), ("rfftn", {"s": (3, 8), "axes": (1, 2)}), ("rfftn", {"axes": (0, 2), "norm": "ortho"}),
                  ("irfftn", {}), ("irfftn", {"s": (4, 7), "axes": (2, 1)}),
                  ("irfftn", {"axes": (0,), "norm": "forward"}), ("rfft2", {}), ("irfft2", {"s": (5, 6)})]
_jit_n_dimensional = fnx.jit(lambda x, z: [getattr(fnp.fft, name)(z if name.startswith("i") else x, **kw)
                                           for name, kw in _N_DIMENSIONAL])


def test_real_n_dimensional_transforms_as_numpy():
    rng = np.random.default_rng(4)
    x, z = rng.standard_normal((4, 6, 5)), rng.standard_normal((4, 6, 5)) + 1j * rng.standard_normal((4, 6, 5))
    for (name, kw), compiled in zip(_N_DIMENSIONAL, _jit_n_dimensional(x, z)):
        operand = z if name.startswith("i") else x
        want = getattr(np.fft, name)(operand, **kw)
        np.testing.assert_allclose(getattr(fnp.fft, name)(operand, **kw), want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(compiled, want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fnp.fft.irfftn(fnp.fft.rfftn(x), s=x.shape), x, atol=1e-14)
    np.testing.assert_allclose(fnp.fft.ihfft(fnp.fft.hfft(z[0, 0], 8)), np.fft.ihfft(np.fft.hfft(z[0, 0], 8)),
                               atol=1e-14)


def test_large_and_odd_lengths_under_jit():
    rng = np.random.default_rng(2)
    for n in (1000, 1024, 997):  # Bluestein, radix-2, a prime
        x = rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n))
        np.testing.assert_allclose(fnx.jit(fnp.fft.fft)(x), np.fft.fft(x), rtol=1e-10, atol=1e-10)


_ONE_D = {name: {"n": 7, "axis": 0, "norm": "ortho"} for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")}
_REAL_INPUT = ("rfft", "ihfft", "rfftn")


@pytest.mark.parametrize("name, kw", list(_ONE_D.items()) + [("rfftn", {"s": (5, 4), "norm": "forward"}),
                                                            ("irfftn", {"s": (2, 9), "axes": (1, 0)})])
def test_derivatives_and_vmap_are_jax_s(name, kw):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(3)
    real = name in _REAL_INPUT
    a = rng.standard_normal((3, 6)) + (1j * rng.standard_normal((3, 6)) if not real else 0)

    def loss(np_, a):
        y = getattr(np_.fft, name)(a, **kw) * 1.5
        return np_.sum(np_.abs(y) ** 2 + np_.real(y) ** 3)
    want = np.asarray(jax.grad(lambda a: loss(jax.numpy, a))(a))
    np.testing.assert_allclose(fnx.grad(lambda a: loss(fnp, a))(a), want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fnx.jit(fnx.grad(lambda a: loss(fnp, a)))(a), want, rtol=1e-10, atol=1e-10)
    t = rng.standard_normal(a.shape) + (1j * rng.standard_normal(a.shape) if not real else 0)
    axis = {"axis": 0} if name in _ONE_D else {"axes": (0,)}
    f = lambda np_, a: getattr(np_.fft, name)(a, **axis)  # noqa: E731
    np.testing.assert_allclose(fnx.jvp(lambda a: f(fnp, a), (a,), (t,))[1],
                               np.asarray(jax.jvp(lambda a: f(jax.numpy, a), (a,), (t,))[1]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fnx.vmap(lambda a: f(fnp, a), in_axes=1, out_axes=1)(a), f(np, a), rtol=1e-12,
                               atol=1e-12)


def test_bad_input_is_a_clear_error():
    with pytest.raises(FnxTypeError, match="fft.rfft: needs real input"):
        fnp.fft.rfft(np.ones(4) * 1j)
    with pytest.raises(FnxTypeError, match="fft.ihfft: needs real input"):
        fnp.fft.ihfft(np.ones(4) * 1j)
    with pytest.raises(FnxTypeError, match="fft.hfft: norm"):
        fnp.fft.hfft(np.ones(4), norm="both")
    with pytest.raises(FnxTypeError, match="fft.fft: invalid number of points 0"):
        fnx.jit(lambda a: fnp.fft.fft(a, 0))(np.ones(4))
    with pytest.raises(FnxTypeError, match="fft.ifft: norm"):
        fnp.fft.ifft(np.ones(4), norm="both")
    with pytest.raises(FnxTypeError, match=r"fft: a irfft of length 8 needs a last axis of 5"):
        fnx.lax.fft(np.ones(4, np.complex128), "irfft", 8)
