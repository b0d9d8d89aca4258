"""Batching rules for the array primitives that are not elementwise: structural, reductions, indexing, sorting
and linear algebra.

Most rules move the batch axis of every operand to the front (``batch_to_front``, which also broadcasts an
unbatched operand) and shift the primitive's axis parameters by one, so the result is batched along axis 0.
The exceptions avoid work that the general recipe would waste:

* ``gather``/``scatter`` with unbatched indices put the operand's batch axis just after the indexed axes,
  where the index never touches it; with batched indices they prepend an ``iota`` column that selects each
  example's own slice of the (batch-first) operand.
* ``dynamic_slice``/``dynamic_update_slice`` with batched start indices become a ``gather``/``scatter`` of
  the window of every example.
* ``dot_general`` with one batched operand keeps the batch axis as a free axis of that operand.

``iota`` has no operands, so it is never batched: the engine evaluates it as it is, and its rule (there for
completeness of the table) does the same.
"""
from __future__ import annotations

import numpy as np

from ... import lax
from ...lax.indexing import gather_p, scatter_p
from ...lax.linalg import cholesky_p, det_p, dot_general_p, inv_p, solve_p
from ...lax.reductions import argmax_p, argmin_p, cumulative_primitives, reduce_primitives
from ...lax.sorting import sort_p
from ...lax.structural import (bitcast_convert_type_p, broadcast_in_dim_p, concatenate_p, dynamic_slice_p,
                               dynamic_update_slice_p, iota_p, pad_p, reshape_p, rev_p, slice_p, transpose_p)
from .engine import batch_to_front, batching_rules, move_axis, shape_of


def _fronts(values, dims, axis_size) -> list:
    """Every operand with its batch axis first; unbatched operands are broadcast along a new first axis."""
    return [batch_to_front(v, d, axis_size) for v, d in zip(values, dims)]


def _shifted(axes) -> tuple:
    """Axis numbers of one example, as axes of the batch-first array."""
    return tuple(a + 1 for a in axes)


# -- structural --------------------------------------------------------------------------------------------

def _bitcast_rule(values, dims, *, axis_size, new_dtype):
    return bitcast_convert_type_p.bind(values[0], new_dtype=new_dtype), dims[0]


def _broadcast_in_dim_rule(values, dims, *, axis_size, shape, broadcast_dimensions):
    x = batch_to_front(values[0], dims[0], axis_size)
    return broadcast_in_dim_p.bind(x, shape=(axis_size,) + tuple(shape),
                                   broadcast_dimensions=(0,) + _shifted(broadcast_dimensions)), 0


def _reshape_rule(values, dims, *, axis_size, new_sizes):
    x = batch_to_front(values[0], dims[0], axis_size)
    return reshape_p.bind(x, new_sizes=(axis_size,) + tuple(new_sizes)), 0


def _transpose_rule(values, dims, *, axis_size, permutation):
    x = batch_to_front(values[0], dims[0], axis_size)
    return transpose_p.bind(x, permutation=(0,) + _shifted(permutation)), 0


def _rev_rule(values, dims, *, axis_size, dimensions):
    x = batch_to_front(values[0], dims[0], axis_size)
    return rev_p.bind(x, dimensions=_shifted(dimensions)), 0


def _slice_rule(values, dims, *, axis_size, start_indices, limit_indices, strides):
    x = batch_to_front(values[0], dims[0], axis_size)
    return slice_p.bind(x, start_indices=(0,) + tuple(start_indices), limit_indices=(axis_size,) + tuple(limit_indices),
                        strides=(1,) + tuple(strides)), 0


def _pad_rule(values, dims, *, axis_size, padding_config):
    (x, padding_value), (dx, dp) = values, dims
    config = ((0, 0, 0),) + tuple(padding_config)
    x = batch_to_front(x, dx, axis_size)
    if dp is None:
        return pad_p.bind(x, padding_value, padding_config=config), 0
    # One padding value per example: pad with zeros, then overwrite the padding through a mask.
    dtype = np.dtype(x.dtype)
    padded = pad_p.bind(x, np.zeros((), dtype), padding_config=config)
    is_data = pad_p.bind(np.ones(shape_of(x)[1:], bool), np.False_, padding_config=tuple(padding_config))
    out_shape = shape_of(padded)
    is_data = lax.broadcast_in_dim(is_data, out_shape, range(1, len(out_shape)))
    fill = lax.broadcast_in_dim(padding_value, out_shape, (0,))
    return lax.select(is_data, padded, fill), 0


def _concatenate_rule(values, dims, *, axis_size, dimension):
    return concatenate_p.bind(*_fronts(values, dims, axis_size), dimension=dimension + 1), 0


def _iota_rule(values, dims, *, axis_size, **params):
    return iota_p.bind(**params), None


def _as_dtype(x, dtype):
    return x if np.dtype(x.dtype) == dtype else lax.convert_element_type(x, dtype)


def _window_indices(starts, start_dims, sizes, shape, axis_size: int, batch_column: bool):
    """Gather/scatter indices of shape ``(axis_size, *sizes, k)`` addressing every example's window.

    Example b's window on axis j starts at ``starts[j]`` (batched or not), clamped as dynamic_slice does;
    with ``batch_column`` the first index column is b itself (for a batch-first operand).
    """
    grid = (axis_size,) + tuple(sizes)
    columns = [lax.broadcasted_iota(np.int64, grid + (1,), 0)] if batch_column else []
    for j, (s, d, k, n) in enumerate(zip(starts, start_dims, sizes, shape)):
        s = batch_to_front(_as_dtype(s, np.dtype(np.int64)), d, axis_size)   # shape (axis_size,)
        s = lax.max(lax.min(s, np.int64(n - k)), np.int64(0))
        offset = lax.broadcasted_iota(np.int64, grid + (1,), j + 1)
        columns.append(lax.add(lax.broadcast_in_dim(s, grid + (1,), (0,)), offset))
    return lax.concatenate(columns, len(grid))


def _dynamic_slice_rule(values, dims, *, axis_size, slice_sizes):
    (x, *starts), (dx, *start_dims) = values, dims
    if all(d is None for d in start_dims):
        x = batch_to_front(x, dx, axis_size)
        return dynamic_slice_p.bind(x, np.int64(0), *starts, slice_sizes=(axis_size,) + tuple(slice_sizes)), 0
    shape = shape_of(x) if dx is None else shape_of(x)[:dx] + shape_of(x)[dx + 1:]
    indices = _window_indices(starts, start_dims, slice_sizes, shape, axis_size, batch_column=dx is not None)
    operand = x if dx is None else batch_to_front(x, dx, axis_size)
    return gather_p.bind(operand, indices), 0


def _dynamic_update_slice_rule(values, dims, *, axis_size):
    (x, update, *starts), (dx, du, *start_dims) = values, dims
    x, update = batch_to_front(x, dx, axis_size), batch_to_front(update, du, axis_size)
    if all(d is None for d in start_dims):
        return dynamic_update_slice_p.bind(x, update, np.int64(0), *starts), 0
    indices = _window_indices(starts, start_dims, shape_of(update)[1:], shape_of(x)[1:], axis_size,
                              batch_column=True)
    return scatter_p.bind(x, indices, update, mode="set"), 0


# -- reductions --------------------------------------------------------------------------------------------

def _reduce_rule(prim):
    def rule(values, dims, *, axis_size, axes):
        x = batch_to_front(values[0], dims[0], axis_size)
        return prim.bind(x, axes=_shifted(axes)), 0
    return rule


def _along_axis_rule(prim):
    """For primitives with one ``axis`` parameter (arg-reductions, cumulative scans)."""
    def rule(values, dims, *, axis_size, axis, **params):
        x = batch_to_front(values[0], dims[0], axis_size)
        return prim.bind(x, axis=axis + 1, **params), 0
    return rule


# -- indexing ----------------------------------------------------------------------------------------------

def _with_batch_column(indices):
    """Batch-first ``indices`` (B, ..., k) with a first column b prepended: shape (B, ..., k + 1)."""
    # int64 holds any batch position and any index, except uint64 ones, which keep their type.
    dtype = np.dtype(np.uint64 if np.dtype(indices.dtype) == np.uint64 else np.int64)
    indices = _as_dtype(indices, dtype)
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
    x, indices, updates = _fronts(values, dims, axis_size)
    return scatter_p.bind(x, _with_batch_column(indices), updates, mode=mode), 0


# -- sorting and linear algebra ----------------------------------------------------------------------------

def _sort_rule(values, dims, *, axis_size, dimension, **params):
    outs = sort_p.bind(*_fronts(values, dims, axis_size), dimension=dimension + 1, **params)
    return outs, [0] * len(outs)


def _dot_general_rule(values, dims, *, axis_size, dimension_numbers):
    """Both batched: a new leading batch dimension. One batched: its batch axis is a free axis of that operand."""
    (lhs, rhs), (dl, dr) = values, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if dl is not None and dr is not None:
        dn = ((_shifted(lc), _shifted(rc)), ((0,) + _shifted(lb), (0,) + _shifted(rb)))
        lhs, rhs = batch_to_front(lhs, dl, axis_size), batch_to_front(rhs, dr, axis_size)
        return dot_general_p.bind(lhs, rhs, dimension_numbers=dn), 0
    if dl is not None:  # output: batch dims, then lhs free dims (ours first), then rhs free dims
        dn = ((_shifted(lc), rc), (_shifted(lb), rb))
        return dot_general_p.bind(batch_to_front(lhs, dl, axis_size), rhs, dimension_numbers=dn), len(lb)
    dn = ((lc, _shifted(rc)), (lb, _shifted(rb)))
    lhs_free = len(shape_of(lhs)) - len(lc) - len(lb)
    return dot_general_p.bind(lhs, batch_to_front(rhs, dr, axis_size), dimension_numbers=dn), len(lb) + lhs_free


def _leading_batch_rule(prim):
    """For primitives that already map over leading axes (inv, det, cholesky, solve)."""
    def rule(values, dims, *, axis_size):
        return prim.bind(*_fronts(values, dims, axis_size)), 0
    return rule


batching_rules.update({
    bitcast_convert_type_p: _bitcast_rule,
    broadcast_in_dim_p: _broadcast_in_dim_rule,
    reshape_p: _reshape_rule,
    transpose_p: _transpose_rule,
    rev_p: _rev_rule,
    slice_p: _slice_rule,
    pad_p: _pad_rule,
    concatenate_p: _concatenate_rule,
    iota_p: _iota_rule,
    dynamic_slice_p: _dynamic_slice_rule,
    dynamic_update_slice_p: _dynamic_update_slice_rule,
    argmax_p: _along_axis_rule(argmax_p),
    argmin_p: _along_axis_rule(argmin_p),
    gather_p: _gather_rule,
    scatter_p: _scatter_rule,
    sort_p: _sort_rule,
    dot_general_p: _dot_general_rule,
    **{p: _reduce_rule(p) for p in reduce_primitives.values()},
    **{p: _along_axis_rule(p) for p in cumulative_primitives.values()},
    **{p: _leading_batch_rule(p) for p in (inv_p, det_p, cholesky_p, solve_p)},
})
