"""Ketkar, chapter 2 (machine-learning fundamentals, NumPy): polynomial least squares and ridge regression by
the normal equations, on ``y = 2 + x + 2x^2`` at 100 points of [-1, 1] (``fnx.datasets.polynomial``), fitting
the first 80 and testing on the last 20. The book's "RMSE" is sqrt(sum of squared errors), with no mean."""
from __future__ import annotations

import fnx
import fnx.numpy as fnp
from fnx import random
from fnx.datasets import polynomial

from ..checks import Below, Between, Value
from ..registry import listing


def features(x, columns: int):
    """[x^0, x^1, ..., x^(columns-1)] as columns (the book's "degree" is this column count)."""
    return fnp.stack([x ** i for i in range(columns)], axis=1)


def root_sse(X, y, beta):
    """The book's error: sqrt(sum((y - X beta)^2))."""
    r = y - X @ beta
    return fnp.sqrt(fnp.sum(r * r))


def least_squares(x, y, columns: int, ridge=0.0):
    """beta = (X^T X + ridge I)^-1 X^T y on the first 80 points; returns beta and the train and test errors."""
    X = features(x, columns)
    Xt, yt = X[:80], y[:80]
    beta = fnp.linalg.inv(Xt.T @ Xt + ridge * fnp.eye(columns)) @ Xt.T @ yt
    return beta, root_sse(Xt, yt, beta), root_sse(X[80:], y[80:], beta)


@listing("ketkar", "2-1", "Generalization vs rote learning: polynomial least squares", kind="trend",
         expect={"train_degree_1": Between(3.3, 3.9, printed=3.50756834691),
                 "test_degree_1": Between(7.2, 8.3, printed=7.69514326946),
                 "train_degree_2": Between(0.75, 1.0, printed=0.91896252959),
                 "test_degree_2": Between(0.15, 0.9, printed=0.446173435392),
                 "train_degree_8": Below("train_degree_2", printed=0.897346255079),
                 "test_degree_8": Between(0.5, 100.0, printed=14.1908525449),
                 "noise_free_beta_degree_1": Value([2.353637383940415, 0.191919191919192], rtol=1e-10),
                 "noise_free_train_degree_1": Value(3.4812773249804754, rtol=1e-10),
                 "noise_free_test_degree_1": Value(7.598850017142895, rtol=1e-10)},
         stand_in="fnx.datasets.polynomial(noise=0.1) from an fnx key (the book's noise is unseeded)")
def listing_2_1():
    """Listing 2-1: fits with 2, 3 and 9 columns (labelled degree 1, 2, 8). Degree 1 underfits (train ~3.5,
    test ~7.7), degree 2 fits (~0.9, ~0.45) and degree 8 fits the train set a little better but
    extrapolates badly (book: test 14.19). The noise is unseeded in the book, so those are ranges; on the
    noise-free signal the degree-1 fit is deterministic (catalog: beta [2.3536, 0.1919]). The book's
    degree-1 block multiplies ``X.T`` by ``X.T`` (a shape error); the numbers are from ``X.T @ X``."""
    fit = fnx.jit(least_squares, static_argnums=2)
    x, y = polynomial(random.key(21), noise=0.1)
    out = {}
    for degree in (1, 2, 8):
        _, out[f"train_degree_{degree}"], out[f"test_degree_{degree}"] = fit(x[:, 0], y, degree + 1)
    x, y = polynomial()
    beta, train, test = fit(x[:, 0], y, 2)
    out.update(noise_free_beta_degree_1=beta, noise_free_train_degree_1=train, noise_free_test_degree_1=test)
    return out


@listing("ketkar", "2-2", "Ridge regression over 100 values of lambda", kind="trend",
         expect={"train_error": Between(0.75, 1.0), "train_error_rise": Between(0.15, 0.6),
                 "test_error": Between(0.2, 3.0)},
         stand_in="fnx.datasets.polynomial(noise=0.1) from an fnx key", figure=("train_errors", "test_errors"))
def listing_2_2():
    """Listing 2-2: ridge regression with 80 polynomial columns, beta = (X^T X + lambda I)^-1 X^T y, for 100
    lambdas in [0.01, 0.99] (one ``vmap`` over lambda). The book only plots the errors: the train error
    rises with lambda (catalog: from 0.81-0.92 by 0.2-0.5); the test error at the smallest lambda varies
    much with the noise (catalog: 0.44-1.4 over its seeds; 2.3 on this key). (The text prints the closed
    form with a minus sign; the code, and this, use plus.)"""
    x, y = polynomial(random.key(22), noise=0.1)
    lambdas = fnp.linspace(0.01, 0.99, 100)
    errors = fnx.jit(fnx.vmap(lambda lam: least_squares(x[:, 0], y, 80, lam)[1:]))(lambdas)
    train, test = errors
    return {"train_error": train[0], "train_error_rise": train[-1] - train[0], "test_error": test[0],
            "train_errors": train, "test_errors": test}
