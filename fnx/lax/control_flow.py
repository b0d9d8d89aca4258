"""Structured control flow: ``scan``, ``cond``/``switch``, ``while_loop`` and ``fori_loop``.

Python ``for``/``if`` on traced values cannot be recorded, so loops and branches whose trip count or choice
depends on data are primitives of their own. Each traces the user's body function once, on abstract values,
into a jaxpr, and binds one primitive holding that jaxpr as a param::

    scan[jaxpr, length, reverse, num_consts, num_carry, unroll]   consts... carry... xs...
    cond[branches]                                                index consts... operands...
    while[cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts]     cond_consts... body_consts... carry...

Values the body closes over (arrays, or tracers of an outer trace) become the traced jaxpr's constants; they
are moved to the front of its inputs and passed as ordinary operands, so every input of the loop is visible
in the IR and a transform only has to look at operands and the body jaxpr (its consts are always empty).
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Sequence

import numpy as np

from ..core import dtypes
from ..core.array import Array
from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.ir import ClosedJaxpr, Eqn, Jaxpr, dce, dce_rules, hoist_consts as _hoist_consts
from ..core.primitive import def_primitive
from ..core.tracing import Tracer, abstractify, eval_jaxpr_numpy as _run_numpy, trace_to_jaxpr
from ..core.tree import PyTreeDef, tree_flatten, tree_map, tree_unflatten
from .elementwise import add_p, convert_element_type_p, lt_p, ne_p

_BOOL = np.dtype(bool)


# ---------------------------------------------------------------------------------------------- tracing bodies

def _to_array(x, op: str):
    """A pytree leaf given to a control-flow function, as an fnx Array or a tracer."""
    if isinstance(x, (Array, Tracer)):
        return x
    if isinstance(x, dtypes.WEAK_TYPES) and not isinstance(x, np.generic):
        return Array(np.asarray(x, dtype=dtypes.dtype_of_scalar(x)))
    if isinstance(x, (np.ndarray, np.generic)):
        dtypes.canonicalize(x.dtype, op)
        return Array(x)
    raise FnxTypeError(f"{op}: a leaf of type {type(x).__name__} is not an array; loop and branch values must be "
                       "pytrees of arrays and scalars")


def _flatten(tree, op: str) -> tuple[list, PyTreeDef]:
    leaves, treedef = tree_flatten(tree)
    return [_to_array(x, op) for x in leaves], treedef


def _trace(f: Callable, args_tree: PyTreeDef, avals: Sequence[ShapedArray]):
    """Trace ``f(*args)`` where ``args`` has structure ``args_tree`` and flat abstract values ``avals``.

    Returns ``(closed_jaxpr, consts, out_tree)``: the jaxpr takes the flat args; ``consts`` are the
    values ``f`` closed over, still to be moved in front of its inputs (see ``_hoist_consts``).
    """
    def flat_f(*leaves):
        return f(*tree_unflatten(args_tree, leaves))

    # strong: a loop's carry keeps its dtype from step to step (a weak 0.0 would become a float32 array's)
    closed, out_tree = trace_to_jaxpr(flat_f, [ShapedArray(a.shape, a.dtype) for a in avals])
    return closed, list(closed.consts), out_tree


def _type_str(tree: PyTreeDef, avals: Sequence[ShapedArray]) -> str:
    """``(f64[3], {a: i64[]})``: a pytree of avals as the user would write it."""
    return repr(tree_unflatten(tree, [str(a) for a in avals])).replace("'", "")


def _check_same_type(op: str, what_a: str, tree_a, avals_a, what_b: str, tree_b, avals_b) -> None:
    if tree_a != tree_b or list(avals_a) != list(avals_b):
        raise FnxTypeError(f"{op}: {what_a} and {what_b} must have the same type, but {what_a} has type "
                           f"{_type_str(tree_a, avals_a)} and {what_b} has type {_type_str(tree_b, avals_b)}")


# ---------------------------------------------------------------------------------------------- shared rules

def split_counts(values: Sequence, *counts: int) -> list[list]:
    """Cut ``values`` into pieces of ``counts`` and the remainder."""
    pieces, start = [], 0
    for n in counts:
        pieces.append(list(values[start:start + n]))
        start += n
    return pieces + [list(values[start:])]


def _expect(op: str, what: str, got: Sequence[ShapedArray], expected: Sequence[ShapedArray]) -> None:
    if list(got) != list(expected):
        raise FnxTypeError(f"{op}: {what} have types ({', '.join(map(str, got))}) "
                           f"but must have ({', '.join(map(str, expected))})")


# ---------------------------------------------------------------------------------------------- scan

def _scan_abstract_eval(*avals, jaxpr, length, reverse, num_consts, num_carry, unroll):
    consts, carry, xs = split_counts(avals, num_consts, num_carry)
    if any(x.ndim == 0 or x.shape[0] != length for x in xs):
        raise FnxTypeError(f"scan: every xs operand needs a leading axis of length {length}, "
                           f"got ({', '.join(map(str, xs))})")
    slices = [ShapedArray(x.shape[1:], x.dtype) for x in xs]
    _expect("scan", "the body's inputs", jaxpr.in_avals, consts + carry + slices)
    _expect("scan", "the body's output carry", jaxpr.out_avals[:num_carry], carry)
    return carry + [ShapedArray((length,) + y.shape, y.dtype) for y in jaxpr.out_avals[num_carry:]]


def _scan_impl(*args, jaxpr, length, reverse, num_consts, num_carry, unroll):
    consts, carry, xs = split_counts(args, num_consts, num_carry)
    ys = [np.empty((length,) + y.shape, y.dtype) for y in jaxpr.out_avals[num_carry:]]
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        out = _run_numpy(jaxpr, *consts, *carry, *(x[i] for x in xs))
        carry = out[:num_carry]
        for stacked, y in zip(ys, out[num_carry:]):
            stacked[i] = y
    return [np.asarray(c) for c in carry] + ys


scan_p = def_primitive("scan", _scan_abstract_eval, _scan_impl, multiple_results=True)


def _scan_dce(eqn: Eqn, used: list) -> Eqn:
    """The scan without its unused stacked outputs, and its body without the code computing them (the carries
    all stay: each step needs them)."""
    num_carry, body = eqn.params["num_carry"], eqn.params["jaxpr"]
    keep = [True] * num_carry + list(used[num_carry:])
    j = body.jaxpr
    new_body = ClosedJaxpr(dce(Jaxpr(j.constvars, j.invars, j.eqns, [v for v, k in zip(j.outvars, keep) if k])),
                           body.consts)
    return Eqn(scan_p, eqn.invars, [v for v, k in zip(eqn.outvars, keep) if k], {**eqn.params, "jaxpr": new_body},
               eqn.source)


dce_rules[scan_p] = _scan_dce


def _scan_length(xs: list, length, op: str) -> int:
    lengths = {x.shape[0] for x in xs if x.ndim > 0}
    if any(x.ndim == 0 for x in xs):
        raise FnxTypeError(f"{op}: xs leaves must have a leading axis to scan over, got "
                           f"({', '.join(str(abstractify(x)) for x in xs)})")
    if isinstance(length, Tracer):
        raise FnxTypeError(f"{op}: length must be a concrete int, got a traced {length.aval}; for a traced "
                           "number of steps use fori_loop or while_loop")
    if length is not None:
        length = operator.index(length)
        lengths.add(length)
    if len(lengths) > 1:
        raise FnxTypeError(f"{op}: xs leaves and length disagree on the number of steps: got leading axes "
                           f"{[x.shape[0] for x in xs]} and length={length}")
    if not lengths:
        raise FnxTypeError(f"{op}: with no xs, give the number of steps as length=")
    return lengths.pop()


def _unroll(unroll, length: int) -> int:
    if unroll is True:
        return max(length, 1)
    if unroll is False:
        return 1
    if operator.index(unroll) < 1:
        raise FnxTypeError(f"scan: unroll must be a positive integer or a bool, got {unroll!r}")
    return operator.index(unroll)


def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None, reverse: bool = False,
         unroll: int | bool = 1, truncate_gradient: int = -1) -> tuple[Any, Any]:
    """Loop ``f`` over the leading axis of ``xs``, threading a carry, and stack the per-step outputs.

    Same as (but traced as a single ``scan`` primitive)::

        def scan(f, init, xs, length=None):
            carry, ys = init, []
            for x in xs:                 # reversed(xs) when reverse=True (ys stay in xs's order)
                carry, y = f(carry, x)
                ys.append(y)
            return carry, stack(ys)

    ``init``, ``xs`` and ``y`` are pytrees of arrays; ``y`` may be ``None``. ``xs=None`` loops ``length``
    times with ``x=None``. The carry ``f`` returns must have the type (structure, shapes, dtypes) of
    ``init``. ``unroll`` is a hint for compiled backends (how many steps per loop iteration).

    ``truncate_gradient=k`` (k >= 0; -1, the default, is full backpropagation through time) is Theano's
    option of the same name: derivatives flow back through the **last k steps** only (the last k run, the
    first k of ``xs`` with ``reverse=True``). The earlier steps run as usual, but their outputs and the carry
    they pass on are constants to ``grad``, as if under ``stop_gradient``: with a loss on every step's
    output, the losses of the earlier steps contribute nothing, not even through the parameters (Theano's
    semantics, Bourez 2017 chapter 4). It is two scans: the first ``length - k`` steps, then the last k.

    >>> import fnx.numpy as fnp
    >>> scan(lambda c, x: (c + x, c + x), 0, fnp.array([0, 3, 5]))
    (Array(8, dtype=int64), Array([0, 3, 8], dtype=int64))
    """
    if truncate_gradient != -1:
        return _truncated_scan(f, init, xs, length, reverse, unroll, truncate_gradient)
    init_flat, carry_tree = _flatten(init, "scan")
    xs_flat, xs_tree = _flatten(xs, "scan")
    length = _scan_length(xs_flat, length, "scan")
    carry_avals = [abstractify(c) for c in init_flat]
    x_avals = [ShapedArray(tuple(x.shape[1:]), abstractify(x).dtype) for x in xs_flat]

    def step(carry, x):
        out = f(carry, x)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise FnxTypeError(f"scan: f must return a pair (new_carry, y), got {type(out).__name__}")
        return tuple(out)

    args_tree = PyTreeDef(tuple, None, (carry_tree, xs_tree))
    closed, consts, out_tree = _trace(step, args_tree, carry_avals + x_avals)
    new_carry_tree, y_tree = out_tree.children
    num_carry = len(init_flat)
    _check_same_type("scan", "the initial carry", carry_tree, carry_avals, "the carry f returns", new_carry_tree,
                     closed.out_avals[:new_carry_tree.num_leaves])
    outs = scan_p.bind(*consts, *init_flat, *xs_flat, jaxpr=_hoist_consts(closed), length=length,
                       reverse=bool(reverse), num_consts=len(consts), num_carry=num_carry,
                       unroll=_unroll(unroll, length))
    return tree_unflatten(carry_tree, outs[:num_carry]), tree_unflatten(y_tree, outs[num_carry:])


def _truncated_scan(f: Callable, init: Any, xs: Any, length: int | None, reverse: bool, unroll,
                    k: int) -> tuple[Any, Any]:
    """``scan`` with gradients through the last ``k`` steps run only: the steps before, under stop_gradient."""
    from ..transforms.autodiff import stop_gradient  # the transforms import lax: import on use
    from .structural import concatenate

    if isinstance(k, bool) or operator.index(k) < 0:
        raise FnxTypeError(f"scan: truncate_gradient must be -1 (no truncation) or an int >= 0, got {k!r}")
    total = _scan_length(_flatten(xs, "scan")[0], length, "scan")
    if k >= total:
        return scan(f, init, xs, total, reverse, unroll)
    cut = k if reverse else total - k  # the steps at xs[:cut] run first unless reverse
    head = tree_map(lambda x: x[:cut], xs)
    tail = tree_map(lambda x: x[cut:], xs)
    first, second = (tail, head) if reverse else (head, tail)
    n_first = total - k
    carry, ys_first = stop_gradient(scan(f, init, first, n_first if xs is None else None, reverse, unroll))
    carry, ys_second = scan(f, carry, second, k if xs is None else None, reverse, unroll)
    ordered = (ys_second, ys_first) if reverse else (ys_first, ys_second)
    return carry, tree_map(lambda a, b: concatenate([a, b], 0), *ordered)


# ---------------------------------------------------------------------------------------------- cond / switch

def _cond_abstract_eval(index, *operands, branches):
    if index.shape != () or index.dtype.kind not in "iu":
        raise FnxTypeError(f"cond: the branch index must be an integer scalar, got {index}")
    for i, branch in enumerate(branches):
        _expect("cond", f"branch {i}'s inputs", branch.in_avals, operands)
        _expect("cond", f"branch {i}'s outputs", branch.out_avals, branches[0].out_avals)
    return list(branches[0].out_avals)


def _cond_impl(index, *operands, branches):
    chosen = min(max(int(index), 0), len(branches) - 1)
    return _run_numpy(branches[chosen], *operands)


cond_p = def_primitive("cond", _cond_abstract_eval, _cond_impl, multiple_results=True)


def _branch(op: str, index, branches: Sequence[Callable], names: Sequence[str], operands: tuple):
    """Trace every branch on ``operands`` and bind ``cond_p``; all branches must return the same type."""
    ops_flat, ops_tree = _flatten(operands, op)
    avals = [abstractify(x) for x in ops_flat]
    traced = [_trace(b, ops_tree, avals) for b in branches]
    first, _, first_tree = traced[0]
    for name, (closed, _, tree) in zip(names[1:], traced[1:]):
        _check_same_type(op, f"the output of {names[0]}", first_tree, first.out_avals, f"the output of {name}",
                         tree, closed.out_avals)
    const_avals = [[abstractify(c) for c in consts] for _, consts, _ in traced]
    jaxprs = tuple(_hoist_consts(closed, sum(const_avals[:i], []), sum(const_avals[i + 1:], []))
                   for i, (closed, _, _) in enumerate(traced))
    all_consts = [c for _, consts, _ in traced for c in consts]
    outs = cond_p.bind(index, *all_consts, *ops_flat, branches=jaxprs)
    return tree_unflatten(first_tree, outs)


def trace_closed(f: Callable, avals: Sequence[ShapedArray]) -> tuple[ClosedJaxpr, list]:
    """Trace ``f(*flat_args) -> flat_outputs`` into a const-free jaxpr whose leading inputs are the values
    ``f`` closed over; returns the jaxpr and those values (to pass as leading operands). The transforms build
    new loop bodies this way."""
    closed, _ = trace_to_jaxpr(f, list(avals))
    return _hoist_consts(closed), list(closed.consts)


def bind_cond(index, branch_fns: Sequence[Callable], avals: Sequence[ShapedArray], operands: Sequence) -> list:
    """Trace every branch function (flat arguments and results) on ``avals`` and bind ``cond``; each branch
    gets all branches' consts."""
    traced = [trace_to_jaxpr(f, list(avals))[0] for f in branch_fns]
    const_avals = [[v.aval for v in t.jaxpr.constvars] for t in traced]
    branches = tuple(_hoist_consts(t, sum(const_avals[:i], []), sum(const_avals[i + 1:], []))
                     for i, t in enumerate(traced))
    consts = [c for t in traced for c in t.consts]
    return cond_p.bind(index, *consts, *operands, branches=branches)


def _scalar(x, op: str, what: str, kinds: str, description: str):
    x = _to_array(x, op)
    if x.shape != () or x.dtype.kind not in kinds:
        raise FnxTypeError(f"{op}: {what} must be {description}, got {abstractify(x)}")
    return x


def cond(pred, true_fun: Callable, false_fun: Callable, *operands):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, with a traced ``pred``.

    ``pred`` is a bool (or number: nonzero is true) scalar. Both branches are traced, and must return the
    same type; only the chosen one runs.

    >>> cond(True, lambda x: x + 1, lambda x: x - 1, 5)
    Array(6, dtype=int64)
    """
    pred = _scalar(pred, "cond", "pred", "biuf", "a bool or number scalar")
    if pred.dtype != _BOOL:
        pred = ne_p.bind(pred, pred.dtype.type(0))
    index = convert_element_type_p.bind(pred, new_dtype=np.dtype("int32"))
    return _branch("cond", index, (false_fun, true_fun), ("false_fun", "true_fun"), operands)


def switch(index, branches: Sequence[Callable], *operands):
    """``branches[index](*operands)`` with a traced integer ``index``, clamped into ``[0, len(branches) - 1]``.

    >>> switch(5, [lambda x: x, lambda x: 2 * x, lambda x: 3 * x], 10)
    Array(30, dtype=int64)
    """
    branches = list(branches)
    if not branches or not all(callable(b) for b in branches):
        raise FnxTypeError("switch: branches must be a non-empty sequence of functions")
    index = _scalar(index, "switch", "index", "iu", "an integer scalar")
    return _branch("switch", index, branches, [f"branches[{i}]" for i in range(len(branches))], operands)


# ---------------------------------------------------------------------------------------------- while / fori

def _while_abstract_eval(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cond_consts, body_consts, carry = split_counts(avals, cond_nconsts, body_nconsts)
    _expect("while_loop", "cond_fun's inputs", cond_jaxpr.in_avals, cond_consts + carry)
    _expect("while_loop", "cond_fun's outputs", cond_jaxpr.out_avals, [ShapedArray((), _BOOL)])
    _expect("while_loop", "body_fun's inputs", body_jaxpr.in_avals, body_consts + carry)
    _expect("while_loop", "body_fun's outputs", body_jaxpr.out_avals, carry)
    return carry


def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cond_consts, body_consts, carry = split_counts(args, cond_nconsts, body_nconsts)
    while _run_numpy(cond_jaxpr, *cond_consts, *carry)[0]:
        carry = _run_numpy(body_jaxpr, *body_consts, *carry)
    return [np.asarray(c) for c in carry]


while_p = def_primitive("while", _while_abstract_eval, _while_impl, multiple_results=True)


def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """``val = init_val; while cond_fun(val): val = body_fun(val)``, as one ``while`` primitive.

    ``cond_fun`` returns a bool scalar; ``body_fun`` returns a value of the type of ``init_val`` (a pytree
    of arrays). The trip count may depend on data; reverse-mode differentiation of it is not possible (use
    ``scan`` or ``fori_loop`` with static bounds for that).

    >>> while_loop(lambda x: x < 100, lambda x: 2 * x, 1)
    Array(128, dtype=int64)
    """
    init_flat, tree = _flatten(init_val, "while_loop")
    avals = [abstractify(x) for x in init_flat]
    args_tree = PyTreeDef(tuple, None, (tree,))
    cond_closed, cond_consts, cond_tree = _trace(cond_fun, args_tree, avals)
    if cond_tree.num_leaves != 1 or cond_closed.out_avals[0] != ShapedArray((), _BOOL):
        raise FnxTypeError(f"while_loop: cond_fun must return a bool scalar, got "
                           f"{_type_str(cond_tree, cond_closed.out_avals)}")
    body_closed, body_consts, body_tree = _trace(body_fun, args_tree, avals)
    _check_same_type("while_loop", "init_val", tree, avals, "the value body_fun returns", body_tree,
                     body_closed.out_avals)
    outs = while_p.bind(*cond_consts, *body_consts, *init_flat, cond_jaxpr=_hoist_consts(cond_closed),
                        body_jaxpr=_hoist_consts(body_closed), cond_nconsts=len(cond_consts),
                        body_nconsts=len(body_consts))
    return tree_unflatten(tree, outs)


def _bound_dtype(lower, upper) -> np.dtype:
    keys = []
    for x in (lower, upper):
        if isinstance(x, int) and not isinstance(x, bool):
            keys.append(int)
        elif getattr(x, "shape", None) == () and np.dtype(x.dtype).kind in "iu":
            keys.append(np.dtype(x.dtype))
        else:
            raise FnxTypeError(f"fori_loop: lower and upper must be integer scalars, got {lower!r} and {upper!r}")
    return dtypes.result_type(*keys)


def _as_index(x, dtype: np.dtype):
    if isinstance(x, int):
        return dtype.type(x)
    return x if x.dtype == dtype else convert_element_type_p.bind(x, new_dtype=dtype)


def fori_loop(lower, upper, body_fun: Callable, init_val: Any) -> Any:
    """``val = init_val; for i in range(lower, upper): val = body_fun(i, val)``; returns ``val``.

    With concrete bounds (Python ints or arrays, not traced values) this is a ``scan`` of
    ``upper - lower`` steps, which reverse-mode differentiation can go through; with traced bounds it is a
    ``while_loop``. ``i`` has the promoted dtype of the bounds (int64 for Python ints).

    >>> fori_loop(0, 4, lambda i, total: total + i, 0)
    Array(6, dtype=int64)
    """
    dtype = _bound_dtype(lower, upper)
    if not isinstance(lower, Tracer) and not isinstance(upper, Tracer):
        def step(carry, _):
            i, val = carry
            return (add_p.bind(i, dtype.type(1)), body_fun(i, val)), None

        steps = max(int(upper) - int(lower), 0)
        (_, val), _ = scan(step, (dtype.type(int(lower)), init_val), None, length=steps)
        return val
    upper = _as_index(upper, dtype)
    _, val = while_loop(lambda c: lt_p.bind(c[0], upper),
                        lambda c: (add_p.bind(c[0], dtype.type(1)), body_fun(*c)),
                        (_as_index(lower, dtype), init_val))
    return val


__all__ = ["cond", "cond_p", "fori_loop", "scan", "scan_p", "switch", "while_loop", "while_p"]
