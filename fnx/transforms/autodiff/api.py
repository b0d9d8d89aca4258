"""The user-facing derivatives: jvp, vjp, grad, value_and_grad, jacfwd, jacrev, hessian, linearize."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ... import numpy as fnp
from ...core.errors import FnxTypeError
from ...core.tracing import trace_to_jaxpr
from ...core.tree import tree_flatten, tree_map, tree_unflatten
from ...lax.debugging import muted
from .engine import Zero, as_differentiable, flatten_args, instantiate, jvp_jaxpr, vjp_flat


def _flat_fun(f: Callable, in_tree):
    return lambda *leaves: f(*tree_unflatten(in_tree, leaves))


def jvp(f: Callable, primals: Sequence, tangents: Sequence) -> tuple[Any, Any]:
    """Forward mode: ``(f(*primals), J_f(primals) @ tangents)``; primals and tangents are matching pytrees.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.jvp(fnp.sin, (0.0,), (2.0,))
    (Array(0.0, dtype=float64), Array(2.0, dtype=float64))
    """
    flat_p, in_tree = flatten_args(primals, "jvp: primal")
    flat_t, t_tree = tree_flatten(list(tangents))
    if t_tree != in_tree:
        raise FnxTypeError(f"jvp: primals and tangents must have the same structure, got {in_tree} and {t_tree}")
    flat_t = [as_tangent(t, p) for t, p in zip(flat_t, flat_p)]
    closed, out_tree = trace_to_jaxpr(_flat_fun(f, in_tree), flat_p)
    outs, touts = jvp_jaxpr(closed.jaxpr, closed.consts, flat_p, flat_t)
    touts = [instantiate(t) for t in touts]
    return tree_unflatten(out_tree, outs), tree_unflatten(out_tree, touts)


def as_tangent(t, primal):
    t = fnp.asarray(t, dtype=primal.dtype)
    if t.shape != primal.shape:
        raise FnxTypeError(f"jvp: a tangent of shape {t.shape} does not match its primal of shape {primal.shape}")
    return t


def vjp(f: Callable, *primals, has_aux: bool = False):
    """Reverse mode: ``(f(*primals), vjp_fn)`` where ``vjp_fn(cotangent)`` returns a tuple of cotangents, one per
    primal (``(out, vjp_fn, aux)`` with ``has_aux``).

    >>> import fnx, fnx.numpy as fnp
    >>> out, pullback = fnx.vjp(lambda x: x * x, fnp.array([1.0, 2.0]))
    >>> pullback(fnp.ones(2))
    (Array([2., 4.], dtype=float64),)
    """
    flat_p, in_tree = flatten_args(primals, "vjp: primal")

    def flat_f(*leaves):
        out = f(*tree_unflatten(in_tree, leaves))
        if has_aux and not (isinstance(out, tuple) and len(out) == 2):
            raise FnxTypeError("has_aux=True needs the function to return a pair (output, aux)")
        return out

    outs, out_tree, pullback = vjp_flat(flat_f, flat_p)
    aux_leaves: list = []
    if has_aux:  # the aux leaves are outputs of the trace too, so they follow any outer trace
        out_tree, aux_tree = out_tree.children
        outs, aux_leaves = outs[:out_tree.num_leaves], outs[out_tree.num_leaves:]

    def vjp_fn(cotangent):
        flat_ct, ct_tree = tree_flatten(cotangent)
        if ct_tree != out_tree:
            raise FnxTypeError(f"vjp: the cotangent's structure {ct_tree} differs from the output's {out_tree}")
        in_cts = pullback([as_tangent(c, o) for c, o in zip(flat_ct, outs)] + [None] * len(aux_leaves))
        return tuple(tree_unflatten(in_tree, [instantiate(c) for c in in_cts]))

    out = tree_unflatten(out_tree, outs)
    return (out, vjp_fn, tree_unflatten(aux_tree, aux_leaves)) if has_aux else (out, vjp_fn)


def _argnums_tuple(argnums, nargs: int, name: str) -> tuple:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise FnxTypeError(f"{name}: argnums {argnums} does not fit a call with {nargs} positional arguments")
    return tuple(n % nargs for n in nums)


def _partial(f: Callable, args: tuple, nums: tuple, kwargs: dict) -> Callable:
    def g(*diff_args):
        full = list(args)
        for n, a in zip(nums, diff_args):
            full[n] = a
        return f(*full, **kwargs)
    return g


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(fun(*args), gradient)``: the gradient of a scalar ``fun`` with respect to the
    arguments ``argnums`` (a pytree of the argument's structure; a tuple of them for a tuple of argnums).

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.value_and_grad(lambda w: fnp.sum(w ** 2))(fnp.array([1.0, 3.0]))
    (Array(10.0, dtype=float64), Array([2., 6.], dtype=float64))
    """
    def value_and_grad_f(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "grad")
        for n in nums:
            for leaf in tree_flatten(args[n])[0]:
                _check_float_arg(leaf, n)
        result = vjp(_partial(fun, args, nums, kwargs), *[args[n] for n in nums], has_aux=has_aux)
        out, pullback = result[0], result[1]
        _check_scalar_output(out)
        grads = pullback(fnp.ones_like(out))
        grads = grads[0] if isinstance(argnums, int) else grads
        value = (out, result[2]) if has_aux else out
        return value, grads
    value_and_grad_f.__name__ = f"value_and_grad({getattr(fun, '__name__', 'f')})"
    return value_and_grad_f


def _check_float_arg(leaf, n: int) -> None:
    if type(leaf) in (int, float):
        return
    dtype = getattr(leaf, "dtype", None)
    if dtype is not None and dtype.kind != "f":
        raise FnxTypeError(f"grad: argument {n} has dtype {dtype}; only float arguments can be differentiated "
                           f"(cast with .astype(float), or leave it out of argnums)")


def _check_scalar_output(out) -> None:
    shape = getattr(out, "shape", None)
    dtype = getattr(out, "dtype", None)
    if shape != () or dtype is None or dtype.kind != "f":
        raise FnxTypeError(f"grad: the function must return a float scalar, got "
                           f"{type(out).__name__} {getattr(out, 'aval', '')}; use vjp or jacrev for other outputs")


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar-valued ``fun`` with respect to the arguments ``argnums``.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.grad(lambda x: fnp.sum(x ** 3))(fnp.array([1.0, 2.0]))
    Array([ 3., 12.], dtype=float64)
    """
    vg = value_and_grad(fun, argnums, has_aux)

    def grad_f(*args, **kwargs):
        value, grads = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    grad_f.__name__ = f"grad({getattr(fun, '__name__', 'f')})"
    return grad_f


def _ravel(tree):
    """A pytree of arrays as one flat vector, with the leaves' shapes to cut it up again."""
    leaves, treedef = tree_flatten(tree)
    vector = fnp.concatenate([fnp.ravel(x) for x in leaves]) if leaves else fnp.zeros(0)
    return vector, leaves, treedef


def _unravel(vector, like_leaves, treedef):
    parts, start = [], 0
    for x in like_leaves:
        parts.append(vector[start:start + x.size].reshape(x.shape))
        start += x.size
    return tree_unflatten(treedef, parts)


def _assemble(matrix, out_leaves, out_tree, in_leaves, in_tree, argnums):
    """Cut the (outputs x inputs) Jacobian matrix into blocks shaped ``out.shape + in.shape``, as a pytree of
    the output's structure whose leaves have the structure of the differentiated arguments."""
    blocks, row = [], 0
    for o in out_leaves:
        per_input, col = [], 0
        for x in in_leaves:
            per_input.append(matrix[row:row + o.size, col:col + x.size].reshape(o.shape + x.shape))
            col += x.size
        arguments = tree_unflatten(in_tree, per_input)
        blocks.append(arguments[0] if isinstance(argnums, int) else tuple(arguments))
        row += o.size
    return tree_unflatten(out_tree, blocks)


def _jacobian(fun: Callable, argnums, name: str, forward: bool) -> Callable:
    from ..batching import vmap

    def jac(*args):
        nums = _argnums_tuple(argnums, len(args), name)
        diff = [tree_map(lambda v: as_differentiable(v, f"{name}: argument"), args[n]) for n in nums]
        f = _partial(fun, args, nums, {})
        in_vec, in_leaves, in_tree = _ravel(diff)
        if forward:
            with muted():  # run for the output's structure only: the jvps below print
                out, pullback = f(*diff), None
        else:
            out, pullback = vjp(f, *diff)
        out_vec, out_leaves, out_tree = _ravel(out)
        if forward:
            def push(t):
                return _ravel(jvp(f, diff, _unravel(t, in_leaves, in_tree))[1])[0]
            matrix = vmap(push, out_axes=1)(fnp.eye(in_vec.size, dtype=in_vec.dtype))
        else:
            def pull(ct):
                return _ravel(list(pullback(_unravel(ct, out_leaves, out_tree))))[0]
            matrix = vmap(pull)(fnp.eye(out_vec.size, dtype=out_vec.dtype))
        return _assemble(matrix, out_leaves, out_tree, in_leaves, in_tree, argnums)
    jac.__name__ = f"{name}({getattr(fun, '__name__', 'f')})"
    return jac


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Jacobian by forward mode (one jvp per input element, batched with vmap).

    For each (output leaf, argument leaf) the block has shape ``out.shape + arg.shape``.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.jacfwd(lambda x: x ** 2)(fnp.array([1.0, 2.0]))
    Array([[2., 0.],
           [0., 4.]], dtype=float64)
    """
    return _jacobian(fun, argnums, "jacfwd", forward=True)


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Jacobian by reverse mode (one vjp per output element, batched with vmap); same layout as jacfwd.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.jacrev(lambda x: x ** 2)(fnp.array([1.0, 2.0]))
    Array([[2., 0.],
           [0., 4.]], dtype=float64)
    >>> fnx.jacobian(lambda x: fnp.stack([x[0] * x[1], x[0] + x[1]]))(fnp.array([2.0, 3.0]))  # the same function
    Array([[3., 2.],
           [1., 1.]], dtype=float64)
    """
    return _jacobian(fun, argnums, "jacrev", forward=False)


jacobian = jacrev


def hessian(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Hessian of a scalar ``fun``: ``jacfwd(jacrev(fun))``.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.hessian(lambda x: x[0] ** 2 * x[1])(fnp.array([1.0, 2.0]))
    Array([[4., 2.],
           [2., 0.]], dtype=float64)
    """
    return jacfwd(jacrev(fun, argnums), argnums)


def linearize(fun: Callable, *primals):
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` is the Jacobian-vector product at ``primals``.

    (This version re-evaluates the forward pass at each call of ``f_jvp``.)

    >>> import fnx, fnx.numpy as fnp
    >>> y, f_jvp = fnx.linearize(fnp.sin, 0.0)
    >>> y, f_jvp(2.0)
    (Array(0.0, dtype=float64), Array(2.0, dtype=float64))
    """
    out = fun(*primals)

    def f_jvp(*tangents):
        return jvp(fun, primals, tangents)[1]
    return out, f_jvp


__all__ = ["grad", "hessian", "jacfwd", "jacobian", "jacrev", "jvp", "linearize", "value_and_grad", "vjp", "Zero"]
