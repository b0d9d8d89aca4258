"""Batching rules of ``gather`` and ``scatter`` (fnx/lax/indexing.py).

With unbatched indices the operand's batch axis goes just after the indexed axes, where the index never
touches it; with batched indices an ``iota`` column is prepended that selects each example's own slice of the
(batch-first) operand.
"""
from __future__ import annotations

import numpy as np

from ... import lax
from ...lax.indexing import gather_p, scatter_p
from .engine import all_to_front, as_dtype, batch_to_front, batching_rules, move_axis, shape_of


def _with_batch_column(indices):
    """Batch-first ``indices`` (B, ..., k) with a first column b prepended: shape (B, ..., k + 1)."""
    # int64 holds any batch position and any index, except uint64 ones, which keep their type.
    dtype = np.dtype(np.uint64 if np.dtype(indices.dtype) == np.uint64 else np.int64)
    indices = as_dtype(indices, dtype)
    shape = shape_of(indices)
    column = lax.broadcasted_iota(dtype, shape[:-1] + (1,), 0)
    return lax.concatenate([column, indices], len(shape) - 1)


def _gather_rule(values, dims, *, axis_size):
    (x, indices), (dx, di) = values, dims
    if di is None:  # the batch axis of x becomes the first of the whole axes every index takes
        k = shape_of(indices)[-1]
        return gather_p.bind(move_axis(x, dx, k, axis_size), indices), len(shape_of(indices)) - 1
    indices = batch_to_front(indices, di, axis_size)
    if dx is None:  # the batch is part of the index batch shape
        return gather_p.bind(x, indices), 0
    return gather_p.bind(batch_to_front(x, dx, axis_size), _with_batch_column(indices)), 0


def _scatter_rule(values, dims, *, axis_size, mode):
    (x, indices, updates), (dx, di, du) = values, dims
    if di is None:  # as in gather: batch axis right after the indexed axes, in x and in the updates
        k, index_batch_rank = shape_of(indices)[-1], len(shape_of(indices)) - 1
        x = move_axis(x, dx, k, axis_size)
        updates = move_axis(updates, du, index_batch_rank, axis_size)
        return scatter_p.bind(x, indices, updates, mode=mode), k
    x, indices, updates = all_to_front(values, dims, axis_size)
    return scatter_p.bind(x, _with_batch_column(indices), updates, mode=mode), 0


batching_rules[gather_p], batching_rules[scatter_p] = _gather_rule, _scatter_rule
