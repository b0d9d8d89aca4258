"""fnx.nn.initializers draw what jax.nn.initializers draw for the same key (variance scaling: truncated normal
for the *_normal ones), checked against JAX where it is installed and by the truncation itself everywhere."""
from __future__ import annotations

import numpy as np
import pytest

import fnx.random as fr
from fnx.nn import initializers as init

NAMES = ["glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform"]


@pytest.mark.parametrize("name", ["glorot_normal", "he_normal", "lecun_normal"])
def test_normal_initializers_are_truncated_at_two_std_with_the_right_variance(name):
    fan_in, fan_out = 300, 200
    w = np.asarray(getattr(init, name)()(fr.key(1), (fan_in, fan_out)))
    variance = {"glorot_normal": 2 / (fan_in + fan_out), "he_normal": 2 / fan_in, "lecun_normal": 1 / fan_in}[name]
    bound = 2 * np.sqrt(variance) / 0.87962566103423978
    assert np.abs(w).max() < bound and np.abs(w).max() > 0.95 * bound
    assert w.var() == pytest.approx(variance, rel=0.02)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_initializers_are_jax_s(name, dtype):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    shape = (5, 4, 30, 20)  # a conv kernel HWIO: receptive field 20
    ours = np.asarray(getattr(init, name)()(fr.key(7), shape, dtype))
    theirs = np.asarray(getattr(jax.nn.initializers, name)()(jax.random.PRNGKey(7), shape, dtype))
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(ours, theirs, rtol=100 * eps, atol=10 * eps)
    if name.endswith("uniform"):
        np.testing.assert_array_equal(ours, theirs)
