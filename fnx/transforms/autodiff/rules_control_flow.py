"""Derivative rules (jvp, vjp) of the control-flow primitives ``scan``, ``cond`` and ``while``.

Operand layouts (see fnx.lax.control_flow)::

    scan   consts... carry... xs...                 body: (consts, carry, x) -> (carry, y)
    cond   index operands...                        each branch: operands -> outputs
    while  cond_consts... body_consts... carry...   cond: (cond_consts, carry) -> pred
                                                    body: (body_consts, carry) -> carry

Every rule builds a new body by *tracing a function that runs the old body through a transform* (the jvp
engine or the backward pass), then binds the same primitive on the new operands.
Values a traced body closes over (e.g. arrays of zeros made by a rule) become leading const operands, so the
new bodies stay const-free like the ones ``fnx.lax`` makes.

A loop's carry must keep one type across iterations, and a transform may change it: a carry whose tangent
is zero on entry can get a nonzero tangent from the body, and an unbatched carry can become batched. So the
rules find the carries that need a tangent (or a batch axis) by iterating to a fixed point: trace the body
with the current guess, add the carries that came out nonzero (or batched), repeat until nothing changes.

Reverse mode through ``scan`` runs the loop twice: a forward scan that also stacks every step's residuals
(the values of the body that its backward pass reads: found by tracing that pass), then a scan in the
opposite direction that, at each step, pulls the cotangents back through the body from those values
(nothing is recomputed) and accumulates the consts' cotangents in its carry (in float64 for float32 consts,
as a sum does). ``cond`` is differentiated branch by branch (a cond over the branches' vjps). A ``while`` loop cannot be reversed: its
trip count is only known at run time, so there is nowhere to keep the per-iteration values.
"""
from __future__ import annotations

from typing import Callable, Sequence

from ... import numpy as fnp
from ...core.errors import FnxTypeError
from ...core.avals import ShapedArray
from ...core.ir import ClosedJaxpr, Jaxpr, Var, dce
from ...lax.control_flow import bind_cond, cond_p, scan_p, split_counts, trace_closed, while_p
from ...core.tracing import evaluate
from ...lax.elementwise import convert_element_type
from ...lax.reductions import accumulator_dtype
from .engine import (Zero, add_tangents, aval_of, backward_pass, instantiate,
                     is_differentiable, jvp_jaxpr, jvp_rules, vjp_rules)


# ---------------------------------------------------------------------------------------------- helpers

def _pick(values: Sequence, mask: Sequence[bool]) -> list:
    return [v for v, m in zip(values, mask) if m]


def _unpick(picked: Sequence, mask: Sequence[bool], fill: Callable) -> list:
    """The inverse of ``_pick``: ``picked`` where ``mask`` is set, ``fill(i)`` elsewhere."""
    it = iter(picked)
    return [next(it) if m else fill(i) for i, m in enumerate(mask)]


def _is_zero(ct) -> bool:
    return ct is None or isinstance(ct, Zero)

def _rewire(closed: ClosedJaxpr, invars: list, outvars: list) -> ClosedJaxpr:
    """The same equations with the inputs and outputs reordered (or unused inputs added)."""
    return ClosedJaxpr(Jaxpr([], invars, closed.jaxpr.eqns, outvars), [])

# ---------------------------------------------------------------------------------------------- forward mode

def _jvp_body(closed: ClosedJaxpr, nonzero: Sequence[bool], instantiate_out: Sequence[bool]):
    """A function to trace for the jvp of ``closed``, and the list it fills with the outputs that have a tangent.

    The function takes the primal inputs, then the tangents of the inputs marked ``nonzero``; it returns the
    primal outputs, then the tangents of the outputs that are nonzero or marked in ``instantiate_out``
    (those become real zeros when the body gives them none).
    """
    in_avals, out_avals = closed.in_avals, closed.out_avals
    out_nonzero: list[bool] = []

    def f(*args):
        primals, tangents = args[:len(in_avals)], args[len(in_avals):]
        tangents = _unpick(tangents, nonzero, lambda i: Zero(in_avals[i]))
        outs, t_outs = jvp_jaxpr(closed.jaxpr, [], primals, tangents)
        out_nonzero[:] = [not isinstance(t, Zero) or (inst and is_differentiable(a))
                          for t, inst, a in zip(t_outs, instantiate_out, out_avals)]
        return list(outs) + [instantiate(t) for t in _pick(t_outs, out_nonzero)]
    return f, out_nonzero


def _trace_jvp(closed: ClosedJaxpr, nonzero: list[bool], instantiate_out: list[bool]):
    """Trace ``_jvp_body``: (jaxpr [consts, primals, tangents] -> [outputs, tangents], consts, out_nonzero)."""
    f, out_nonzero = _jvp_body(closed, nonzero, instantiate_out)
    jaxpr, consts = trace_closed(f, closed.in_avals + _pick(closed.in_avals, nonzero))
    return jaxpr, consts, out_nonzero


def _loop_jvp(body: ClosedJaxpr, const_nz: list[bool], carry_nz: list[bool], xs_nz: list[bool]):
    """Trace the jvp of a loop body, growing ``carry_nz`` until the carries with a tangent are the same on
    input and output. Returns ``(jaxpr, consts, carry_nz, out_nonzero)``."""
    num_carry, num_out = len(carry_nz), len(body.out_avals)
    while True:
        instantiate_out = carry_nz + [False] * (num_out - num_carry)
        jaxpr, consts, out_nz = _trace_jvp(body, const_nz + carry_nz + xs_nz, instantiate_out)
        if out_nz[:num_carry] == carry_nz:
            return jaxpr, consts, carry_nz, out_nz
        carry_nz = out_nz[:num_carry]


def _scan_jvp(primals, tangents, *, jaxpr, length, reverse, num_consts, num_carry, unroll):
    nonzero = [not isinstance(t, Zero) for t in tangents]
    const_nz, carry_nz, xs_nz = split_counts(nonzero, num_consts, num_carry)
    body, hoisted, carry_nz, out_nz = _loop_jvp(jaxpr, const_nz, carry_nz, xs_nz)
    num_xs, num_ys = len(xs_nz), len(jaxpr.out_avals) - num_carry
    ntc, ntcarry = sum(const_nz), sum(carry_nz)
    # the traced order is (hoisted, primals, tangents) -> (primal outs, tangent outs); scan wants each of
    # consts, carry and xs followed by its tangents
    h, c, car, x, tc, tcar, tx = split_counts(body.jaxpr.invars, len(hoisted), num_consts, num_carry, num_xs, ntc, ntcarry)
    o_car, o_y, t_car, t_y = split_counts(body.jaxpr.outvars, num_carry, num_ys, ntcarry)
    body = _rewire(body, h + c + tc + car + tcar + x + tx, o_car + t_car + o_y + t_y)

    consts, carry, xs = split_counts(primals, num_consts, num_carry)
    t_consts, t_carry, t_xs = split_counts(tangents, num_consts, num_carry)
    outs = scan_p.bind(*hoisted, *consts, *_pick(t_consts, const_nz), *carry,
                       *[instantiate(t) for t in _pick(t_carry, carry_nz)], *xs, *_pick(t_xs, xs_nz),
                       jaxpr=body, length=length, reverse=reverse, num_consts=len(hoisted) + num_consts + ntc,
                       num_carry=num_carry + ntcarry, unroll=unroll)
    out_carry, out_t_carry, ys, t_ys = split_counts(outs, num_carry, ntcarry, num_ys)
    primal_out = out_carry + ys
    tangent_out = _unpick(out_t_carry + t_ys, carry_nz + out_nz[num_carry:], lambda i: Zero(aval_of(primal_out[i])))
    return primal_out, tangent_out


def _cond_jvp(primals, tangents, *, branches):
    index, *operands = primals
    nonzero = [not isinstance(t, Zero) for t in tangents[1:]]
    num_out = len(branches[0].out_avals)
    # a tangent output is nonzero if any branch makes it nonzero; the others then return zeros for it
    out_nz = [False] * num_out
    for branch in branches:
        out_nz = [a or b for a, b in zip(out_nz, _trace_jvp(branch, nonzero, [False] * num_out)[2])]
    fns = [_jvp_body(branch, nonzero, out_nz)[0] for branch in branches]
    avals = branches[0].in_avals + _pick(branches[0].in_avals, nonzero)
    outs = bind_cond(index, fns, avals, operands + _pick(tangents[1:], nonzero))
    primal_out, t_out = outs[:num_out], outs[num_out:]
    return primal_out, _unpick(t_out, out_nz, lambda i: Zero(aval_of(primal_out[i])))


def _while_jvp(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    nonzero = [not isinstance(t, Zero) for t in tangents]
    _, bconst_nz, carry_nz = split_counts(nonzero, cond_nconsts, body_nconsts)
    body, hoisted, carry_nz, _ = _loop_jvp(body_jaxpr, bconst_nz, carry_nz, [])
    num_carry, ntb = len(carry_nz), sum(bconst_nz)
    h, bc, car, tbc, tcar = split_counts(body.jaxpr.invars, len(hoisted), body_nconsts, num_carry, ntb)
    body = _rewire(body, h + bc + tbc + car + tcar, body.jaxpr.outvars)
    # the predicate ignores the tangents
    cond = _rewire(cond_jaxpr, cond_jaxpr.jaxpr.invars + [Var(a) for a in _pick(body_jaxpr.out_avals, carry_nz)],
                   cond_jaxpr.jaxpr.outvars)

    cconsts, bconsts, carry = split_counts(primals, cond_nconsts, body_nconsts)
    _, t_bconsts, t_carry = split_counts(tangents, cond_nconsts, body_nconsts)
    outs = while_p.bind(*cconsts, *hoisted, *bconsts, *_pick(t_bconsts, bconst_nz), *carry,
                        *[instantiate(t) for t in _pick(t_carry, carry_nz)], cond_jaxpr=cond, body_jaxpr=body,
                        cond_nconsts=cond_nconsts, body_nconsts=len(hoisted) + body_nconsts + ntb)
    out_carry, t_out = outs[:num_carry], outs[num_carry:]
    return out_carry, _unpick(t_out, carry_nz, lambda i: Zero(aval_of(out_carry[i])))


jvp_rules[scan_p], jvp_rules[cond_p], jvp_rules[while_p] = _scan_jvp, _cond_jvp, _while_jvp


# ---------------------------------------------------------------------------------------------- reverse mode

def _body_pullback(closed: ClosedJaxpr, inputs: Sequence, out_cts: Sequence) -> list:
    """Recompute ``closed`` on ``inputs`` and pull ``out_cts`` (None for zero) back: one entry per input."""
    env = evaluate(closed.jaxpr, [], list(inputs))
    return backward_pass(closed.jaxpr, env, list(out_cts))


def _residual_candidates(j: Jaxpr, num_consts: int) -> list:
    """The body's variables a backward pass may read (each equation's operands and results), consts aside."""
    seen = {id(v) for v in j.invars[:num_consts]}
    found = []
    for eqn in j.eqns:
        for v in (*eqn.invars, *eqn.outvars):
            if isinstance(v, Var) and id(v) not in seen:
                seen.add(id(v))
                found.append(v)
    return found


def _accumulator(aval) -> ShapedArray:
    """The aval in which a backward scan sums a loop constant's cotangents: float64 for float32, as a sum's
    (``lax.reductions.accumulator_dtype``), so a gradient over 10**6 steps stays within float32's rounding."""
    return ShapedArray(aval.shape, accumulator_dtype("reduce_sum", aval.dtype))


def _cast(x, dtype):
    return x if isinstance(x, Zero) or aval_of(x).dtype == dtype else convert_element_type(x, dtype)


def _used_inputs(closed: ClosedJaxpr) -> list[bool]:
    """For each input of ``closed``: whether any live equation or output uses it."""
    j = dce(closed.jaxpr)
    used = {id(x) for eqn in j.eqns for x in eqn.invars} | {id(v) for v in j.outvars}
    return [id(v) in used for v in j.invars]


def _scan_vjp(ct, primals, out, *, jaxpr, length, reverse, num_consts, num_carry, unroll):
    consts, init, xs = split_counts(primals, num_consts, num_carry)
    ct_carry, ct_ys = split_counts(ct, num_carry)
    const_f, carry_f, xs_f = ([is_differentiable(aval_of(v)) for v in part] for part in (consts, init, xs))
    ys_ct = [not _is_zero(c) for c in ct_ys]
    in_avals = jaxpr.in_avals
    carry_avals = in_avals[num_consts:num_consts + num_carry]
    j = jaxpr.jaxpr
    nfc, nfk = sum(carry_f), sum(const_f)
    acc_avals = [_accumulator(a) for a in _pick(in_avals[:num_consts], const_f)]

    # backward: consts; carry = (carry cotangents, consts' cotangents so far); xs = (residuals, ys' cotangents)
    def backward(residuals: list):
        def step(*args):
            cs, ct_c, acc, res, ct_y = split_counts(args, num_consts, nfc, nfk, len(residuals))
            env = {id(v): x for v, x in zip(j.invars[:num_consts] + residuals, cs + res)}
            # values the pass reads without computing with them (e.g. a result whose vjp ignores it): placeholders
            env.update({id(v): fnp.zeros(v.aval.shape, v.aval.dtype) for v in candidates if id(v) not in env})
            out_cts = _unpick(ct_c, carry_f, lambda i: None) + _unpick(ct_y, ys_ct, lambda i: None)
            in_cts = backward_pass(j, env, out_cts)
            d_consts, d_carry, d_xs = split_counts(in_cts, num_consts, num_carry)
            return ([instantiate(d) for d in _pick(d_carry, carry_f)]
                    + [add_tangents(a, _cast(d, aval_of(a).dtype)) for a, d in zip(acc, _pick(d_consts, const_f))]
                    + [instantiate(d) for d in _pick(d_xs, xs_f)])
        return trace_closed(step, in_avals[:num_consts] + _pick(carry_avals, carry_f)
                      + acc_avals + [v.aval for v in residuals]
                      + _pick(j.out_avals[num_carry:], ys_ct))

    # the residuals: the body's values that the backward pass reads (found by tracing it with all candidates)
    candidates = _residual_candidates(j, num_consts)
    back, hoisted = backward(candidates)
    skip = len(hoisted) + num_consts + nfc + nfk
    residuals = _pick(candidates, _used_inputs(back)[skip:skip + len(candidates)])
    back, hoisted = backward(residuals)

    # forward: the same loop, also stacking the residuals of every step (the xs are already stacked)
    x_slots = {id(v): i for i, v in enumerate(j.invars[num_consts + num_carry:])}
    computed = [v for v in residuals if id(v) not in x_slots]
    stacking = _rewire(jaxpr, j.invars, j.outvars[:num_carry] + computed)
    stacked = iter(scan_p.bind(*consts, *init, *xs, jaxpr=stacking, length=length, reverse=reverse,
                               num_consts=num_consts, num_carry=num_carry, unroll=unroll)[num_carry:])
    stacked = [xs[x_slots[id(v)]] if id(v) in x_slots else next(stacked) for v in residuals]

    ct_init = [instantiate(Zero(a) if _is_zero(c) else c)
               for c, a in zip(_pick(ct_carry, carry_f), _pick(carry_avals, carry_f))]
    acc0 = [instantiate(Zero(a)) for a in acc_avals]
    outs = scan_p.bind(*hoisted, *consts, *ct_init, *acc0, *stacked, *_pick(ct_ys, ys_ct), jaxpr=back,
                       length=length, reverse=not reverse, num_consts=len(hoisted) + num_consts,
                       num_carry=nfc + nfk, unroll=unroll)
    d_init, d_consts, d_xs = split_counts(outs, nfc, nfk)
    d_consts = [_cast(d, aval_of(c).dtype) for d, c in zip(d_consts, _pick(consts, const_f))]
    none = lambda i: None  # noqa: E731
    return _unpick(d_consts, const_f, none) + _unpick(d_init, carry_f, none) + _unpick(d_xs, xs_f, none)


def _cond_vjp(ct, primals, out, *, branches):
    index, *operands = primals
    differentiable = [is_differentiable(aval_of(x)) for x in operands]
    has_ct = [not _is_zero(c) for c in ct]

    def branch_vjp(branch: ClosedJaxpr) -> Callable:
        def f(*args):
            xs, cts = args[:len(operands)], args[len(operands):]
            in_cts = _body_pullback(branch, xs, _unpick(cts, has_ct, lambda i: None))
            return [instantiate(c) for c in _pick(in_cts, differentiable)]
        return f

    avals = branches[0].in_avals + _pick(branches[0].out_avals, has_ct)
    cts = bind_cond(index, [branch_vjp(b) for b in branches], avals, operands + _pick(ct, has_ct))
    return [None] + _unpick(cts, differentiable, lambda i: None)


def _while_vjp(ct, primals, out, **params):
    raise FnxTypeError(
        "reverse-mode differentiation (grad, vjp, jacrev) of a while_loop is not supported: its number of "
        "iterations is only known at run time, so the values of each iteration cannot be kept for the backward "
        "pass. Use fori_loop with Python-int (static) bounds, which is a scan, or scan itself; forward mode "
        "(jvp, jacfwd) does work through while_loop.")


vjp_rules[scan_p], vjp_rules[cond_p], vjp_rules[while_p] = _scan_vjp, _cond_vjp, _while_vjp
