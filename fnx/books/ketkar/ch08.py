"""Ketkar, chapter 8 (stochastic gradient descent with downhill, on Theano): a 2-1000-2 network on the two
moons, trained with fnx.training.fit and its early stopping (8-3) and with seven optimizers (8-4)."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax
from fnx.datasets import two_moons
from fnx.training import EarlyStopping, evaluate, fit

from ..checks import Falls, Value
from ..registry import RunContext, listing


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


def moons_and_start(seed: int = 83):
    """Listings 8-3/8-4's setting: 5,000 noisy moons in a shuffled order (as sklearn's ``make_moons`` gives
    them; the last 1,000 for validation) and 8-2's start (``numpy.random.seed(0)``: W1 = randn(2, 1000),
    W2 = randn(1000, 2), zero biases)."""
    X, y = two_moons(fnx.random.key(seed), n=5000, noise=0.1)
    order = fnx.random.permutation(fnx.random.key(seed + 1), 5000)
    X, y = X[order], y[order]
    legacy = np.random.RandomState(0)
    params = {"W1": legacy.randn(2, 1000), "b1": np.zeros(1000), "W2": legacy.randn(1000, 2), "b2": np.zeros(2)}
    Y = nn.one_hot(y, 2)
    return params, (X[:-1000], Y[:-1000]), (X[-1000:], Y[-1000:])


def moons_network(params, X):
    """8-2's network: softmax(tanh(X W1 + b1) W2 + b2)."""
    return nn.softmax(fnp.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])


def moons_penalty(params):
    """8-2's penalty with batch_size = 1: (0.01 / 2) (sum W1^2 + sum W2^2)."""
    return regularized_loss(params, fnp.zeros((1, 2)), fnp.asarray([[1.0, 0.0]]))[1]


DOWNHILL_RATE = 1e-4  # downhill's default learning rate, which the listings keep


@listing("ketkar", "8-3", "downhill SGD with validation and patience", kind="trend",
         data="sklearn make_moons", stand_in="fnx.datasets.two_moons(5000, noise=0.1)",
         figure=("loss", "val_loss"), expect={"val_loss": Falls(), "loss": Falls(), "stopped_early": Value(False)})
def listing_8_3(ctx: RunContext):
    """Listing 8-3 trains 8-2's network with downhill's ``sgd`` on single examples (batch size 1, learning
    rate 1e-4), validating on the last 1,000 points with ``patience=10000``, for 10,000 iterations, and
    plots both losses (figure 8-13, no number). fnx: ``fnx.training.fit`` with batch size 1, the penalty as
    its regularizer, the validation set, and ``EarlyStopping(patience=10000)`` (which, as in the book, never
    stops the run); 3 epochs of 4,000 steps (--quick: 2 epochs over 100 examples, validated on 100: fit
    validates in batches of its batch size, 1 here). Both losses fall."""
    params, (X, Y), validation = moons_and_start()
    if ctx.quick:
        X, Y, validation = X[:100], Y[:100], (validation[0][:100], validation[1][:100])
    start = evaluate(moons_network, params, *validation, loss="categorical_crossentropy",
                     regularizer=moons_penalty, batch_size=1000, jit=False)["loss"]
    stop = EarlyStopping(patience=10000)
    result = fit(moons_network, params, optim.sgd(DOWNHILL_RATE), X, Y, loss="categorical_crossentropy",
                 regularizer=moons_penalty, batch_size=1, epochs=2 if ctx.quick else 3, key=83,
                 validation_data=validation, callbacks=[stop], verbose=0)
    first_loss = evaluate(moons_network, params, X, Y, loss="categorical_crossentropy", regularizer=moons_penalty,
                          batch_size=len(X), jit=False)["loss"]
    return {"loss": [first_loss, *result.history["loss"]], "val_loss": [start, *result.history["val_loss"]],
            "stopped_early": len(result.history["val_loss"]) < (2 if ctx.quick else 3)}


DOWNHILL_ALGORITHMS = {  # downhill's names; each with downhill's default learning rate
    "adadelta": optim.adadelta(DOWNHILL_RATE), "adagrad": optim.adagrad(DOWNHILL_RATE),
    "adam": optim.adam(DOWNHILL_RATE), "nag": optim.nesterov(DOWNHILL_RATE, mu=0.9),
    "rmsprop": optim.rmsprop(DOWNHILL_RATE), "rprop": optim.rprop(DOWNHILL_RATE, eta_minus=0.99, eta_plus=1.01,
                                                                  min_step=0.0, max_step=100.0),
    "sgd": optim.sgd(DOWNHILL_RATE)}


def validation_curve(optimizer, params, train, validation, key, iterations: int, every: int = 10):
    """downhill's ``iterate`` with batch size 1 and ``iteration_size=1``: ``iterations`` steps on single
    training examples in a shuffled order, the validation loss (cross-entropy plus penalty) after every
    ``every`` steps (downhill's ``validate_every``), the first before any step; one jitted scan."""
    def loss(p, x, y):
        cce, penalty = regularized_loss(p, x, y)
        return cce + penalty

    train = tuple(fnp.asarray(a) for a in train)
    order = fnx.random.permutation(key, train[0].shape[0])[:iterations].reshape(-1, every)

    def validate_after(carry, rows):
        def step(carry, i):
            p, state = carry
            g = fnx.grad(loss)(p, train[0][i][None], train[1][i][None])
            updates, state = optimizer.update(g, state, p)
            return (optim.apply_updates(p, updates), state), None
        carry, _ = lax.scan(step, carry, rows)
        return carry, loss(carry[0], *validation)

    run = fnx.jit(lambda p: lax.scan(validate_after, (p, optimizer.init(p)), order)[1])
    return fnp.concatenate([fnp.asarray([loss(params, *validation)]), run(params)])


@listing("ketkar", "8-4", "Seven downhill optimizers compared", kind="trend",
         data="sklearn make_moons", stand_in="fnx.datasets.two_moons(5000, noise=0.1)",
         figure=tuple(DOWNHILL_ALGORITHMS), expect={name: Falls() for name in DOWNHILL_ALGORITHMS})
def listing_8_4(ctx: RunContext):
    """Listing 8-4 resets the weights to 8-2's start and runs seven downhill algorithms (adadelta, adagrad,
    adam, nag, rmsprop, rprop, sgd; "adadelat" in the book) with their defaults for 1,000 single-example
    steps, plotting the validation-loss curves (figure 8-14, no number). Resetting is passing the same params
    again. Every curve falls (--quick: 50 steps); rprop has downhill's documented defaults, NAG momentum
    0.9."""
    params, train, validation = moons_and_start()
    iterations = 50 if ctx.quick else 1000
    return {name: validation_curve(opt, params, train, validation, fnx.random.key(84), iterations)
            for name, opt in DOWNHILL_ALGORITHMS.items()}

