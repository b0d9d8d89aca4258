"""Batching rules of the reductions (fnx/lax/reductions.py): the batch axis goes first and the reduced axes
shift by one."""
from __future__ import annotations

from ...lax.reductions import argmax_p, argmin_p, cumulative_primitives, reduce_primitives
from .engine import batch_to_front, batching_rules, shifted


def _reduce_rule(prim):
    def rule(values, dims, *, axis_size, axes):
        x = batch_to_front(values[0], dims[0], axis_size)
        return prim.bind(x, axes=shifted(axes)), 0
    return rule


def _along_axis_rule(prim):
    """For primitives with one ``axis`` parameter (arg-reductions, cumulative scans)."""
    def rule(values, dims, *, axis_size, axis, **params):
        x = batch_to_front(values[0], dims[0], axis_size)
        return prim.bind(x, axis=axis + 1, **params), 0
    return rule


batching_rules.update({argmax_p: _along_axis_rule(argmax_p), argmin_p: _along_axis_rule(argmin_p),
                       **{p: _reduce_rule(p) for p in reduce_primitives.values()},
                       **{p: _along_axis_rule(p) for p in cumulative_primitives.values()}})
