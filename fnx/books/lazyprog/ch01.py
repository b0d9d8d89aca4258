"""LazyProgrammer, chapter 1 (what a neural network is): the logistic unit."""
from __future__ import annotations

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx import random

from ..checks import Value
from ..registry import listing


@listing("lazyprog", "E01", "The logistic unit, with the bias as a column of ones", kind="tolerance",
         expect={"at_0": Value(0.5), "at_large": Value(1.0), "at_very_negative": Value(0.0, atol=1e-21),
                 "bias_as_column": Value(0.0, atol=1e-15)})
def example_01():
    """E01 (chapter 1): y = sigmoid(w1 x1 + w2 x2 + w3 x3); sigmoid(0) = 0.5 and the output goes to 1 and 0
    at the extremes (read as P(Y = 1 | X)). The bias is "an extra dimension x0 always equal to 1": a ones
    column in X and a weight w0 give the same outputs as an explicit bias (``bias_as_column``)."""
    X = random.normal(random.key(1), (6, 3))
    w, b = fnp.asarray([0.5, -1.0, 2.0]), 0.3
    with_column = nn.sigmoid(fnp.concatenate([fnp.ones((6, 1)), X], axis=1) @ fnp.concatenate([fnp.asarray([b]), w]))
    explicit = fnx.jit(lambda X: nn.sigmoid(X @ w + b))(X)
    return {"at_0": nn.sigmoid(0.0), "at_large": nn.sigmoid(50.0), "at_very_negative": nn.sigmoid(-50.0),
            "bias_as_column": fnp.max(abs(with_column - explicit))}



def two_layer_logistic(params, x):
    """Chapter 1's network: a hidden layer z of logistic units, then a logistic output unit."""
    z = nn.sigmoid(x @ params["W"])
    return nn.sigmoid(z @ params["v"])


@listing("lazyprog", "E02", "The exercise: the output of a 2-input net of logistic units", kind="tolerance",
         expect={"Y": Value(0.5, rtol=1e-15), "Y_at_other_x": Value(0.611251081073649, rtol=1e-12)})
def example_02():
    """E02 (chapter 1): "compute the network output Y" of a two-input network whose hidden z layer is made
    of logistic units. With W = [[1, -1], [2, 1]] and v = [1, -1] (the book gives none): at x = [0, 0] both
    hidden units are 0.5 and Y = sigmoid(0) = 0.5; at x = [1, 1], z = sigmoid([3, 0]) and
    Y = sigmoid(sigmoid(3) - 0.5) = 0.61125."""
    params = {"W": fnp.asarray([[1.0, -1.0], [2.0, 1.0]]), "v": fnp.asarray([1.0, -1.0])}
    apply = fnx.jit(two_layer_logistic)
    return {"Y": apply(params, fnp.zeros(2)), "Y_at_other_x": apply(params, fnp.ones(2))}
