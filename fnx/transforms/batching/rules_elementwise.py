"""Batching rules of the elementwise primitives (fnx/lax/elementwise.py).

Convention: a rule gets the operands, their batch axes (int or None) and ``axis_size``, and returns the
result with its batch axis. Most rules move batch axes to the front (``batch_to_front``) and shift the
primitive's axis params by one.
"""
from __future__ import annotations

from ... import lax
from ...core.primitive import Primitive, bind1
from ...lax.elementwise import convert_element_type_p, integer_pow_p, select_n_p, stop_gradient_p
from ...lax.elementwise import for_each_row
from .engine import batch_to_front, batching_rules, shape_of


def _elementwise_rule(prim: Primitive):
    """Operands share one logical shape or are rank 0. Batched operands go batch-first; an operand that then
    differs from the batched result shape (unbatched non-scalar, or a batched scalar) is broadcast to it."""
    def rule(values, dims, *, axis_size, **params):
        logical = next((shape_of(v)[:d] + shape_of(v)[d + 1:] if d is not None else shape_of(v)
                        for v, d in zip(values, dims)
                        if (len(shape_of(v)) - (d is not None)) > 0), ())
        out_shape = (axis_size,) + tuple(logical)
        operands = []
        for v, d in zip(values, dims):
            if d is None:
                operands.append(v if shape_of(v) == () else
                                lax.broadcast_in_dim(v, out_shape, range(1, len(out_shape))))
            else:
                v = batch_to_front(v, d, axis_size)
                operands.append(v if shape_of(v) == out_shape else lax.broadcast_in_dim(v, out_shape, (0,)))
        return bind1(prim, operands, params), 0
    return rule


for_each_row(lambda row: batching_rules.__setitem__(row.primitive, _elementwise_rule(row.primitive)))
batching_rules[select_n_p] = _elementwise_rule(select_n_p)


def _identity_rule(prim: Primitive):
    def rule(values, dims, *, axis_size, **params):
        return bind1(prim, values, params), dims[0]
    return rule


batching_rules[convert_element_type_p] = _identity_rule(convert_element_type_p)
batching_rules[stop_gradient_p] = _identity_rule(stop_gradient_p)
batching_rules[integer_pow_p] = _identity_rule(integer_pow_p)
