"""Callbacks for ``fnx.training.fit``: host-side hooks called after every epoch, as in Keras.

A callback gets ``on_train_begin(loop)`` once and ``on_epoch_end(epoch, logs, loop)`` after each epoch, where
``logs`` holds that epoch's values (``loss``, ``val_loss``, the metrics, ``lr``) and ``loop`` is the running
``fit``: it may set ``loop.stop_training = True``, change ``loop.lr`` (the learning rate for the next epochs,
applied inside the jitted step as a traced scalar, so nothing recompiles), or read and set ``loop.params``
(and ``loop.state``, a model's state besides its parameters, when ``fit`` got one).
``on_train_end(loop)`` runs last.

Both callbacks here follow Keras 2's documented behaviour (``keras.callbacks``): the monitored value
improves when it beats the best so far by more than ``min_delta``; ``patience`` epochs without improvement
trigger the action.

>>> stop = EarlyStopping(monitor="val_loss", patience=3)
>>> plateau = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5)
"""
from __future__ import annotations

import math
from typing import Any


class Callback:
    """The base class: every hook does nothing."""

    def on_train_begin(self, loop: Any) -> None:
        """Called once, before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict, loop: Any) -> None:
        """Called after epoch ``epoch`` (from 0) with that epoch's ``logs``."""

    def on_train_end(self, loop: Any) -> None:
        """Called once, after the last epoch."""


def _better(monitor: str, mode: str) -> bool:
    """True when larger is better: ``mode="max"``, or ``"auto"`` and an accuracy is monitored (Keras's rule)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"callbacks: mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode == "max" or (mode == "auto" and "acc" in monitor)


def _monitored(name: str, monitor: str, logs: dict) -> float | None:
    if monitor not in logs:
        raise KeyError(f"{name}: monitors {monitor!r}, which fit does not log (it logs {sorted(logs)}); "
                       "monitoring 'val_*' needs validation_split or validation_data")
    value = float(logs[monitor])
    return None if math.isnan(value) else value


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode``: "min", "max" or "auto" (max for accuracies). ``baseline``: training stops unless the value beats
    it within ``patience`` epochs. ``restore_best_weights=True`` puts back the parameters (and the model
    state) of the best epoch at the end. ``stopped_epoch`` is the epoch (from 0) where it stopped, 0 if it did not.

    >>> stop = EarlyStopping(patience=100)     # Ghatak 2019, listing 6-8: callback_early_stopping(patience = 100)
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 baseline: float | None = None, restore_best_weights: bool = False):
        self.monitor, self.patience, self.baseline = monitor, patience, baseline
        self.min_delta = abs(min_delta)
        self.larger_is_better = _better(monitor, mode)
        self.restore_best_weights = restore_best_weights

    def _improves(self, value: float, best: float) -> bool:
        return value - self.min_delta > best if self.larger_is_better else value + self.min_delta < best

    def on_train_begin(self, loop: Any) -> None:
        self.wait, self.stopped_epoch, self.best_weights = 0, 0, None
        self.best = self.baseline if self.baseline is not None else (-math.inf if self.larger_is_better else math.inf)

    def on_epoch_end(self, epoch: int, logs: dict, loop: Any) -> None:
        value = _monitored("EarlyStopping", self.monitor, logs)
        if value is not None and self._improves(value, self.best):
            self.best, self.wait = value, 0
            self.best_weights = (loop.params, loop.state) if self.restore_best_weights else None
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch, loop.stop_training = epoch, True

    def on_train_end(self, loop: Any) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            loop.params, loop.state = self.best_weights


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` (not below ``min_lr``) when ``monitor`` has not improved by
    more than ``min_delta`` for ``patience`` epochs, then wait ``cooldown`` epochs before counting again.

    Keras's defaults: ``factor=0.1, patience=10, min_delta=1e-4, cooldown=0, min_lr=0``. With them, Ghatak
    2019's listing 6-12 prints ``lr: 1e-12`` after nine reductions of Adam's 0.001.

    >>> plateau = ReduceLROnPlateau()
    >>> plateau.factor, plateau.patience
    (0.1, 10)
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, mode: str = "auto",
                 min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        self.monitor, self.factor, self.patience, self.cooldown = monitor, factor, patience, cooldown
        self.min_delta, self.min_lr = abs(min_delta), min_lr
        self.larger_is_better = _better(monitor, mode)

    def _improves(self, value: float) -> bool:
        return value > self.best + self.min_delta if self.larger_is_better else value < self.best - self.min_delta

    def on_train_begin(self, loop: Any) -> None:
        self.wait, self.cooldown_counter = 0, 0
        self.best = -math.inf if self.larger_is_better else math.inf

    def on_epoch_end(self, epoch: int, logs: dict, loop: Any) -> None:
        value = _monitored("ReduceLROnPlateau", self.monitor, logs)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if value is not None and self._improves(value):
            self.best, self.wait = value, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and loop.lr > self.min_lr:
                loop.lr = max(loop.lr * self.factor, self.min_lr)
                self.cooldown_counter, self.wait = self.cooldown, 0


__all__ = ["Callback", "EarlyStopping", "ReduceLROnPlateau"]
