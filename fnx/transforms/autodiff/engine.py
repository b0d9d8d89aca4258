"""Forward and reverse mode over jaxprs, driven by the tables ``jvp_rules`` and ``vjp_rules``.

Forward mode (``jvp_jaxpr``) walks a jaxpr once, computing each equation's primal output and its tangent
with the primitive's jvp rule. Reverse mode (``vjp``) first has every intermediate value of the forward pass
(recorded by a concrete trace, or recomputed under an outer trace), then walks the equations backwards,
turning output cotangents into input cotangents with each primitive's vjp rule. Every rule computes with
fnx operations, so under an outer trace (jit, grad, vmap) the derivative is itself recorded: that is how
transforms compose.

Rule signatures:
    jvp_rules[p](primals, tangents, **params) -> (primal_out, tangent_out)       (lists for multiple results)
    vjp_rules[p](cotangent_out, primals, primal_out, **params) -> [cotangent per input, or None]
A tangent or cotangent may be the symbolic ``Zero``; integer and bool values never carry one. A primitive
whose inputs' cotangents are computed independently (elementwise ones, ``dot_general``) registers instead,
with ``def_operand_vjp``, the cotangent of one input at a time:
    vjp_operand_rules[p](i, cotangent_out, primals, primal_out, **params) -> cotangent of input i, or None
and the engine asks only for inputs that take one (those that depend on a differentiated input: not literals,
constants or integers), so ``x * 2.0`` computes no cotangent for ``2.0``, nor ``X @ w`` one for a data
matrix ``X``.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ... import numpy as fnp
from ...core.avals import ShapedArray
from ...core.errors import FnxTypeError
from ...core.ir import Jaxpr, Literal
from ...core.primitive import Primitive, RuleTable, bind, bind1
from ...core.tracing import Tracer, abstractify, active_traces, evaluate, is_tracing, replayed, trace_with_values
from ...core.tree import tree_flatten

jvp_rules = RuleTable("jvp")
vjp_rules = RuleTable("vjp")
vjp_operand_rules: dict[Primitive, Callable] = {}
nondifferentiable = RuleTable("not differentiable")  # marks: outputs never carry derivatives (e.g. comparisons)


class Zero:
    """A symbolic zero tangent or cotangent of a value with abstract value ``aval``."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval})"


def is_differentiable(aval: ShapedArray) -> bool:
    return aval.dtype.kind == "f"


def instantiate(t):
    """A real array of zeros for a symbolic Zero; any other value as it is."""
    if isinstance(t, Zero):
        return fnp.zeros(t.aval.shape, t.aval.dtype)
    return t


def aval_of(x) -> ShapedArray:
    return x.aval if type(x) in (Literal, Zero, Tracer) else abstractify(x)


def add_tangents(a, b):
    if isinstance(a, Zero):
        return b
    if isinstance(b, Zero):
        return a
    return fnp.add(a, b)


# ---------------------------------------------------------------------------------------------- forward mode

def jvp_jaxpr(jaxpr: Jaxpr, consts: Sequence, primals: Sequence, tangents: Sequence) -> tuple[list, list]:
    """Evaluate ``jaxpr`` on ``primals`` and push ``tangents`` (arrays or Zero) through it."""
    primal_env: dict[int, Any] = {}
    tangent_env: dict[int, Any] = {}

    def read(x):
        return x.val if isinstance(x, Literal) else primal_env[id(x)]

    def read_tangent(x):
        return Zero(x.aval) if isinstance(x, Literal) else tangent_env[id(x)]

    for v, c in zip(jaxpr.constvars, consts):
        primal_env[id(v)], tangent_env[id(v)] = c, Zero(v.aval)
    for v, p, t in zip(jaxpr.invars, primals, tangents):
        primal_env[id(v)] = p
        tangent_env[id(v)] = t if is_differentiable(v.aval) else Zero(v.aval)
    for eqn in replayed(jaxpr.eqns):
        ps = [read(x) for x in eqn.invars]
        ts = [read_tangent(x) for x in eqn.invars]
        if eqn.primitive in nondifferentiable or all(isinstance(t, Zero) for t in ts):
            outs = bind(eqn.primitive, ps, eqn.params)
            touts = [Zero(v.aval) for v in eqn.outvars]
        else:
            rule = _rule(jvp_rules, eqn.primitive, "forward-mode (jvp)")
            outs, touts = rule(ps, ts, **eqn.params)
            if not eqn.primitive.multiple_results:
                outs, touts = [outs], [touts]
        for v, o, t in zip(eqn.outvars, outs, touts):
            primal_env[id(v)] = o
            tangent_env[id(v)] = t if is_differentiable(v.aval) else Zero(v.aval)
    return [read(v) for v in jaxpr.outvars], [read_tangent(v) for v in jaxpr.outvars]


def def_operand_vjp(prim: Primitive, rule: Callable) -> None:
    """Register ``rule(i, cotangent_out, primals, primal_out, **params)``, the cotangent of input ``i`` alone
    (None if it has none), and the vjp rule of all inputs made from it."""
    def vjp(ct, primals, out, **params):
        return [rule(i, ct, primals, out, **params) for i in range(len(primals))]
    vjp.__wrapped__ = rule  # fnx.rules_of shows the operand rule's code
    vjp_operand_rules[prim], vjp_rules[prim] = rule, vjp


def linear_jvp(prim: Primitive):
    """The jvp of a primitive linear in its float operands: the primitive applied to their tangents
    (integer operands, such as indices, are passed through unchanged)."""
    def jvp(primals, tangents, **params):
        out = bind1(prim, primals, params)
        args = [instantiate(t) if is_differentiable(aval_of(p)) else p for p, t in zip(primals, tangents)]
        return out, bind1(prim, args, params)
    return jvp


def _rule(table: dict, prim: Primitive, mode: str) -> Callable:
    rule = table.get(prim)
    if rule is None:
        raise NotImplementedError(f"{mode} differentiation of the primitive '{prim.name}' is not implemented")
    return rule


# ---------------------------------------------------------------------------------------------- reverse mode

def backward_pass(jaxpr: Jaxpr, env: dict, out_cts: Sequence) -> list:
    """Cotangents of ``jaxpr``'s inputs, given its outputs' cotangents and the forward values ``env``.

    Returns one entry per invar: an array, or a Zero where nothing flowed back.
    """
    active = _active_vars(jaxpr)
    cts: dict[int, Any] = {}  # id(var) -> its cotangent so far; only active vars that received one

    def accumulate(x, ct) -> None:
        key = id(x)
        if ct is not None and type(ct) is not Zero and key in active:
            cts[key] = add_tangents(cts[key], ct) if key in cts else ct

    for x, ct in zip(jaxpr.outvars, out_cts):
        accumulate(x, ct)
    for eqn in replayed(reversed(jaxpr.eqns)):
        prim = eqn.primitive
        if prim.multiple_results:
            ct_out = [cts.pop(id(v), None) for v in eqn.outvars]
            if all(ct is None for ct in ct_out):
                continue
            outs = [env[id(v)] for v in eqn.outvars]
        else:
            ct_out = cts.pop(id(eqn.outvars[0]), None)
            if ct_out is None:
                continue
            outs = env[id(eqn.outvars[0])]
        primals = [x.val if type(x) is Literal else env[id(x)] for x in eqn.invars]
        operand_rule = vjp_operand_rules.get(prim)
        if operand_rule is not None:  # only the inputs that take a cotangent
            for i, x in enumerate(eqn.invars):
                if id(x) in active:
                    accumulate(x, operand_rule(i, ct_out, primals, outs, **eqn.params))
        else:
            rule = vjp_rules.get(prim) or _rule(vjp_rules, prim, "reverse-mode (vjp)")
            for x, ct in zip(eqn.invars, rule(ct_out, primals, outs, **eqn.params)):
                accumulate(x, ct)
    return [cts.get(id(v), Zero(v.aval)) for v in jaxpr.invars]


def _active_vars(jaxpr: Jaxpr) -> set:
    """The ids of the float variables that depend on a float input through differentiable primitives: the
    only ones that take a cotangent (constants, literals, integers and what only they determine do not)."""
    active = {id(v) for v in jaxpr.invars if v.aval.dtype.kind == "f"}
    for eqn in jaxpr.eqns:
        if eqn.primitive in nondifferentiable:
            continue
        for x in eqn.invars:
            if id(x) in active:
                for v in eqn.outvars:
                    if v.aval.dtype.kind == "f":
                        active.add(id(v))
                break
    return active


def _can_trace_concretely(primals) -> bool:
    """True when every value the function can see has a known value: no abstract trace is active and the
    primals are concrete. Then Python control flow on traced values works (grad outside jit)."""
    return all(t.concrete for t in active_traces()) and all(
        not isinstance(x, Tracer) or x.val is not None for x in primals)


def vjp_flat(f: Callable, primals: Sequence):
    """Trace ``f`` on the flat ``primals``; return (flat outputs, out_tree, function from flat output cotangents
    to flat input cotangents)."""
    closed, out_tree, values = trace_with_values(f, primals, concrete=_can_trace_concretely(primals))
    jaxpr = closed.jaxpr
    if not is_tracing():  # the concrete trace already computed every forward value
        env = values
        outs = [_as_array(v.val if isinstance(v, Literal) else env[id(v)]) for v in jaxpr.outvars]
    else:  # replay the forward pass under the outer trace, so that it records the derivative too
        env = evaluate(jaxpr, closed.consts, primals)
        outs = [v.val if isinstance(v, Literal) else env[id(v)] for v in jaxpr.outvars]

    def pullback(out_cts: Sequence) -> list:
        return backward_pass(jaxpr, env, out_cts)
    return outs, out_tree, pullback


def _as_array(value):
    from ...core.array import Array
    return value if isinstance(value, (Array, Tracer)) else Array(value)


# ---------------------------------------------------------------------------------------------- arguments

def as_differentiable(x, what: str):
    """A differentiated argument leaf: Python scalars become default-float arrays; integers are an error."""
    if type(x) in (int, float):
        return fnp.asarray(float(x))
    x = x if isinstance(x, Tracer) else fnp.asarray(x)
    if not is_differentiable(x.aval):
        raise FnxTypeError(f"{what} has dtype {x.dtype}: only float arrays can be differentiated (cast it with "
                           f".astype(float), or pass it in a position that is not differentiated)")
    return x


def flatten_args(args: Sequence, what: str) -> tuple[list, Any]:
    leaves, tree = tree_flatten(list(args))
    return [as_differentiable(x, f"{what} {i}") for i, x in enumerate(leaves)], tree


__all__ = ["Zero", "add_tangents", "aval_of", "backward_pass", "def_operand_vjp", "flatten_args",
           "instantiate", "is_differentiable", "jvp_jaxpr", "jvp_rules", "nondifferentiable", "vjp_flat",
           "vjp_operand_rules", "vjp_rules"]
