"""Rprop (iRprop-) against a NumPy transcription of Igel & Hüsken 2000's pseudo-code; smooth L1 and Huber
against NumPy, Bourez 2017's sigma form and finite differences."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx.test_util import check_grads


def numpy_irprop_minus(grad_fn, w, steps, d0=0.1, eta_minus=0.5, eta_plus=1.2, d_min=1e-6, d_max=50.0):
    w, prev, delta = w.copy(), np.zeros_like(w), np.full_like(w, d0)
    for _ in range(steps):
        g = grad_fn(w)
        for i in range(w.size):
            if prev[i] * g[i] > 0:
                delta[i] = min(delta[i] * eta_plus, d_max)
            elif prev[i] * g[i] < 0:
                delta[i] = max(delta[i] * eta_minus, d_min)
                g[i] = 0.0
            w[i] -= np.sign(g[i]) * delta[i]
            prev[i] = g[i]
    return w, delta


A = np.diag([1.0, 10.0, 100.0])


def quadratic(w):
    return 0.5 * w @ A @ w - w.sum()


@pytest.mark.parametrize("settings_", [{}, {"d0": 0.5, "eta_minus": 0.99, "eta_plus": 1.01, "d_min": 0.0,
                                            "d_max": 100.0}])
def test_rprop_matches_the_irprop_minus_pseudo_code(settings_):
    names = {"d0": "initial_step", "eta_minus": "eta_minus", "eta_plus": "eta_plus", "d_min": "min_step",
             "d_max": "max_step"}
    opt = optim.rprop(**{names[k]: v for k, v in settings_.items()})
    w = np.array([3.0, -2.0, 0.5])
    params, state = {"w": fnp.asarray(w)}, opt.init({"w": fnp.asarray(w)})
    step = fnx.jit(lambda p, s: _update(opt, p, s))
    for _ in range(40):
        params, state = step(params, state)
    expected, delta = numpy_irprop_minus(lambda v: A @ v - 1.0, w, 40, **settings_)
    np.testing.assert_allclose(params["w"], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(state[0].step_sizes["w"], delta, rtol=1e-12)


def _update(opt, params, state):
    updates, state = opt.update(fnx.grad(lambda p: quadratic(p["w"]))(params), state, params)
    return optim.apply_updates(params, updates), state


def test_rprop_converges_on_an_ill_conditioned_quadratic_in_float32():
    opt = optim.rprop()
    params = {"w": fnp.asarray(np.array([3.0, -2.0, 0.5], np.float32))}
    state = opt.init(params)
    for _ in range(200):
        params, state = _update(opt, params, state)
    assert params["w"].dtype == np.float32
    np.testing.assert_allclose(params["w"], 1.0 / np.diag(A), rtol=1e-3)
    with pytest.raises(ValueError, match="eta_minus < 1 < eta_plus"):
        optim.rprop(eta_minus=1.5)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=6), st.floats(0.1, 3.0))
def test_smooth_l1_and_huber_match_numpy(values, delta):
    d = np.array(values)
    t = np.zeros_like(d)
    smooth = np.where(np.abs(d) < delta, 0.5 * d ** 2 / delta, np.abs(d) - 0.5 * delta)
    np.testing.assert_allclose(nn.smooth_l1(d, t, delta), smooth.mean(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(nn.huber(d, t, delta), delta * smooth.mean(), rtol=1e-12, atol=1e-15)


def test_bourez_sigma_form_and_gradients():
    rng = np.random.default_rng(0)
    model, y_true, sigma = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), 2.0
    d = np.abs(model - y_true)
    bourez = np.where(d < 1 / sigma, 0.5 * sigma * d ** 2, d - 0.5 / sigma).sum(axis=1).mean()  # chapter 2
    np.testing.assert_allclose(nn.smooth_l1(model, y_true, 1 / sigma) * 3, bourez, rtol=1e-12)
    np.testing.assert_allclose(nn.smooth_l1_per_example(model, y_true, 1 / sigma) * 3,
                               np.where(d < 1 / sigma, 0.5 * sigma * d ** 2, d - 0.5 / sigma).sum(1), rtol=1e-12)
    check_grads(lambda p: nn.huber(p, y_true, 0.7), (model,), order=1)
    with pytest.raises(ValueError, match="delta must be positive"):
        nn.smooth_l1(model, y_true, 0.0)
