"""Batching rules of the control-flow primitives ``scan``, ``cond`` and ``while``.

Every rule builds new bodies by tracing a function that runs the old body through the batching
interpreter, then binds the same primitive on the new operands (see ``fnx.transforms.autodiff.rules_control_flow``
for the operand layouts). A loop's carry must keep one type across iterations, so the carries that come out
batched are found by iterating to a fixed point.

Batching: ``scan`` and an unbatched ``cond`` index just get batched bodies. A batched index becomes a
``select_n`` between the results of every branch, since each example may take a different one (so every
branch runs on the whole batch). A ``while`` loop with a batched predicate runs while any example's
predicate holds; an example whose predicate is false keeps its carry (a select in each iteration).
"""
from __future__ import annotations

from typing import Sequence

from ... import lax
from ...core.avals import ShapedArray
from ...core.ir import ClosedJaxpr
from ...lax.control_flow import bind_cond, cond_p, scan_p, split_counts, trace_closed, while_p
from .engine import batch_jaxpr_eval, batch_to_front, batching_rules, move_axis


def _batched_avals(avals: Sequence[ShapedArray], batched: Sequence[bool], size: int) -> list[ShapedArray]:
    return [ShapedArray((size,) + a.shape, a.dtype) if b else a for a, b in zip(avals, batched)]


def _batch_body(closed: ClosedJaxpr, batched: Sequence[bool], force_out: Sequence[bool], size: int):
    """A function to trace for ``closed`` on inputs batched along axis 0 where ``batched``, and the list it
    fills with the outputs that come out batched (along axis 0; those marked ``force_out`` are broadcast)."""
    out_batched: list[bool] = []

    def f(*args):
        outs, dims = batch_jaxpr_eval(closed.jaxpr, [], args, [0 if b else None for b in batched], size)
        out_batched[:] = [d is not None or force for d, force in zip(dims, force_out)]
        return [batch_to_front(o, d, size) if b else o for o, d, b in zip(outs, dims, out_batched)]
    return f, out_batched


def _trace_batched(closed: ClosedJaxpr, batched: list[bool], force_out: list[bool], size: int):
    f, out_batched = _batch_body(closed, batched, force_out, size)
    jaxpr, consts = trace_closed(f, _batched_avals(closed.in_avals, batched, size))
    return jaxpr, consts, out_batched


def _fronts(values: Sequence, dims: Sequence, batched: Sequence[bool], size: int) -> list:
    """Values with their batch axis first where ``batched`` (broadcast if they had none); others unchanged."""
    return [batch_to_front(v, d, size) if b else v for v, d, b in zip(values, dims, batched)]


def _scan_batch(values, dims, *, axis_size, jaxpr, length, reverse, num_consts, num_carry, unroll):
    const_b, carry_b, xs_b = split_counts([d is not None for d in dims], num_consts, num_carry)
    num_ys = len(jaxpr.out_avals) - num_carry
    while True:  # until the carries batched on output are those batched on input
        body, hoisted, out_b = _trace_batched(jaxpr, const_b + carry_b + xs_b, carry_b + [False] * num_ys, axis_size)
        if out_b[:num_carry] == carry_b:
            break
        carry_b = out_b[:num_carry]
    consts, carry, xs = split_counts(values, num_consts, num_carry)
    const_d, carry_d, xs_d = split_counts(dims, num_consts, num_carry)
    xs = [move_axis(x, d, 1, axis_size) if d is not None else x for x, d in zip(xs, xs_d)]  # axis 0 is time
    outs = scan_p.bind(*hoisted, *_fronts(consts, const_d, const_b, axis_size),
                       *_fronts(carry, carry_d, carry_b, axis_size), *xs, jaxpr=body, length=length,
                       reverse=reverse, num_consts=len(hoisted) + num_consts, num_carry=num_carry, unroll=unroll)
    return outs, [0 if b else None for b in carry_b] + [1 if b else None for b in out_b[num_carry:]]


def _select_rows(which, cases: Sequence):
    """``cases[which[i]][i]`` for every example i: ``which`` has shape (batch,), the cases (batch, ...)."""
    shape = tuple(cases[0].shape)
    if len(shape) > 1:
        which = lax.broadcast_in_dim(which, shape, (0,))
    return lax.select_n(which, *cases)


def _cond_batch(values, dims, *, axis_size, branches):
    (index, *operands), (index_d, *op_d) = values, dims
    op_b = [d is not None for d in op_d]
    operands = _fronts(operands, op_d, op_b, axis_size)
    num_out = len(branches[0].out_avals)
    if index_d is not None:
        # each example picks its own branch: run every branch on the whole batch, then select per example
        results = []
        for branch in branches:
            outs, out_d = batch_jaxpr_eval(branch.jaxpr, [], operands, [0 if b else None for b in op_b], axis_size)
            results.append([batch_to_front(o, d, axis_size) for o, d in zip(outs, out_d)])
        if len(branches) == 1:
            return results[0], [0] * num_out
        which = lax.max(lax.min(batch_to_front(index, index_d, axis_size), len(branches) - 1), 0)
        return [_select_rows(which, cases) for cases in zip(*results)], [0] * num_out
    out_b = [False] * num_out
    for branch in branches:
        out_b = [a or b for a, b in zip(out_b, _trace_batched(branch, op_b, [False] * num_out, axis_size)[2])]
    fns = [_batch_body(branch, op_b, out_b, axis_size)[0] for branch in branches]
    outs = bind_cond(index, fns, _batched_avals(branches[0].in_avals, op_b, axis_size), operands)
    return outs, [0 if b else None for b in out_b]


def _while_batch(values, dims, *, axis_size, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cc_b, bc_b, carry_b = split_counts([d is not None for d in dims], cond_nconsts, body_nconsts)
    while True:  # until the batched carries are stable; a batched predicate batches every carry
        cond, cond_hoisted, pred_b = _trace_batched(cond_jaxpr, cc_b + carry_b, [False], axis_size)
        body, body_hoisted, out_b = _trace_batched(body_jaxpr, bc_b + carry_b, carry_b, axis_size)
        new_b = [True] * len(carry_b) if pred_b[0] else out_b
        if new_b == carry_b:
            break
        carry_b = new_b
    cconsts, bconsts, carry = split_counts(values, cond_nconsts, body_nconsts)
    cc_d, bc_d, carry_d = split_counts(dims, cond_nconsts, body_nconsts)
    cconsts, bconsts = _fronts(cconsts, cc_d, cc_b, axis_size), _fronts(bconsts, bc_d, bc_b, axis_size)
    carry = _fronts(carry, carry_d, carry_b, axis_size)
    out_dims = [0 if b else None for b in carry_b]
    if not pred_b[0]:
        outs = while_p.bind(*cond_hoisted, *cconsts, *body_hoisted, *bconsts, *carry, cond_jaxpr=cond,
                            body_jaxpr=body, cond_nconsts=len(cond_hoisted) + cond_nconsts,
                            body_nconsts=len(body_hoisted) + body_nconsts)
        return outs, out_dims
    cond, cond_hoisted, body, body_hoisted = _masked_loop(cond_jaxpr, body_jaxpr, cc_b, bc_b, axis_size)
    outs = while_p.bind(*cond_hoisted, *cconsts, *body_hoisted, *cconsts, *bconsts, *carry, cond_jaxpr=cond,
                        body_jaxpr=body, cond_nconsts=len(cond_hoisted) + cond_nconsts,
                        body_nconsts=len(body_hoisted) + cond_nconsts + body_nconsts)
    return outs, out_dims


def _masked_loop(cond_jaxpr: ClosedJaxpr, body_jaxpr: ClosedJaxpr, cc_b: list[bool], bc_b: list[bool], size: int):
    """A while loop over a batch whose examples stop at different iterations: it runs while any example's
    predicate holds, and an example whose predicate is false keeps its carry. Every carry is batched (axis 0).

    Returns ``(cond, cond_consts, body, body_consts)``; the body takes (cond consts, body consts, carry).
    """
    num_cc, num_bc, num_carry = len(cc_b), len(bc_b), len(body_jaxpr.out_avals)
    cond_dims = [0 if b else None for b in cc_b] + [0] * num_carry
    body_dims = [0 if b else None for b in bc_b] + [0] * num_carry

    def predicate(cconsts_and_carry):
        (pred,), (d,) = batch_jaxpr_eval(cond_jaxpr.jaxpr, [], cconsts_and_carry, cond_dims, size)
        return batch_to_front(pred, d, size)

    def any_running(*args):
        return [lax.reduce_or(predicate(args), (0,))]

    def masked_step(*args):
        cconsts, bconsts, carry = split_counts(args, num_cc, num_bc)
        running = predicate(cconsts + carry)
        new, new_d = batch_jaxpr_eval(body_jaxpr.jaxpr, [], bconsts + carry, body_dims, size)
        return [_select_rows(running, [old, batch_to_front(n, d, size)]) for old, n, d in zip(carry, new, new_d)]

    carry_avals = _batched_avals(body_jaxpr.out_avals, [True] * num_carry, size)
    cc_avals = _batched_avals(cond_jaxpr.in_avals[:num_cc], cc_b, size)
    bc_avals = _batched_avals(body_jaxpr.in_avals[:num_bc], bc_b, size)
    cond, cond_consts = trace_closed(any_running, cc_avals + carry_avals)
    body, body_consts = trace_closed(masked_step, cc_avals + bc_avals + carry_avals)
    return cond, cond_consts, body, body_consts


batching_rules[scan_p], batching_rules[cond_p], batching_rules[while_p] = _scan_batch, _cond_batch, _while_batch
