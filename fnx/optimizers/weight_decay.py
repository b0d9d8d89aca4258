"""Weight decay as a gradient transformation: add ``weight_decay * params`` to the updates.

Placed before the adaptive scaling (``chain(add_decayed_weights(wd), sgd(lr))``) it is the classic L2
penalty ``wd/2 * sum(p**2)`` folded into the gradient (the books' ``W += -lr * lam * W``); placed after it
(``adamw``) it is decoupled weight decay (Loshchilov and Hutter).
"""
from __future__ import annotations

from typing import Any, Callable

from .. import numpy as fnp
from ..tree_util import tree_map
from .base import EmptyState, GradientTransformation, check_trees, require_params

Mask = Any  # None, a pytree of Python bools shaped like the params, or a callable params -> such a pytree


def add_decayed_weights(weight_decay: float, mask: Mask | Callable[[Any], Any] = None) -> GradientTransformation:
    """``updates + weight_decay * params``, leaf by leaf; needs ``params`` in ``update``.

    ``mask`` selects the leaves that decay: a pytree of Python bools with the structure of the params,
    or a function of the params returning one (e.g. decay the weights but not the biases). ``None`` decays
    every leaf.

    >>> import fnx.numpy as fnp
    >>> params = {"W": fnp.array([10.0]), "b": fnp.array([10.0])}
    >>> t = add_decayed_weights(0.1, mask={"W": True, "b": False})
    >>> t.update({"W": fnp.array([1.0]), "b": fnp.array([1.0])}, t.init(params), params)[0]
    {'W': Array([2.], dtype=float64), 'b': Array([1.], dtype=float64)}
    """

    def update(grads, state, params=None):
        op = "add_decayed_weights.update"
        require_params(op, params)
        check_trees(op, params, grads)
        chosen = mask(params) if callable(mask) else mask
        if chosen is None:
            chosen = tree_map(lambda p: True, params)
        check_trees(op + " (mask)", params, chosen, shapes=False)
        decayed = tree_map(lambda g, p, on: g + weight_decay * fnp.astype(p, g.dtype) if on else g,
                           grads, params, chosen)
        return decayed, state

    return GradientTransformation(lambda params: EmptyState(), update)


__all__ = ["add_decayed_weights"]
