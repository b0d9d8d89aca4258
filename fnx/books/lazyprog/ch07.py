"""LazyProgrammer, chapter 7 (modern regularization and optimization): momentum, learning-rate schedules,
AdaGrad and RMSprop as the book writes them, and L1/L2 penalties over every weight and bias. The traces
are the catalog's C.5 and C.6 (J = w^2 + w from w = 20)."""
from __future__ import annotations

import math

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim

from ..checks import Value
from ..registry import listing
from .ch06 import five_steps


@listing("lazyprog", "E27", "Momentum: dw = mu dw - lr grad; w += dw", kind="tolerance",
         expect={"mu_0.9": Value([20, 15.9, 8.93, 0.771, -6.8263, -12.39861], atol=1e-9),
                 "mu_0.99": Value([20, 15.9, 8.561, -0.51681, -9.5004799, -16.594217121], atol=1e-9)})
def example_27():
    """E27: the book's momentum, v(t) = dw(t - 1) and dw(t) = mu dw(t - 1) - lr dJ/dw, w(t) = w(t - 1) +
    dw(t) ("mu usually set to around 0.99"): five steps at lr 0.1 from 20 with mu = 0.9 and 0.99."""
    return {f"mu_{mu}": five_steps(optim.momentum(0.1, mu=mu)) for mu in (0.9, 0.99)}


@listing("lazyprog", "E28", "Learning-rate schedules: halving, inverse and exponential decay", kind="tolerance",
         expect={"inverse": Value([1.0, 0.9090909091, 0.8333333333, 0.7692307692], atol=5e-11),
                 "exponential": Value([1.0, 0.904837418, 0.8187307531, 0.7408182207], atol=5e-10),
                 "halving_by_epoch": Value([0.5] * 10 + [0.25] * 10 + [0.125] * 10)})
def example_28():
    """E28: ``if epoch % 10 == 0: learning_rate /= 2`` (which halves at epoch 0 too: 0.5 for epochs 0-9,
    0.25, then 0.125), A / (1 + kt) and A exp(-kt) with A = 1, k = 0.1 (catalog C.6), as ``fnx.optimizers``
    schedules of the step count."""
    inverse = optim.inverse_time_decay(1.0, 0.1)
    exponential = optim.exponential_decay(1.0, math.exp(-0.1))
    halving = optim.step_decay(0.5, 10, 0.5)
    return {"inverse": [float(inverse(t)) for t in range(4)], "exponential": [float(exponential(t)) for t in range(4)],
            "halving_by_epoch": [float(halving(e)) for e in range(30)]}


@listing("lazyprog", "E29", "AdaGrad and RMSprop as the book writes them", kind="tolerance",
         expect={"adagrad": Value([20, 19.0, 18.310786234, 17.7571315132, 17.2837847017, 16.8650738974], atol=1e-9),
                 "rmsprop": Value([20, 19.683772234, 19.4560534119, 19.2662360232, 19.0983069876, 18.944848946],
                                  atol=1e-9)})
def example_29():
    """E29: AdaGrad, cache += g^2, w -= lr g / (sqrt(cache) + eps), eps "like 10^-10" (lr 1 here), and
    RMSprop, cache = 0.9 cache + 0.1 g^2 with the same update (lr 0.1); both caches start at 0 and eps is
    outside the square root, as printed."""
    return {"adagrad": five_steps(optim.adagrad(1.0, eps=1e-10)),
            "rmsprop": five_steps(optim.rmsprop(0.1, decay=0.9, eps=1e-10))}


PARAMS = {"W1": [[1.0, -2.0], [0.0, 3.0]], "b1": [0.5, -0.5], "W2": [[-1.0], [2.0]], "b2": [0.0]}


@listing("lazyprog", "E30", "L1 and L2 penalties over every weight and bias", kind="exact",
         expect={"l1": Value(10.0), "l2": Value(19.5),
                 "l1_grad": Value({"W1": [[1.0, -1.0], [0.0, 1.0]], "b1": [1.0, -1.0], "W2": [[-1.0], [1.0]],
                                   "b2": [0.0]}),
                 "l2_grad": Value({"W1": [[2.0, -4.0], [0.0, 6.0]], "b1": [1.0, -1.0], "W2": [[-2.0], [4.0]],
                                   "b2": [0.0]})})
def example_30():
    """E30: J_L1 = J + L1_const (|W1| + |b1| + |W2| + |b2|) and J_L2 = J + L2_const (|W1|^2 + ...), element
    by element and *including the biases*. On a small params tree: L1 = 10, L2 = 19.5; the L1 gradient is
    sign(theta) with 0 at 0 ("technically undefined, but we treat it as 0"), the L2 gradient 2 theta."""
    params = fnx.tree_map(fnp.asarray, PARAMS, is_leaf=lambda v: isinstance(v, list))
    flat = lambda g: {k: v.tolist() for k, v in g.items()}  # noqa: E731
    return {"l1": nn.l1(params), "l2": nn.l2(params), "l1_grad": flat(fnx.grad(nn.l1)(params)),
            "l2_grad": flat(fnx.grad(nn.l2)(params))}
