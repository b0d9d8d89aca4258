"""Batching rules of the structural primitives (fnx/lax/structural.py).

Most rules move the batch axis of every operand to the front (``batch_to_front``, which also broadcasts an
unbatched operand) and shift the primitive's axis parameters by one, so the result is batched along axis 0.
``dynamic_slice``/``dynamic_update_slice`` with batched start indices become a ``gather``/``scatter`` of the
window of every example. ``iota`` has no operands, so it is never batched: the engine evaluates it as it is,
and its rule (there for completeness of the table) does the same.
"""
from __future__ import annotations

import numpy as np

from ... import lax
from ...lax.indexing import gather_p, scatter_p
from ...lax.structural import (bitcast_convert_type_p, broadcast_in_dim_p, concatenate_p, dynamic_slice_p,
                               dynamic_update_slice_p, iota_p, pad_p, reshape_p, rev_p, slice_p, transpose_p)
from .engine import all_to_front, as_dtype, batch_to_front, batching_rules, shape_of, shifted


def _bitcast_rule(values, dims, *, axis_size, new_dtype):
    return bitcast_convert_type_p.bind(values[0], new_dtype=new_dtype), dims[0]


def _broadcast_in_dim_rule(values, dims, *, axis_size, shape, broadcast_dimensions):
    x = batch_to_front(values[0], dims[0], axis_size)
    return broadcast_in_dim_p.bind(x, shape=(axis_size,) + tuple(shape),
                                   broadcast_dimensions=(0,) + shifted(broadcast_dimensions)), 0


def _reshape_rule(values, dims, *, axis_size, new_sizes):
    x = batch_to_front(values[0], dims[0], axis_size)
    return reshape_p.bind(x, new_sizes=(axis_size,) + tuple(new_sizes)), 0


def _transpose_rule(values, dims, *, axis_size, permutation):
    x = batch_to_front(values[0], dims[0], axis_size)
    return transpose_p.bind(x, permutation=(0,) + shifted(permutation)), 0


def _rev_rule(values, dims, *, axis_size, dimensions):
    x = batch_to_front(values[0], dims[0], axis_size)
    return rev_p.bind(x, dimensions=shifted(dimensions)), 0


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
    return concatenate_p.bind(*all_to_front(values, dims, axis_size), dimension=dimension + 1), 0


def _iota_rule(values, dims, *, axis_size, **params):
    return iota_p.bind(**params), None


def _window_indices(starts, start_dims, sizes, shape, axis_size: int, batch_column: bool):
    """Gather/scatter indices of shape ``(axis_size, *sizes, k)`` addressing every example's window.

    Example b's window on axis j starts at ``starts[j]`` (batched or not), clamped as dynamic_slice does;
    with ``batch_column`` the first index column is b itself (for a batch-first operand).
    """
    grid = (axis_size,) + tuple(sizes)
    columns = [lax.broadcasted_iota(np.int64, grid + (1,), 0)] if batch_column else []
    for j, (s, d, k, n) in enumerate(zip(starts, start_dims, sizes, shape)):
        s = batch_to_front(as_dtype(s, np.dtype(np.int64)), d, axis_size)   # shape (axis_size,)
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


batching_rules.update({
    bitcast_convert_type_p: _bitcast_rule, broadcast_in_dim_p: _broadcast_in_dim_rule, reshape_p: _reshape_rule,
    transpose_p: _transpose_rule, rev_p: _rev_rule, slice_p: _slice_rule, pad_p: _pad_rule,
    concatenate_p: _concatenate_rule, iota_p: _iota_rule, dynamic_slice_p: _dynamic_slice_rule,
    dynamic_update_slice_p: _dynamic_update_slice_rule,
})
