"""fnx.scipy against SciPy: special functions, norm and multivariate_normal, linalg; derivatives against finite
differences; the same results under jit and vmap."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx.scipy import linalg, special
from fnx.scipy.stats import multivariate_normal, norm
from tests.gradcheck import check_grads

RNG = np.random.default_rng(0)
X = np.concatenate([RNG.normal(size=20) * 3, [0.0, -1.0, 2.5]])
P = np.concatenate([RNG.uniform(0.001, 0.999, size=20), [0.5]])
POS = RNG.uniform(0.1, 10.0, size=20)

UNARY = [("erf", X), ("erfc", X), ("erfinv", 2 * P - 1), ("gammaln", POS), ("digamma", POS), ("expit", X),
         ("logit", P), ("entr", np.append(POS, [0.0, -1.0])), ("ndtr", X), ("ndtri", P),
         ("log_ndtr", np.append(X, [-30.0, -100.0, 8.0]))]


@pytest.mark.parametrize("name,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_special_functions_match_scipy(name, x):
    ours = getattr(special, name)(x)
    np.testing.assert_allclose(ours, getattr(scipy.special, name)(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fnx.jit(getattr(special, name))(x), ours, rtol=1e-12, atol=1e-14)
    assert getattr(special, name)(np.float32(0.5)).dtype == np.float32


@pytest.mark.parametrize("name", ["xlogy", "xlog1py", "betaln"])
def test_binary_special_functions_match_scipy(name):
    x = np.array([0.0, 0.0, 1.5, 2.0, 3.0])
    y = np.array([0.0, 2.0, 0.5, 4.0, 1.0]) if name != "betaln" else np.array([0.5, 2.0, 0.5, 4.0, 1.0])
    if name == "betaln":
        x = x + 0.25
    np.testing.assert_allclose(getattr(special, name)(x, y), getattr(scipy.special, name)(x, y), rtol=1e-13)


@given(st.integers(1, 4), st.integers(1, 5), st.sampled_from([None, 0, 1, -1]), st.booleans())
@settings(max_examples=25, deadline=None)
def test_logsumexp_matches_scipy(rows, cols, axis, keepdims):
    a = np.random.default_rng(rows * 10 + cols).normal(size=(rows, cols)) * 50
    b = np.random.default_rng(cols).normal(size=(rows, cols))
    np.testing.assert_allclose(special.logsumexp(a, axis=axis, keepdims=keepdims),
                               scipy.special.logsumexp(a, axis=axis, keepdims=keepdims), rtol=1e-12)
    ours, sign = special.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
    theirs, their_sign = scipy.special.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    np.testing.assert_array_equal(sign, their_sign)


def test_softmax_and_log_softmax_match_scipy():
    a = RNG.normal(size=(3, 4)) * 10
    np.testing.assert_allclose(special.softmax(a, axis=0), scipy.special.softmax(a, axis=0), rtol=1e-13)
    np.testing.assert_allclose(special.log_softmax(a, axis=1), scipy.special.log_softmax(a, axis=1), rtol=1e-13,
                               atol=1e-15)


def test_special_derivatives():
    for f, x in [(special.erf, X[:5]), (special.gammaln, POS[:5]), (special.logit, P[:5]), (special.ndtri, P[:5]),
                 (special.log_ndtr, X[:5]), (lambda x: special.xlogy(x, x + 1.0), POS[:5]),
                 (lambda a: special.logsumexp(a, axis=0), RNG.normal(size=(3, 2)))]:
        check_grads(f, [x], rtol=1e-5)
    assert float(fnx.grad(lambda y: special.xlogy(0.0, y))(0.0)) == 0.0


def test_norm_matches_scipy():
    x, loc, scale = X, 0.7, 2.5
    for name in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
        np.testing.assert_allclose(getattr(norm, name)(x, loc, scale), getattr(scipy.stats.norm, name)(x, loc, scale),
                                   rtol=1e-12, err_msg=name)
    for name in ("ppf", "isf"):
        np.testing.assert_allclose(getattr(norm, name)(P, loc, scale), getattr(scipy.stats.norm, name)(P, loc, scale),
                                   rtol=1e-10, err_msg=name)
    check_grads(lambda x, loc, scale: norm.logpdf(x, loc, scale), [X[:4], np.float64(0.3), np.float64(1.7)])


def _spd(n: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


@pytest.mark.parametrize("points", [(), (5,), (2, 3)])
def test_multivariate_normal_matches_scipy(points):
    n = 3
    cov, mean = _spd(n, 1), np.array([0.5, -1.0, 2.0])
    x = RNG.normal(size=points + (n,))
    np.testing.assert_allclose(multivariate_normal.logpdf(x, mean, cov),
                               scipy.stats.multivariate_normal.logpdf(x, mean, cov), rtol=1e-12)
    np.testing.assert_allclose(multivariate_normal.pdf(x, mean, cov),
                               scipy.stats.multivariate_normal.pdf(x, mean, cov), rtol=1e-12)
    np.testing.assert_allclose(fnx.jit(multivariate_normal.logpdf)(x, mean, cov),
                               scipy.stats.multivariate_normal.logpdf(x, mean, cov), rtol=1e-12)


def test_multivariate_normal_gradients_and_errors():
    def f(x, mean, s):  # cov through a symmetric parametrization: the Cholesky rule reads it as symmetric
        return multivariate_normal.logpdf(x, mean, s @ s.T + 3.0 * fnp.eye(3))
    check_grads(f, [RNG.normal(size=(4, 3)), np.zeros(3), RNG.normal(size=(3, 3))], rtol=1e-5)
    with pytest.raises(fnx.core.errors.FnxTypeError, match=r"multivariate_normal.logpdf.*\(3, 3\)"):
        multivariate_normal.logpdf(np.zeros(3), np.zeros(3), np.eye(2))


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("trans", [0, "T"])
@pytest.mark.parametrize("unit_diagonal", [False, True])
def test_solve_triangular_matches_scipy(lower, trans, unit_diagonal):
    a = RNG.normal(size=(4, 4)) + 4 * np.eye(4)  # the other triangle is garbage: it must be ignored
    b = RNG.normal(size=(4, 2))
    for rhs in (b, b[:, 0]):
        np.testing.assert_allclose(
            linalg.solve_triangular(a, rhs, trans=trans, lower=lower, unit_diagonal=unit_diagonal),
            scipy.linalg.solve_triangular(a, rhs, trans=trans, lower=lower, unit_diagonal=unit_diagonal),
            rtol=1e-12)


def test_cholesky_and_cho_solve_match_scipy():
    a, b = _spd(4, 3), RNG.normal(size=(4, 2))
    for lower in (False, True):
        np.testing.assert_allclose(linalg.cholesky(a, lower=lower), scipy.linalg.cholesky(a, lower=lower),
                                   rtol=1e-12)
        c = linalg.cho_factor(a, lower=lower)
        np.testing.assert_allclose(linalg.cho_solve(c, b), scipy.linalg.cho_solve(scipy.linalg.cho_factor(a, lower),
                                                                                  b), rtol=1e-11)
    np.testing.assert_allclose(linalg.solve(a, b, assume_a="pos"), scipy.linalg.solve(a, b, assume_a="pos"),
                               rtol=1e-11)
    np.testing.assert_allclose(linalg.inv(a), scipy.linalg.inv(a), rtol=1e-11)
    np.testing.assert_allclose(linalg.det(a), scipy.linalg.det(a), rtol=1e-12)
    check_grads(lambda a: linalg.solve_triangular(a, b, lower=True), [a], rtol=1e-5)
    batched = fnx.vmap(lambda a: linalg.cholesky(a, lower=True))(np.stack([a, _spd(4, 5)]))
    np.testing.assert_allclose(batched[1], np.linalg.cholesky(_spd(4, 5)), rtol=1e-12)
    with pytest.raises(fnx.core.errors.FnxTypeError, match="solve_triangular: trans"):
        linalg.solve_triangular(a, b, trans="X")
