"""Vectorizing map: evaluate a jaxpr on values that carry an extra batch axis, driven by ``batching_rules``.

``vmap(f)`` traces ``f`` on one example's abstract values, then walks the jaxpr with every value paired with
its batch axis (an int, or None for a value that is the same for every example). Each equation goes through
its primitive's batching rule, which computes with fnx operations on the whole batch at once; equations whose
inputs are all unbatched are evaluated as they are.

Rule signature:
    batching_rules[p](values, dims, **params) -> (output, output_dim)     (lists for multiple results)
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ... import numpy as fnp
from ... import lax
from ...core.errors import FnxTypeError
from ...core.ir import Jaxpr, Literal
from ...core.primitive import RuleTable, bind
from ...core.tracing import abstractify, replayed, trace_to_jaxpr
from ...core.avals import ShapedArray
from ...core.tree import tree_flatten, tree_unflatten

batching_rules = RuleTable("batching")


def shape_of(x) -> tuple:
    return tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def move_axis(x, src: int | None, dst: int, size: int):
    """``x`` with its batch axis at ``dst``; an unbatched ``x`` is broadcast along a new axis of ``size``."""
    if src is None:
        shape = list(shape_of(x))
        shape.insert(dst, size)
        return lax.broadcast_in_dim(x, shape, [i for i in range(len(shape)) if i != dst])
    if src == dst:
        return x
    perm = [i for i in range(len(shape_of(x))) if i != src]
    perm.insert(dst, src)
    return lax.transpose(x, perm)


def batch_to_front(x, d: int | None, size: int):
    """``x`` with its batch axis first (broadcast when unbatched)."""
    return move_axis(x, d, 0, size)



def all_to_front(values, dims, axis_size) -> list:
    """Every operand with its batch axis first; unbatched operands are broadcast along a new first axis."""
    return [batch_to_front(v, d, axis_size) for v, d in zip(values, dims)]


def shifted(axes) -> tuple:
    """Axis numbers of one example, as axes of the batch-first array."""
    return tuple(a + 1 for a in axes)


def as_dtype(x, dtype):
    """``x`` converted to ``dtype`` (unchanged if it has it)."""
    return x if np.dtype(x.dtype) == dtype else lax.convert_element_type(x, dtype)

def batch_jaxpr_eval(jaxpr: Jaxpr, consts: Sequence, args: Sequence, dims: Sequence, size: int) -> tuple[list, list]:
    """Evaluate ``jaxpr`` on batched ``args`` (batch axis ``dims[i]`` or None); return outputs and their axes."""
    env: dict[int, tuple[Any, int | None]] = {}

    def read(x):
        return (x.val, None) if isinstance(x, Literal) else env[id(x)]

    for v, c in zip(jaxpr.constvars, consts):
        env[id(v)] = (c, None)
    for v, x, d in zip(jaxpr.invars, args, dims):
        env[id(v)] = (x, d)
    for eqn in replayed(jaxpr.eqns):
        vals, ds = zip(*[read(x) for x in eqn.invars]) if eqn.invars else ((), ())
        if all(d is None for d in ds):
            outs = bind(eqn.primitive, list(vals), eqn.params)
            out_dims = [None] * len(outs)
        else:
            rule = batching_rules.get(eqn.primitive)
            if rule is None:
                raise NotImplementedError(f"vmap of the primitive '{eqn.primitive.name}' is not implemented")
            outs, out_dims = rule(list(vals), list(ds), axis_size=size, **eqn.params)
            if not eqn.primitive.multiple_results:
                outs, out_dims = [outs], [out_dims]
        for v, o, d in zip(eqn.outvars, outs, out_dims):
            env[id(v)] = (o, d)
    results = [read(v) for v in jaxpr.outvars]
    return [r[0] for r in results], [r[1] for r in results]


def _broadcast_prefix(axes, tree, what: str) -> list:
    """Expand ``axes`` (an int/None, or a pytree that is a prefix of ``tree``) to one entry per leaf of tree."""
    if axes is None or isinstance(axes, int):
        return [axes] * len(tree_flatten(tree)[0])
    if isinstance(axes, (list, tuple)) and isinstance(tree, (list, tuple)) and len(axes) == len(tree):
        return [a for sub_axes, sub in zip(axes, tree) for a in _broadcast_prefix(sub_axes, sub, what)]
    if isinstance(axes, dict) and isinstance(tree, dict) and axes.keys() == tree.keys():
        return [a for k in sorted(tree) for a in _broadcast_prefix(axes[k], tree[k], what)]
    raise FnxTypeError(f"vmap: {what} {axes!r} does not match the structure of the values {tree_flatten(tree)[1]}")


def vmap(fun: Callable, in_axes: Any = 0, out_axes: Any = 0, axis_size: int | None = None) -> Callable:
    """Vectorize ``fun`` over a batch axis of its arguments.

    ``in_axes``: per argument an int (negative allowed), None (not batched) or a pytree of those matching the
    argument; ``out_axes`` likewise for the outputs. ``axis_size`` is needed when no argument is batched.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.vmap(lambda row: fnp.dot(row, row))(fnp.array([[1.0, 2.0], [3.0, 4.0]]))
    Array([ 5., 25.], dtype=float64)
    """
    def batched(*args):
        axes = tuple(in_axes) if isinstance(in_axes, (list, tuple)) else (in_axes,) * len(args)
        if len(axes) != len(args):
            raise FnxTypeError(f"vmap: in_axes has {len(axes)} entries for {len(args)} arguments")
        leaves, in_tree = tree_flatten(list(args))
        dims = _broadcast_prefix(list(axes), list(args), "in_axes")
        example_leaves, leaves = leaves, [_as_array(x) for x in leaves]
        dims = [None if d is None else _normalize(d, x, "in_axes") for d, x in zip(dims, leaves)]
        size = _axis_size(leaves, dims, axis_size)
        # from the arguments as given: an unbatched Python scalar is weakly typed, as under jit
        example = [_unbatched_aval(x, d) for x, d in zip(example_leaves, dims)]
        closed, out_tree = trace_to_jaxpr(lambda *xs: fun(*tree_unflatten(in_tree, xs)), example)
        outs, out_dims = batch_jaxpr_eval(closed.jaxpr, closed.consts, leaves, dims, size)
        out_struct = tree_unflatten(out_tree, outs)
        targets = _broadcast_prefix(out_axes, out_struct, "out_axes")
        return tree_unflatten(out_tree, [_place(o, d, t, size) for o, d, t in zip(outs, out_dims, targets)])
    batched.__name__ = f"vmap({getattr(fun, '__name__', 'f')})"
    return batched


def _as_array(x):
    return x if hasattr(x, "aval") else fnp.asarray(x)


def _normalize(d: int, x, what: str) -> int:
    ndim = len(shape_of(x))
    if not -ndim <= d < ndim:
        raise FnxTypeError(f"vmap: {what} {d} is out of range for an argument of shape {shape_of(x)}")
    return d % ndim


def _axis_size(leaves, dims, axis_size) -> int:
    sizes = {shape_of(x)[d] for x, d in zip(leaves, dims) if d is not None}
    if axis_size is not None:
        sizes.add(axis_size)
    if not sizes:
        raise FnxTypeError("vmap: no argument is batched; pass axis_size")
    if len(sizes) > 1:
        described = ", ".join(f"{shape_of(x)} (axis {d})" for x, d in zip(leaves, dims) if d is not None)
        raise FnxTypeError(f"vmap: batched arguments disagree on the batch size {sorted(sizes)}: {described}")
    return sizes.pop()


def _unbatched_aval(x, d) -> ShapedArray:
    aval = abstractify(x)
    if d is None:
        return aval
    return ShapedArray(aval.shape[:d] + aval.shape[d + 1:], aval.dtype)


def _place(out, d, target, size: int):
    if target is None:
        if d is not None:
            raise FnxTypeError("vmap: out_axes=None but the output depends on the batched arguments")
        return out
    ndim = len(shape_of(out)) + (1 if d is None else 0)
    return move_axis(out, d, target % ndim, size)
