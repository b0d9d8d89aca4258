"""Ghatak's gradient check (section 5.6: two-sided differences against fnx.grad) on a three-layer softmax
network; the book's own 2-100-2 check and the Ketkar, Buduma and LazyProgrammer listings these tests held are
units of fnx/books now (tests/books/)."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from helpers import both


def sigmoid(xp, z):
    return 1 / (1 + xp.exp(-z))


def three_layer_cost(xp, p, X, Y):
    """A 4-8-6-3 net (rows are examples): relu, sigmoid, then softmax cross-entropy, averaged."""
    h1 = xp.maximum(X @ p["W1"] + p["b1"], 0.0)
    h2 = sigmoid(xp, h1 @ p["W2"] + p["b2"])
    logits = h2 @ p["W3"] + p["b3"]
    shift = xp.max(logits, axis=1, keepdims=True)
    log_softmax = logits - shift - xp.log(xp.sum(xp.exp(logits - shift), axis=1, keepdims=True))
    return -xp.sum(Y * log_softmax) / X.shape[0]


def gradient_check(cost, params, X, Y, epsilon=1e-7):
    """Ghatak's check: two-sided differences of every parameter vs fnx.grad; returns the relative difference
    ||g_num - g|| / (||g_num|| + ||g||)."""
    grads = both(fnx.grad(lambda p, x, y: cost(fnp, p, x, y)), params, X, Y, rtol=1e-12)
    names = sorted(params)
    g = np.concatenate([grads[k].ravel() for k in names])
    g_num = []
    for k in names:
        for idx in np.ndindex(params[k].shape):
            plus = {n: v.copy() for n, v in params.items()}
            minus = {n: v.copy() for n, v in params.items()}
            plus[k][idx] += epsilon
            minus[k][idx] -= epsilon
            g_num.append((cost(np, plus, X, Y) - cost(np, minus, X, Y)) / (2 * epsilon))
    g_num = np.array(g_num)
    return np.linalg.norm(g_num - g) / (np.linalg.norm(g_num) + np.linalg.norm(g))


def test_gradient_check_three_layer_softmax_network():
    rng = np.random.default_rng(2)
    sizes = [4, 8, 6, 3]
    params = {}
    for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{i}"] = rng.normal(size=(m, n)) * np.sqrt(2 / m)
        params[f"b{i}"] = rng.normal(size=n) * 0.1
    X, Y = rng.normal(size=(5, 4)), np.eye(3)[[0, 1, 2, 2, 1]]
    assert float(three_layer_cost(fnp, params, X, Y)) == pytest.approx(three_layer_cost(np, params, X, Y),
                                                                        rel=1e-14)
    assert gradient_check(three_layer_cost, params, X, Y) < 1e-7
