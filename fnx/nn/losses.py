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
the predictions without the class axis, and must lie in ``[0, classes)``.

Labels out of range (``sparse_softmax_cross_entropy``, ``sparse_categorical_cross_entropy``, ``nll``): concrete
labels (eager code, or ``grad`` outside ``jit``) raise ``IndexError`` naming the loss, the first bad label, its
position and the number of classes. Under ``jit`` or ``vmap`` the labels are traced and cannot be checked, so
such an example's loss is NaN, as JAX's gather in its default fill mode gives, and the mean is NaN: never a
silent 0. Its gradient is 0. Negative labels count as out of range (NumPy and JAX wrap -1 to the last class;
here it is far more often a padding or "ignore" marker). ``docs/failures.md`` compares this with NumPy and JAX.

>>> import fnx.numpy as fnp
>>> from fnx import nn
>>> out, target = fnp.array([[0.01, 0.01, 0.01]]), fnp.array([[0.99, 0.99, 0.01]])
>>> float(nn.binary_cross_entropy(out, target))        # Ketkar 2017, listing 4-7
3.058146503109446
>>> float(nn.categorical_cross_entropy(out, target))
9.164288670116301
"""
from __future__ import annotations

import numpy as np

from .. import numpy as fnp
from ..core.errors import FnxTypeError, user_frame_summary
from ..core.tracing import Tracer
from .activations import log_softmax, one_hot, softplus

__all__ = ["binary_cross_entropy", "binary_cross_entropy_per_example",
           "sigmoid_binary_cross_entropy", "sigmoid_binary_cross_entropy_per_example",
           "categorical_cross_entropy", "categorical_cross_entropy_per_example",
           "softmax_cross_entropy", "softmax_cross_entropy_per_example",
           "sparse_categorical_cross_entropy", "sparse_categorical_cross_entropy_per_example",
           "sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy_per_example",
           "nll", "nll_per_example", "kl_divergence", "kl_divergence_per_example",
           "squared_error", "squared_error_per_example", "mse",
           "absolute_error", "absolute_error_per_example", "mae",
           "hinge", "hinge_per_example", "squared_hinge", "squared_hinge_per_example",
           "smooth_l1", "smooth_l1_per_example", "huber", "huber_per_example"]


# -- argument checks and reductions -------------------------------------------------------------------------

def _float(x):
    """``x`` as an array of floats (bool and integer inputs go to the default float)."""
    return fnp.astype_float(fnp.asarray(x))


def _pair(op: str, predictions, targets):
    """Both operands as floats of one dtype, after checking they have the same shape."""
    p, t = _float(predictions), _float(targets)
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
    p = _float(predictions)
    y = fnp.asarray(labels)
    if y.dtype.kind not in "iu":
        raise FnxTypeError(f"{op}: labels must be integer class indices, got {y.dtype}")
    if p.ndim == 0 or tuple(y.shape) != tuple(p.shape[:-1]):
        raise FnxTypeError(f"{op}: predictions of shape s + (classes,) need labels of shape s; got "
                           f"{tuple(p.shape)} and {tuple(y.shape)}")
    _check_label_range(op, p.shape, y)
    return p, y


def _check_label_range(op: str, shape: tuple, labels) -> None:
    """Raise IndexError for concrete labels outside ``[0, classes)``; traced ones are left to ``_pick`` (NaN)."""
    value = labels.val if isinstance(labels, Tracer) else labels._value
    if value is None:
        return
    classes = shape[-1]
    bad = (value < 0) | (value >= classes)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        line = user_frame_summary()
        raise IndexError(f"{op}: label {value[where]} at position {where} is out of range for {classes} classes "
                         f"(labels {value.dtype} of shape {value.shape}, predictions of shape {tuple(shape)}); "
                         f"labels must lie in [0, {classes})" + (f"\n  at {line}" if line else ""))


def _per_example(values):
    """Average every axis but the leading (example) one."""
    return values if values.ndim <= 1 else fnp.mean(values, axis=tuple(range(1, values.ndim)))


def _clipped(p, clip: float | None):
    """Probabilities limited to ``[clip, 1 - clip]`` (Keras's epsilon, 1e-7), or unchanged for None."""
    return p if clip is None else fnp.clip(p, clip, 1.0 - clip)


def _xlogy(x, y):
    """``x * log(y)`` with ``0 * log(0) = 0``, and finite derivatives where ``x = 0``."""
    safe_y = fnp.where(x == 0, 1.0, y)
    return fnp.where(x == 0, 0.0, x * fnp.log(safe_y))


def _pick(x, labels):
    """The entry of each row of ``x`` at its label (``x[..., labels]`` matched element by element), as a
    masked sum over the class axis, which compiles without a gather; NaN where the label is out of range."""
    classes = x.shape[-1]
    picked = fnp.sum(fnp.where(one_hot(labels, classes, dtype=bool), x, 0.0), axis=-1)
    return fnp.where((labels >= 0) & (labels < classes), picked, fnp.nan)


def _xlogy_logs(y, log_p):
    """``y * log_p`` with the terms where ``y = 0`` counting 0 (even where ``log_p = -inf``)."""
    return fnp.where(y == 0, 0.0, y * fnp.where(y == 0, 0.0, log_p))


# -- cross-entropies on probabilities ----------------------------------------------------------------------

def binary_cross_entropy_per_example(probs, labels, clip: float | None = None):
    """Binary cross-entropy ``-(y log p + (1 - y) log(1 - p))`` of probabilities, per example.

    ``probs`` (predictions in [0, 1]) and ``labels`` (targets in [0, 1], usually 0 or 1) have one shape;
    returns shape ``(batch,)`` (see the module docstring). ``clip=1e-7`` clips ``probs`` to
    ``[clip, 1 - clip]`` first, as Keras does; without it a confident wrong prediction gives ``inf``.

    >>> binary_cross_entropy_per_example(fnp.array([0.9, 0.2]), fnp.array([1.0, 0.0]))
    Array([0.10536052, 0.22314355], dtype=float64)
    """
    p, y = _pair("binary_cross_entropy", probs, labels)
    p = _clipped(p, clip)
    return _per_example(-(_xlogy(y, p) + _xlogy(1.0 - y, 1.0 - p)))


def binary_cross_entropy(probs, labels, clip: float | None = None):
    """The mean over examples of ``binary_cross_entropy_per_example`` (same arguments): a scalar.

    >>> float(binary_cross_entropy(fnp.array([0.9, 0.2]), fnp.array([1.0, 0.0])))
    0.164252033486018
    """
    return fnp.mean(binary_cross_entropy_per_example(probs, labels, clip))


def categorical_cross_entropy_per_example(probs, labels, clip: float | None = None, normalize: bool = False):
    """Categorical cross-entropy ``-sum(y * log p)`` over the last (class) axis, per example.

    ``probs`` and ``labels`` (target distributions, e.g. one-hot) have shape ``(batch, classes)`` (more
    leading axes are averaged). Keras's version is ``normalize=True`` (rescale each row of ``probs`` to sum
    to 1) with ``clip=1e-7``; Theano's (the default) does neither.

    >>> categorical_cross_entropy_per_example(fnp.array([[0.7, 0.3]]), fnp.array([[1.0, 0.0]]))
    Array([0.35667494], dtype=float64)
    """
    p, y = _distributions("categorical_cross_entropy", probs, labels)
    if normalize:
        p = p / fnp.sum(p, axis=-1, keepdims=True)
    return _per_example(-fnp.sum(_xlogy(y, _clipped(p, clip)), axis=-1))


def categorical_cross_entropy(probs, labels, clip: float | None = None, normalize: bool = False):
    """The mean over examples of ``categorical_cross_entropy_per_example`` (same arguments): a scalar.

    >>> float(categorical_cross_entropy(fnp.array([[0.7, 0.3]]), fnp.array([[1.0, 0.0]])))
    0.35667494393873245
    """
    return fnp.mean(categorical_cross_entropy_per_example(probs, labels, clip, normalize))


def sparse_categorical_cross_entropy_per_example(probs, labels, clip: float | None = None):
    """``-log probs[label]`` with integer ``labels``, per example.

    ``probs`` has shape ``(batch, classes)``, ``labels`` integer shape ``(batch,)``. ``clip`` as in
    ``binary_cross_entropy_per_example``.

    >>> sparse_categorical_cross_entropy_per_example(fnp.array([[0.7, 0.3]]), fnp.array([0]))
    Array([0.35667494], dtype=float64)
    """
    p, y = _labels("sparse_categorical_cross_entropy", probs, labels)
    return _per_example(-fnp.log(_clipped(_pick(p, y), clip)))


def sparse_categorical_cross_entropy(probs, labels, clip: float | None = None):
    """The mean over examples of ``sparse_categorical_cross_entropy_per_example`` (same arguments): a scalar.

    >>> float(sparse_categorical_cross_entropy(fnp.array([[0.7, 0.3]]), fnp.array([0])))
    0.35667494393873245
    """
    return fnp.mean(sparse_categorical_cross_entropy_per_example(probs, labels, clip))


def nll_per_example(log_probs, labels):
    """The negative log-likelihood ``-log_probs[label]`` with integer ``labels``, per example.

    ``log_probs`` (e.g. from ``log_softmax``) has shape ``(batch, classes)``, ``labels`` integer shape
    ``(batch,)``; PyTorch's ``NLLLoss`` convention.

    >>> nll_per_example(fnp.log(fnp.array([[0.7, 0.3]])), fnp.array([1]))
    Array([1.2039728], dtype=float64)
    """
    p, y = _labels("nll", log_probs, labels)
    return _per_example(-_pick(p, y))


def nll(log_probs, labels):
    """The mean over examples of ``nll_per_example`` (same arguments): a scalar.

    >>> float(nll(fnp.log(fnp.array([[0.7, 0.3]])), fnp.array([1])))
    1.2039728043259361
    """
    return fnp.mean(nll_per_example(log_probs, labels))


def kl_divergence_per_example(probs, targets, clip: float | None = None):
    """The Kullback-Leibler divergence ``KL(targets || probs) = sum(t * log(t / p))`` over the class axis.

    ``probs`` (the model's distribution) and ``targets`` have shape ``(batch, classes)``; terms with
    ``t = 0`` count 0. ``clip`` limits ``probs`` to ``[clip, 1 - clip]`` first.

    >>> kl_divergence_per_example(fnp.array([[0.5, 0.5]]), fnp.array([[1.0, 0.0]]))
    Array([0.69314718], dtype=float64)
    """
    p, t = _distributions("kl_divergence", probs, targets)
    return _per_example(fnp.sum(_xlogy(t, t) - _xlogy(t, _clipped(p, clip)), axis=-1))


def kl_divergence(probs, targets, clip: float | None = None):
    """The mean over examples of ``kl_divergence_per_example`` (same arguments): a scalar.

    >>> float(kl_divergence(fnp.array([[0.5, 0.5]]), fnp.array([[1.0, 0.0]])))
    0.6931471805599453
    """
    return fnp.mean(kl_divergence_per_example(probs, targets, clip))


# -- cross-entropies on logits (fused and stable) -------------------------------------------------------------

def sigmoid_binary_cross_entropy_per_example(logits, labels):
    """``binary_cross_entropy(sigmoid(logits), labels)`` computed stably from logits, per example.

    Uses ``softplus(x) - y * x`` (``softplus`` by ``logaddexp``), which is exact and finite for any logit, and
    whose derivative is ``sigmoid(x) - y``.

    >>> sigmoid_binary_cross_entropy_per_example(fnp.array([1000.0, -1000.0]), fnp.array([0.0, 0.0]))
    Array([1000.,    0.], dtype=float64)
    """
    x, y = _pair("sigmoid_binary_cross_entropy", logits, labels)
    return _per_example(softplus(x) - y * x)


def sigmoid_binary_cross_entropy(logits, labels):
    """The mean over examples of ``sigmoid_binary_cross_entropy_per_example`` (same arguments): a scalar.

    >>> float(sigmoid_binary_cross_entropy(fnp.array([1000.0, -1000.0]), fnp.array([0.0, 0.0])))
    500.0
    """
    return fnp.mean(sigmoid_binary_cross_entropy_per_example(logits, labels))


def softmax_cross_entropy_per_example(logits, labels):
    """``categorical_cross_entropy(softmax(logits), labels)`` computed stably, per example.

    ``-sum(labels * log_softmax(logits))`` over the last axis; ``labels`` are target distributions of the
    shape of ``logits``. The derivative is ``softmax(logits) - labels`` for targets summing to 1.

    >>> softmax_cross_entropy_per_example(fnp.array([[0.0, 1000.0]]), fnp.array([[1.0, 0.0]]))
    Array([1000.], dtype=float64)
    """
    x, y = _distributions("softmax_cross_entropy", logits, labels)
    return _per_example(-fnp.sum(_xlogy_logs(y, log_softmax(x)), axis=-1))


def softmax_cross_entropy(logits, labels):
    """The mean over examples of ``softmax_cross_entropy_per_example`` (same arguments): a scalar.

    >>> float(softmax_cross_entropy(fnp.array([[0.0, 1000.0]]), fnp.array([[1.0, 0.0]])))
    1000.0
    """
    return fnp.mean(softmax_cross_entropy_per_example(logits, labels))


def sparse_softmax_cross_entropy_per_example(logits, labels):
    """``softmax_cross_entropy`` with integer ``labels`` (``logsumexp(logits) - logits[label]``), per example.

    ``logits`` has shape ``(batch, classes)``, ``labels`` integer shape ``(batch,)``. A label outside
    ``[0, classes)`` raises ``IndexError`` when the labels are concrete (eager code); under ``jit`` that
    example's loss is NaN (so is the mean), as with JAX's fill-mode gather, never a silent 0.

    >>> sparse_softmax_cross_entropy_per_example(fnp.array([[0.0, 0.0]]), fnp.array([1]))
    Array([0.69314718], dtype=float64)
    """
    x, y = _labels("sparse_softmax_cross_entropy", logits, labels)
    return _per_example(-_pick(log_softmax(x), y))


def sparse_softmax_cross_entropy(logits, labels):
    """The mean over examples of ``sparse_softmax_cross_entropy_per_example`` (same arguments): a scalar.

    Out-of-range labels: ``IndexError`` eagerly, a NaN mean under ``jit`` (see the per-example form).

    >>> float(sparse_softmax_cross_entropy(fnp.array([[0.0, 0.0]]), fnp.array([1])))
    0.6931471805599453
    """
    return fnp.mean(sparse_softmax_cross_entropy_per_example(logits, labels))


# -- regression and margin losses ----------------------------------------------------------------------------

def squared_error_per_example(predictions, targets):
    """``(p - t)**2``, averaged per example (the mean form is the mean squared error).

    >>> squared_error_per_example(fnp.array([[0.01, 0.01, 0.01]]), fnp.array([[0.99, 0.99, 0.01]]))
    Array([0.64026667], dtype=float64)
    """
    p, t = _pair("squared_error", predictions, targets)
    return _per_example((p - t) * (p - t))


def squared_error(predictions, targets):
    """The mean over examples of ``squared_error_per_example`` (same arguments): a scalar.

    >>> float(squared_error(fnp.array([[0.01, 0.01, 0.01]]), fnp.array([[0.99, 0.99, 0.01]])))
    0.6402666666666667
    """
    return fnp.mean(squared_error_per_example(predictions, targets))


def absolute_error_per_example(predictions, targets):
    """``|p - t|``, averaged per example (the mean form is the mean absolute error).

    >>> absolute_error_per_example(fnp.array([1.0, 2.0]), fnp.array([0.0, 4.0]))
    Array([1., 2.], dtype=float64)
    """
    p, t = _pair("absolute_error", predictions, targets)
    return _per_example(fnp.abs(p - t))


def absolute_error(predictions, targets):
    """The mean over examples of ``absolute_error_per_example`` (same arguments): a scalar.

    >>> float(absolute_error(fnp.array([1.0, 2.0]), fnp.array([0.0, 4.0])))
    1.5
    """
    return fnp.mean(absolute_error_per_example(predictions, targets))


def smooth_l1_per_example(predictions, targets, delta: float = 1.0):
    """The smooth L1 loss ``0.5 * d**2 / delta`` where ``|d| < delta``, else ``|d| - 0.5 * delta`` (``d = p - t``),
    averaged per example: quadratic near 0, linear beyond ``delta``, so outliers weigh less than in the squared
    error (Girshick 2015, Fast R-CNN; PyTorch's ``SmoothL1Loss(beta=delta)``).

    Bourez 2017 (chapter 2) writes it with ``sigma = 1 / delta`` and sums over the features (axis 1) before
    the mean over examples: that is ``smooth_l1(p, t, 1 / sigma) * features``.

    >>> smooth_l1_per_example(fnp.array([[0.5, 3.0]]), fnp.array([[0.0, 0.0]]))    # (0.125 + 2.5) / 2
    Array([1.3125], dtype=float64)
    """
    if not delta > 0:
        raise ValueError(f"smooth_l1: delta must be positive, got {delta!r}")
    p, t = _pair("smooth_l1", predictions, targets)
    d = fnp.abs(p - t)
    return _per_example(fnp.where(d < delta, 0.5 * d * d / delta, d - 0.5 * delta))


def smooth_l1(predictions, targets, delta: float = 1.0):
    """The mean over examples of ``smooth_l1_per_example`` (same arguments): a scalar.

    >>> float(smooth_l1(fnp.array([0.5, 3.0]), fnp.array([0.0, 0.0])))
    1.3125
    """
    return fnp.mean(smooth_l1_per_example(predictions, targets, delta))


def huber_per_example(predictions, targets, delta: float = 1.0):
    """The Huber loss ``0.5 * d**2`` where ``|d| <= delta``, else ``delta * (|d| - 0.5 * delta)``, averaged per
    example (Huber 1964; Keras's and Optax's ``huber``): ``delta * smooth_l1_per_example``.

    >>> huber_per_example(fnp.array([[0.5, 3.0]]), fnp.array([[0.0, 0.0]]), delta=2.0)    # (0.125 + 4) / 2
    Array([2.0625], dtype=float64)
    """
    return delta * smooth_l1_per_example(predictions, targets, delta)


def huber(predictions, targets, delta: float = 1.0):
    """The mean over examples of ``huber_per_example`` (same arguments): a scalar.

    >>> float(huber(fnp.array([0.5, 3.0]), fnp.array([0.0, 0.0]), delta=2.0))
    2.0625
    """
    return fnp.mean(huber_per_example(predictions, targets, delta))


def hinge_per_example(scores, labels):
    """The hinge loss ``max(0, 1 - y * s)`` for labels ``y`` in {-1, +1}, per example.

    The derivative at the kink ``y * s = 1`` is taken from the ``1 - y * s`` side (``-y``), as Theano's
    ``switch`` form does (Ketkar 2017, listing 4-13).

    >>> hinge_per_example(fnp.array([-2.0, 0.0, 2.0]), fnp.array([1.0, 1.0, 1.0]))
    Array([3., 1., 0.], dtype=float64)
    """
    s, y = _pair("hinge", scores, labels)
    margin = 1.0 - y * s
    return _per_example(fnp.where(margin < 0, 0.0, margin))


def hinge(scores, labels):
    """The mean over examples of ``hinge_per_example`` (same arguments): a scalar.

    >>> float(hinge(fnp.array([-2.0, 0.0, 2.0]), fnp.array([1.0, 1.0, 1.0])))
    1.3333333333333333
    """
    return fnp.mean(hinge_per_example(scores, labels))


def squared_hinge_per_example(scores, labels):
    """``max(0, 1 - y * s)**2`` for labels ``y`` in {-1, +1}, per example.

    >>> squared_hinge_per_example(fnp.array([-2.0, 2.0]), fnp.array([1.0, 1.0]))
    Array([9., 0.], dtype=float64)
    """
    s, y = _pair("squared_hinge", scores, labels)
    margin = fnp.where(1.0 - y * s < 0, 0.0, 1.0 - y * s)
    return _per_example(margin * margin)


def squared_hinge(scores, labels):
    """The mean over examples of ``squared_hinge_per_example`` (same arguments): a scalar.

    >>> float(squared_hinge(fnp.array([-2.0, 2.0]), fnp.array([1.0, 1.0])))
    4.5
    """
    return fnp.mean(squared_hinge_per_example(scores, labels))


mse, mae = squared_error, absolute_error
