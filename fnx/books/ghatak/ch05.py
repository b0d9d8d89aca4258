"""Ghatak, chapter 5 (optimization and gradient checking): the two-sided finite-difference check of section
5.6, as a pure fnx function over the flattened parameters (``ravel_pytree``), perturbed by ``vmap``."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.numpy as fnp
from fnx.flatten_util import ravel_pytree

from ..checks import Between
from ..registry import listing
from . import spiral
from .ch04 import cost


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
