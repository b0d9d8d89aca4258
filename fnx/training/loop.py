"""``fit``, ``evaluate`` and ``predict``: Keras's training loop as pure functions over parameter pytrees.

``model(params, x) -> predictions`` is any pure function (``model(params, x, key)`` with ``stochastic=True``,
for dropout: a fresh key per step in training, ``None`` in evaluation). A model with state besides its
parameters (batch normalization's running statistics) takes and returns it, as Haiku's
``transform_with_state`` does: with ``state=`` given, it is called ``model(params, state, x, train=True)
-> (predictions, new_state)`` in training, the new state going to the next step, and ``model(params, state,
x, train=False)`` in evaluation, whose returned state is ignored; ``loss`` is a Keras name
(``"binary_crossentropy"``, ``"categorical_crossentropy"``, ``"mse"``, ...; see ``training.names``) or a
function ``loss(predictions, targets)``; the optimizer is an ``fnx.optimizers`` transformation. Nothing is
mutated: ``fit`` returns the new parameters, the optimizer state and the history.

The training step (forward pass, gradient, optimizer update, the batch's loss and metrics) is jitted once per
``fit`` and reused by every batch of every epoch; a last, shorter batch compiles it once more (pass
``drop_remainder=True`` to avoid it). The learning rate that callbacks change is a traced scale on the
updates, so changing it recompiles nothing.

Keras conventions kept: ``validation_split`` takes the **last** rows before any shuffling; the training rows
are reshuffled every epoch (by ``fnx.random.permutation`` of a key folded with the epoch); an epoch's loss and
metrics are the means over its batches weighted by batch size, measured during the epoch (before each
update), as Keras reports them; validation values are measured after the epoch.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from .. import numpy as fnp
from .. import random as fr
from ..core.errors import FnxTypeError
from ..core.tree import tree_leaves, tree_map
from ..optimizers.base import GradientTransformation, apply_updates, cast_like
from ..progress import Progress
from ..transforms.autodiff import value_and_grad
from ..transforms.jit import jit as jit_compile
from . import keras1
from .callbacks import Callback
from .names import resolve_loss, resolve_metrics


class FitResult(NamedTuple):
    """What ``fit`` returns: the trained ``params``, the optimizer state ``opt_state`` (pass it to a next
    ``fit`` to continue), ``history``, a dict of per-epoch lists (``loss``, metrics, ``val_*``, ``lr``), and
    the model ``state`` after the last step (None for a model without state)."""

    params: Any
    opt_state: Any
    history: dict
    state: Any = None


def _rows(data) -> int:
    """The number of examples of a pytree of arrays (their common leading axis)."""
    sizes = {np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in tree_leaves(data)}
    if len(sizes) != 1 or None in sizes:
        raise FnxTypeError(f"fit: x and y need one common leading (example) axis, got leading sizes "
                           f"{sorted(map(str, sizes))}")
    return sizes.pop()


def _take(data, index):
    return tree_map(lambda a: np.asarray(a)[index], data)


def _split(x, y, validation_split: float, validation_data):
    """Training and validation ``(x, y)`` pairs: Keras's last-rows split, or the given validation data."""
    if validation_data is not None:
        if validation_split:
            raise ValueError("fit: give validation_split or validation_data, not both")
        return (x, y), tuple(validation_data)
    if not 0 <= validation_split < 1:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
    if not validation_split:
        return (x, y), None
    n = _rows((x, y))
    cut = int(n * (1 - validation_split))  # Keras: split_at = int(len(x) * (1 - validation_split))
    if cut in (0, n):
        raise ValueError(f"fit: validation_split={validation_split} of {n} examples leaves an empty set")
    return (_take(x, slice(0, cut)), _take(y, slice(0, cut))), (_take(x, slice(cut, n)), _take(y, slice(cut, n)))


def _batches(n: int, batch_size: int, order: np.ndarray, drop_remainder: bool):
    stop = n - n % batch_size if drop_remainder else n
    return [order[start:start + batch_size] for start in range(0, stop, batch_size)]


class _Loop:
    """The running ``fit``, as callbacks see it: ``params``, ``state``, ``lr``, ``stop_training``, ``history``,
    ``epoch``."""

    def __init__(self, params, state, opt_state, lr: float):
        self.params, self.state, self.opt_state, self.lr, self.base_lr = params, state, opt_state, lr, lr
        self.stop_training, self.history, self.epoch = False, {}, 0


class _Steps:
    """The jitted evaluation step and, per optimizer, the jitted training step of a model, loss, metrics and
    regularizer; ``_steps`` keeps them for later calls, so a second ``fit`` compiles nothing new."""

    def __init__(self, model: Callable, loss, metrics: tuple, regularizer: Callable | None, stochastic: bool,
                 stateful: bool, compiled: bool):
        loss_fn, self.metric_fns = resolve_loss(loss), resolve_metrics(metrics, loss)

        def objective(params, state, x, y, key, train: bool):
            args = ((params, state, x) if stateful else (params, x)) + ((key,) if stochastic else ())
            predictions, state = model(*args, train=train) if stateful else (model(*args), state)
            value = loss_fn(predictions, y)
            if regularizer is not None:
                value = value + regularizer(params)
            return value, (predictions, state)

        def eval_step(params, state, x, y):
            value, (predictions, _) = objective(params, state, x, y, None, False)
            return value, self._measure(predictions, y)

        self._jit = jit_compile if compiled else (lambda f: f)
        self._objective, self.eval, self._train = objective, self._jit(eval_step), {}

    def _measure(self, predictions, y) -> list:
        return [fn(predictions, y) for fn in self.metric_fns.values()]

    def train(self, optimizer: GradientTransformation) -> Callable:
        """The jitted ``step(params, state, opt_state, lr_scale, key, x, y) -> (params, state, opt_state, loss,
        metrics)``: the gradient is the parameters'; the model state is an output of the forward pass."""
        if optimizer not in self._train:
            def train_step(params, state, opt_state, lr_scale, key, x, y):
                (value, (predictions, state)), grads = value_and_grad(self._objective, has_aux=True)(
                    params, state, x, y, key, True)
                updates, opt_state = optimizer.update(grads, opt_state, params)
                updates = tree_map(lambda u: u * cast_like(lr_scale, u), updates)
                return (apply_updates(params, updates), state, opt_state, value,
                        self._measure(predictions, y))
            self._train[optimizer] = self._jit(train_step)
        return self._train[optimizer]


@functools.lru_cache(maxsize=16)
def _cached_steps(*args) -> _Steps:
    return _Steps(*args)


def _steps(model: Callable, loss, metrics: Sequence, regularizer, stochastic: bool, stateful: bool,
           compiled: bool) -> _Steps:
    args = (model, loss, tuple(metrics), regularizer, stochastic, stateful, compiled)
    try:
        return _cached_steps(*args)
    except TypeError:  # an unhashable argument: no reuse
        return _Steps(*args)


def _weighted_means(sums: np.ndarray, count: int, names: Sequence[str], prefix: str = "") -> dict:
    return {prefix + name: float(s / count) for name, s in zip(names, sums)}


def _evaluate(steps: _Steps, params, state, x, y, batch_size: int, prefix: str = "") -> dict:
    n = _rows((x, y))
    sums = np.zeros(1 + len(steps.metric_fns))
    for index in _batches(n, batch_size, np.arange(n), False):
        value, metrics = steps.eval(params, state, _take(x, index), _take(y, index))
        sums += len(index) * np.array([float(value), *map(float, metrics)])
    return _weighted_means(sums, n, ["loss", *steps.metric_fns], prefix)


def evaluate(model: Callable, params, x, y, loss: str | Callable, metrics: Sequence = (), batch_size: int = 32,
             regularizer: Callable | None = None, stochastic: bool = False, jit: bool = True,
             state=None) -> dict:
    """The loss (plus ``regularizer(params)``) and ``metrics`` of ``model`` on ``(x, y)``, as Keras's
    ``evaluate``: batch means weighted by batch size. Returns ``{"loss": ..., metric name: ...}`` (floats).
    ``jit=False`` runs the step eagerly (no compile: quicker for small data, and easier to debug). With
    ``state`` (a model with state, as in ``fit``) the model is called ``model(params, state, x, train=False)``
    and returns ``(predictions, state)``.

    >>> import fnx.numpy as fnp
    >>> model = lambda p, x: x * p
    >>> evaluate(model, 2.0, fnp.array([1.0, 2.0]), fnp.array([2.0, 3.0]), "mse", ["mae"])
    {'loss': 0.5, 'mae': 0.5}
    """
    steps = _steps(model, loss, metrics, regularizer, stochastic, state is not None, jit)
    return _evaluate(steps, params, state, x, y, batch_size)


@functools.lru_cache(maxsize=16)
def _jitted(model: Callable, stateful: bool) -> Callable:
    if stateful:
        return jit_compile(lambda params, state, x: model(params, state, x, train=False)[0])
    return jit_compile(lambda params, state, x: model(params, x))


def predict(model: Callable, params, x, batch_size: int = 32, state=None) -> np.ndarray:
    """``model(params, x)`` computed ``batch_size`` rows at a time, concatenated (a NumPy array). With
    ``state`` (a model with state, as in ``fit``): the predictions of ``model(params, state, x, train=False)``.

    >>> import fnx.numpy as fnp
    >>> predict(lambda p, x: x * p, 3.0, fnp.arange(5.0), batch_size=2)
    array([ 0.,  3.,  6.,  9., 12.])
    """
    forward = _jitted(model, state is not None)
    n = _rows(x)
    return np.concatenate([np.asarray(forward(params, state, _take(x, index)))
                           for index in _batches(n, batch_size, np.arange(n), False)])


def _history_append(history: dict, logs: dict) -> None:
    for name, value in logs.items():
        history.setdefault(name, []).append(value)


def _epoch_line(epoch: int, epochs: int, logs: dict) -> str:
    return f"Epoch {epoch + 1}/{epochs} - " + " - ".join(f"{k}: {v:.4g}" for k, v in logs.items())


def fit(model: Callable, params, optimizer: GradientTransformation | str, x, y, *, loss: str | Callable,
        metrics: Sequence = (), epochs: int = 1, batch_size: int = 32, key=0, shuffle: bool = True,
        validation_split: float = 0.0, validation_data: tuple | None = None, callbacks: Sequence[Callback] = (),
        opt_state=None, learning_rate: float | None = None, regularizer: Callable | None = None,
        stochastic: bool = False, drop_remainder: bool = False, initial_epoch: int = 0, verbose: int = 1,
        jit: bool = True, state=None) -> FitResult:
    """Train ``model`` on ``(x, y)`` for ``epochs`` epochs of minibatches; returns ``FitResult(params,
    opt_state, history, state)``.

    ``x`` and ``y``: arrays (or pytrees of arrays) with the examples on axis 0. ``key``: an int seed or an
    ``fnx.random`` key for the shuffles (and the dropout keys with ``stochastic=True``). ``metrics``: Keras
    names or functions ``metric(predictions, targets)``. ``regularizer(params)`` is added to the loss.
    ``optimizer``: an ``fnx.optimizers`` transformation, or a Keras name (``"rmsprop"``, ``"adam"``, ...) for
    Keras 1's optimizer with its defaults (``training.keras1``; ``learning_rate`` then overrides the default).
    ``opt_state`` continues a previous run (default ``optimizer.init(params)``). ``learning_rate``: the
    optimizer's learning rate, for the ``lr`` the history logs and ``ReduceLROnPlateau`` reduces; the updates
    are scaled by ``lr / learning_rate`` (when not given, ``lr`` starts at 1 and is that scale). ``verbose``:
    0 silent, 1 a progress bar (``fnx.progress``, shown on a terminal), 2 a line per epoch. ``jit=False``
    runs the steps eagerly (no compile).

    ``state``: the initial state of a model with state besides its parameters, a pytree such as batch
    normalization's running statistics (Haiku's ``transform_with_state`` convention). The model is then
    called ``model(params, state, x, train=True) -> (predictions, new_state)`` in each training step (with
    ``stochastic=True``: ``model(params, state, x, key, train=True)``), the new state going to the next step
    and ending in ``FitResult.state``; validation calls ``model(params, state, x, train=False)`` and ignores
    the state it returns. Gradients are taken with respect to ``params`` only. ``evaluate`` and ``predict``
    take the same ``state=``::

        def model(params, state, x, train):
            h, state = nn.batch_norm(params["bn"], state, nn.dense(params["dense"], x), train=train)
            return nn.sigmoid(nn.dense(params["out"], nn.relu(h))), state

        result = fit(model, params, "adam", x, y, loss="binary_crossentropy", state=bn_state)
        evaluate(model, result.params, x, y, "binary_crossentropy", state=result.state)

    >>> import fnx.numpy as fnp, fnx.nn as nn, fnx.optimizers as optim, fnx.random as fr
    >>> x = np.random.default_rng(0).normal(size=(200, 2)); y = (x[:, :1] + x[:, 1:] > 0).astype(float)
    >>> model = lambda p, x: nn.sigmoid(nn.dense(p, x))
    >>> result = fit(model, nn.dense.init(fr.key(0), 2, 1), optim.adam(0.1), x, y, loss="binary_crossentropy",
    ...              metrics=["accuracy"], epochs=20, batch_size=40, validation_split=0.2, verbose=0)
    >>> result.history["val_accuracy"][-1] > 0.9
    True
    """
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"fit: batch_size must be a positive int, got {batch_size!r}")
    if isinstance(optimizer, str):
        learning_rate = keras1.default_learning_rate(optimizer) if learning_rate is None else learning_rate
        optimizer = keras1.optimizer(optimizer, learning_rate)
    (x_train, y_train), validation = _split(x, y, validation_split, validation_data)
    steps = _steps(model, loss, metrics, regularizer, stochastic, state is not None, jit)
    train_step = steps.train(optimizer)
    base_lr = 1.0 if learning_rate is None else float(learning_rate)
    loop = _Loop(params, state, optimizer.init(params) if opt_state is None else opt_state, base_lr)
    key = fr.key(key) if isinstance(key, (int, np.integer)) else key
    n = _rows((x_train, y_train))
    per_epoch = len(_batches(n, batch_size, np.arange(n), drop_remainder))
    for callback in callbacks:
        callback.on_train_begin(loop)
    with Progress((epochs - initial_epoch) * per_epoch, "fit", enabled=None if verbose == 1 else False) as bar:
        for epoch in range(initial_epoch, epochs):
            loop.epoch = epoch
            logs = _train_epoch(train_step, list(steps.metric_fns), loop, fr.fold_in(key, epoch), x_train,
                                y_train, batch_size, shuffle, drop_remainder, bar)
            if validation is not None:
                logs.update(_evaluate(steps, loop.params, loop.state, *validation, batch_size, "val_"))
            logs["lr"] = loop.lr
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs, loop)
            _history_append(loop.history, logs)
            if verbose == 2:
                bar.write(_epoch_line(epoch, epochs, logs))
            if loop.stop_training:
                break
    for callback in callbacks:
        callback.on_train_end(loop)
    return FitResult(loop.params, loop.opt_state, loop.history, loop.state)


def _train_epoch(train_step: Callable, metric_names: list, loop: _Loop, key, x, y, batch_size: int, shuffle: bool,
                 drop_remainder: bool, bar: Progress) -> dict:
    """One epoch of training steps; the batch-size-weighted means of the loss and metrics."""
    n = _rows((x, y))
    shuffle_key, dropout_key = fr.split(key)
    order = np.asarray(fr.permutation(shuffle_key, n)) if shuffle else np.arange(n)
    batches = _batches(n, batch_size, order, drop_remainder)
    step_keys = np.asarray(fr.split(dropout_key, len(batches)))  # one call per epoch: eager draws are slow
    sums, count = np.zeros(1 + len(metric_names)), 0
    lr_scale = fnp.asarray(loop.lr / loop.base_lr)
    for index, step_key in zip(batches, step_keys):
        loop.params, loop.state, loop.opt_state, value, metrics = train_step(
            loop.params, loop.state, loop.opt_state, lr_scale, step_key, _take(x, index), _take(y, index))
        sums += len(index) * np.array([float(value), *map(float, metrics)])
        count += len(index)
        bar.update(loss=float(value))
    return _weighted_means(sums, count, ["loss", *metric_names])


__all__ = ["FitResult", "evaluate", "fit", "predict"]
