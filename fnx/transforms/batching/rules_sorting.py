"""Batching rule of ``sort`` (fnx/lax/sorting.py): the batch axis goes first, the sorted axis shifts by one."""
from __future__ import annotations

from ...lax.sorting import sort_p
from .engine import all_to_front, batching_rules


def _sort_rule(values, dims, *, axis_size, dimension, **params):
    outs = sort_p.bind(*all_to_front(values, dims, axis_size), dimension=dimension + 1, **params)
    return outs, [0] * len(outs)


batching_rules[sort_p] = _sort_rule
