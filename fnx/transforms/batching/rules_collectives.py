"""Batching rules of the collectives (fnx/lax/collectives.py).

``vmap`` maps over examples within each process; the collectives still run over processes, once for the
whole batch. all_reduce and bcast act elementwise, so the batch axis stays where it is. all_gather stacks
processes on a new first axis, which shifts the batch axis by one. reduce_scatter's operand needs the process
axis first, so the batch axis moves to second place, and is first in the result.
"""
from __future__ import annotations

from ...lax.collectives import all_gather_p, all_reduce_p, bcast_p, reduce_scatter_p
from .engine import batching_rules, move_axis


def _elementwise(prim):
    def rule(values, dims, *, axis_size, **params):
        return prim.bind(values[0], **params), dims[0]
    return rule


def _all_gather(values, dims, *, axis_size, size):
    return all_gather_p.bind(values[0], size=size), dims[0] + 1


def _reduce_scatter(values, dims, *, axis_size, size):
    return reduce_scatter_p.bind(move_axis(values[0], dims[0], 1, axis_size), size=size), 0


batching_rules[all_reduce_p] = _elementwise(all_reduce_p)
batching_rules[bcast_p] = _elementwise(bcast_p)
batching_rules[all_gather_p] = _all_gather
batching_rules[reduce_scatter_p] = _reduce_scatter
