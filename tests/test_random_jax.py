"""fnx.random draws what jax.random draws for the same key and shape.

The hard-coded values were printed by JAX 0.10.2 (``jax.config.update("jax_enable_x64", True)``, CPU) for
``jax.random.PRNGKey(0)``; the comparisons with a live JAX run only where JAX is installed. Bits, keys, uniform
floats in [0, 1), Bernoulli draws, integers, permutations and choices are equal bit for bit. A uniform scaled
to [minval, maxval) may differ in the last bit: XLA computes ``u * (maxval - minval) + minval`` as one fused
multiply-add, fnx rounds twice; samplers built on it (normal, truncated normal, gumbel, exponential) and on
``erf_inv`` (whose float32 approximations differ) agree to the tolerances below.
"""
from __future__ import annotations

import numpy as np
import pytest

import fnx.random as fr

KEY0 = fr.PRNGKey(0)


def test_hard_coded_values_from_jax():
    assert fr.PRNGKey(0).tolist() == [0, 0]
    assert fr.PRNGKey(2**32 + 5).tolist() == [1, 5]
    assert fr.split(KEY0).tolist() == [[1797259609, 2579123966], [928981903, 3453687069]]
    assert fr.fold_in(KEY0, 1).tolist() == [928981903, 3453687069]
    assert fr.bits(KEY0, (3,), np.uint64).tolist() == [7719171245655871230, 3989946895414531357,
                                                       17807037942121513089]
    assert fr.bits(KEY0, (3,), np.uint8).tolist() == [167, 146, 40]
    assert fr.uniform(KEY0, (3,), np.float32).tolist() == [0.9476670026779175, 0.9785798788070679,
                                                           0.33229148387908936]
    assert fr.uniform(KEY0, (3,), np.float64).tolist() == [0.41845711171638644, 0.21629545460551136,
                                                           0.9653214611189975]
    assert fr.bernoulli(KEY0, 0.5, (6,)).tolist() == [True, True, False, False, False, True]
    assert fr.randint(KEY0, (4,), 0, 10).tolist() == [5, 1, 5, 7]
    np.testing.assert_allclose(fr.normal(KEY0, (3,), np.float32), [1.622642159461975, 2.0252647399902344,
                                                                    -0.4335944354534149], rtol=1e-6)
    np.testing.assert_allclose(fr.normal(KEY0, (3,), np.float64), [-0.2058421394796434, -0.7847657764467411,
                                                                    1.8160866726679836], rtol=1e-14)


@pytest.fixture(scope="module")
def jr():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax.random


SEEDS = (0, 42, 2**32 + 5)


def _both(jr, seed):
    return fr.PRNGKey(seed), jr.PRNGKey(seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_keys_and_bits_are_jax_s(jr, seed):
    k, jk = _both(jr, seed)
    np.testing.assert_array_equal(k, jk)
    np.testing.assert_array_equal(fr.key_data(fr.split(k)), jr.key_data(jr.split(jr.key(seed))))
    np.testing.assert_array_equal(fr.split(k, 3), jr.split(jk, 3))
    np.testing.assert_array_equal(fr.split(k, (2, 3)), jr.split(jk, (2, 3)))
    np.testing.assert_array_equal(fr.fold_in(k, 12345), jr.fold_in(jk, 12345))
    for dtype in ("uint8", "uint16", "uint32", "uint64"):
        np.testing.assert_array_equal(fr.bits(k, (3, 5), dtype), jr.bits(jk, (3, 5), dtype))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floats_are_jax_s(jr, seed, dtype):
    k, jk = _both(jr, seed)
    np.testing.assert_array_equal(fr.uniform(k, (7, 3), dtype), jr.uniform(jk, (7, 3), dtype))
    np.testing.assert_array_equal(fr.bernoulli(k, np.asarray(0.3, dtype), (100,)),
                                  jr.bernoulli(jk, np.asarray(0.3, dtype), (100,)))
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(fr.uniform(k, (500,), dtype, -2.0, 3.0), jr.uniform(jk, (500,), dtype, -2.0, 3.0),
                               rtol=0, atol=3 * eps)
    close = {"rtol": 100 * eps, "atol": 20 * eps}
    for name, args in [("normal", ((1000,), dtype)), ("truncated_normal", (-2.0, 2.0, (1000,), dtype)),
                       ("exponential", ((1000,), dtype)), ("gumbel", ((1000,), dtype))]:
        np.testing.assert_allclose(getattr(fr, name)(k, *args), getattr(jr, name)(jk, *args), **close,
                                   err_msg=name)


@pytest.mark.parametrize("seed", SEEDS)
def test_integers_and_orders_are_jax_s(jr, seed):
    k, jk = _both(jr, seed)
    for dtype in ("int8", "uint8", "int16", "int32", "int64", "uint64"):
        np.testing.assert_array_equal(fr.randint(k, (50,), 0, 100, dtype), jr.randint(jk, (50,), 0, 100, dtype))
    np.testing.assert_array_equal(fr.randint(k, (50,), 0, 256, "uint8"), jr.randint(jk, (50,), 0, 256, "uint8"))
    np.testing.assert_array_equal(fr.randint(k, (50,), -2**40, 2**50), jr.randint(jk, (50,), -2**40, 2**50))
    x = np.arange(24.0).reshape(4, 6)
    np.testing.assert_array_equal(fr.permutation(k, 20), jr.permutation(jk, 20))
    np.testing.assert_array_equal(fr.permutation(k, x, 1), jr.permutation(jk, x, 1))
    np.testing.assert_array_equal(fr.permutation(k, x, 1, independent=True),
                                  jr.permutation(jk, x, 1, independent=True))
    p = np.array([0.1, 0.2, 0.0, 0.7])
    for kwargs in ({}, {"replace": False}, {"p": p}, {"p": p, "replace": False}):
        np.testing.assert_array_equal(fr.choice(k, 4, (3,), **kwargs), jr.choice(jk, 4, (3,), **kwargs))
    logits = np.log(np.random.default_rng(seed).dirichlet(np.ones(5), size=3))
    np.testing.assert_array_equal(fr.categorical(k, logits), jr.categorical(jk, logits))
    np.testing.assert_array_equal(fr.categorical(k, logits, axis=0, shape=(2, 5)),
                                  jr.categorical(jk, logits, axis=0, shape=(2, 5)))


def test_multivariate_normal_is_jax_s(jr):
    k, jk = _both(jr, 3)
    mean = np.array([1.0, -2.0, 0.5])
    a = np.random.default_rng(0).normal(size=(3, 3))
    cov = a @ a.T + 3 * np.eye(3)
    np.testing.assert_allclose(fr.multivariate_normal(k, mean, cov, (4,)), jr.multivariate_normal(jk, mean, cov, (4,)),
                               rtol=1e-12, atol=1e-12)
