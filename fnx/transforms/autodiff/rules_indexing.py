"""Derivative rules of the indexing primitives ``gather`` and ``scatter`` (fnx/lax/indexing.py).

Both are linear in their float operands: the jvp applies the primitive to the tangents, and a gather's vjp
scatter-adds (in float64 for float32 when many updates share a slot, as a sum accumulates). Indices never get a cotangent (their vjp entry is None).

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
from ...core.tracing import Tracer
from ...lax.elementwise import convert_element_type
from ...lax.indexing import gather_p, scatter_p
from ...lax.reductions import accumulator_dtype
from .engine import aval_of, instantiate, jvp_rules, linear_jvp, vjp_rules


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


def _sum_dtype(ct_dtype: np.dtype, indices_shape: tuple, operand_shape: tuple) -> np.dtype:
    """The dtype a gather's transpose adds in: float64 for float32 when the updates outnumber the operand's
    slots, so some slot sums many of them (``x[zeros(10**6)]``: float32 gave 100958 for 100000); the float64
    buffer then costs less than the updates themselves. Else the cotangent's dtype."""
    slots = int(np.prod(operand_shape[:indices_shape[-1]], dtype=np.int64))
    many = int(np.prod(indices_shape[:-1], dtype=np.int64)) > slots
    return accumulator_dtype("reduce_sum", ct_dtype) if many else ct_dtype


def _gather_vjp(ct, primals, out):
    """Scatter-add the cotangent into zeros at the (clamped) indices: repeated indices accumulate."""
    x, indices = primals
    x_shape, dtype = aval_of(x).shape, aval_of(ct).dtype
    wide = _sum_dtype(dtype, aval_of(indices).shape, x_shape)
    if wide != dtype:
        ct = convert_element_type(ct, wide)
    ct_x = scatter_p.bind(fnp.zeros(x_shape, wide), _clamped(indices, x_shape), ct, mode="add")
    return [ct_x if wide == dtype else convert_element_type(ct_x, dtype), None]


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
        ct_x = scatter_p.bind(ct, indices, fnp.zeros(u_shape, ct.dtype), mode="set")
        won = _set_winners(x, indices, updates)
        return [ct_x, None, fnp.where(won, gather_p.bind(ct, indices), fnp.zeros((), ct.dtype))]
    if mode == "mul":
        ct_x = scatter_p.bind(ct, indices, updates, mode="mul")
        return [ct_x, None, fnp.multiply(gather_p.bind(ct, indices), _others_product(x, indices, updates))]
    x_share, u_share = _extremal_shares(x, indices, updates, out)
    return [x_share * ct, None, u_share * gather_p.bind(ct, indices)]


jvp_rules[gather_p], vjp_rules[gather_p] = linear_jvp(gather_p), _gather_vjp
jvp_rules[scatter_p], vjp_rules[scatter_p] = _scatter_jvp, _scatter_vjp
