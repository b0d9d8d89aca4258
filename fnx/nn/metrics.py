"""Evaluation metrics (accuracy, top-k accuracy, confusion matrix) and ``count_params``.

Metrics take predictions first and labels second, like the losses, and are not meant to be differentiated.

>>> import fnx.numpy as fnp
>>> from fnx import nn
>>> scores = fnp.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
>>> float(nn.accuracy(scores, fnp.array([1, 0, 0])))
0.6666666666666666
>>> nn.count_params({"w": fnp.zeros((784, 30)), "b": fnp.zeros(30)})
23550
"""
from __future__ import annotations

import math

import numpy as np

from .. import numpy as fnp
from ..core.errors import FnxTypeError
from ..core.tree import tree_leaves
from .activations import one_hot
from .losses import _pick

__all__ = ["accuracy", "binary_accuracy", "top_k_accuracy", "confusion_matrix", "count_params"]


def _class_ids(scores, labels):
    """Predicted and true class ids of one shape, from scores ``s + (classes,)`` and labels that are either
    integer ids of shape ``s`` or one-hot/probability rows of the shape of the scores."""
    p, y = fnp.asarray(scores), fnp.asarray(labels)
    if p.dtype.kind in "iu" and y.dtype.kind in "iu" and p.shape == y.shape:
        return p, y
    if p.ndim == 0 or p.shape[-1] < 2:
        raise FnxTypeError(f"accuracy: needs scores with a class axis of size >= 2 (last), got shape {tuple(p.shape)}; "
                           "for probabilities of a binary label use binary_accuracy")
    if y.shape == p.shape:
        y = fnp.argmax(y, axis=-1)
    elif y.dtype.kind not in "iu" or tuple(y.shape) != tuple(p.shape[:-1]):
        raise FnxTypeError(f"accuracy: scores of shape s + (classes,) need integer labels of shape s or one-hot labels "
                           f"of shape s + (classes,); got {tuple(p.shape)} and {y.dtype} {tuple(y.shape)}")
    return fnp.argmax(p, axis=-1), y


def accuracy(predictions, labels):
    """The fraction of examples whose predicted class is the label (a float scalar).

    ``predictions``: scores of shape ``(batch, classes)`` (the arg-max is the predicted class) or integer
    class ids of shape ``(batch,)``. ``labels``: integer ids of shape ``(batch,)`` or one-hot rows of shape
    ``(batch, classes)``. More leading axes are allowed and averaged over.

    >>> accuracy(fnp.array([[0.1, 0.9], [0.8, 0.2]]), fnp.array([1, 1]))
    Array(0.5, dtype=float64)
    """
    p, y = _class_ids(predictions, labels)
    return fnp.mean(fnp.astype(p == y, float))


def binary_accuracy(probs, labels, threshold: float = 0.5):
    """The fraction of predictions ``probs > threshold`` that equal 0/1 ``labels`` (Keras's
    ``binary_accuracy``: ``mean(labels == round(probs))``).

    >>> binary_accuracy(fnp.array([0.9, 0.4, 0.6]), fnp.array([1, 0, 0]))
    Array(0.6666666666666666, dtype=float64)
    """
    p, y = fnp.asarray(probs), fnp.asarray(labels)
    if p.shape != y.shape:
        raise FnxTypeError(f"binary_accuracy: probs and labels must have the same shape, got {tuple(p.shape)} and "
                           f"{tuple(y.shape)}")
    return fnp.mean(fnp.astype(fnp.astype(p > threshold, y.dtype) == y, float))


def top_k_accuracy(scores, labels, k: int = 5):
    """The fraction of examples whose label is among the ``k`` highest scores.

    ``scores``: shape ``(batch, classes)``; ``labels``: integer shape ``(batch,)``. Ties count in the label's
    favour: it is a hit when fewer than ``k`` classes score strictly higher.

    >>> top_k_accuracy(fnp.array([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2]]), fnp.array([1, 2]), k=2)
    Array(0.5, dtype=float64)
    """
    s, y = fnp.asarray(scores), fnp.asarray(labels)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise FnxTypeError(f"top_k_accuracy: k must be a positive Python int, got {k!r}")
    if y.dtype.kind not in "iu" or s.ndim == 0 or tuple(y.shape) != tuple(s.shape[:-1]):
        raise FnxTypeError(f"top_k_accuracy: scores of shape s + (classes,) need integer labels of shape s; got "
                           f"{tuple(s.shape)} and {y.dtype} {tuple(y.shape)}")
    label_score = fnp.expand_dims(_pick(s, y), -1)
    higher = fnp.sum(fnp.astype(s > label_score, np.int64), axis=-1)
    return fnp.mean(fnp.astype(higher < k, float))


def confusion_matrix(predictions, labels, num_classes: int):
    """Counts ``C[i, j]`` of examples with true label ``i`` predicted as ``j`` (rows: truth, as in
    scikit-learn), an int64 array of shape ``(num_classes, num_classes)``.

    ``predictions`` and ``labels`` are integer class ids of one shape (any shape; all elements count).
    ``num_classes`` must be a Python int (the result's shape is static); ids outside ``[0, num_classes)``
    are not counted.

    >>> confusion_matrix(fnp.array([0, 1, 1]), fnp.array([0, 0, 1]), 2)
    Array([[1, 1],
           [0, 1]], dtype=int64)
    """
    p, y = fnp.asarray(predictions), fnp.asarray(labels)
    if p.dtype.kind not in "iu" or y.dtype.kind not in "iu" or p.shape != y.shape:
        raise FnxTypeError(f"confusion_matrix: needs integer class ids of one shape, got {p.dtype} {tuple(p.shape)} "
                           f"and {y.dtype} {tuple(y.shape)}")
    truth = one_hot(fnp.reshape(y, (-1,)), num_classes, dtype=np.int64)
    predicted = one_hot(fnp.reshape(p, (-1,)), num_classes, dtype=np.int64)
    return fnp.matmul(fnp.matrix_transpose(truth), predicted)


def count_params(params) -> int:
    """The number of scalars in the pytree ``params`` (the sum of its leaves' sizes), a Python int.

    Works on arrays and on shape-only leaves (anything with ``.shape``), so it needs no computation.

    >>> count_params([{"w": fnp.zeros((784, 30)), "b": fnp.zeros(30)}, {"w": fnp.zeros((30, 10))}])
    23850
    """
    return sum(math.prod(getattr(leaf, "shape", np.shape(leaf))) for leaf in tree_leaves(params))
