"""Derivative rules of the structural and indexing primitives (fnx/lax/structural.py, fnx/lax/indexing.py).

Almost all of these primitives are linear in their float operands: their jvp applies the primitive itself to
the tangents (``_linear_jvp``), and their vjp is the transposed data movement: a broadcast sums, a slice
pads with zeros, a gather scatter-adds, and so on. Integer operands (gather/scatter indices, dynamic starts)
never get a cotangent: their vjp entry is None.

The non-linear scatter modes have their own rules:

* ``mul``: ``out = x * prod(updates at that position)``. The derivative for one update is the product of
  every other factor there, computed without dividing by a zero (zero factors are counted separately).
* ``min``/``max``: the derivative goes to whichever of the operand and the updates equals the result; when
  several tie, they share it equally (as elementwise max does, and as JAX does).

``set`` with duplicate indices writes one of the duplicates (the primitive's choice); only that update
receives a cotangent, found by scattering each update's id and reading back which id won. Out-of-bounds
scatter updates are dropped, so they get a zero cotangent; out-of-bounds gather indices are clamped, so the
gradient goes to the clamped position.
"""
from __future__ import annotations

import numpy as np

from ... import numpy as fnp
from ...core.primitive import Primitive, bind
from ...core.tracing import Tracer
from ...lax.indexing import gather_p, scatter_p
from ...lax.reductions import reduce_sum_p
from ...lax.structural import (bitcast_convert_type_p, broadcast_in_dim_p, concatenate_p, dynamic_slice_p,
                               dynamic_update_slice_p, iota_p, pad_p, reshape_p, rev_p, slice_p, transpose_p)
from .engine import aval_of, instantiate, is_differentiable, jvp_rules, nondifferentiable, vjp_rules

# iota has no inputs; a bitcast reinterprets bits, which has no meaningful derivative.
nondifferentiable.update([iota_p, bitcast_convert_type_p])


def _linear_jvp(prim: Primitive):
    """The jvp of a primitive linear in its float operands: the primitive applied to their tangents
    (integer operands, such as indices, are passed through unchanged)."""
    def jvp(primals, tangents, **params):
        out = bind(prim, primals, params)
        args = [instantiate(t) if is_differentiable(aval_of(p)) else p for p, t in zip(primals, tangents)]
        return out, bind(prim, args, params)
    return jvp


def _zeros(shape, dtype):
    return fnp.zeros(tuple(shape), dtype)


# -- shapes ------------------------------------------------------------------------------------------------

def _broadcast_in_dim_vjp(ct, primals, out, *, shape, broadcast_dimensions):
    """Sum over the new axes and the stretched size-1 axes, then reshape to the operand's shape."""
    x_shape = aval_of(primals[0]).shape
    stretched = [d for n, d in zip(x_shape, broadcast_dimensions) if n == 1 and shape[d] != 1]
    new_axes = [d for d in range(len(shape)) if d not in broadcast_dimensions]
    summed = sorted(new_axes + stretched)
    if summed:
        ct = reduce_sum_p.bind(ct, axes=tuple(summed))
    return [reshape_p.bind(ct, new_sizes=tuple(x_shape)) if ct.shape != x_shape else ct]


def _reshape_vjp(ct, primals, out, *, new_sizes):
    return [reshape_p.bind(ct, new_sizes=tuple(aval_of(primals[0]).shape))]


def _transpose_vjp(ct, primals, out, *, permutation):
    return [transpose_p.bind(ct, permutation=tuple(int(i) for i in np.argsort(permutation)))]


def _rev_vjp(ct, primals, out, *, dimensions):
    return [rev_p.bind(ct, dimensions=dimensions)]


def _slice_vjp(ct, primals, out, *, start_indices, limit_indices, strides):
    """Put the cotangent back where the slice took it from: zeros around it and between strided elements."""
    x_shape = aval_of(primals[0]).shape
    if 0 in ct.shape:
        return [_zeros(x_shape, ct.dtype)]
    config = tuple((lo, n - (lo + (m - 1) * s + 1), s - 1)
                   for lo, s, n, m in zip(start_indices, strides, x_shape, ct.shape))
    return [pad_p.bind(ct, ct.dtype.type(0), padding_config=config)]  # a NumPy scalar: a literal when traced


def _pad_vjp(ct, primals, out, *, padding_config):
    """Operand: undo the low/high padding (negative padding crops, so undoing it adds zeros back), then take
    every (interior + 1)-th element. Padding value: the sum of the cotangent over the padded positions."""
    x_shape = aval_of(primals[0]).shape
    unpad = tuple((-lo, -hi, 0) for lo, hi, _ in padding_config)
    ct_x = pad_p.bind(ct, fnp.zeros((), ct.dtype), padding_config=unpad)
    if any(interior for _, _, interior in padding_config):
        ct_x = slice_p.bind(ct_x, start_indices=(0,) * len(x_shape), limit_indices=tuple(ct_x.shape),
                            strides=tuple(interior + 1 for _, _, interior in padding_config))
    is_padding = pad_p.bind(_zeros(x_shape, ct.dtype), fnp.ones((), ct.dtype), padding_config=padding_config)
    ct_value = reduce_sum_p.bind(fnp.multiply(ct, is_padding), axes=tuple(range(len(x_shape))))
    return [ct_x, ct_value]


def _concatenate_vjp(ct, primals, out, *, dimension):
    """Each operand gets its own slab of the cotangent along ``dimension``."""
    cts, offset = [], 0
    for x in primals:
        shape = aval_of(x).shape
        start = [0] * len(shape)
        start[dimension] = offset
        limit = list(ct.shape)
        limit[dimension] = offset + shape[dimension]
        cts.append(slice_p.bind(ct, start_indices=tuple(start), limit_indices=tuple(limit),
                                strides=(1,) * len(shape)))
        offset += shape[dimension]
    return cts


# -- dynamic slices ----------------------------------------------------------------------------------------

def _dynamic_slice_vjp(ct, primals, out, *, slice_sizes):
    """The cotangent written into zeros at the same (equally clamped) starts; the starts get none."""
    x, *starts = primals
    written = dynamic_update_slice_p.bind(_zeros(aval_of(x).shape, ct.dtype), ct, *starts)
    return [written] + [None] * len(starts)


def _dynamic_update_slice_vjp(ct, primals, out):
    """Operand: the cotangent with the overwritten window zeroed. Update: the cotangent's window."""
    x, update, *starts = primals
    update_shape = tuple(aval_of(update).shape)
    ct_x = dynamic_update_slice_p.bind(ct, _zeros(update_shape, ct.dtype), *starts)
    ct_update = dynamic_slice_p.bind(ct, *starts, slice_sizes=update_shape)
    return [ct_x, ct_update] + [None] * len(starts)


# -- gather and scatter ------------------------------------------------------------------------------------

def _concrete(x):
    """``x`` as a NumPy array when its value is known now (not a tracer), else None."""
    return None if isinstance(x, Tracer) else np.asarray(x)


def _clamped(indices, operand_shape):
    """Indices clamped into the operand as gather clamps them (so scatter drops none of them)."""
    k = aval_of(indices).shape[-1]
    upper = np.array([max(n - 1, 0) for n in operand_shape[:k]], dtype=aval_of(indices).dtype)
    known = _concrete(indices)
    if known is not None:
        return np.clip(known, 0, upper)
    return fnp.minimum(fnp.maximum(indices, np.zeros((), upper.dtype)), upper)


def _gather_vjp(ct, primals, out):
    """Scatter-add the cotangent into zeros at the (clamped) indices: repeated indices accumulate."""
    x, indices = primals
    x_shape = aval_of(x).shape
    ct_x = scatter_p.bind(_zeros(x_shape, ct.dtype), _clamped(indices, x_shape), ct, mode="add")
    return [ct_x, None]


def _inside(indices, operand_shape, updates_ndim: int):
    """A bool mask, broadcastable against the updates: does each update land inside the operand?
    None when every update is known to land inside."""
    k = aval_of(indices).shape[-1]
    batch = aval_of(indices).shape[:-1]
    bounds = np.array(operand_shape[:k], dtype=np.int64)
    known = _concrete(indices)
    if known is not None and np.all((known >= 0) & (known < bounds)):
        return None
    ok = fnp.all(fnp.logical_and(fnp.greater_equal(indices, 0), fnp.less(indices, bounds)), axis=-1)
    return fnp.reshape(ok, batch + (1,) * (updates_ndim - len(batch)))


def _mask_dropped(values, indices, operand_shape):
    """``values`` (one per update) with those of updates that scatter drops (out of bounds) set to 0."""
    inside = _inside(indices, operand_shape, len(aval_of(values).shape))
    return values if inside is None else fnp.where(inside, values, fnp.zeros((), aval_of(values).dtype))


def _gather_updates(values, indices):
    """``values`` (operand-shaped) read at every update's position; 0 for updates that scatter drops."""
    return _mask_dropped(gather_p.bind(values, indices), indices, aval_of(values).shape)


def _set_winners(x, indices, updates):
    """A bool mask over the updates: True for those a ``set`` scatter actually writes (the winner among
    duplicates, and not out of bounds). Found by scattering every update's id and reading the ids back."""
    shape = aval_of(updates).shape
    ids = fnp.reshape(fnp.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64), shape)
    written = scatter_p.bind(fnp.full(aval_of(x).shape, -1, dtype=np.int64), indices, ids, mode="set")
    return fnp.equal(gather_p.bind(written, indices), ids)


def _others_product(x, indices, updates):
    """For each update u_j: the product of the other factors at its position, ``x * prod_{i != j} u_i``
    (0 for dropped updates). Zero updates are counted instead of divided by."""
    dtype = aval_of(updates).dtype
    one, zero = fnp.ones((), dtype), fnp.zeros((), dtype)
    is_zero = fnp.equal(updates, zero)
    n_zeros = scatter_p.bind(fnp.zeros_like(x), indices, fnp.where(is_zero, one, zero), mode="add")
    nonzero_product = scatter_p.bind(x, indices, fnp.where(is_zero, one, updates), mode="mul")
    n_zeros_j = gather_p.bind(n_zeros, indices)
    product_j = gather_p.bind(nonzero_product, indices)
    without_self = fnp.where(is_zero, fnp.where(fnp.equal(n_zeros_j, one), product_j, zero),
                             fnp.where(fnp.equal(n_zeros_j, zero), product_j / fnp.where(is_zero, one, updates), zero))
    return _mask_dropped(without_self, indices, aval_of(x).shape)


def _extremal_shares(x, indices, updates, out):
    """For scatter min/max: the share of the derivative that the operand and each update get (1 for the
    unique extreme, 1/m each among m ties, 0 for the others), as (operand share, update share)."""
    dtype = aval_of(x).dtype
    one, zero = fnp.ones((), dtype), fnp.zeros((), dtype)
    x_hit = fnp.where(fnp.equal(x, out), one, zero)
    u_hit = _mask_dropped(fnp.where(fnp.equal(updates, gather_p.bind(out, indices)), one, zero), indices,
                          aval_of(x).shape)
    count = x_hit + scatter_p.bind(fnp.zeros_like(x), indices, u_hit, mode="add")
    count = fnp.where(fnp.equal(count, zero), one, count)  # only when NaNs compare unequal to everything
    return x_hit / count, u_hit * gather_p.bind(one / count, indices)


def _scatter_jvp(primals, tangents, *, mode):
    """set/add: the scatter of the tangents (linear). mul: product rule over all factors at a position.
    min/max: the tangent of whichever value is the extreme, averaged over ties."""
    x, indices, updates = primals
    out = scatter_p.bind(x, indices, updates, mode=mode)
    t_x, t_u = instantiate(tangents[0]), instantiate(tangents[2])
    if mode in ("set", "add"):
        return out, scatter_p.bind(t_x, indices, t_u, mode=mode)
    if mode == "mul":
        from_x = scatter_p.bind(t_x, indices, updates, mode="mul")
        from_u = fnp.multiply(t_u, _others_product(x, indices, updates))
        return out, from_x + scatter_p.bind(fnp.zeros_like(x), indices, from_u, mode="add")
    x_share, u_share = _extremal_shares(x, indices, updates, out)
    return out, x_share * t_x + scatter_p.bind(fnp.zeros_like(x), indices, u_share * t_u, mode="add")


def _scatter_vjp(ct, primals, out, *, mode):
    """Operand and updates cotangents (the indices get none); updates that scatter drops get 0."""
    x, indices, updates = primals
    u_shape = aval_of(updates).shape
    if mode == "add":
        return [ct, None, _gather_updates(ct, indices)]
    if mode == "set":
        ct_x = scatter_p.bind(ct, indices, _zeros(u_shape, ct.dtype), mode="set")
        won = _set_winners(x, indices, updates)
        return [ct_x, None, fnp.where(won, gather_p.bind(ct, indices), fnp.zeros((), ct.dtype))]
    if mode == "mul":
        ct_x = scatter_p.bind(ct, indices, updates, mode="mul")
        return [ct_x, None, fnp.multiply(gather_p.bind(ct, indices), _others_product(x, indices, updates))]
    x_share, u_share = _extremal_shares(x, indices, updates, out)
    return [x_share * ct, None, u_share * gather_p.bind(ct, indices)]


# -- registration ------------------------------------------------------------------------------------------

_VJPS = {
    broadcast_in_dim_p: _broadcast_in_dim_vjp, reshape_p: _reshape_vjp, transpose_p: _transpose_vjp,
    rev_p: _rev_vjp, slice_p: _slice_vjp, pad_p: _pad_vjp, concatenate_p: _concatenate_vjp,
    dynamic_slice_p: _dynamic_slice_vjp, dynamic_update_slice_p: _dynamic_update_slice_vjp,
    gather_p: _gather_vjp, scatter_p: _scatter_vjp,
}
for _prim, _vjp in _VJPS.items():
    jvp_rules[_prim] = _linear_jvp(_prim)
    vjp_rules[_prim] = _vjp
jvp_rules[scatter_p] = _scatter_jvp

__all__: list[str] = []
