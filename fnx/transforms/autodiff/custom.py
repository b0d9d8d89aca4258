"""User-defined derivatives: ``custom_jvp`` and ``custom_vjp`` decorators.

Each call of a decorated function binds one primitive that holds the function's jaxpr and the user's rule;
its eager value is the function's own. Reverse mode through a ``custom_jvp`` function differentiates the
user's (linear) tangent map; forward mode through a ``custom_vjp`` function is an error, as in JAX.
"""
from __future__ import annotations

import functools
from typing import Callable

from ... import numpy as fnp
from ...core.errors import FnxTypeError
from ...core.ir import hoist_consts
from ...core.tracing import abstractify, eval_jaxpr, trace_to_jaxpr
from ...core.tree import tree_flatten, tree_unflatten
from ...lax.calls import custom_jvp_call_p, custom_vjp_call_p
from ...lax.debugging import muted
from ..batching.engine import batch_to_front, batching_rules, vmap
from .engine import instantiate, jvp_rules, vjp_flat, vjp_rules


def _bind(prim, fun: Callable, args: tuple, **rules):
    leaves, in_tree = tree_flatten(args)
    leaves = [x if hasattr(x, "aval") else fnp.asarray(x) for x in leaves]
    closed, out_tree = trace_to_jaxpr(lambda *xs: fun(*tree_unflatten(in_tree, xs)), [abstractify(x) for x in leaves])
    consts = list(closed.consts)
    outs = prim.bind(*consts, *leaves, fun_jaxpr=hoist_consts(closed), num_consts=len(consts), in_tree=in_tree,
                     out_tree=out_tree, **rules)
    return tree_unflatten(out_tree, outs)


class custom_jvp:
    """A function with a hand-written forward-mode derivative.

    >>> import fnx, fnx.numpy as fnp
    >>> @fnx.custom_jvp
    ... def safe_log1pexp(x):
    ...     return fnp.log1p(fnp.exp(x))
    >>> @safe_log1pexp.defjvp
    ... def _(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return safe_log1pexp(x), t * fnp.sigmoid(x)
    >>> fnx.grad(safe_log1pexp)(1000.0)
    Array(1.0, dtype=float64)
    """

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun, self.jvp = fun, None

    def defjvp(self, jvp: Callable) -> Callable:
        """Set the rule ``jvp(primals, tangents) -> (primal_out, tangent_out)`` (tuples of the arguments)."""
        self.jvp = jvp
        return jvp

    def __call__(self, *args):
        if self.jvp is None:
            raise FnxTypeError(f"custom_jvp function {self.__name__}: no rule given; decorate one with .defjvp")
        return _bind(custom_jvp_call_p, self.fun, args, jvp=self.jvp)


class custom_vjp:
    """A function with a hand-written reverse-mode derivative.

    ``fwd(*args) -> (out, residuals)`` and ``bwd(residuals, cotangent_out) -> tuple of cotangents, one per
    argument`` (None for zero).

    >>> import fnx, fnx.numpy as fnp
    >>> @fnx.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (fnp.clip(g, -1.0, 1.0),))
    >>> fnx.grad(lambda x: 5.0 * clip_gradient(x))(2.0)
    Array(1.0, dtype=float64)
    """

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun, self.fwd, self.bwd = fun, None, None

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Set the forward function (output and residuals) and the backward function."""
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        if self.fwd is None:
            raise FnxTypeError(f"custom_vjp function {self.__name__}: no rule given; call .defvjp(fwd, bwd)")
        return _bind(custom_vjp_call_p, self.fun, args, fwd=self.fwd, bwd=self.bwd)


# ---------------------------------------------------------------------------------------------- rules

def _flat_jvp(jvp: Callable, in_tree, out_tree, name: str):
    """The user's jvp rule on flat lists of primals and tangents, returning flat lists."""
    def flat(primals, tangents):
        out, t_out = jvp(tuple(tree_unflatten(in_tree, primals)), tuple(tree_unflatten(in_tree, tangents)))
        out_flat, tree = tree_flatten(out)
        t_flat, t_tree = tree_flatten(t_out)
        if tree != out_tree or t_tree != out_tree:
            raise FnxTypeError(f"custom_jvp rule of {name}: it returned outputs of structure {tree} and tangents "
                               f"{t_tree}, but the function returns {out_tree}")
        return out_flat, t_flat
    return flat


def _custom_jvp_jvp(primals, tangents, *, fun_jaxpr, num_consts, in_tree, out_tree, jvp):
    args = primals[num_consts:]
    ts = [instantiate(t) for t in tangents[num_consts:]]
    return _flat_jvp(jvp, in_tree, out_tree, getattr(jvp, "__name__", "?"))(args, ts)


def _custom_jvp_vjp(cts, primals, outs, *, fun_jaxpr, num_consts, in_tree, out_tree, jvp):
    """The transpose of the (linear) tangent map, obtained by differentiating it."""
    args = primals[num_consts:]
    flat_jvp = _flat_jvp(jvp, in_tree, out_tree, getattr(jvp, "__name__", "?"))
    _, _, pullback = vjp_flat(lambda *ts: flat_jvp(args, list(ts))[1], [fnp.zeros_like(a) for a in args])
    cts = [fnp.zeros_like(o) if ct is None else instantiate(ct) for ct, o in zip(cts, outs)]
    return [None] * num_consts + [instantiate(c) for c in pullback(cts)]


def _custom_vjp_jvp(primals, tangents, **params):
    raise FnxTypeError("forward-mode differentiation (jvp, jacfwd) of a custom_vjp function is not supported; "
                       "define the derivative with custom_jvp instead, which supports both modes")


def _custom_vjp_vjp(cts, primals, outs, *, fun_jaxpr, num_consts, in_tree, out_tree, fwd, bwd):
    args = tree_unflatten(in_tree, primals[num_consts:])
    with muted():  # the forward pass ran the function already: its debug prints do not repeat
        _, residuals = fwd(*args)
    ct_tree = tree_unflatten(out_tree, [fnp.zeros_like(o) if ct is None else instantiate(ct)
                                        for ct, o in zip(cts, outs)])
    cts_in = bwd(residuals, ct_tree)
    if not isinstance(cts_in, tuple) or len(cts_in) != len(args):
        raise FnxTypeError(f"custom_vjp backward function {getattr(bwd, '__name__', '?')} must return a tuple with "
                           f"one cotangent per argument ({len(args)}), got {type(cts_in).__name__}")
    flat = []
    for arg, ct in zip(args, cts_in):
        arg_leaves = tree_flatten(arg)[0]
        flat += [None] * len(arg_leaves) if ct is None else tree_flatten(ct)[0]
    return [None] * num_consts + flat


jvp_rules[custom_jvp_call_p], vjp_rules[custom_jvp_call_p] = _custom_jvp_jvp, _custom_jvp_vjp
jvp_rules[custom_vjp_call_p], vjp_rules[custom_vjp_call_p] = _custom_vjp_jvp, _custom_vjp_vjp


def _batched_call(values, dims, axis_size, fun_jaxpr, num_consts, in_tree):
    """The operands batch-first, and the function's flat body vectorized over them."""
    if any(d is not None for d in dims[:num_consts]):
        raise NotImplementedError("vmap of a custom_jvp/custom_vjp function that closes over batched values; "
                                  "pass those values as arguments instead")
    consts = values[:num_consts]
    args = [batch_to_front(v, d, axis_size) for v, d in zip(values[num_consts:], dims[num_consts:])]

    def fun(*flat):
        return eval_jaxpr(fun_jaxpr.jaxpr, [], *consts, *flat)
    return consts, args, vmap(fun)


def _custom_jvp_batch(values, dims, *, axis_size, fun_jaxpr, num_consts, in_tree, out_tree, jvp):
    consts, args, batched_fun = _batched_call(values, dims, axis_size, fun_jaxpr, num_consts, in_tree)
    flat_jvp = _flat_jvp(jvp, in_tree, out_tree, getattr(jvp, "__name__", "?"))
    f = custom_jvp(lambda *flat: batched_fun(*flat))
    f.defjvp(lambda ps, ts: vmap(lambda p, t: flat_jvp(list(p), list(t)))(ps, ts))
    return list(f(*args)), [0] * len(fun_jaxpr.out_avals)


def _custom_vjp_batch(values, dims, *, axis_size, fun_jaxpr, num_consts, in_tree, out_tree, fwd, bwd):
    consts, args, batched_fun = _batched_call(values, dims, axis_size, fun_jaxpr, num_consts, in_tree)
    arg_avals = fun_jaxpr.in_avals[num_consts:]

    def flat_bwd(residuals, flat_ct):
        """The user's bwd for one example, with flat cotangents in and out (None made zeros)."""
        per_arg = bwd(residuals, tree_unflatten(out_tree, flat_ct))
        leaves, avals = [], iter(arg_avals)
        for arg_ct in per_arg:
            for leaf in tree_flatten(arg_ct)[0] if arg_ct is not None else [None]:
                aval = next(avals)
                leaves.append(fnp.zeros(aval.shape, aval.dtype) if leaf is None else leaf)
        return leaves

    f = custom_vjp(lambda *flat: batched_fun(*flat))
    f.defvjp(lambda *flat: vmap(lambda *xs: fwd(*tree_unflatten(in_tree, xs)))(*flat),
             lambda residuals, ct: tuple(vmap(flat_bwd)(residuals, list(ct))))
    return list(f(*args)), [0] * len(fun_jaxpr.out_avals)


batching_rules[custom_jvp_call_p], batching_rules[custom_vjp_call_p] = _custom_jvp_batch, _custom_vjp_batch
