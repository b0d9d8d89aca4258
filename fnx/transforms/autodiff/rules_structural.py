"""Derivative rules of the structural primitives (fnx/lax/structural.py).

Almost all of these primitives are linear in their float operands: their jvp applies the primitive itself to
the tangents (``engine.linear_jvp``), and their vjp is the transposed data movement: a broadcast sums, a slice
pads with zeros, a concatenation slices, and so on. Integer operands (dynamic starts) never get a cotangent:
their vjp entry is None.
"""
from __future__ import annotations

import numpy as np

from ... import numpy as fnp
from ...lax.reductions import reduce_sum_p
from ...lax.structural import (bitcast_convert_type_p, broadcast_in_dim_p, concatenate_p, dynamic_slice_p,
                               dynamic_update_slice_p, iota_p, pad_p, reshape_p, rev_p, slice_p, transpose_p)
from .engine import aval_of, jvp_rules, linear_jvp, nondifferentiable, vjp_rules

# iota has no inputs; a bitcast reinterprets bits, which has no meaningful derivative.
nondifferentiable.mark(iota_p, bitcast_convert_type_p)


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


# -- registration ------------------------------------------------------------------------------------------

_VJPS = {
    broadcast_in_dim_p: _broadcast_in_dim_vjp, reshape_p: _reshape_vjp, transpose_p: _transpose_vjp,
    rev_p: _rev_vjp, slice_p: _slice_vjp, pad_p: _pad_vjp, concatenate_p: _concatenate_vjp,
    dynamic_slice_p: _dynamic_slice_vjp, dynamic_update_slice_p: _dynamic_update_slice_vjp,
}
for _prim, _vjp in _VJPS.items():
    jvp_rules[_prim] = linear_jvp(_prim)
    vjp_rules[_prim] = _vjp

__all__: list[str] = []
