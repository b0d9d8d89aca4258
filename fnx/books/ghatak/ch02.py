"""Ghatak, chapter 2 (introduction to neural networks): the sigmoid of a matrix and the softmax worked
examples, as pure fnx functions, and logistic regression trained on the cats-vs-dogs stand-in (chapter 3's
``n_layer_model`` with no hidden layer). R's ``matrix(c(...), nrow = 3)`` fills by column: ``order="F"``
here."""
from __future__ import annotations

import numpy as np

import fnx.nn as nn
import fnx.numpy as fnp

from ..checks import Between, Falls, Value
from ..registry import listing
from . import catsdogs
from .ch03 import CATS, LN2, cats_vs_dogs


@listing("ghatak", "L2-1", "Sigmoid of a 3x2 matrix, and its sum", kind="tolerance",
         expect={"sigmoid": Value([[0.6681878, 0.5744425], [0.5986877, 0.6456563], [0.5249792, 0.6224593]],
                                  atol=5e-8),
                 "sum": Value(3.634413, atol=5e-7)})
def listing_l2_1():
    """Listing 2-1: ``define_sigmoid`` on the column-major matrix of (0.7, 0.4, 0.1, 0.3, 0.6, 0.5), and the
    sum of its entries, 3.634413: sigmoid outputs are not a distribution (R prints 7 significant digits)."""
    z = fnp.asarray(np.reshape([0.7, 0.4, 0.1, 0.3, 0.6, 0.5], (3, 2), order="F"))
    s = nn.sigmoid(z)
    return {"sigmoid": s, "sum": fnp.sum(s)}


@listing("ghatak", "L2-2", "Softmax worked example: linear vs exponential normalisation", kind="tolerance",
         expect={"linear": Value([0.383, 0.378, 0.237], atol=1e-3),
                 "linear_fails_with_negative": Value(True),
                 "exp": Value([0.4916, 2.0137, 1.5527], atol=1e-4),
                 "softmax": Value([0.1211, 0.4962, 0.3826], atol=1e-4)})
def listing_l2_2():
    """Listing 2-2 (section 2.4.5): dividing the scores (0.71, 0.7, 0.44) by their sum gives 0.383, 0.378,
    0.237 (the book truncates: 0.38378, 0.37838, 0.23784); with z_a = -0.71 the linear "probabilities" turn
    negative (or above 1), while exponentiating first (0.4916, 2.0137, 1.5527) gives the softmax 0.1211, 0.4962, 0.3826.
    The book prints truncated digits, so each value holds to one unit in the last printed place."""
    z = fnp.asarray([0.71, 0.7, 0.44])
    negative = fnp.asarray([-0.71, 0.7, 0.44])
    linear = negative / fnp.sum(negative)
    return {"linear": z / fnp.sum(z), "linear_fails_with_negative": bool(fnp.any((linear < 0) | (linear > 1))),
            "exp": fnp.exp(negative), "softmax": nn.softmax(negative)}


X_23 = [[-0.1182523, 0.9972326, -0.1697167, 0.9321687], [-0.1896131, 2.2139245, -1.8058676, 0.8105641]]


@listing("ghatak", "L2-3", "Row-wise softmax of a printed 2x4 array", kind="tolerance",
         expect={"row_sums": Value([1.0, 1.0], rtol=1e-15),
                 "softmax": Value([[0.12723069, 0.38818683, 0.12084847, 0.36373401],
                                   [0.06675725, 0.73848481, 0.01326075, 0.18149718]], atol=5e-9)})
def listing_l2_3():
    """Listing 2-3: ``softmax(X)`` of the 2x4 array the book drew with ``rnorm(8)`` and printed; every row
    sums to 1 (``rowSums``). The probabilities are the catalog's, derived from the printed X."""
    p = nn.softmax(fnp.asarray(X_23), axis=1)
    return {"row_sums": fnp.sum(p, axis=1), "softmax": p}


@listing("ghatak", "L2-13", "Logistic regression from zero weights, 5,000 iterations", **CATS,
         expect={"cost_at_start": Value(LN2, atol=1e-12), "cost": Falls(0.01, printed=0.001126),
                 "train_accuracy": Between(95.0, 100.0, printed=100.0),
                 "test_accuracy": Between(62.0 - 7.0, 100.0, printed=62.0)})
def listing_l2_13(context):
    """Listing 2-13: ``simple_model`` (one sigmoid unit on the 12,288 pixels, zero weights and bias, gradient
    descent at 0.01 for 5,000 iterations; 1,000 with --quick): the cost falls to 0.011374 after 500
    iterations and 0.001126 after 5,000, with 100 % train and 62 % test accuracy. From zero weights every
    output is 1/2, so the first cost is ln 2 on any data. With more pixels than images the training set is
    separable and the cost heads to 0: here it must fall below 1 % of ln 2, and the accuracies reach 95 %
    (train) and the book's 62 % less 7 points (test)."""
    X = catsdogs.flat_split()[0]
    return cats_vs_dogs([X.shape[0], 1], (), "sigmoid", 0.01, 1000 if context.quick else 5000,
                        initialization="zero")
