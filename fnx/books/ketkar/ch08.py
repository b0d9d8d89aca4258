"""Ketkar, chapter 8 (stochastic gradient descent with downhill, on Theano): a 2-1000-2 network on the two
moons. The training runs wait on fnx's callbacks (8-3) and Rprop (8-4)."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx.datasets import two_moons

from ..checks import Value
from ..registry import listing, pending


@listing("ketkar", "8-1", "The moons data and its one-hot targets", kind="exact",
         expect={"shapes": Value([[5000, 2], [5000, 2]]), "class_counts": Value([2500, 2500]),
                 "one_hot_rows_sum_to_1": Value(True)},
         data="sklearn make_moons(5000, noise=0.1)", stand_in="fnx.datasets.two_moons(5000, noise=0.1)",
         figure=("scatter",))
def listing_8_1():
    """Listing 8-1: ``make_moons(5000, noise=0.1)`` and one-hot targets ``numpy.eye(2)[train_y]`` (here
    ``fnx.datasets.two_moons`` from an fnx key and ``nn.one_hot``), then a scatter plot: 5000 points, 2500
    per moon. ``scatter``: the points' class counts on a 40x40 grid of the plane (class 1 minus class 0)."""
    X, y = two_moons(fnx.random.key(81), n=5000, noise=0.1)
    Y = nn.one_hot(y, 2)
    cells = np.clip(((np.asarray(X) - [-1.5, -1.0]) / [4.0, 2.5] * 40).astype(int), 0, 39)
    scatter = np.zeros((40, 40))
    np.add.at(scatter, (39 - cells[:, 1], cells[:, 0]), np.where(np.asarray(y) == 1, 1.0, -1.0))
    return {"shapes": [list(X.shape), list(Y.shape)], "class_counts": np.bincount(np.asarray(y)).tolist(),
            "one_hot_rows_sum_to_1": bool(fnp.all(Y.sum(axis=1) == 1)), "scatter": scatter}


def regularized_loss(params, X, Y, lam: float = 0.01, batch_size: int = 1):
    """Listing 8-2's loss: mean categorical cross-entropy of softmax(tanh(X W1 + b1) W2 + b2) against one-hot
    Y, plus (1/batch_size) (lam/2) (sum W1^2 + sum W2^2); returns (cross-entropy, penalty)."""
    probs = nn.softmax(fnp.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])
    cce = nn.categorical_cross_entropy(probs, Y)
    penalty = (1.0 / batch_size) * (lam / 2) * (fnp.sum(params["W1"] ** 2) + fnp.sum(params["W2"] ** 2))
    return cce, penalty


@listing("ketkar", "8-2", "The initial loss of the 2-1000-2 moons network", kind="tolerance",
         expect={"loss": Value(23.904656064715216, rtol=1e-12), "cross_entropy": Value(4.609655045194244, rtol=1e-12),
                 "penalty": Value(19.29500101952097, rtol=1e-12)},
         data="sklearn make_moons(5000, noise=0.1)", stand_in="fnx.datasets.two_moons(5000), noise-free")
def listing_8_2():
    """Listing 8-2: ``numpy.random.seed(0)`` then W1 = randn(2, 1000), W2 = randn(1000, 2), zero biases (the
    weights are drawn with NumPy's legacy generator, as the book does). The book prints no number; the
    catalog derives the loss at this start on the noise-free moons: 4.6097 cross-entropy + 19.295 penalty.
    The penalty dominates because the code scales it by 1/batch_size with batch_size = 1, not by the number
    of examples."""
    legacy = np.random.RandomState(0)
    params = {"W1": legacy.randn(2, 1000), "b1": np.zeros(1000), "W2": legacy.randn(1000, 2), "b2": np.zeros(2)}
    X, y = two_moons(n=5000)
    cce, penalty = fnx.jit(regularized_loss)(params, X, nn.one_hot(y, 2))
    return {"loss": cce + penalty, "cross_entropy": cce, "penalty": penalty}


pending("ketkar", "8-3", "downhill SGD with validation and patience", ("callbacks",), __name__,
        data="sklearn make_moons", stand_in="fnx.datasets.two_moons")
pending("ketkar", "8-4", "Seven downhill optimizers compared", ("rprop",), __name__,
        data="sklearn make_moons", stand_in="fnx.datasets.two_moons")

