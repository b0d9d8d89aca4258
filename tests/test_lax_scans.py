"""lax.map, lax.associative_scan and lax.Precision, against NumPy and the sequential definitions."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.lax as lax
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from tests.gradcheck import check_grads


@pytest.mark.parametrize("batch_size", [None, 1, 3, 7, 10])
def test_map_matches_a_python_loop(batch_size):
    xs = {"a": np.arange(21.0).reshape(7, 3), "b": np.arange(7)}

    def f(d):
        return fnp.sum(d["a"]) * d["b"], d["a"][0]

    total, first = lax.map(f, xs, batch_size=batch_size)
    np.testing.assert_allclose(total, xs["a"].sum(axis=1) * xs["b"])
    np.testing.assert_allclose(first, xs["a"][:, 0])
    np.testing.assert_allclose(fnx.jit(lambda xs: lax.map(f, xs, batch_size=batch_size)[0])(xs), total)


@given(st.integers(1, 17), st.integers(0, 2), st.booleans())
@settings(max_examples=30, deadline=None)
def test_associative_scan_matches_cumulative_functions(n, axis, reverse):
    shape = [2, 3, 4]
    shape[axis] = n
    x = np.random.default_rng(n).uniform(0.5, 1.5, size=shape)
    flip = (lambda v: np.flip(v, axis)) if reverse else (lambda v: v)
    np.testing.assert_allclose(lax.associative_scan(fnp.add, x, reverse=reverse, axis=axis),
                               flip(np.cumsum(flip(x), axis=axis)), rtol=1e-12)
    np.testing.assert_allclose(lax.associative_scan(fnp.maximum, x, reverse=reverse, axis=axis),
                               flip(np.maximum.accumulate(flip(x), axis=axis)))


def test_associative_scan_on_pytrees_with_a_non_commutative_operator():
    # affine maps x -> a x + b composed left to right: the linear recurrence h_t = a_t h_{t-1} + b_t
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=9), rng.normal(size=9)

    def compose(f, g):
        return {"a": f["a"] * g["a"], "b": g["a"] * f["b"] + g["b"]}

    out = lax.associative_scan(compose, {"a": a, "b": b})
    h, expected = 0.0, []
    for t in range(9):
        h = a[t] * h + b[t]
        expected.append(h)
    np.testing.assert_allclose(out["b"], expected, rtol=1e-12)
    np.testing.assert_allclose(fnx.jit(lambda a, b: lax.associative_scan(compose, {"a": a, "b": b}))(a, b)["b"],
                               expected, rtol=1e-12)
    check_grads(lambda a, b: lax.associative_scan(compose, {"a": a, "b": b})["b"], [a, b])


def test_associative_scan_errors():
    with pytest.raises(FnxTypeError, match="one length along axis 0"):
        lax.associative_scan(lambda x, y: x, (np.ones(3), np.ones(4)))
    with pytest.raises(FnxTypeError, match="axis 2 is out of range"):
        lax.associative_scan(fnp.add, np.ones((2, 2)), axis=2)


def test_precision_is_accepted_and_checked():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(3.0)
    for p in (None, lax.Precision.HIGHEST, "high", ("default", lax.Precision.HIGH)):
        np.testing.assert_allclose(lax.dot(a, b, precision=p), a @ b)
        np.testing.assert_allclose(fnp.dot(a, b, precision=p), a @ b)
        np.testing.assert_allclose(fnp.einsum("ij,j->i", a, b, precision=p), a @ b)
    with pytest.raises(FnxTypeError, match="matmul: precision must be"):
        fnp.matmul(a, b, precision="fast")
