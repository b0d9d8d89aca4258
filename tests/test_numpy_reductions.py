"""Reductions of fnx.numpy against NumPy, eagerly and through make_jaxpr."""
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from helpers import check_against_numpy

DTYPES = ["bool", "int8", "int32", "uint8", "uint32", "int64", "float32", "float64"]


@st.composite
def array_and_axis(draw, dtypes=DTYPES, min_side=0):
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=4))
    elements = {"b": st.booleans(), "u": st.integers(0, 20), "i": st.integers(-20, 20)}.get(
        dtype.kind, st.floats(-20, 20, width=dtype.itemsize * 8))
    x = draw(hnp.arrays(dtype, shape, elements=elements))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1) if x.ndim else st.none(),
                          st.lists(st.integers(0, max(x.ndim - 1, 0)), unique=True, max_size=x.ndim)
                          .map(tuple) if x.ndim else st.none()))
    return x, axis, draw(st.booleans())


def tol(x):
    return 1e-5 if x.dtype == np.float32 else 1e-9


@pytest.mark.parametrize("name", ["sum", "prod", "all", "any", "count_nonzero"])
@settings(max_examples=30, deadline=None)
@given(case=array_and_axis())
def test_sums_products_and_logic(name, case):
    x, axis, keepdims = case
    if name == "prod":
        x = np.clip(x, -3, 3).astype(x.dtype) if x.dtype.kind != "b" else x
    check_against_numpy(lambda v: getattr(fnp, name)(v, axis=axis, keepdims=keepdims),
                        lambda v: getattr(np, name)(v, axis=axis, keepdims=keepdims), x, rtol=tol(x))


@pytest.mark.parametrize("name", ["max", "min", "ptp"])
@settings(max_examples=30, deadline=None)
@given(case=array_and_axis(min_side=1))
def test_extremes(name, case):
    x, axis, keepdims = case
    if name == "ptp" and x.dtype.kind == "b":
        return  # NumPy refuses ptp of bools too
    check_against_numpy(lambda v: getattr(fnp, name)(v, axis=axis, keepdims=keepdims),
                        lambda v: getattr(np, name)(v, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["mean", "var", "std"])
@settings(max_examples=30, deadline=None)
@given(case=array_and_axis(min_side=1), ddof=st.integers(0, 1))
def test_statistics(name, case, ddof):
    x, axis, keepdims = case
    kwargs = {"ddof": ddof} if name != "mean" else {}
    if name != "mean" and np.prod([x.shape[a] for a in (range(x.ndim) if axis is None else np.atleast_1d(axis))]) <= ddof:
        return
    check_against_numpy(lambda v: getattr(fnp, name)(v, axis=axis, keepdims=keepdims, **kwargs),
                        lambda v: getattr(np, name)(v, axis=axis, keepdims=keepdims, **kwargs), x, rtol=tol(x),
                        atol=1e-6)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@settings(max_examples=30, deadline=None)
@given(case=array_and_axis(min_side=1))
def test_arg_reductions(name, case):
    x, axis, keepdims = case
    axis = axis if not isinstance(axis, tuple) else None
    check_against_numpy(lambda v: getattr(fnp, name)(v, axis=axis, keepdims=keepdims),
                        lambda v: getattr(np, name)(v, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@settings(max_examples=30, deadline=None)
@given(case=array_and_axis(dtypes=["bool", "int8", "uint16", "int64", "float32", "float64"]))
def test_cumulative(name, case):
    x, axis, _ = case
    axis = axis if not isinstance(axis, tuple) else None
    if name == "cumprod":
        x = np.clip(x, -2, 2).astype(x.dtype) if x.dtype.kind != "b" else x
    check_against_numpy(lambda v: getattr(fnp, name)(v, axis=axis), lambda v: getattr(np, name)(v, axis=axis), x,
                        rtol=tol(x))


def test_cumulative_sum_with_initial():
    x = np.arange(6).reshape(2, 3)
    check_against_numpy(lambda v: fnp.cumulative_sum(v, axis=1, include_initial=True),
                        lambda v: np.concatenate([np.zeros((2, 1), int), np.cumsum(v, axis=1)], axis=1), x)


@settings(max_examples=30, deadline=None)
@given(case=array_and_axis(dtypes=["float32", "float64", "int32"]))
def test_logsumexp(case):
    x, axis, keepdims = case
    def ref(v):  # direct formula in float64: safe for these small values, and defined for empty sums
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(v.astype(np.float64)), axis=axis, keepdims=keepdims))
        return np.asarray(out, v.dtype if v.dtype.kind == "f" else np.float64)

    check_against_numpy(lambda v: fnp.logsumexp(v, axis=axis, keepdims=keepdims), ref, x, rtol=tol(x), atol=1e-6)


def test_logsumexp_is_stable_and_handles_infinities():
    check_against_numpy(fnp.logsumexp, scipy.special.logsumexp, np.array([1000.0, 1000.0, -np.inf]))
    check_against_numpy(fnp.logsumexp, scipy.special.logsumexp, np.array([-np.inf, -np.inf]))
    check_against_numpy(lambda v: fnp.logsumexp(v, b=np.array([1.0, 2.0])),
                        lambda v: scipy.special.logsumexp(v, b=np.array([1.0, 2.0])), np.array([1.0, 2.0]))


def test_average_and_initial():
    x = np.arange(12.0).reshape(3, 4)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    check_against_numpy(lambda v: fnp.average(v, axis=1, weights=w), lambda v: np.average(v, axis=1, weights=w), x)
    check_against_numpy(lambda v: fnp.max(v, axis=0, initial=5.0), lambda v: np.max(v, axis=0, initial=5.0), x)
    check_against_numpy(lambda v: fnp.min(v, axis=1, initial=2.0), lambda v: np.min(v, axis=1, initial=2.0), x)


def test_sum_dtype_argument_and_errors():
    x = np.arange(5, dtype=np.int8)
    check_against_numpy(lambda v: fnp.sum(v, dtype="float32"), lambda v: np.sum(v, dtype="float32"), x)
    with pytest.raises(FnxTypeError, match="axis 2 is out of bounds"):
        fnp.sum(np.ones((2, 2)), axis=2)
    with pytest.raises(FnxTypeError, match="repeated axis"):
        fnp.sum(np.ones((2, 2)), axis=(0, 0))
    with pytest.raises(FnxTypeError, match="reduce_max"):
        fnp.max(np.ones((0, 2)), axis=0)
