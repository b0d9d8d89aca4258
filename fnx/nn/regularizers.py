"""Weight penalties over parameter pytrees: ``l1`` and ``l2``.

Each takes a pytree of arrays (a dict of layers, a list, one array...) and returns a scalar summed over
every leaf; multiply by the penalty strength yourself, e.g. ``loss + 1e-4 * nn.l2(params)``.

>>> import fnx.numpy as fnp
>>> from fnx import nn
>>> float(nn.l1(fnp.array([[0, 1, 3]]))), float(nn.l2(fnp.array([[0, 1, 3]])))   # Ketkar 2017, listing 4-8
(4.0, 10.0)
"""
from __future__ import annotations

from .. import numpy as fnp
from ..core.tree import tree_leaves

__all__ = ["l1", "l2"]


def _float_leaves(params) -> list:
    """The leaves of ``params`` as float arrays (integer leaves go to the default float)."""
    return [fnp.astype_float(fnp.asarray(leaf)) for leaf in tree_leaves(params)]


def _total(terms: list):
    """The sum of scalar ``terms`` (0.0 for an empty pytree)."""
    return sum(terms[1:], terms[0]) if terms else fnp.asarray(0.0)


def l1(params):
    """The L1 penalty ``sum(|w|)`` over every leaf of the pytree ``params``.

    >>> l1({"w": fnp.array([1.0, -2.0]), "b": fnp.array([0.5])})
    Array(3.5, dtype=float64)
    """
    return _total([fnp.sum(fnp.abs(leaf)) for leaf in _float_leaves(params)])


def l2(params, half: bool = False):
    """The L2 penalty ``sum(w**2)`` over every leaf of ``params``; ``half=True`` gives ``sum(w**2) / 2``
    (whose derivative is ``w`` itself, the weight-decay convention of many books).

    >>> l2({"w": fnp.array([1.0, -2.0])}), l2({"w": fnp.array([1.0, -2.0])}, half=True)
    (Array(5.0, dtype=float64), Array(2.5, dtype=float64))
    """
    total = _total([fnp.sum(leaf * leaf) for leaf in _float_leaves(params)])
    return total * 0.5 if half else total
