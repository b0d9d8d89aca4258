"""Keras 1's defaults by name, for the listings written against Keras 1 (Ketkar 2017, chapter 7; Ghatak 2019's
R keras, for the names): initializers, activations, optimizers and the recurrent cells' settings.

* ``initializer(name)``: Keras 1's ``init=`` names with Keras 1's parameters: ``"glorot_uniform"`` (the
  default of Dense and of LSTM's input weights), ``"glorot_normal"`` and ``"he_normal"`` (plain normals, not
  truncated), ``"he_uniform"``, ``"lecun_uniform"``, ``"orthogonal"`` (Keras 1 scales it by 1.1: LSTM's
  ``inner_init``), ``"uniform"`` (U(-0.05, 0.05): Embedding's default), ``"normal"`` (N(0, 0.05)), ``"zero"``,
  ``"one"``.
* ``activation(name)``: ``"hard_sigmoid"`` is Keras's ``clip(0.2 x + 0.5, 0, 1)``, ``"linear"`` the identity.
* ``optimizer(name, learning_rate=None, decay=0.0)``: Keras 1's optimizers and defaults: ``sgd`` (lr 0.01),
  ``rmsprop`` (0.001, rho 0.9, eps 1e-8), ``adagrad`` (0.01, eps 1e-8), ``adadelta`` (1.0, rho 0.95,
  eps 1e-8), ``adam`` (0.001, 0.9, 0.999, eps 1e-8), ``adamax`` (0.002), ``nadam`` (0.002, schedule decay
  0.004). ``decay`` is Keras's ``lr / (1 + decay * iterations)``. Keras 1's Adam adds eps before the bias
  correction of the step (``lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``), fnx's after it (the
  paper's algorithm 1): the updates differ only by O(eps) relative terms.
* ``RECURRENT``: the cell keyword arguments of Keras 1's LSTM and GRU, ``inner_activation="hard_sigmoid"``:
  ``nn.rnn(nn.lstm, params, xs, **RECURRENT)``. The rest already matches: forget-gate bias 1
  (``forget_bias_init="one"``), Glorot-uniform input weights, orthogonal recurrent weights (scale 1 in
  fnx; ``initializer("orthogonal")`` gives Keras 1's 1.1), zero biases, tanh activation.

>>> opt = optimizer("rmsprop")          # Keras 1's RMSprop(lr=0.001, rho=0.9, epsilon=1e-8)
>>> w = initializer("glorot_uniform")
"""
from __future__ import annotations

import functools
from typing import Callable

from .. import nn
from .. import optimizers as optim
from ..nn import initializers as init

INITIALIZERS: dict[str, Callable] = {
    "glorot_uniform": init.glorot_uniform, "glorot_normal": lambda: init.glorot_normal(distribution="normal"),
    "he_normal": lambda: init.he_normal(distribution="normal"), "he_uniform": init.he_uniform,
    "lecun_uniform": init.lecun_uniform, "orthogonal": lambda: init.orthogonal(1.1),
    "uniform": lambda: init.uniform(-0.05, 0.05), "normal": lambda: init.normal(0.05),
    "zero": init.zeros, "one": init.ones,
}

ACTIVATIONS: dict[str, Callable] = {
    "hard_sigmoid": nn.hard_sigmoid, "linear": lambda x: x, "relu": nn.relu, "sigmoid": nn.sigmoid,
    "softmax": nn.softmax, "softplus": nn.softplus, "softsign": nn.softsign, "tanh": nn.tanh,
}

_OPTIMIZERS: dict[str, tuple[Callable, float, dict]] = {
    "sgd": (optim.sgd, 0.01, {}),
    "rmsprop": (optim.rmsprop, 0.001, {"decay": 0.9, "eps": 1e-8}),
    "adagrad": (optim.adagrad, 0.01, {"eps": 1e-8}),
    "adadelta": (optim.adadelta, 1.0, {"rho": 0.95, "eps": 1e-8}),
    "adam": (optim.adam, 0.001, {"b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "adamax": (optim.adamax, 0.002, {"b1": 0.9, "b2": 0.999, "eps": 1e-8}),
    "nadam": (optim.nadam, 0.002, {"b1": 0.9, "b2": 0.999, "eps": 1e-8, "momentum_decay": 0.004}),
}

RECURRENT = {"gate_activation": nn.hard_sigmoid}


def _lookup(kind: str, table: dict, name: str):
    if name not in table:
        raise ValueError(f"keras1: unknown {kind} {name!r}; known: {sorted(table)}")
    return table[name]


def initializer(name: str) -> Callable:
    """Keras 1's initializer called ``name`` (see the module doc): ``init(key, shape, dtype) -> array``."""
    return _lookup("initializer", INITIALIZERS, name)()


def activation(name: str) -> Callable:
    """Keras's activation called ``name``.

    >>> float(activation("hard_sigmoid")(1.0))
    0.7
    """
    return _lookup("activation", ACTIVATIONS, name)


def default_learning_rate(name: str) -> float:
    """Keras 1's default learning rate of the optimizer ``name``.

    >>> default_learning_rate("adamax")
    0.002
    """
    return _lookup("optimizer", _OPTIMIZERS, name)[1]


@functools.lru_cache(maxsize=32)
def optimizer(name: str, learning_rate: float | None = None, decay: float = 0.0) -> optim.GradientTransformation:
    """Keras 1's optimizer ``name`` with its defaults (see the module doc); the same arguments give the same
    object, so ``fit`` reuses its compiled step."""
    factory, default_lr, settings = _lookup("optimizer", _OPTIMIZERS, name)
    lr = default_lr if learning_rate is None else learning_rate
    return factory(optim.inverse_time_decay(lr, decay) if decay else lr, **settings)


__all__ = ["ACTIVATIONS", "INITIALIZERS", "RECURRENT", "activation", "default_learning_rate", "initializer",
           "optimizer"]
