"""Ketkar, chapter 3 (feed-forward networks with autograd): a two-layer tanh network for regression, trained
one example at a time."""
from __future__ import annotations

import functools

import fnx
import fnx.numpy as fnp
from fnx import lax, random

from ..checks import Between, Falls
from ..registry import listing


def predict(params, x):
    """tanh(tanh(x w1 + b1) w2 + b2): x (..., 100) -> (...,)."""
    w1, b1, w2, b2 = params
    return fnp.tanh(fnp.tanh(x @ w1 + b1) @ w2 + b2)


def mse(params, X, y):
    """Mean squared error over the data set (the book's "RMSE", sklearn's mean_squared_error)."""
    return fnp.mean((predict(params, X) - y) ** 2)


@functools.partial(fnx.jit, static_argnums=3)
def train(params, X, y, epochs: int):
    """``epochs`` passes of per-example SGD at rate 0.01 over the rows, as nested scans; returns the params
    and the MSE after each epoch."""
    def example(p, xy):
        g = fnx.grad(lambda q: (xy[1] - predict(q, xy[0])) ** 2)(p)
        return fnx.tree_map(lambda w, dw: w - 0.01 * dw, p, g), None

    def epoch(p, _):
        p, _ = lax.scan(example, p, (X, y))
        return p, mse(p, X, y)
    return lax.scan(epoch, params, None, length=epochs)


@listing("ketkar", "3-1", "A two-layer network for regression, trained by per-example SGD", kind="trend",
         expect={"mse_after": Between(0.66, 0.82, printed=0.739508975012),
                 "mse_before": Between(1.7, 2.1, printed=1.88214665439), "mse_per_epoch": Falls()},
         stand_in="fnx.random normal features and targets (as the book)", figure=("mse_per_epoch",))
def listing_3_1():
    """Listing 3-1: 1000 random rows of 100 features, random normal targets; a 100-10-1 tanh network with
    weights from U[0, 1) (so the hidden units saturate: the MSE starts near 1 + E[y_hat^2] ~ 1.9), trained by
    10 epochs of per-example SGD at rate 0.01 with autograd's ``grad`` over the (w1, b1, w2, b2) tuple (b2 a
    Python float). The book labels the printed numbers "RMSE"; they are mean squared errors (book: 1.882 ->
    0.7395; the catalog's re-runs: 1.82-1.96 -> 0.73-0.76)."""
    keys = random.split(random.key(31), 4)
    X, y = random.normal(keys[0], (1000, 100)), random.normal(keys[1], (1000,))
    params = (random.uniform(keys[2], (100, 10)), random.uniform(keys[3], (10,)),
              random.uniform(random.key(32), (10,)), 0.0)
    final, curve = train(params, X, y, 10)
    return {"mse_before": mse(params, X, y), "mse_after": curve[-1], "mse_per_epoch": curve}
