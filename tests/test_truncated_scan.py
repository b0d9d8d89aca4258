"""lax.scan(truncate_gradient=k), Theano's truncated backpropagation through time, against a hand-written
NumPy BPTT whose backward loop runs over the last k steps only."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError

RNG = np.random.default_rng(0)
T, H, D = 7, 3, 2
PARAMS = {"W": 0.5 * RNG.normal(size=(H, H)), "U": RNG.normal(size=(D, H)), "b": 0.1 * RNG.normal(size=H)}
XS, H0 = RNG.normal(size=(T, D)), RNG.normal(size=H)


def loss(params, xs, h0, k, reverse=False):
    """Elman RNN h_t = tanh(h_{t-1} W + x_t U + b) with the loss sum_t |h_t|^2 / 2 + sum(h_T)."""
    def step(h, x):
        h = fnp.tanh(h @ params["W"] + x @ params["U"] + params["b"])
        return h, h
    h, hs = lax.scan(step, h0, xs, reverse=reverse, truncate_gradient=k)
    return 0.5 * fnp.sum(hs ** 2) + fnp.sum(h)


def numpy_truncated_bptt(params, xs, h0, k):
    """Forward over every step; backward over the last k steps only (Theano: grad_steps = min(T, k))."""
    W, U, b = params["W"], params["U"], params["b"]
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(hs[-1] @ W + x @ U + b))
    steps = len(xs) if k < 0 else min(k, len(xs))
    grads = {name: np.zeros_like(p) for name, p in params.items()}
    dxs, dh = np.zeros_like(xs), np.ones(H)  # d(sum h_T)/d h_T
    for t in range(len(xs), len(xs) - steps, -1):
        dh = dh + hs[t]  # the step's own loss term
        dz = dh * (1 - hs[t] ** 2)
        grads["W"] += np.outer(hs[t - 1], dz)
        grads["U"] += np.outer(xs[t - 1], dz)
        grads["b"] += dz
        dxs[t - 1] = dz @ U.T
        dh = dz @ W.T
    dh0 = dh if steps == len(xs) else np.zeros(H)
    return grads, dxs, dh0


GRAD = fnx.grad(loss, argnums=(0, 1, 2))


@pytest.mark.parametrize("k", [-1, 0, 1, 3, T, T + 5])
def test_gradients_match_numpy_bptt_over_the_last_k_steps(k):
    expected, dxs, dh0 = numpy_truncated_bptt(PARAMS, XS, H0, k)
    g_params, g_xs, g_h0 = GRAD(PARAMS, XS, H0, k, False)
    for name in PARAMS:
        np.testing.assert_allclose(g_params[name], expected[name], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g_xs, dxs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g_h0, dh0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loss(PARAMS, XS, H0, k), loss(PARAMS, XS, H0, -1), rtol=1e-15)


def test_reverse_truncates_the_steps_run_last_which_are_the_first_of_xs():
    expected, dxs, _ = numpy_truncated_bptt(PARAMS, XS[::-1], H0, 3)
    g_params, g_xs, _ = GRAD(PARAMS, XS, H0, 3, True)
    np.testing.assert_allclose(g_params["W"], expected["W"], rtol=1e-12)
    np.testing.assert_allclose(g_xs, dxs[::-1], rtol=1e-12, atol=1e-14)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 6), st.integers(0, 7))
def test_outputs_and_carry_equal_the_untruncated_scan(length, k):
    def step(c, x):
        return c * 0.9 + x, (c, None)
    xs = np.arange(float(length))
    full = lax.scan(step, 1.0, xs)
    truncated = lax.scan(step, 1.0, xs, truncate_gradient=k)
    np.testing.assert_array_equal(truncated[0], full[0])
    np.testing.assert_array_equal(truncated[1][0], full[1][0])
    assert truncated[1][1] is None
    counted = lax.scan(lambda c, _: (c + 1, c), 0.0, None, length=length, truncate_gradient=k)
    np.testing.assert_array_equal(counted[1], np.arange(float(length)))


def test_bad_truncation_is_named():
    with pytest.raises(FnxTypeError, match="truncate_gradient must be -1"):
        lax.scan(lambda c, x: (c, x), 0.0, np.ones(3), truncate_gradient=-2)
