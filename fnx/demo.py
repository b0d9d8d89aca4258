"""The demo that ``python -m fnx`` runs: trace a small pure function, print its jaxpr, and run it two ways.

The function is the mean squared error of a 2-layer MLP (2 -> 3 -> 1 units, tanh) on random points.
It is computed eagerly (each fnx.numpy call runs at once) and by evaluating the traced jaxpr with
``fnx.eval_jaxpr``; the two losses must agree.
"""
from __future__ import annotations

import numpy as np

import fnx
import fnx.numpy as fnp
import fnx.random as fr


def make_data(key, n: int = 8) -> tuple[fnx.Array, fnx.Array]:
    """``n`` random points ``x`` of shape (n, 2) in [-1, 1)^2, and targets ``y = sin(3 x0) + x1`` of shape (n, 1)."""
    x = fr.uniform(key, (n, 2), minval=-1.0, maxval=1.0)
    y = fnp.sin(3.0 * x[:, :1]) + x[:, 1:]
    return x, y


def init_params(key) -> dict:
    """Random weights for the 2 -> 3 -> 1 MLP, as a pytree: a dict of arrays (biases start at zero)."""
    k1, k2 = fr.split(key)
    return {
        "w1": 0.5 * fr.normal(k1, (2, 3)),
        "b1": fnp.zeros(3),
        "w2": 0.5 * fr.normal(k2, (3, 1)),
        "b2": fnp.zeros(1),
    }


def demo_inputs(seed: int = 0) -> tuple[dict, fnx.Array, fnx.Array]:
    """The demo's ``(params, x, y)``, all made from one random seed."""
    k_init, k_data = fr.split(fr.key(seed))
    return (init_params(k_init), *make_data(k_data))


def mlp_loss(params: dict, x, y):
    """Mean squared error of ``tanh(x @ w1 + b1) @ w2 + b2`` against ``y``; a scalar."""
    hidden = fnp.tanh(x @ params["w1"] + params["b1"])
    prediction = hidden @ params["w2"] + params["b2"]
    return fnp.mean((prediction - y) ** 2)


def main() -> None:
    """Print the jaxpr of ``mlp_loss`` and the loss computed eagerly and through the jaxpr."""
    params, x, y = demo_inputs()
    print(f"fnx {fnx.__version__} demo: the loss of a 2-layer MLP (2 -> 3 -> 1, tanh) on {x.shape[0]} points.\n")

    closed = fnx.make_jaxpr(mlp_loss)(params, x, y)
    print(f"jaxpr of mlp_loss:\n{closed}\n")

    eager = float(mlp_loss(params, x, y))
    leaves = fnx.tree_leaves([params, x, y])  # the jaxpr takes the flattened arguments
    (traced,) = fnx.eval_jaxpr(closed.jaxpr, closed.consts, *leaves)
    traced = float(traced)
    print(f"eager loss:      {eager!r}")
    print(f"eval_jaxpr loss: {traced!r}")
    print(f"eager and eval_jaxpr agree: {np.isclose(eager, traced, rtol=1e-12, atol=0.0)}")
