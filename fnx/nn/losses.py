"""Loss functions, each in a mean form ``name(predictions, targets)`` and a ``name_per_example`` form.

Argument order: **predictions first, targets second** (as in Theano's ``binary_crossentropy(output,
target)``; note Keras's losses take ``(y_true, y_pred)``, the other way round).

Shapes. The leading axis indexes examples. ``name_per_example`` returns one value per example, shape
``(batch,)``: the loss of each prediction (elementwise for ``binary_cross_entropy``, ``squared_error``,
``absolute_error``, ``hinge``...; per distribution over the class axis, the last, for the categorical
losses, ``nll`` and ``kl_divergence``), averaged over any other axes. A single example (a scalar for
elementwise losses, one distribution of shape ``(classes,)`` for the categorical ones) gives a scalar.
``name`` returns the mean over examples, which equals the mean over every prediction.

Predictions and targets must have the same shape (no broadcasting: a ``(batch, 1)`` against ``(batch,)``
mix-up raises instead of silently giving a ``(batch, batch)`` loss); integer class labels have the shape of
the predictions without the class axis.

>>> import fnx.numpy as fnp
>>> from fnx import nn
>>> out, target = fnp.array([[0.01, 0.01, 0.01]]), fnp.array([[0.99, 0.99, 0.01]])
>>> float(nn.binary_cross_entropy(out, target))        # Ketkar, listing 4-7
3.058146503109446
>>> float(nn.categorical_cross_entropy(out, target))
9.164288670116301
"""
from __future__ import annotations

import functools
from typing import Callable

from .. import numpy as fnp
from ..core.errors import FnxTypeError
from .activations import log_softmax, softplus

__all__ = ["binary_cross_entropy", "binary_cross_entropy_per_example",
           "sigmoid_binary_cross_entropy", "sigmoid_binary_cross_entropy_per_example",
           "categorical_cross_entropy", "categorical_cross_entropy_per_example",
           "softmax_cross_entropy", "softmax_cross_entropy_per_example",
           "sparse_categorical_cross_entropy", "sparse_categorical_cross_entropy_per_example",
           "sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy_per_example",
           "nll", "nll_per_example", "kl_divergence", "kl_divergence_per_example",
           "squared_error", "squared_error_per_example", "mse",
           "absolute_error", "absolute_error_per_example", "mae",
           "hinge", "hinge_per_example", "squared_hinge", "squared_hinge_per_example"]


# -- argument checks and reductions -------------------------------------------------------------------------

def _real(x, op: str, what: str):
    x = fnp.asarray(x)
    if x.dtype.kind not in "biuf":
        raise FnxTypeError(f"{op}: {what} must be real numbers, got {x.dtype}")
    return fnp.astype_float(x)


def _pair(op: str, predictions, targets):
    """Both operands as floats of one dtype, after checking they have the same shape."""
    p, t = _real(predictions, op, "predictions"), _real(targets, op, "targets")
    if p.shape != t.shape:
        raise FnxTypeError(f"{op}: predictions and targets must have the same shape, got {tuple(p.shape)} and "
                           f"{tuple(t.shape)}")
    dtype = fnp.result_type(p, t)
    return fnp.astype(p, dtype), fnp.astype(t, dtype)


def _distributions(op: str, predictions, targets):
    p, t = _pair(op, predictions, targets)
    if p.ndim == 0:
        raise FnxTypeError(f"{op}: needs a class axis (the last); got scalars")
    return p, t


def _labels(op: str, predictions, labels):
    """Float predictions of shape ``s + (classes,)`` and integer labels of shape ``s``."""
    p = _real(predictions, op, "predictions")
    y = fnp.asarray(labels)
    if y.dtype.kind not in "iu":
        raise FnxTypeError(f"{op}: labels must be integer class indices, got {y.dtype}")
    if p.ndim == 0 or tuple(y.shape) != tuple(p.shape[:-1]):
        raise FnxTypeError(f"{op}: predictions of shape s + (classes,) need labels of shape s; got "
                           f"{tuple(p.shape)} and {tuple(y.shape)}")
    return p, y


def _per_example(values):
    """Average every axis but the leading (example) one."""
    return values if values.ndim <= 1 else fnp.mean(values, axis=tuple(range(1, values.ndim)))


def _mean_form(per_example: Callable, name: str) -> Callable:
    """The mean-over-examples form of ``per_example``, with its own name and docstring."""
    @functools.wraps(per_example)
    def mean(*args, **kwargs):
        return fnp.mean(per_example(*args, **kwargs))
    mean.__name__ = mean.__qualname__ = name
    example = per_example.__doc__.split(">>> ")[1].split("   #")[0].replace("_per_example(", "(")
    mean.__doc__ = (f"The mean over examples of ``{per_example.__name__}`` (same arguments), a scalar.\n\n"
                    f"    >>> {example}\n")
    return mean


def _clipped(p, clip: float | None):
    """Probabilities limited to ``[clip, 1 - clip]`` (Keras's epsilon, 1e-7), or unchanged for None."""
    return p if clip is None else fnp.clip(p, clip, 1.0 - clip)


def _xlogy(x, y):
    """``x * log(y)`` with ``0 * log(0) = 0``, and finite derivatives where ``x = 0``."""
    safe_y = fnp.where(x == 0, 1.0, y)
    return fnp.where(x == 0, 0.0, x * fnp.log(safe_y))


# -- cross-entropies on probabilities ----------------------------------------------------------------------

def binary_cross_entropy_per_example(probs, labels, clip: float | None = None):
    """Binary cross-entropy ``-(y log p + (1 - y) log(1 - p))`` of probabilities, per example.

    ``probs`` (predictions in [0, 1]) and ``labels`` (targets in [0, 1], usually 0 or 1) have one shape;
    returns shape ``(batch,)`` (see the module docstring). ``clip=1e-7`` clips ``probs`` to
    ``[clip, 1 - clip]`` first, as Keras does; without it a confident wrong prediction gives ``inf``.

    >>> binary_cross_entropy_per_example(fnp.array([0.9, 0.2]), fnp.array([1.0, 0.0]))   # [0.10536052, 0.22314355]
    """
    p, y = _pair("binary_cross_entropy", probs, labels)
    p = _clipped(p, clip)
    return _per_example(-(_xlogy(y, p) + _xlogy(1.0 - y, 1.0 - p)))


def categorical_cross_entropy_per_example(probs, labels, clip: float | None = None, normalize: bool = False):
    """Categorical cross-entropy ``-sum(y * log p)`` over the last (class) axis, per example.

    ``probs`` and ``labels`` (target distributions, e.g. one-hot) have shape ``(batch, classes)`` (more
    leading axes are averaged). Keras's version is ``normalize=True`` (rescale each row of ``probs`` to sum
    to 1) with ``clip=1e-7``; Theano's (the default) does neither.

    >>> categorical_cross_entropy_per_example(fnp.array([[0.7, 0.3]]), fnp.array([[1.0, 0.0]]))   # [0.35667494]
    """
    p, y = _distributions("categorical_cross_entropy", probs, labels)
    if normalize:
        p = p / fnp.sum(p, axis=-1, keepdims=True)
    return _per_example(-fnp.sum(_xlogy(y, _clipped(p, clip)), axis=-1))


def sparse_categorical_cross_entropy_per_example(probs, labels, clip: float | None = None):
    """``-log probs[label]`` with integer ``labels``, per example.

    ``probs`` has shape ``(batch, classes)``, ``labels`` integer shape ``(batch,)``. ``clip`` as in
    ``binary_cross_entropy_per_example``.

    >>> sparse_categorical_cross_entropy_per_example(fnp.array([[0.7, 0.3]]), fnp.array([0]))   # [0.35667494]
    """
    p, y = _labels("sparse_categorical_cross_entropy", probs, labels)
    return _per_example(-fnp.log(_clipped(_pick(p, y), clip)))


def nll_per_example(log_probs, labels):
    """The negative log-likelihood ``-log_probs[label]`` with integer ``labels``, per example.

    ``log_probs`` (e.g. from ``log_softmax``) has shape ``(batch, classes)``, ``labels`` integer shape
    ``(batch,)``; PyTorch's ``NLLLoss`` convention.

    >>> nll_per_example(fnp.log(fnp.array([[0.7, 0.3]])), fnp.array([1]))   # [1.2039728]
    """
    p, y = _labels("nll", log_probs, labels)
    return _per_example(-_pick(p, y))


def _pick(x, labels):
    """``x[..., labels]`` matched element by element: the entry of each row's label."""
    return fnp.take_along_axis(x, fnp.expand_dims(labels, -1), axis=-1)[..., 0]


def kl_divergence_per_example(probs, targets, clip: float | None = None):
    """The Kullback-Leibler divergence ``KL(targets || probs) = sum(t * log(t / p))`` over the class axis.

    ``probs`` (the model's distribution) and ``targets`` have shape ``(batch, classes)``; terms with
    ``t = 0`` count 0. ``clip`` limits ``probs`` to ``[clip, 1 - clip]`` first.

    >>> kl_divergence_per_example(fnp.array([[0.5, 0.5]]), fnp.array([[1.0, 0.0]]))   # [0.69314718]
    """
    p, t = _distributions("kl_divergence", probs, targets)
    return _per_example(fnp.sum(_xlogy(t, t) - _xlogy(t, _clipped(p, clip)), axis=-1))


# -- cross-entropies on logits (fused and stable) -------------------------------------------------------------

def sigmoid_binary_cross_entropy_per_example(logits, labels):
    """``binary_cross_entropy(sigmoid(logits), labels)`` computed stably from logits, per example.

    Uses ``softplus(x) - y * x`` (``softplus`` by ``logaddexp``), which is exact and finite for any logit, and
    whose derivative is ``sigmoid(x) - y``.

    >>> sigmoid_binary_cross_entropy_per_example(fnp.array([1000.0, -1000.0]), fnp.array([0.0, 0.0]))   # [1000., 0.]
    """
    x, y = _pair("sigmoid_binary_cross_entropy", logits, labels)
    return _per_example(softplus(x) - y * x)


def softmax_cross_entropy_per_example(logits, labels):
    """``categorical_cross_entropy(softmax(logits), labels)`` computed stably, per example.

    ``-sum(labels * log_softmax(logits))`` over the last axis; ``labels`` are target distributions of the
    shape of ``logits``. The derivative is ``softmax(logits) - labels`` for targets summing to 1.

    >>> softmax_cross_entropy_per_example(fnp.array([[0.0, 1000.0]]), fnp.array([[1.0, 0.0]]))   # [1000.]
    """
    x, y = _distributions("softmax_cross_entropy", logits, labels)
    return _per_example(-fnp.sum(_xlogy_logs(y, log_softmax(x)), axis=-1))


def _xlogy_logs(y, log_p):
    """``y * log_p`` with the terms where ``y = 0`` counting 0 (even where ``log_p = -inf``)."""
    return fnp.where(y == 0, 0.0, y * fnp.where(y == 0, 0.0, log_p))


def sparse_softmax_cross_entropy_per_example(logits, labels):
    """``softmax_cross_entropy`` with integer ``labels`` (``logsumexp(logits) - logits[label]``), per example.

    ``logits`` has shape ``(batch, classes)``, ``labels`` integer shape ``(batch,)``.

    >>> sparse_softmax_cross_entropy_per_example(fnp.array([[0.0, 0.0]]), fnp.array([1]))   # [0.69314718]
    """
    x, y = _labels("sparse_softmax_cross_entropy", logits, labels)
    return _per_example(-_pick(log_softmax(x), y))


# -- regression and margin losses ----------------------------------------------------------------------------

def squared_error_per_example(predictions, targets):
    """``(p - t)**2``, averaged per example (the mean form is the mean squared error).

    >>> squared_error_per_example(fnp.array([[0.01, 0.01, 0.01]]), fnp.array([[0.99, 0.99, 0.01]]))   # [0.64026667]
    """
    p, t = _pair("squared_error", predictions, targets)
    return _per_example((p - t) * (p - t))


def absolute_error_per_example(predictions, targets):
    """``|p - t|``, averaged per example (the mean form is the mean absolute error).

    >>> absolute_error_per_example(fnp.array([1.0, 2.0]), fnp.array([0.0, 4.0]))   # [1., 2.]
    """
    p, t = _pair("absolute_error", predictions, targets)
    return _per_example(fnp.abs(p - t))


def hinge_per_example(scores, labels):
    """The hinge loss ``max(0, 1 - y * s)`` for labels ``y`` in {-1, +1}, per example.

    The derivative at the kink ``y * s = 1`` is taken from the ``1 - y * s`` side (``-y``), as Theano's
    ``switch`` form does (Ketkar, listing 4-13).

    >>> hinge_per_example(fnp.array([-2.0, 0.0, 2.0]), fnp.array([1.0, 1.0, 1.0]))   # [3., 1., 0.]
    """
    s, y = _pair("hinge", scores, labels)
    margin = 1.0 - y * s
    return _per_example(fnp.where(margin < 0, 0.0, margin))


def squared_hinge_per_example(scores, labels):
    """``max(0, 1 - y * s)**2`` for labels ``y`` in {-1, +1}, per example.

    >>> squared_hinge_per_example(fnp.array([-2.0, 2.0]), fnp.array([1.0, 1.0]))   # [9., 0.]
    """
    s, y = _pair("squared_hinge", scores, labels)
    margin = fnp.where(1.0 - y * s < 0, 0.0, 1.0 - y * s)
    return _per_example(margin * margin)


binary_cross_entropy = _mean_form(binary_cross_entropy_per_example, "binary_cross_entropy")
categorical_cross_entropy = _mean_form(categorical_cross_entropy_per_example, "categorical_cross_entropy")
sparse_categorical_cross_entropy = _mean_form(sparse_categorical_cross_entropy_per_example,
                                              "sparse_categorical_cross_entropy")
nll = _mean_form(nll_per_example, "nll")
kl_divergence = _mean_form(kl_divergence_per_example, "kl_divergence")
sigmoid_binary_cross_entropy = _mean_form(sigmoid_binary_cross_entropy_per_example, "sigmoid_binary_cross_entropy")
softmax_cross_entropy = _mean_form(softmax_cross_entropy_per_example, "softmax_cross_entropy")
sparse_softmax_cross_entropy = _mean_form(sparse_softmax_cross_entropy_per_example, "sparse_softmax_cross_entropy")
squared_error = _mean_form(squared_error_per_example, "squared_error")
absolute_error = _mean_form(absolute_error_per_example, "absolute_error")
hinge = _mean_form(hinge_per_example, "hinge")
squared_hinge = _mean_form(squared_hinge_per_example, "squared_hinge")
mse, mae = squared_error, absolute_error
