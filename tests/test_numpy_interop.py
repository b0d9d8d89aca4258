"""NumPy's own functions on fnx arrays (``__array_function__``/``__array_ufunc__``), callable dtype names, and
the functions JAX and NumPy users reach for: allclose, array_equal, array_equiv, isscalar, convolve,
correlate, interp; each against NumPy, eager, traced and differentiated."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from tests.gradcheck import check_grads
from tests.helpers import check_against_numpy

X = np.arange(12.0).reshape(3, 4) - 5.5

REDUCTIONS = [np.sum, np.mean, np.max, np.min, np.prod, np.std, np.var, np.argmax, np.argmin, np.cumsum, np.all,
              np.any, np.median]


@pytest.mark.parametrize("f", REDUCTIONS, ids=lambda f: f.__name__)
def test_numpy_functions_on_fnx_arrays_give_fnx_arrays(f):
    for kwargs in ({}, {"axis": 0}, {"axis": 1}):
        out = f(fnp.asarray(X), **kwargs)
        assert isinstance(out, fnx.Array)
        np.testing.assert_allclose(out, f(X, **kwargs), rtol=1e-13)


def test_numpy_functions_and_ufuncs_work_under_transforms():
    np.testing.assert_allclose(fnx.grad(lambda x: np.sum(np.sin(x) * x))(X), np.sin(X) + X * np.cos(X), rtol=1e-13)
    np.testing.assert_allclose(fnx.jit(lambda x: np.mean(np.exp(x), axis=0))(X), np.exp(X).mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(fnx.vmap(lambda row: np.max(row))(X), X.max(axis=1))
    np.testing.assert_allclose(np.linalg.norm(fnp.asarray(X)), np.linalg.norm(X), rtol=1e-13)


def test_ufuncs_and_mixed_operands():
    a = fnp.asarray(X)
    for out in (np.sin(a), np.add(X, a), X + a, np.maximum(a, 0.0), np.add.reduce(a), np.multiply.reduce(a, axis=1)):
        assert isinstance(out, fnx.Array)
    np.testing.assert_allclose(X * a, X * X)
    np.testing.assert_allclose(np.add.reduce(a), X.sum(axis=0))
    with pytest.raises(FnxTypeError, match="out=.*immutable"):
        np.sum(a, out=np.zeros(()))


def test_numpy_functions_without_fnx_counterpart():
    a = fnp.asarray(X)
    assert isinstance(np.add.accumulate(a), np.ndarray)  # concrete: NumPy computes it
    np.testing.assert_array_equal(np.add.accumulate(a), np.add.accumulate(X))
    with pytest.raises(FnxTypeError, match="numpy.add.accumulate.*traced"):
        fnx.jit(lambda x: np.add.accumulate(x))(X)


def test_dtype_names_are_callable_and_still_dtypes():
    assert fnp.int32(3).dtype == np.int32 and int(fnp.int32(3.7)) == 3
    x = fnp.float32(np.arange(3))
    assert isinstance(x, fnx.Array) and x.dtype == fnp.float32 and x.dtype == np.float32
    assert np.dtype(fnp.uint8) == np.uint8 and fnp.zeros(2, fnp.int16).dtype == np.int16
    assert fnp.float64 == "float64" and fnp.float64.itemsize == 8 and {np.dtype("int64"): 1}[fnp.int64] == 1
    assert fnp.issubdtype(fnp.int8, fnp.integer) and fnp.bool_(1).dtype == bool
    assert fnx.jit(lambda v: fnp.float32(v) * 2)(np.arange(3)).dtype == np.float32
    assert isinstance(fnp.float32(1.0), fnp.float32) and not isinstance(fnp.ones(2, fnp.float32), fnp.float32)


def test_allclose_array_equal_array_equiv_isscalar():
    a = np.array([1.0, np.nan, 3.0])
    for args, kw in (((a, a + 1e-9), {}), ((a, a), {"equal_nan": True}), ((a, a), {}), ((a, a + 1), {})):
        assert bool(fnp.allclose(*args, **kw)) == np.allclose(*args, **kw)
    for b, kw in ((a, {}), (a, {"equal_nan": True}), (a[:2], {}), (np.array([1.0, np.nan, 4.0]), {"equal_nan": True})):
        assert bool(fnp.array_equal(a, b, **kw)) == np.array_equal(a, b, **kw)
    assert bool(fnp.array_equiv([1, 2], [[1, 2], [1, 2]])) and not bool(fnp.array_equiv([1, 2], [1, 2, 3]))
    assert fnx.jit(lambda x, y: fnp.allclose(x, y))(a[::2], a[::2]).dtype == bool
    assert fnp.isscalar(1) and fnp.isscalar(np.float32(1)) and fnp.isscalar(fnp.asarray(2.0))
    assert not fnp.isscalar([1.0]) and not fnp.isscalar(fnp.ones(1)) and not fnp.isscalar("ab"[0:0] or None)


@given(st.integers(1, 7), st.integers(1, 7), st.sampled_from(["full", "same", "valid"]),
       st.sampled_from(["float64", "float32", "int64"]))
@settings(max_examples=40, deadline=None)
def test_convolve_and_correlate_match_numpy(n, m, mode, dtype):
    rng = np.random.default_rng(n * 10 + m)
    a, v = (rng.integers(-5, 5, size=k).astype(dtype) for k in (n, m))
    for f, g in ((fnp.convolve, np.convolve), (fnp.correlate, np.correlate)):
        check_against_numpy(lambda a, v: f(a, v, mode), lambda a, v: g(a, v, mode), a, v, rtol=1e-6)


def test_convolve_derivatives_and_errors():
    rng = np.random.default_rng(1)
    check_grads(lambda a, v: fnp.convolve(a, v, "same"), [rng.normal(size=6), rng.normal(size=3)])
    with pytest.raises(FnxTypeError, match=r"convolve: needs two non-empty 1-d arrays, got shapes \(2, 2\)"):
        fnp.convolve(np.ones((2, 2)), np.ones(2))
    with pytest.raises(FnxTypeError, match="mode must be one of"):
        fnp.convolve(np.ones(3), np.ones(2), "wide")


@given(st.lists(st.integers(-1000, 1000).map(lambda v: v / 100), min_size=1, max_size=8, unique=True), st.booleans())
@settings(max_examples=40, deadline=None)
def test_interp_matches_numpy(points, bounds):
    xp = np.sort(np.array(points))
    fp = np.cos(xp) * 3
    x = np.concatenate([np.linspace(-12, 12, 25), xp])
    kwargs = {"left": -7.0, "right": 7.0} if bounds else {}
    check_against_numpy(lambda x, xp, fp: fnp.interp(x, xp, fp, **kwargs),
                        lambda x, xp, fp: np.interp(x, xp, fp, **kwargs), x, xp, fp, rtol=1e-12)


def test_interp_periodic_and_derivatives():
    xp, fp = np.array([190.0, -190.0, 350.0, 10.0]), np.array([5.0, 10.0, 3.0, 4.0])
    x = np.linspace(-400.0, 400.0, 33)
    np.testing.assert_allclose(fnp.interp(x, xp, fp, period=360), np.interp(x, xp, fp, period=360), rtol=1e-12)
    xp = np.array([0.0, 1.0, 3.0])
    check_grads(lambda x, fp: fnp.interp(x, xp, fp), [np.array([0.3, 1.5, 2.9]), np.array([0.0, 10.0, 30.0])])
    with pytest.raises(FnxTypeError, match=r"interp: xp and fp must be 1-d"):
        fnp.interp(1.0, np.ones(3), np.ones(2))
