"""Ghatak, chapter 5 (optimization and gradient checking): the two-sided finite-difference check of section
5.6, as a pure fnx function over the flattened parameters (``ravel_pytree``), perturbed by ``vmap``."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.flatten_util import ravel_pytree

from ..checks import Between, Falls
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


@fnx.jit(static_argnames=("optimizer", "batch_size", "epochs"))
def train(params: dict, X, Y, key, optimizer: str, batch_size: int, epochs: int, learning_rate=0.001):
    """Listing 5-8's ``model``: ``epochs`` passes over shuffled mini-batches (the last partial batch dropped,
    so every step has one shape), updated by ``optimizer``; returns the parameters and the full-data cost
    before training and after every tenth of the epochs."""
    update = UPDATES[optimizer]
    m = X.shape[1]
    batches = m // batch_size
    zeros = fnx.tree_map(fnp.zeros_like, params)

    def epoch(carry, e):
        params, state, t = carry
        order = fnx.random.permutation(fnx.random.fold_in(key, e), m)[:batches * batch_size]

        def step(carry, idx):
            params, state, t = carry
            grads = fnx.grad(cost)(params, X[:, idx], Y[:, idx])
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


def train_on_spiral(optimizer: str, batch_size: int, context) -> dict:
    """Section 5.3.6's runs: the standardised spiral, (2, 100, 1) from random N(0, 1) x 0.01 weights,
    learning rate 0.001; 10,000 epochs (100 with --quick)."""
    train_x, train_y, test_x, test_y = spiral.split()
    rng = np.random.default_rng(10)
    params = {"W1": rng.normal(size=(100, 2)) * 0.01, "b1": np.zeros((100, 1)),
              "W2": rng.normal(size=(1, 100)) * 0.01, "b2": np.zeros((1, 1))}
    epochs = 100 if context.quick else 10000
    params, costs = train(params, standardized(train_x), train_y, fnx.random.key(10), optimizer=optimizer,
                          batch_size=batch_size, epochs=epochs)
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
