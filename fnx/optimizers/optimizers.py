"""The named optimizers, each a ``chain`` of the building blocks in ``scaling``, ``weight_decay``.

Every optimizer takes ``learning_rate`` as a float or a schedule (``schedules.py``). Defaults follow Optax
and PyTorch; each docstring says how to get the books' conventions. Usage, for any of them:

>>> import fnx, fnx.numpy as fnp, fnx.optimizers as optim
>>> loss = lambda p: fnp.sum((p["w"] - 3.0) ** 2)
>>> params = {"w": fnp.zeros(2)}
>>> opt = optim.adam(0.1)
>>> state = opt.init(params)
>>> for _ in range(200):
...     updates, state = opt.update(fnx.grad(loss)(params), state, params)
...     params = optim.apply_updates(params, updates)
>>> bool(fnp.all(fnp.abs(params["w"] - 3.0) < 0.05))
True
"""
from __future__ import annotations

from typing import Any

from .base import GradientTransformation, chain
from .scaling import (LearningRate, scale, scale_by_adadelta, scale_by_adam, scale_by_adamax,
                      scale_by_learning_rate, scale_by_nadam, scale_by_rms, scale_by_rprop, scale_by_rss, trace)
from .weight_decay import add_decayed_weights


def sgd(learning_rate: LearningRate) -> GradientTransformation:
    """Plain gradient descent: ``p = p - lr * g``. No state besides a step count when ``lr`` is a schedule.

    >>> import fnx.numpy as fnp
    >>> sgd(0.5).update({"w": fnp.array([2.0])}, sgd(0.5).init(None))[0]["w"]
    Array([-1.], dtype=float64)
    """
    return scale_by_learning_rate(learning_rate)


def momentum(learning_rate: LearningRate, mu: float = 0.9, nesterov: bool = False,
             averaged: bool = False) -> GradientTransformation:
    """Gradient descent with momentum: ``v = mu * v + g; p = p - lr * v`` (PyTorch, Optax), ``v`` from 0.

    ``averaged=True`` is the moving-average form of Ghatak 2019, section 5.3.2, ``v = mu * v + (1 - mu) * g``.
    The ``dw = mu * dw - lr * g; w += dw`` of LazyProgrammer 2016 (mu about 0.99) and the form of Bourez 2017 are the
    classic form for a constant ``lr``. ``nesterov=True``: see ``nesterov``.

    >>> import fnx.numpy as fnp
    >>> opt = momentum(0.1, mu=0.9)
    >>> u, s = opt.update({"w": fnp.array([1.0])}, opt.init({"w": fnp.zeros(1)}))
    >>> opt.update({"w": fnp.array([1.0])}, s)[0]["w"]
    Array([-0.19], dtype=float64)
    """
    return chain(trace(mu, nesterov=nesterov, averaged=averaged), scale_by_learning_rate(learning_rate))


def nesterov(learning_rate: LearningRate, mu: float = 0.9) -> GradientTransformation:
    """Nesterov momentum in the form of Bengio et al. (2012), PyTorch and Optax: ``v = mu * v + g``;
    ``p = p - lr * (g + mu * v)``, the gradient taken at the stored ``p``.

    Its iterates are the look-ahead points ``W + mu V`` of the textbook form
    ``V = mu V - lr grad(W + mu V); W = W + V`` (Ghatak 2019, section 5.3.3, prints both), and it equals the
    form ``p + mu * v - lr * g`` of Bourez 2017 for a constant ``lr``.

    >>> import fnx.numpy as fnp
    >>> opt = nesterov(0.1, mu=0.9)
    >>> opt.update({"w": fnp.array([1.0])}, opt.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([-0.19], dtype=float64)
    """
    return momentum(learning_rate, mu, nesterov=True)


def adagrad(learning_rate: LearningRate, initial_accumulator_value: float = 0.0, eps: float = 1e-10,
            eps_inside_sqrt: bool = False) -> GradientTransformation:
    """AdaGrad: ``G = G + g**2; p = p - lr * g / (sqrt(G) + eps)``.

    Defaults are PyTorch's and LazyProgrammer 2016's (``G`` from 0, eps 1e-10 outside the root). TensorFlow 1 and
    Optax start ``G`` at 0.1; Bourez 2017 uses ``eps=1e-6, eps_inside_sqrt=True``.

    >>> import fnx.numpy as fnp
    >>> opt = adagrad(1.0)
    >>> opt.update({"w": fnp.array([3.0])}, opt.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([-1.], dtype=float64)
    """
    return chain(scale_by_rss(initial_accumulator_value, eps, eps_inside_sqrt),
                 scale_by_learning_rate(learning_rate))


def adadelta(learning_rate: LearningRate = 1.0, rho: float = 0.9, eps: float = 1e-6) -> GradientTransformation:
    """AdaDelta (Zeiler 2012): see ``scale_by_adadelta``; ``p = p - lr * d``.

    The method needs no learning rate, hence the default 1.0 (PyTorch and Keras). Defaults ``rho=0.9,
    eps=1e-6`` are PyTorch's and Optax's; Keras (Ketkar 2017, listings 7-7) uses ``rho=0.95``.

    >>> import fnx.numpy as fnp
    >>> opt = adadelta(rho=0.0, eps=1.0)
    >>> opt.update({"w": fnp.array([1.0])}, opt.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([-0.70710678], dtype=float64)
    """
    return chain(scale_by_adadelta(rho, eps), scale_by_learning_rate(learning_rate))


def rmsprop(learning_rate: LearningRate, decay: float = 0.9, eps: float = 1e-8, eps_inside_sqrt: bool = False,
            initial_scale: float = 0.0, momentum: float = 0.0) -> GradientTransformation:
    """RMSprop: ``nu = decay * nu + (1 - decay) * g**2``; ``s = g / (sqrt(nu) + eps)``; with ``momentum``,
    ``v = momentum * v + s`` and ``p = p - lr * v``, otherwise ``p = p - lr * s``.

    Defaults: decay 0.9 (Hinton, Keras, Optax; PyTorch uses 0.99), eps 1e-8 outside the root, ``nu`` from 0
    (PyTorch, Keras, LazyProgrammer 2016). TensorFlow 1's ``RMSPropOptimizer(lr, decay=0.99, momentum=0.9)``
    (LazyProgrammer 2016-E25) is ``rmsprop(lr, decay=0.99, momentum=0.9, eps=1e-10, eps_inside_sqrt=True,
    initial_scale=1.0)``; Ghatak 2019 (section 5.3.10) and Bourez 2017 put eps inside the root too.

    >>> import fnx.numpy as fnp
    >>> opt = rmsprop(0.1, decay=0.75, eps=0.0)
    >>> opt.update({"w": fnp.array([2.0])}, opt.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([-0.2], dtype=float64)
    """
    scaling = [scale_by_rms(decay, eps, eps_inside_sqrt, initial_scale)]
    if momentum:
        scaling.append(trace(momentum))
    return chain(*scaling, scale_by_learning_rate(learning_rate))


def adam(learning_rate: LearningRate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         eps_inside_sqrt: bool = False) -> GradientTransformation:
    """Adam with bias correction: ``p = p - lr * m_hat / (sqrt(v_hat) + eps)`` (see ``scale_by_adam``).

    Defaults are the paper's, PyTorch's, Optax's and the code of Ghatak 2019; ``eps_inside_sqrt=True`` gives
    equation 5.3.11 of Ghatak 2019, ``m_hat / sqrt(v_hat + eps)``.

    >>> import fnx.numpy as fnp
    >>> opt = adam(0.1)
    >>> opt.update({"w": fnp.array([5.0])}, opt.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([-0.1], dtype=float64)
    """
    return chain(scale_by_adam(b1, b2, eps, eps_inside_sqrt), scale_by_learning_rate(learning_rate))


def adamax(learning_rate: LearningRate, b1: float = 0.9, b2: float = 0.999,
           eps: float = 1e-8) -> GradientTransformation:
    """Adamax, Adam with the infinity norm (see ``scale_by_adamax``); Keras's default lr is 0.002.

    >>> import fnx.numpy as fnp
    >>> opt = adamax(0.1, eps=0.0)
    >>> opt.update({"w": fnp.array([5.0])}, opt.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([-0.1], dtype=float64)
    """
    return chain(scale_by_adamax(b1, b2, eps), scale_by_learning_rate(learning_rate))


def nadam(learning_rate: LearningRate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          momentum_decay: float | None = None) -> GradientTransformation:
    """Nadam, Adam with Nesterov momentum (see ``scale_by_nadam``). ``momentum_decay=None`` is Optax's form;
    ``momentum_decay=0.004`` is PyTorch's ``NAdam`` and Keras's ``Nadam`` (Ketkar 2017, listings 7-5; lr 0.002 there).

    >>> import fnx.numpy as fnp
    >>> opt = nadam(0.1, eps=0.0)
    >>> u, _ = opt.update({"w": fnp.array([2.0])}, opt.init({"w": fnp.zeros(1)}))
    >>> round(float(u["w"][0]), 6)
    -0.147368
    """
    return chain(scale_by_nadam(b1, b2, eps, momentum_decay), scale_by_learning_rate(learning_rate))


def adamw(learning_rate: LearningRate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 1e-4, mask: Any = None) -> GradientTransformation:
    """Adam with decoupled weight decay: ``p = p - lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p)``.

    ``weight_decay`` defaults to Optax's 1e-4 (PyTorch's ``AdamW`` uses 0.01); ``mask`` chooses the leaves
    that decay (see ``add_decayed_weights``). ``update`` needs ``params``.

    >>> import fnx.numpy as fnp
    >>> opt = adamw(0.1, weight_decay=0.5)
    >>> params = {"w": fnp.array([2.0])}
    >>> opt.update({"w": fnp.array([5.0])}, opt.init(params), params)[0]["w"]
    Array([-0.2], dtype=float64)
    """
    return chain(scale_by_adam(b1, b2, eps), add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


def rprop(initial_step: float = 0.1, eta_minus: float = 0.5, eta_plus: float = 1.2, min_step: float = 1e-6,
          max_step: float = 50.0) -> GradientTransformation:
    """Rprop, resilient backpropagation, in the iRprop- variant (see ``scale_by_rprop``): ``p = p - sign(g) *
    step`` with a step size per parameter. There is no learning rate: ``initial_step`` is the first step.

    Defaults are the papers' (Riedmiller & Braun 1993; Igel & Hüsken 2000) and PyTorch's, apart from
    PyTorch's first step of 0.01. downhill's ``RProp`` (Ketkar 2017, listing 8-4) is also iRprop-; its
    documented defaults are ``rprop(initial_step=learning_rate, eta_minus=0.99, eta_plus=1.01, min_step=0,
    max_step=100)`` (so ``min_step=0`` is allowed).

    >>> import fnx.numpy as fnp
    >>> opt = rprop(initial_step=0.5)
    >>> opt.update({"w": fnp.array([3.0])}, opt.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([-0.5], dtype=float64)
    """
    return chain(scale_by_rprop(initial_step, eta_minus, eta_plus, min_step, max_step), scale(-1.0))


__all__ = ["adadelta", "adagrad", "adam", "adamax", "adamw", "momentum", "nadam", "nesterov", "rmsprop", "rprop",
           "sgd"]
