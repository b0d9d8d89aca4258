"""Book listings that need derivatives and are not yet in fnx/books: Ghatak's gradient check (section 5.6,
seed-002-ghatak.md section 3.9), and the same check on a three-layer softmax network. The Ketkar, Buduma and
LazyProgrammer listings these tests held are units of fnx/books now (tests/books/)."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from helpers import both


def sigmoid(xp, z):
    return 1 / (1 + xp.exp(-z))


# -- Ghatak §5.6: gradient checking -------------------------------------------------------------------------

def ghatak_cost(xp, p, X, Y):
    """The book's 2-100-2 net (columns are examples): relu hidden layer, sigmoid outputs, binary CE / m."""
    a1 = xp.maximum(p["W1"] @ X + p["b1"], 0.0)
    a2 = sigmoid(xp, p["W2"] @ a1 + p["b2"])
    return -xp.sum(Y * xp.log(a2) + (1 - Y) * xp.log(1 - a2)) / X.shape[1]


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


def test_ghatak_gradient_check_2_100_2_relu_sigmoid():
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(size=(100, 2)) * 0.01, "b1": np.zeros((100, 1)),
              "W2": rng.normal(size=(2, 100)) * 0.01, "b2": np.zeros((2, 1))}
    X, Y = rng.normal(size=(2, 1)), np.array([[1.0]])
    assert float(ghatak_cost(fnp, params, X, Y)) == pytest.approx(ghatak_cost(np, params, X, Y), rel=1e-14)
    assert gradient_check(ghatak_cost, params, X, Y) < 1e-7  # the book prints 1.070501e-08


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
