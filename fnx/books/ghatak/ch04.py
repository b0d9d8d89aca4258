"""Ghatak, chapter 4 (initialization): a 2-100-1 network trained by full-batch gradient descent from all-zero
weights, as a pure fnx function (the training loop is a ``lax.scan`` inside ``jit``)."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx import lax

from ..checks import Between, Falls, Value
from ..registry import listing
from . import spiral


def forward(params: dict, X):
    """relu hidden layer, sigmoid output; columns of ``X`` are examples (the book's layout)."""
    hidden = nn.relu(params["W1"] @ X + params["b1"])
    return nn.sigmoid(params["W2"] @ hidden + params["b2"])


def cost(params: dict, X, Y):
    """Binary cross-entropy averaged over the examples (``compute_cost``)."""
    A = forward(params, X)
    return -fnp.sum(Y * fnp.log(A) + (1 - Y) * fnp.log(1 - A)) / X.shape[1]


@fnx.jit(static_argnames=("steps", "every"))
def gradient_descent(params: dict, X, Y, learning_rate, steps: int, every: int):
    """``steps`` full-batch updates; returns the final parameters and the cost before the first update and
    after every ``every``-th one."""
    def step(p, _):
        c, g = fnx.value_and_grad(cost)(p, X, Y)
        return fnx.tree_map(lambda w, d: w - learning_rate * d, p, g), c

    params, costs = lax.scan(step, params, None, length=steps)
    return params, fnp.concatenate([costs[::every], cost(params, X, Y)[None]])


def iterations(context) -> int:
    """The book's 5000 full-batch iterations, or 2000 with ``--quick`` (one compiled program for all four
    initializations either way)."""
    return 2000 if context.quick else 5000


def accuracy(params: dict, X, Y) -> float:
    """Percentage of examples whose thresholded output equals the label."""
    return float(fnp.mean((forward(params, X) > 0.5) == (Y == 1)) * 100)


@listing("ghatak", "L4-3", "Zero initialization: only the output bias learns", kind="tolerance",
         data="the book's spiral (R's set.seed(308))", stand_in="fnx.datasets.spirals with the book's class balance",
         figure=("cost",),
         expect={"cost_at_start": Value(0.693147, atol=5e-7), "cost_at_end": Value(0.693008, atol=5e-7),
                 "weights_stay_zero": Value(True),
                 "train_accuracy": Value(50.833, atol=5e-4), "test_accuracy": Value(47.5)})
def listing_l4_3(context):
    """Listing 4-3: ``n_layer_model`` with layers (2, 100, 1), relu/sigmoid, learning rate 0.03, 5000
    iterations from zero weights. Every hidden unit outputs relu(0) = 0, so dW2 = 0 and dW1 = W2' dZ2 = 0:
    only b2 learns, and the cost falls from ln 2 = 0.693147 to the entropy of the class balance, 0.693008
    for 305 of 600; the net predicts the majority class: 305/600 = 50.833 % on training, 95/200 = 47.5 % on
    test. These hold for any data with the book's balance, so the stand-in spiral reproduces them."""
    train_x, train_y, test_x, test_y = spiral.split()
    zeros = {"W1": np.zeros((100, 2)), "b1": np.zeros((100, 1)), "W2": np.zeros((1, 100)), "b2": np.zeros((1, 1))}
    params, costs = gradient_descent(zeros, train_x, train_y, 0.03, steps=iterations(context), every=100)
    still_zero = all(not np.any(np.asarray(params[k])) for k in ("W1", "b1", "W2"))
    return {"cost_at_start": costs[0], "cost_at_end": costs[-1], "cost": costs, "weights_stay_zero": still_zero, "train_accuracy": accuracy(params, train_x, train_y),
            "test_accuracy": accuracy(params, test_x, test_y)}


def initialized(scale: str, seed: int = 2) -> dict:
    """``initialize_params(c(2, 100, 1), ...)``: N(0, 1) weights times 0.01 ("random"), sqrt(1/n_prev)
    ("Xavier", as the book's code has it) or sqrt(2/n_prev) ("He"); zero biases."""
    rng = np.random.default_rng(seed)
    factor = {"random": lambda n: 0.01, "Xavier": lambda n: np.sqrt(1 / n), "He": lambda n: np.sqrt(2 / n)}[scale]
    return {"W1": rng.standard_normal((100, 2)) * factor(2), "b1": np.zeros((100, 1)),
            "W2": rng.standard_normal((1, 100)) * factor(100), "b2": np.zeros((1, 1))}


def train_from(scale: str, context) -> dict:
    """Train the 2-100-1 net from ``initialized(scale)``; the cost curve and both accuracies."""
    train_x, train_y, test_x, test_y = spiral.split()
    params, costs = gradient_descent(initialized(scale), train_x, train_y, 0.03, steps=iterations(context),
                                     every=100)
    return {"cost": costs, "train_accuracy": accuracy(params, train_x, train_y),
            "test_accuracy": accuracy(params, test_x, test_y)}


TRENDS = {"data": "the book's spiral (R's set.seed(308))", "stand_in": "fnx.datasets.spirals", "figure": ("cost",)}


@listing("ghatak", "L4-5", "Random initialization (N(0, 1) x 0.01)", kind="trend", **TRENDS,
         expect={"cost": Falls(0.6, printed=[0.693335, 0.172451]),
                 "train_accuracy": Between(85.0, 100.0, printed=96.333),
                 "test_accuracy": Between(85.0, 100.0, printed=97.5)})
def listing_l4_5(context):
    """Listing 4-5: the same run from small random weights breaks the symmetry: the cost falls from
    0.693335 to 0.172451 and accuracy reaches 96.3 % (train) and 97.5 % (test) in the book; on the stand-in
    spiral the cost must fall below 0.6 of its start and both accuracies exceed 85 % (after 2000 iterations
    with --quick, 5000 without)."""
    return train_from("random", context)


@listing("ghatak", "L4-6", "Xavier initialization", kind="trend", **TRENDS,
         expect={"cost": Falls(0.25, printed=[0.911371, 0.102719]),
                 "train_accuracy": Between(90.0, 100.0, printed=97.667),
                 "test_accuracy": Between(90.0, 100.0, printed=99.0)})
def listing_l4_6(context):
    """Listing 4-6: Xavier-scaled weights (sqrt(1/n_prev) in the book's code) start at a higher cost, 0.911,
    and converge faster, to 0.103, with 97.7 % and 99 % accuracy; here the cost falls below a quarter of its
    start and both accuracies exceed 90 %."""
    return train_from("Xavier", context)


@listing("ghatak", "L4-7", "He initialization", kind="trend", **TRENDS,
         expect={"cost": Falls(0.25, printed=[1.235932, 0.097017]),
                 "train_accuracy": Between(90.0, 100.0, printed=97.333),
                 "test_accuracy": Between(90.0, 100.0, printed=99.0)})
def listing_l4_7(context):
    """Listing 4-7: He-scaled weights (sqrt(2/n_prev)) start highest, 1.236, and end lowest, 0.097, with
    97.3 % and 99 % accuracy (Tables 4.1 and 4.2); here as for Xavier."""
    return train_from("He", context)
