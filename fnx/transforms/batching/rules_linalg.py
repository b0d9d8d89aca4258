"""Batching rules of the linear algebra primitives (fnx/lax/linalg.py). ``dot_general`` with one batched
operand keeps the batch axis as a free axis of that operand; the matrix routines (inv, det, cholesky, solve
and the decompositions eigh, svd, qr, slogdet) already map over leading axes."""
from __future__ import annotations

from ...lax.linalg import cholesky_p, det_p, dot_general_p, eigh_p, inv_p, qr_p, slogdet_p, solve_p, svd_p
from .engine import all_to_front, batch_to_front, batching_rules, shape_of, shifted


def _dot_general_rule(values, dims, *, axis_size, dimension_numbers):
    """Both batched: a new leading batch dimension. One batched: its batch axis is a free axis of that operand."""
    (lhs, rhs), (dl, dr) = values, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if dl is not None and dr is not None:
        dn = ((shifted(lc), shifted(rc)), ((0,) + shifted(lb), (0,) + shifted(rb)))
        lhs, rhs = batch_to_front(lhs, dl, axis_size), batch_to_front(rhs, dr, axis_size)
        return dot_general_p.bind(lhs, rhs, dimension_numbers=dn), 0
    if dl is not None:  # output: batch dims, then lhs free dims (ours first), then rhs free dims
        dn = ((shifted(lc), rc), (shifted(lb), rb))
        return dot_general_p.bind(batch_to_front(lhs, dl, axis_size), rhs, dimension_numbers=dn), len(lb)
    dn = ((lc, shifted(rc)), (lb, shifted(rb)))
    lhs_free = len(shape_of(lhs)) - len(lc) - len(lb)
    return dot_general_p.bind(lhs, batch_to_front(rhs, dr, axis_size), dimension_numbers=dn), len(lb) + lhs_free


def _leading_batch_rule(prim):
    """For primitives that already map over leading axes: every result is batched along axis 0."""
    def rule(values, dims, *, axis_size, **params):
        outs = prim.bind(*all_to_front(values, dims, axis_size), **params)
        return (outs, [0] * len(outs)) if prim.multiple_results else (outs, 0)
    return rule


batching_rules[dot_general_p] = _dot_general_rule
batching_rules.update({p: _leading_batch_rule(p)
                       for p in (inv_p, det_p, cholesky_p, solve_p, eigh_p, svd_p, qr_p, slogdet_p)})
