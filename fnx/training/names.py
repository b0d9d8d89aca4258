"""Losses and metrics by their Keras names, resolved to ``fnx.nn`` functions of ``(predictions, targets)``.

Keras's losses clip probabilities to [1e-7, 1 - 1e-7] (its ``epsilon``), so the named probability losses do
too; ``"accuracy"`` (or ``"acc"``) means binary accuracy when the loss is binary cross-entropy or the model has
one output per example, and categorical accuracy otherwise, as in Keras; binary accuracy rounds the
prediction, as Keras does.

>>> import fnx.numpy as fnp
>>> loss = resolve_loss("binary_crossentropy")
>>> round(float(loss(fnp.array([[0.0]]), fnp.array([[1.0]]))), 4)     # -log(1e-7), not inf
16.1181
"""
from __future__ import annotations

from functools import partial
from typing import Callable

from .. import nn
from .. import numpy as fnp

_CLIP = 1e-7  # Keras's epsilon

LOSSES: dict[str, Callable] = {
    "binary_crossentropy": partial(nn.binary_cross_entropy, clip=_CLIP),
    "categorical_crossentropy": partial(nn.categorical_cross_entropy, clip=_CLIP, normalize=True),
    "sparse_categorical_crossentropy": partial(nn.sparse_categorical_cross_entropy, clip=_CLIP),
    "mean_squared_error": nn.squared_error, "mse": nn.squared_error,
    "mean_absolute_error": nn.absolute_error, "mae": nn.absolute_error,
    "hinge": nn.hinge, "squared_hinge": nn.squared_hinge,
    "kullback_leibler_divergence": partial(nn.kl_divergence, clip=_CLIP),
    "huber": nn.huber, "huber_loss": nn.huber, "smooth_l1": nn.smooth_l1,
}


def _categorical_accuracy(predictions, targets):
    return nn.accuracy(predictions, targets)


def _binary_accuracy(predictions, targets):
    """Keras's ``mean(equal(y_true, round(y_pred)))``: a prediction outside [0, 1] (a linear output) may round
    to neither class, which is why Ketkar 2017's listing 7-6 prints accuracy 0.0 for "linear"."""
    targets = fnp.reshape(targets, predictions.shape)
    return fnp.mean(fnp.astype(fnp.round(predictions) == targets, float))


def _top_k(predictions, targets):
    return nn.top_k_accuracy(predictions, targets, 5)


METRICS: dict[str, Callable] = {
    "binary_accuracy": _binary_accuracy, "categorical_accuracy": _categorical_accuracy,
    "sparse_categorical_accuracy": _categorical_accuracy, "top_k_categorical_accuracy": _top_k,
    "mean_squared_error": nn.squared_error, "mse": nn.squared_error,
    "mean_absolute_error": nn.absolute_error, "mae": nn.absolute_error,
}


def resolve_loss(loss: str | Callable) -> Callable:
    """The loss function ``loss(predictions, targets) -> scalar`` for a Keras name or a function."""
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"fit: unknown loss {loss!r}; known names: {sorted(LOSSES)}, or pass a function "
                         "loss(predictions, targets)")
    return LOSSES[loss]


def _accuracy(loss: str | Callable) -> Callable:
    """Keras's choice for ``"accuracy"``: binary for binary cross-entropy or a single output per example."""
    if loss == "binary_crossentropy":
        return _binary_accuracy

    def accuracy(predictions, targets):
        binary = predictions.ndim == 1 or predictions.shape[-1] == 1
        return (_binary_accuracy if binary else _categorical_accuracy)(predictions, targets)
    return accuracy


def resolve_metrics(metrics, loss: str | Callable) -> dict[str, Callable]:
    """Metric name -> ``metric(predictions, targets)`` for a sequence of names or functions (named by
    ``__name__``); ``"accuracy"`` and ``"acc"`` keep the name given, as Keras's history does."""
    resolved = {}
    for metric in metrics:
        if callable(metric):
            resolved[getattr(metric, "__name__", f"metric_{len(resolved)}")] = metric
        elif metric in ("accuracy", "acc"):
            resolved[metric] = _accuracy(loss)
        elif metric in METRICS:
            resolved[metric] = METRICS[metric]
        else:
            raise ValueError(f"fit: unknown metric {metric!r}; known names: {sorted(METRICS) + ['acc', 'accuracy']}, "
                             "or pass a function metric(predictions, targets)")
    return resolved


__all__ = ["LOSSES", "METRICS", "resolve_loss", "resolve_metrics"]
