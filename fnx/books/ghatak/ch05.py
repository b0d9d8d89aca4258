"""Ghatak, chapter 5 (optimization and gradient checking): the two-sided finite-difference check of section
5.6, as a pure fnx function over the flattened parameters (``ravel_pytree``), perturbed by ``vmap``."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx import lax
from fnx.flatten_util import ravel_pytree

from ..checks import Between, Falls, Value
from ..registry import listing
from . import spiral
from .ch04 import cost, forward


def relative_difference(f, params, epsilon: float = 1e-7) -> float:
    """``||g_num - g|| / (||g_num|| + ||g||)`` between ``fnx.grad(f)`` and two-sided differences of ``f``
    along every coordinate of the flattened ``params`` (the book's ``gradient_check``)."""
    flat, unravel = ravel_pytree(params)
    exact = ravel_pytree(fnx.grad(f)(params))[0]
    at = fnx.vmap(lambda x: f(unravel(x)))
    steps = epsilon * fnp.eye(flat.shape[0])
    numeric = (at(flat + steps) - at(flat - steps)) / (2 * epsilon)
    return float(fnp.linalg.norm(numeric - exact) / (fnp.linalg.norm(numeric) + fnp.linalg.norm(exact)))


@listing("ghatak", "L5-26", "Gradient check of a 2-100-2 relu/sigmoid network", kind="tolerance",
         data="the book's spiral", stand_in="fnx.datasets.spirals",
         expect={"difference": Between(0.0, 1e-7, printed=1.070501e-08)})
def listing_l5_26():
    """Listing 5-26: the check on one training example of a (2, 100, 2) network (random N(0, 1) x 0.01
    weights): the relative difference between back-propagated and finite-difference gradients is below the
    book's 1e-7 threshold ("correct"); the book printed 1.070501e-08 for its random draw."""
    train_x, train_y, _, _ = spiral.split()
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(size=(100, 2)) * 0.01, "b1": np.zeros((100, 1)),
              "W2": rng.normal(size=(2, 100)) * 0.01, "b2": np.zeros((2, 1))}
    index = rng.integers(600)
    x, y = train_x[:, index:index + 1], np.repeat(train_y[:, index:index + 1], 2, axis=0)
    return {"difference": relative_difference(lambda p: cost(p, x, y), params)}


def standardized(x):
    """R's ``t(scale(t(x)))`` for features x examples: each feature to mean 0 and sample sd 1."""
    return (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1, keepdims=True)


def momentum_update(state, grads, learning_rate, t, beta=0.9, **_):
    """Listing 5-2: ``v = beta v + (1 - beta) dW``, ``W -= lr v`` (returns the step and the new state)."""
    v = fnx.tree_map(lambda v, g: beta * v + (1 - beta) * g, state["v"], grads)
    return fnx.tree_map(lambda v: -learning_rate * v, v), {**state, "v": v}


def adam_update(state, grads, learning_rate, t, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """Listing 5-7: Adam with bias correction ``1 - beta^t`` and ``sqrt(s_hat) + eps`` in the denominator."""
    v = fnx.tree_map(lambda v, g: beta1 * v + (1 - beta1) * g, state["v"], grads)
    s = fnx.tree_map(lambda s, g: beta2 * s + (1 - beta2) * g * g, state["s"], grads)
    step = fnx.tree_map(lambda v, s: -learning_rate * (v / (1 - beta1 ** t)) / (fnp.sqrt(s / (1 - beta2 ** t))
                                                                              + epsilon), v, s)
    return step, {"v": v, "s": s}


def gd_update(state, grads, learning_rate, t, **_):
    """Plain gradient descent: ``W -= lr dW``."""
    return fnx.tree_map(lambda g: -learning_rate * g, grads), state


UPDATES = {"gd": gd_update, "momentum": momentum_update, "adam": adam_update}


def regularized_cost(params: dict, X, Y, key, keep_prob: float = 1.0, lambd: float = 0.0):
    """Listings 5-15 and 5-16: the cost with inverted dropout on the hidden layer (``keep_prob`` < 1, a mask
    drawn from ``key``) plus ``lambd / (2m)`` times the squared weights, m the batch's size."""
    hidden = nn.relu(params["W1"] @ X + params["b1"])
    if keep_prob < 1.0:
        hidden = nn.dropout(key, hidden, 1.0 - keep_prob)
    A = nn.sigmoid(params["W2"] @ hidden + params["b2"])
    m = X.shape[1]
    penalty = lambd / (2 * m) * (fnp.sum(params["W1"] ** 2) + fnp.sum(params["W2"] ** 2))
    return -fnp.sum(Y * fnp.log(A) + (1 - Y) * fnp.log(1 - A)) / m + penalty


@fnx.jit(static_argnames=("optimizer", "batch_size", "epochs", "keep_prob", "lambd"))
def train(params: dict, X, Y, key, optimizer: str, batch_size: int, epochs: int, learning_rate=0.001,
          keep_prob: float = 1.0, lambd: float = 0.0):
    """Listing 5-8's ``model`` (5-19's with ``keep_prob`` and ``lambd``): ``epochs`` passes over shuffled
    mini-batches (the last partial batch dropped, so every step has one shape), updated by ``optimizer``;
    returns the parameters and the full-data cost (without dropout or penalty) before training and after
    every tenth of the epochs."""
    update = UPDATES[optimizer]
    m = X.shape[1]
    batches = m // batch_size
    zeros = fnx.tree_map(fnp.zeros_like, params)

    def epoch(carry, e):
        params, state, t = carry
        order = fnx.random.permutation(fnx.random.fold_in(key, e), m)[:batches * batch_size]

        def step(carry, idx):
            params, state, t = carry
            mask_key = fnx.random.fold_in(key, t + 1_000_000)  # apart from the epochs' shuffling keys
            grads = fnx.grad(regularized_cost)(params, X[:, idx], Y[:, idx], mask_key, keep_prob, lambd)
            change, state = update(state, grads, learning_rate, t + 1)
            return (fnx.tree_map(fnp.add, params, change), state, t + 1), None

        carry, _ = lax.scan(step, (params, state, t), order.reshape(batches, batch_size))
        return carry, cost(carry[0], X, Y)

    start = cost(params, X, Y)
    (params, _, _), costs = lax.scan(epoch, (params, {"v": zeros, "s": zeros}, 0), fnp.arange(epochs))
    return params, fnp.concatenate([start[None], costs[epochs // 10 - 1::epochs // 10]])


def accuracy(params: dict, X, Y) -> float:
    """Listing 5-8's accuracy, ``100 - mean(|prediction - Y|) * 100``."""
    return float(100 - fnp.mean(fnp.abs((forward(params, X) > 0.5) - Y)) * 100)


def train_on_spiral(optimizer: str, batch_size: int, context, scale: float = 0.01, learning_rate: float = 0.001,
                    epochs: int = 10000, quick_epochs: int = 100, **regularization) -> dict:
    """Section 5.3.6's runs: the standardised spiral, (2, 100, 1) from N(0, 1) weights times ``scale``
    (0.01: "random"; section 5.5.2 uses He's sqrt(2 / n_prev)), learning rate 0.001, 10,000 epochs (100 with
    --quick); ``regularization``: ``keep_prob``, ``lambd``."""
    train_x, train_y, test_x, test_y = spiral.split()
    rng = np.random.default_rng(10)
    he = scale == "He"
    params = {"W1": rng.normal(size=(100, 2)) * (np.sqrt(2 / 2) if he else scale), "b1": np.zeros((100, 1)),
              "W2": rng.normal(size=(1, 100)) * (np.sqrt(2 / 100) if he else scale), "b2": np.zeros((1, 1))}
    params, costs = train(params, standardized(train_x), train_y, fnx.random.key(10), optimizer=optimizer,
                          batch_size=batch_size, epochs=quick_epochs if context.quick else epochs,
                          learning_rate=learning_rate, **regularization)
    return {"cost": costs, "train_accuracy": accuracy(params, standardized(train_x), train_y),
            "test_accuracy": accuracy(params, standardized(test_x), test_y)}


SPIRAL = {"kind": "trend", "data": "the book's spiral", "stand_in": "fnx.datasets.spirals", "figure": ("cost",)}


@listing("ghatak", "L5-10", "Batch gradient descent at learning rate 0.001", **SPIRAL,
         expect={"cost": Falls(1.0, printed=[0.693400, 0.685819]),
                 "train_accuracy": Between(45.0, 70.0, printed=50.833)})
def listing_l5_10(context):
    """Listing 5-10: full-batch (600) gradient descent at learning rate 0.001 hardly moves in 10,000 epochs:
    the cost creeps from 0.6934 to 0.6858 and the net still predicts mostly one class (50.8 %)."""
    return train_on_spiral("gd", 600, context)


@listing("ghatak", "L5-11", "Mini-batch gradient descent (64)", **SPIRAL,
         expect={"cost": Falls(1.0, printed=[0.693321, 0.212745])})
def listing_l5_11(context):
    """Listing 5-11: mini-batches of 64 take ten steps per epoch: the cost falls from 0.693 to 0.213 in 10,000
    epochs (92.7 % / 93 % accuracy); in the first hundreds of epochs it falls slowly, as the book's log shows
    (0.685 after 1,000)."""
    return train_on_spiral("gd", 64, context)


@listing("ghatak", "L5-12", "Mini-batch gradient descent with momentum", **SPIRAL,
         expect={"cost": Falls(1.0, printed=[0.693321, 0.212826])})
def listing_l5_12(context):
    """Listing 5-12: momentum 0.9 in the book's averaging form (``v = beta v + (1 - beta) dW``) takes steps of
    the same size as plain gradient descent once v has warmed up, so its log follows 5-11's almost exactly
    (0.212826 against 0.212745)."""
    return train_on_spiral("momentum", 64, context)


@listing("ghatak", "L5-13", "Mini-batch Adam", **SPIRAL,
         expect={"cost": Falls(0.2, printed=[0.692244, 0.087868]),
                 "train_accuracy": Between(90.0, 100.0, printed=97.5),
                 "test_accuracy": Between(88.0, 100.0, printed=95.5)})
def listing_l5_13(context):
    """Listing 5-13: Adam (0.9, 0.999, 1e-8) at the same learning rate reaches a cost of 0.08 within 1,000
    epochs and 97.5 % / 95.5 % accuracy; here the cost falls below a fifth of its start and both
    accuracies exceed 88-90 % even with --quick's 300 epochs."""
    return train_on_spiral("adam", 64, context)


RUNS = [("gd", 600), ("gd", 64), ("momentum", 64), ("adam", 64)]


def four_runs(context, **regularization) -> dict:
    """Section 5.5.2's four runs (batch gradient descent, mini-batch gradient descent, momentum and Adam on
    batches of 64) from He-scaled weights at learning rate 1e-4 for 15,000 epochs (10 with --quick): each
    run's full-data cost curve, and how the runs compare."""
    runs = [train_on_spiral(optimizer, size, context, scale="He", learning_rate=1e-4, epochs=15000,
                            quick_epochs=10, **regularization) for optimizer, size in RUNS]
    finals = [float(r["cost"][-1]) for r in runs]
    gd, momentum = (np.asarray(runs[i]["cost"]) for i in (1, 2))
    return {"cost_batch_gd": runs[0]["cost"], "cost_adam": runs[3]["cost"],
            "adam_ends_lowest": finals[3] == min(finals),
            "momentum_tracks_gd": bool(np.all(np.abs(momentum - gd) <= 1e-2 * gd))}


@listing("ghatak", "L5-20", "Four optimizers without regularization", **SPIRAL,
         expect={"cost_batch_gd": Falls(1.0, printed=[1.470488, 0.522032]),
                 "cost_adam": Falls(1.0, printed=[1.292012, 0.035555]), "adam_ends_lowest": Value(True),
                 "momentum_tracks_gd": Value(True)})
def listing_l5_20(context):
    """Listing 5-20: from He weights at learning rate 1e-4, batch gradient descent ends at 0.522 (70.2 %),
    mini-batch gradient descent and momentum at 0.228 (91.7 %) with curves that agree to three digits
    (momentum's averaged steps at a tiny rate are gradient descent's), Adam at 0.036 (97.3 %)."""
    return four_runs(context)


@listing("ghatak", "L5-21", "Four optimizers with dropout (keep_prob 0.8)", **SPIRAL,
         expect={"cost_batch_gd": Falls(1.0, printed=[1.709239, 0.516557]),
                 "cost_adam": Falls(1.0, printed=[1.477707, 0.042310]), "adam_ends_lowest": Value(True),
                 "momentum_tracks_gd": Value(True)})
def listing_l5_21(context):
    """Listing 5-21: the same runs with inverted dropout on the hidden layer: the costs fall as without it
    (0.517, 0.224, 0.224, 0.042) and Adam still ends lowest (97.7 % train, 96 % test accuracy)."""
    return four_runs(context, keep_prob=0.8)


@listing("ghatak", "L5-22", "Four optimizers with L2 (lambda 0.6)", **SPIRAL,
         expect={"cost_batch_gd": Falls(1.0, printed=[1.586391, 0.637578]),
                 "cost_adam": Falls(1.0, printed=[2.378008, 0.256161]), "adam_ends_lowest": Value(True),
                 "momentum_tracks_gd": Value(True)})
def listing_l5_22(context):
    """Listing 5-22: with the penalty ``lambd / (2m) sum W^2`` (m the batch's size, so batches of 64 pay 9.4
    times more than the full batch: the book's epoch-0 costs jump by 1.087 and 0.116), the costs it prints
    stay higher (0.638, 1.068, 1.068, 0.256); the data cost (without the penalty) still falls and Adam still
    ends lowest."""
    return four_runs(context, lambd=0.6)
