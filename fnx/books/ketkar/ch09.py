"""Ketkar, chapter 9 (automatic differentiation with autograd): gradients by argument number, a gradient
check, and logistic regression on the moons."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.datasets import two_moons
from fnx.test_util import check_grads

from ..checks import Value
from ..registry import listing


def norm2(x1, x2):
    """f(x1, x2) = sqrt(x1^2 + x2^2)."""
    return fnp.sqrt(x1 * x1 + x2 * x2)


@listing("ketkar", "9-1", "grad of sqrt(x1^2 + x2^2) with respect to each argument", kind="tolerance",
         expect={"f": Value(2.23606797749979, rtol=2e-16, printed=2.23),
                 "df_dx1": Value(0.4472135954999579, rtol=2e-16, printed=0.44),
                 "df_dx2": Value(0.8944271909999159, rtol=2e-16, printed=0.89),
                 "forward_mode": Value([0.4472135954999579, 0.8944271909999159], rtol=2e-16)})
def listing_9_1():
    """Listing 9-1: f = sqrt(5) and its gradients 1/sqrt(5), 2/sqrt(5) at the Python ints (1, 2), by
    ``grad(f, 0)`` and ``grad(f, 1)`` (the ints promote to float64). The book prints them cut to two
    decimals (2.23, 0.44, 0.89); forward mode (``jvp`` with one-hot tangents) gives the same two numbers."""
    tangents = [fnx.jvp(norm2, (1.0, 2.0), t)[1] for t in ((1.0, 0.0), (0.0, 1.0))]
    return {"f": norm2(1, 2), "df_dx1": fnx.grad(norm2, 0)(1, 2), "df_dx2": fnx.grad(norm2, 1)(1, 2),
            "forward_mode": fnp.stack(tangents)}


@listing("ketkar", "9-2", "quick_grad_check: numeric vs analytic gradient", kind="tolerance",
         expect={"numeric": Value(0.447213595409, rtol=1e-6), "analytic": Value(0.4472135955, rtol=1e-10)})
def listing_9_2():
    """Listing 9-2: autograd's ``quick_grad_check(f, 1.0, extra_args=[2.0])`` compares a central difference
    of f in x1 (0.447213595409) with the gradient (0.4472135955). fnx's ``fnx.test_util.check_grads`` does
    the same, as JAX's does, in forward and reverse mode up to second order: it raises when they disagree,
    which the runner reports as an error."""
    h = 1e-6
    numeric = (norm2(1.0 + h, 2.0) - norm2(1.0 - h, 2.0)) / (2 * h)
    check_grads(norm2, (1.0, 2.0), order=2)
    return {"numeric": numeric, "analytic": fnx.grad(norm2)(1.0, 2.0)}



def activation(X, w):
    """The listing's squashing unit 0.5 (tanh(X w) + 1), no bias."""
    return 0.5 * (fnp.tanh(X @ w) + 1)


def moons_loss(w, X, y):
    """-sum log(p y + (1 - p)(1 - y)): the log-likelihood of the labels, summed (not averaged)."""
    p = activation(X, w)
    return -fnp.sum(fnp.log(p * y + (1 - p) * (1 - y)))


@fnx.jit
def steepest_descent(w, X, y):
    """100 steps of w -= 0.001 grad(loss)(w) (the book's in-place update) as one scan; the loss before
    each step."""
    def step(w, _):
        value, g = fnx.value_and_grad(moons_loss)(w, X, y)
        return w - 0.001 * g, value
    return lax.scan(step, w, None, length=100)


@listing("ketkar", "9-3", "Logistic regression on the moons by steepest descent", kind="tolerance",
         expect={"loss_first": Value(507.8021175304874, rtol=1e-12),
                 "loss_second": Value(438.6992214184868, rtol=1e-12),
                 "loss_last": Value(130.06331152999638, rtol=1e-10),
                 "weights": Value([0.727971602652394, -2.323066486052715], rtol=1e-10),
                 "accuracy": Value(0.872)},
         data="sklearn make_moons(500, noise=0.1)", stand_in="fnx.datasets.two_moons(500), noise-free",
         figure=("loss", "decision"))
def listing_9_3():
    """Listing 9-3: the squashing unit 0.5 (tanh(x w) + 1) fitted to 500 moons points from w = [1, 1] by 100
    steps at rate 0.001; the book prints nothing and plots the falling loss and the decision boundary. The
    moons in the book are noisy and unseeded; on the noise-free moons the run is deterministic (catalog:
    loss 507.80 -> 130.06, w = [0.7280, -2.3231], training accuracy 0.872). ``decision``: the two sides
    of p = 0.5 (light and darker grey) on a grid over [-1.5, 2.5] x [-1, 1.5], the points drawn on it
    (white: outer moon, black: inner)."""
    X, y = two_moons(n=500)
    w, losses = steepest_descent(fnp.asarray([1.0, 1.0]), X, y.astype(float))
    grid = fnp.stack(fnp.meshgrid(fnp.linspace(-1.5, 2.5, 80), fnp.linspace(1.5, -1.0, 50)), axis=-1)
    decision = np.where(np.asarray(activation(grid, w)) > 0.5, 0.6, 0.35)
    cells = np.clip(((np.asarray(X) - [-1.5, -1.0]) / [4.0, 2.5] * [79, 49]).round().astype(int), 0, [79, 49])
    decision[49 - cells[:, 1], cells[:, 0]] = np.asarray(y, dtype=float)
    return {"loss_first": losses[0], "loss_second": losses[1], "loss_last": losses[-1], "weights": w,
            "accuracy": fnp.mean((activation(X, w) > 0.5) == (y == 1)), "loss": losses, "decision": decision}
