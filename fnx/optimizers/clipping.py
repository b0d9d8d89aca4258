"""Gradient clipping: by value (elementwise), by the norm of each leaf, and by the global norm of all leaves.

Rescaling uses ``g * (c / max(norm, c))``, which is exactly ``g`` when the norm is within the bound and
never divides by zero, so the transforms are safe to differentiate and jit.
"""
from __future__ import annotations

import functools
from typing import Any

from .. import numpy as fnp
from ..tree_util import tree_leaves, tree_map
from .base import EmptyState, GradientTransformation, cast_like


def _check_positive(op: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{op}: the bound must be positive, got {value}")


def _stateless(update_leaves) -> GradientTransformation:
    def update(grads, state, params=None):
        return update_leaves(grads), state

    return GradientTransformation(lambda params: EmptyState(), update)


def global_norm(tree: Any):
    """The L2 norm of all leaves of ``tree`` taken together: ``sqrt(sum of every element squared)``.

    Returns a scalar of the leaves' common (promoted) dtype.

    >>> import fnx.numpy as fnp
    >>> global_norm({"a": fnp.array([3.0]), "b": fnp.array([[4.0]])})
    Array(5.0, dtype=float64)
    """
    squares = [fnp.sum(fnp.square(leaf)) for leaf in tree_leaves(tree)]
    return fnp.sqrt(functools.reduce(fnp.add, squares) if squares else fnp.zeros([]))


def clip_by_value(max_delta: float) -> GradientTransformation:
    """Clip every gradient element to ``[-max_delta, max_delta]`` (Theano's ``T.clip(g, -c, c)``).

    >>> import fnx.numpy as fnp
    >>> clip_by_value(1.0).update({"w": fnp.array([-3.0, 0.5])}, EmptyState())[0]["w"]
    Array([-1. ,  0.5], dtype=float64)
    """
    _check_positive("clip_by_value", max_delta)
    return _stateless(lambda grads: tree_map(lambda g: fnp.clip(g, -max_delta, max_delta), grads))


def clip_by_norm(max_norm: float) -> GradientTransformation:
    """Rescale each leaf on its own so that its L2 norm is at most ``max_norm`` (TensorFlow's ``clip_by_norm``).

    >>> import fnx.numpy as fnp
    >>> clip_by_norm(1.0).update({"w": fnp.array([3.0, 4.0])}, EmptyState())[0]["w"]
    Array([0.6, 0.8], dtype=float64)
    """
    _check_positive("clip_by_norm", max_norm)

    def clip_leaf(g):
        norm = fnp.sqrt(fnp.sum(fnp.square(g)))
        return g * (max_norm / fnp.maximum(norm, max_norm))

    return _stateless(lambda grads: tree_map(clip_leaf, grads))


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Rescale all leaves by one factor so that their global norm is at most ``max_norm`` (as in Bourez 2017,
    ``clip_norms(grads, c)``, Lasagne's ``total_norm_constraint``).

    >>> import fnx.numpy as fnp
    >>> t = clip_by_global_norm(1.0)
    >>> t.update({"a": fnp.array([3.0]), "b": fnp.array([4.0])}, EmptyState())[0]["b"]
    Array([0.8], dtype=float64)
    """
    _check_positive("clip_by_global_norm", max_norm)

    def clip_all(grads):
        factor = max_norm / fnp.maximum(global_norm(grads), max_norm)
        return tree_map(lambda g: g * cast_like(factor, g), grads)

    return _stateless(clip_all)


__all__ = ["clip_by_global_norm", "clip_by_norm", "clip_by_value", "global_norm"]
