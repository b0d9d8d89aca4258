"""Batching rules of the windowed primitives ``conv_general_dilated`` and ``reduce_window``.

**Convolution.** The vmap axis is folded into an axis the convolution already treats independently, working
in the canonical layout (batch, feature, spatial... for lhs and out; out feature, in feature, spatial... for
rhs) and transposing back at the end:

* batched lhs only: the vmap axis joins the batch axis N;
* batched rhs only: it joins the output features; to keep every feature group's outputs contiguous the
  features are ordered (group, vmap, feature in group);
* both batched: it joins the features of both operands and multiplies ``feature_group_count``, so that
  example b's input features only meet example b's kernel (a grouped convolution with B*G groups).

**reduce_window.** A batched operand gets a window of size 1 (stride 1, no padding or dilation) along its
vmap axis. A batched ``init_value`` cannot be a scalar, so the result is rebuilt from an unbatched reduction:
``max``/``min`` combine the reduction with the neutral element as init with the per-example init
(padding taps hold init, which cannot change ``max(init, ...)``); ``sum`` adds init times
``1 + (number of padding taps)`` of every window.

**select_and_scatter_add / select_and_gather_add** (max/min pooling's derivatives): batched arrays move to the
front and the window gets a unit axis there. A batched scalar (init, tangent_init) cannot join a window, so
then each example is computed on its own and the results are stacked.
"""
from __future__ import annotations

import math
from functools import partial

import numpy as np

from ... import lax
from ... import numpy as fnp
from ...lax.convolution import _reduce_window_impl, conv_general_dilated_p, reduce_window_p, \
    select_and_gather_add_p, select_and_scatter_add_p
from .engine import batch_to_front, batching_rules, shape_of


# -- conv_general_dilated ----------------------------------------------------------------------------------

def _canonical(x, perm):
    """An unbatched ``x`` in the canonical axis order ``perm``."""
    return lax.transpose(x, tuple(int(i) for i in perm))


def _canonical_batched(x, d, perm, axis_size):
    """``x`` with the vmap axis first, then its example axes in the canonical order ``perm``."""
    x = batch_to_front(x, d, axis_size)
    return lax.transpose(x, (0, *(1 + int(i) for i in perm)))


def _conv(x, w, groups: int, window: dict):
    """``conv_general_dilated`` of canonical-layout operands with the window params ``window``."""
    identity = tuple(range(len(shape_of(x))))
    return conv_general_dilated_p.bind(x, w, dimension_numbers=(identity,) * 3, feature_group_count=groups,
                                       **window)


def _vmap_into_batch(x, w, groups: int, window: dict):
    """x (B, N, C, sp), w (O, I, k): the vmap axis joins the batch, (B*N, C, sp)."""
    b, n, c, *spatial = shape_of(x)
    y = _conv(lax.reshape(x, (b * n, c, *spatial)), w, groups, window)
    return lax.reshape(y, (b, n, *shape_of(y)[1:]))


def _vmap_into_out_features(x, w, groups: int, window: dict):
    """x (N, C, sp), w (B, O, I, k): the vmap axis joins the output features, ordered (group, vmap, feature)."""
    b, o, i, *kernel = shape_of(w)
    nk = len(kernel)
    w = lax.transpose(lax.reshape(w, (b, groups, o // groups, i, *kernel)), (1, 0, *range(2, 4 + nk)))
    y = _conv(x, lax.reshape(w, (b * o, i, *kernel)), groups, window)  # (N, G*B*O/G, out sp)
    n, _, *out_spatial = shape_of(y)
    y = lax.reshape(y, (n, groups, b, o // groups, *out_spatial))
    y = lax.transpose(y, (2, 0, 1, 3, *range(4, 4 + nk)))
    return lax.reshape(y, (b, n, o, *out_spatial))


def _vmap_into_groups(x, w, groups: int, window: dict):
    """x (B, N, C, sp), w (B, O, I, k): the vmap axis joins the features of both, with B*G feature groups."""
    b, n, c, *spatial = shape_of(x)
    _, o, i, *kernel = shape_of(w)
    rest = tuple(range(3, 3 + len(spatial)))
    x = lax.reshape(lax.transpose(x, (1, 0, 2, *rest)), (n, b * c, *spatial))
    y = _conv(x, lax.reshape(w, (b * o, i, *kernel)), b * groups, window)  # (N, B*O, out sp)
    return lax.transpose(lax.reshape(y, (n, b, o, *shape_of(y)[2:])), (1, 0, 2, *rest))


def _conv_rule(values, dims, *, axis_size, dimension_numbers, feature_group_count, **window):
    lhs_perm, rhs_perm, out_perm = dimension_numbers
    (lhs, rhs), (lhs_dim, rhs_dim) = values, dims
    if rhs_dim is None:
        y = _vmap_into_batch(_canonical_batched(lhs, lhs_dim, lhs_perm, axis_size), _canonical(rhs, rhs_perm),
                             feature_group_count, window)
    elif lhs_dim is None:
        y = _vmap_into_out_features(_canonical(lhs, lhs_perm), _canonical_batched(rhs, rhs_dim, rhs_perm, axis_size),
                                    feature_group_count, window)
    else:
        y = _vmap_into_groups(_canonical_batched(lhs, lhs_dim, lhs_perm, axis_size),
                              _canonical_batched(rhs, rhs_dim, rhs_perm, axis_size), feature_group_count, window)
    # canonical (B, N, O, out sp) -> the out layout, vmap axis first
    return lax.transpose(y, (0, *(1 + int(a) for a in np.argsort(out_perm)))), 0


batching_rules[conv_general_dilated_p] = _conv_rule


# -- reduce_window -----------------------------------------------------------------------------------------

def _insert(values: tuple, axis: int, value) -> tuple:
    return tuple(values[:axis]) + (value,) + tuple(values[axis:])


def _reduce_window_rule(values, dims, *, axis_size, computation, window_dimensions, window_strides, padding,
                        base_dilation, window_dilation):
    (operand, init), (op_dim, init_dim) = values, dims
    if init_dim is not None:
        return _batched_init(operand, op_dim, init, init_dim, axis_size, computation=computation,
                             window_dimensions=window_dimensions, window_strides=window_strides, padding=padding,
                             base_dilation=base_dilation, window_dilation=window_dilation)
    out = reduce_window_p.bind(
        operand, init, computation=computation, window_dimensions=_insert(window_dimensions, op_dim, 1),
        window_strides=_insert(window_strides, op_dim, 1), padding=_insert(padding, op_dim, (0, 0)),
        base_dilation=_insert(base_dilation, op_dim, 1), window_dilation=_insert(window_dilation, op_dim, 1))
    return out, op_dim


def _neutral(computation: str, dtype: np.dtype):
    """The element that ``computation`` ignores: 0 for sum, the lowest value for max, the highest for min."""
    if computation == "sum":
        return dtype.type(0)
    if dtype.kind == "f":
        return dtype.type(-np.inf if computation == "max" else np.inf)
    info = np.iinfo(dtype)
    return dtype.type(info.min if computation == "max" else info.max)


def _batched_init(operand, op_dim, init, init_dim, axis_size, *, computation, **window):
    """``reduce_window`` with one init value per example: reduce with the neutral init, then bring it in."""
    dtype = np.dtype(init.dtype)
    operand = batch_to_front(operand, op_dim, axis_size)
    out, _ = _reduce_window_rule([operand, _neutral(computation, dtype)], [0, None], axis_size=axis_size,
                                 computation=computation, **window)
    out_shape = shape_of(out)
    init = lax.broadcast_in_dim(batch_to_front(init, init_dim, axis_size), out_shape, (0,))
    if computation == "max":
        return lax.max(out, init), 0
    if computation == "min":
        return lax.min(out, init), 0
    # sum: init once per window, plus once per padding or hole tap (a count that depends on shapes only)
    example_shape = shape_of(operand)[1:]
    real_taps = _reduce_window_impl(np.ones(example_shape, dtype), dtype.type(0), computation="sum", **window)
    copies = (1 + math.prod(window["window_dimensions"]) - real_taps).astype(dtype)
    return lax.add(out, lax.mul(init, lax.broadcast_in_dim(copies, out_shape, tuple(range(1, len(out_shape)))))), 0


batching_rules[reduce_window_p] = _reduce_window_rule


# -- select_and_scatter_add, select_and_gather_add ------------------------------------------------------------

def _select_batch(prim, scalars, values, dims, *, axis_size, **params):
    """vmap of either selection primitive; ``scalars`` are the positions of its scalar operands (init, and
    tangent_init for the gather)."""
    if any(dims[i] is not None for i in scalars):
        values = [v if d is None else batch_to_front(v, d, axis_size) for v, d in zip(values, dims)]
        examples = [[v if d is None else v[i] for v, d in zip(values, dims)] for i in range(axis_size)]
        return fnp.stack([prim.bind(*example, **params) for example in examples]), 0
    values = [v if i in scalars else batch_to_front(v, d, axis_size) for i, (v, d) in enumerate(zip(values, dims))]
    return prim.bind(*values, **_with_unit_window_axis(params)), 0


def _with_unit_window_axis(params: dict) -> dict:
    unit = dict(window_dimensions=1, window_strides=1, padding=(0, 0), base_dilation=1, window_dilation=1)
    return {k: (unit[k], *v) if k in unit else v for k, v in params.items()}


batching_rules[select_and_gather_add_p] = partial(_select_batch, select_and_gather_add_p, (1, 3))
batching_rules[select_and_scatter_add_p] = partial(_select_batch, select_and_scatter_add_p, (2,))
