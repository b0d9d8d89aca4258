"""Tracing: turning a Python function over arrays into a jaxpr, and evaluating a jaxpr.

There is one kind of trace: a ``JaxprTrace`` records every primitive applied to its tracers as an equation.
Traces nest in a stack; ``bind`` hands each primitive application to the innermost trace (or computes it
with NumPy when no trace is active). Values from outer traces, and concrete arrays, that the inner function
uses become the inner jaxpr's constants, so evaluating the inner jaxpr with ``eval_jaxpr`` inside the outer
trace records it there: that is how transforms compose (each is trace -> rewrite -> evaluate).

A trace may be *concrete*: its tracers then also carry their NumPy value, so that Python control flow on
them (``if x > 0``) works, as it must for ``grad`` outside ``jit``.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Sequence

import numpy as np

from . import dtypes
from ..config import config
from .array import Array
from .array_methods import ArrayMethods
from .avals import ShapedArray
from .errors import ConcretizationError, FnxTypeError, user_frame
from .ir import ClosedJaxpr, Eqn, Jaxpr, Literal, Var
from .primitive import Primitive, _trace_stack, abstract_eval, bind, impl_outputs, impl_rules
from .scoped import Scoped
from .tree import tree_flatten, tree_unflatten



class Tracer(ArrayMethods):
    """A value being traced: it knows its abstract value (shape, dtype) and, in a concrete trace, its value."""

    __slots__ = ("trace", "var", "val")

    def __init__(self, trace: "JaxprTrace", var: Var, val=None):
        self.trace, self.var, self.val = trace, var, val

    @property
    def aval(self) -> ShapedArray:
        return self.var.aval

    def _concrete(self, what: str, hint: str):
        if self.val is None:
            raise ConcretizationError(what, self.aval, hint)
        return self.val

    def __bool__(self) -> bool:
        return bool(self._concrete("bool()", "Use fnx.lax.cond or fnx.numpy.where for a branch on traced values, "
                                   "or mark the argument static (static_argnums)."))

    def __int__(self) -> int:
        return int(self._concrete("int()", "Keep the value as an array, or mark the argument static."))

    def __float__(self) -> float:
        return float(self._concrete("float()", "Keep the value as an array, or mark the argument static."))

    def __index__(self) -> int:
        return self._concrete("Using as an index", "Use fnx.lax.dynamic_slice or array indexing "
                              "x[i] (which traces), or mark the argument static.").__index__()

    def __array__(self, dtype=None, copy=None):
        if self.trace not in _trace_stack:
            raise FnxTypeError(f"a tracer {self.aval} escaped the function that was being transformed "
                               "(it was stored outside, e.g. in a global); return it instead")
        raise ConcretizationError("Converting to a NumPy array", self.aval,
                                  "Use fnx.numpy functions inside transformed functions instead of NumPy ones.")

    def __dlpack__(self, **_):
        raise ConcretizationError("Exporting through DLPack", self.aval,
                                  "Export the result of the transformed function instead.")

    __dlpack_device__ = __dlpack__

    def item(self, *args):
        return self._concrete("item()", "Keep the value as an array.").item(*args)

    def tolist(self):
        return self._concrete("tolist()", "Keep the value as an array.").tolist()

    def __repr__(self) -> str:
        return f"Traced<{self.aval}>"


class JaxprTrace:
    """Records equations into a growing jaxpr."""

    def __init__(self, concrete: bool = False):
        self.concrete = concrete
        # the user's line of each equation, for debug_nans' reports: only while they can be asked for, since
        # finding it costs ~20% of tracing (Python makes a frame object for each frame it walks)
        self.record_source = not concrete and (config.debug_nans or config.debug_infs)
        self.eqns: list[Eqn] = []
        self.const_vars: dict[int, Var] = {}
        self.consts: list = []
        self.values: dict[int, np.ndarray] = {}  # concrete traces: id(var) -> value, for reverse-mode autodiff

    def new_arg(self, aval: ShapedArray, val=None) -> Tracer:
        tracer = Tracer(self, Var(aval), val)
        if val is not None:
            self.values[id(tracer.var)] = val
        return tracer

    def to_atom(self, x) -> Var | Literal:
        """The IR atom for ``x``: its var if it is our tracer, a literal for scalars, a constvar otherwise."""
        if isinstance(x, Tracer):
            if x.trace is self:
                return x.var
            if x.trace not in _trace_stack:
                raise FnxTypeError(f"a tracer {x.aval} escaped the function that was being transformed "
                                   "(it was stored outside, e.g. in a global); pass it as an argument instead")
            return self._const(x, x.aval)
        if isinstance(x, np.generic):  # a NumPy scalar, as fnx.numpy makes of a Python scalar beside an array
            return Literal(x, scalar_aval(x.dtype))
        if isinstance(x, dtypes.WEAK_TYPES):
            return Literal(x, ShapedArray((), dtypes.dtype_of_scalar(x)))
        if isinstance(x, Array):
            x = x._value
        if isinstance(x, np.ndarray):
            if x.ndim == 0:
                return Literal(x, scalar_aval(x.dtype))
            return self._const(x, ShapedArray(x.shape, dtypes.canonicalize(x.dtype)))
        raise FnxTypeError(f"a value of type {type(x).__name__} is not an array; fnx functions take fnx or NumPy "
                           "arrays and Python scalars")

    def _const(self, x, aval: ShapedArray) -> Var:
        if id(x) not in self.const_vars:
            var = self.const_vars[id(x)] = Var(aval)
            self.consts.append(x)
            if self.concrete:
                value = x.val if isinstance(x, Tracer) else x
                if value is not None:
                    self.values[id(var)] = np.asarray(value)
        return self.const_vars[id(x)]

    def process(self, prim: Primitive, args: Sequence, params: dict) -> list:
        atoms = [x.var if type(x) is Tracer and x.trace is self else self.to_atom(x) for x in args]
        out_avals = abstract_eval(prim, [a.aval for a in atoms], params)
        for a in atoms:
            if a.aval.weak_type:
                out_avals = _weak_results(atoms, out_avals)
                break
        if not self.concrete or prim.multiple_results:
            return self._record(prim, atoms, params, out_avals)
        # one result in a concrete trace: the common case of an eager grad, written out for speed
        values = self.values
        vals = [a.val if type(a) is Literal else values.get(id(a)) for a in atoms]
        for v in vals:
            if v is None:
                return self._record(prim, atoms, params, out_avals)
        out = impl_rules[prim](*vals, **params)
        var = Var(out_avals[0])
        out = values[id(var)] = out if type(out) is np.ndarray else np.asarray(out)
        self.eqns.append(Eqn(prim, atoms, [var], params))
        return [Tracer(self, var, out)]

    def _record(self, prim: Primitive, atoms: list, params: dict, out_avals: list):
        """The general case of ``process``: outputs with values when the trace is concrete and every input's
        value is known (every known value of the trace's variables is in ``self.values``)."""
        vals = [a.val if type(a) is Literal else self.values.get(id(a)) for a in atoms] if self.concrete else None
        if vals is None or any(v is None for v in vals):
            outs = [Tracer(self, Var(aval)) for aval in out_avals]
        else:
            outs = [Tracer(self, Var(aval)) for aval in out_avals]
            for t, value in zip(outs, impl_outputs(prim, vals, params)):
                t.val = self.values[id(t.var)] = value if type(value) is np.ndarray else np.asarray(value)
        source = (replay_source[0] or user_frame(4)) if self.record_source else None  # 1-3: here, process, bind
        self.eqns.append(Eqn(prim, atoms, [t.var for t in outs], params, source))
        return outs

    def to_jaxpr(self, in_tracers: list, out_values: list) -> ClosedJaxpr:
        outvars = [self.to_atom(x) for x in out_values]
        invars = [t.var for t in in_tracers]
        constvars = list(self.const_vars.values())
        return ClosedJaxpr(Jaxpr(constvars, invars, self.eqns, outvars), list(self.consts))


def _weak_results(atoms: list, out_avals: list) -> list:
    """The outputs of an equation with a weakly typed input: weak too if every input is weak or an inline
    literal (``s * 2.0`` of a Python scalar argument ``s``), as JAX's elementwise operations keep weak types."""
    weak = all(a.aval.weak_type or type(a) is Literal for a in atoms)
    return [ShapedArray(o.shape, o.dtype, weak) for o in out_avals]


# the user's line that the equations being recorded come from while a transform replays a jaxpr (``replayed``);
# None: the innermost frame outside fnx (``core.errors.user_frame``). Only traces that record lines read it.
replay_source: list = [None]


def replayed(eqns):
    """``eqns``, to iterate over as a transform binds them again (eval_jaxpr, jvp, the backward pass, vmap): each
    equation a trace records meanwhile is attributed to the user's line of the equation being replayed, not to
    the line that called the transform. With no trace active (eager grad) nothing is recorded: ``eqns`` itself."""
    return _replaying(eqns) if _trace_stack else eqns


def _replaying(eqns):
    saved = replay_source[0]
    try:
        for eqn in eqns:
            replay_source[0] = eqn.source or saved
            yield eqn
    finally:
        replay_source[0] = saved


@contextmanager
def new_trace(concrete: bool = False):
    if not _trace_stack:  # an outermost trace: nothing is being replayed (an earlier error may have left a line)
        replay_source[0] = None
    trace = JaxprTrace(concrete)
    _trace_stack.append(trace)
    try:
        yield trace
    finally:
        _trace_stack.pop()


def active_traces() -> list:
    """The active traces, innermost last: the list itself, which tracing updates in place, so a hot path may keep
    it and test its truth (read only: ``trace_to_jaxpr`` pushes and pops them)."""
    return _trace_stack


def is_tracing() -> bool:
    """True while some function is being traced."""
    return bool(_trace_stack)


# ---------------------------------------------------------------------------------------------- make_jaxpr

_interned_avals: dict = {}  # (shape, dtype) -> ShapedArray (avals are immutable values)
_INTERNED_AVALS_SIZE = 4096


def scalar_aval(dtype: np.dtype) -> ShapedArray:
    """The rank-0 abstract value of a supported ``dtype`` (one shared object per dtype)."""
    aval = _interned_avals.get(((), dtype))
    if aval is None:
        aval = _interned_avals[((), dtype)] = ShapedArray((), dtypes.canonicalize(dtype))
    return aval


def abstractify(x) -> ShapedArray:
    """The abstract value of an argument: arrays, tracers, Python scalars, or anything with shape and dtype."""
    if type(x) is np.ndarray or type(x) is Array:  # the common case, with one shared aval per shape and dtype
        value = x if type(x) is np.ndarray else x._value
        key = (value.shape, value.dtype)
        aval = _interned_avals.get(key)
        if aval is None:
            if len(_interned_avals) >= _INTERNED_AVALS_SIZE:
                _interned_avals.clear()
            aval = _interned_avals[key] = ShapedArray(value.shape, dtypes.canonicalize(value.dtype))
        return aval
    if isinstance(x, Tracer) and x.aval.weak_type:  # weak only where the Python scalar was given: inner traces
        return ShapedArray(x.aval.shape, x.aval.dtype)  # (a nested jit, a loop body) see a typed value
    if isinstance(x, (Tracer, Array)):
        return x.aval
    if type(x) is ShapedArray:
        return x
    if isinstance(x, dtypes.WEAK_TYPES) and not isinstance(x, np.generic):
        return ShapedArray((), dtypes.dtype_of_scalar(x), weak_type=True)
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return ShapedArray(tuple(x.shape), dtypes.canonicalize(x.dtype))
    raise FnxTypeError(f"an argument of type {type(x).__name__} is not an array; pass arrays or scalars, or mark "
                       "the argument static")


def trace_to_jaxpr(f: Callable, args: Sequence, concrete: bool = False):
    """Trace ``f(*args)`` (``args`` a pytree of arrays or avals) into a ClosedJaxpr.

    Returns ``(closed_jaxpr, out_tree)``; the jaxpr takes the flattened leaves of ``args`` and returns the
    flattened leaves of the output.
    """
    closed, out_tree, _ = trace_with_values(f, args, concrete)
    return closed, out_tree


def trace_with_values(f: Callable, args: Sequence, concrete: bool = True):
    """Like ``trace_to_jaxpr``, also returning ``{id(var): value}`` of every variable a concrete trace computed."""
    flat_args, in_tree = tree_flatten(list(args))
    with new_trace(concrete) as trace:
        in_avals = [abstractify(x) for x in flat_args]
        in_tracers = [trace.new_arg(a, _concrete_value(x, a) if concrete else None)
                      for x, a in zip(flat_args, in_avals)]
        out = f(*tree_unflatten(in_tree, in_tracers))
        out_flat, out_tree = tree_flatten(out)
        closed = trace.to_jaxpr(in_tracers, out_flat)
    return closed, out_tree, trace.values


def _concrete_value(x, aval: ShapedArray):
    if isinstance(x, Tracer):
        return x.val
    return np.asarray(x._value if isinstance(x, Array) else x, dtype=aval.dtype)


def make_jaxpr(f: Callable, static_argnums: int | Sequence[int] = (), return_shape: bool = False):
    """Return a function that traces ``f`` and returns its ClosedJaxpr (and the output shapes if asked).

    >>> import fnx, fnx.numpy as fnp
    >>> print(fnx.make_jaxpr(fnp.sin)(fnp.ones(3, dtype="float32")))
    { lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }
    """
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    def traced(*args):
        dynamic = [a for i, a in enumerate(args) if i not in static]

        def fun(*dyn):
            it = iter(dyn)
            return f(*[a if i in static else next(it) for i, a in enumerate(args)])

        closed, out_tree = trace_to_jaxpr(fun, dynamic)
        if return_shape:
            return closed, tree_unflatten(out_tree, closed.out_avals)
        return closed

    traced.__name__ = f"make_jaxpr({getattr(f, '__name__', 'f')})"
    return traced


def evaluate(jaxpr: Jaxpr, consts: Sequence, args: Sequence, apply: Callable | None = None) -> dict[int, Any]:
    """fnx's one jaxpr evaluator: every variable's value (by ``id`` of the variable), each equation's outputs
    computed by ``apply(eqn, input_values) -> list`` (by default: binding its primitive, so that under an active
    trace the evaluation is itself recorded there). ``eval_jaxpr``, ``eval_jaxpr_numpy`` and reverse mode's
    forward pass are this with their own ``apply``."""
    apply = apply or _bind_eqn
    env: dict[int, Any] = {}
    for v, x in zip(jaxpr.constvars, consts):
        env[id(v)] = x
    for v, x in zip(jaxpr.invars, args):
        env[id(v)] = x
    for eqn in (jaxpr.eqns if apply is not _bind_eqn else replayed(jaxpr.eqns)):
        outs = apply(eqn, [x.val if isinstance(x, Literal) else env[id(x)] for x in eqn.invars])
        for v, out in zip(eqn.outvars, outs):
            env[id(v)] = out
    return env


def _bind_eqn(eqn: Eqn, values: list) -> list:
    return bind(eqn.primitive, values, eqn.params)


def read(env: dict, atom):
    """The value of ``atom`` (a variable or a literal) in an environment made by ``evaluate``."""
    return atom.val if isinstance(atom, Literal) else env[id(atom)]


def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence, *args) -> list:
    """Evaluate ``jaxpr`` on ``consts`` and ``args`` (flat lists), binding each equation's primitive.

    Under an active trace the evaluation is itself recorded there. Returns the list of outputs.

    >>> import fnx
    >>> closed = fnx.make_jaxpr(lambda x: x * 2.0)(1.0)
    >>> fnx.eval_jaxpr(closed.jaxpr, closed.consts, 3.0)
    [Array(6.0, dtype=float64)]
    """
    if len(args) != len(jaxpr.invars):
        raise FnxTypeError(f"eval_jaxpr: the jaxpr takes {len(jaxpr.invars)} inputs, got {len(args)}")
    env = evaluate(jaxpr, consts, args)
    return [_as_output(read(env, v)) for v in jaxpr.outvars]


def _as_output(x):
    if isinstance(x, (Array, Tracer)) or _trace_stack:
        return x
    return Array(x)


def eval_jaxpr_numpy(closed: ClosedJaxpr, *args) -> list:
    """Evaluate a const-free jaxpr on NumPy values with the primitives' NumPy implementations.

    Used by the eager implementations of primitives that hold a jaxpr (scan, cond, custom_vjp...):
    ``eval_jaxpr`` would not do, because it binds, and an impl can run while a trace is active (a concrete
    trace computes values as it records): binding would record the inner equations into that trace.
    """
    env = evaluate(closed.jaxpr, [], args, _numpy_apply.value())
    return [np.asarray(read(env, v)) for v in closed.jaxpr.outvars]


def impl_eqn(eqn: Eqn, values: list) -> list:
    """An equation's outputs from its primitive's NumPy implementation, as arrays."""
    return [np.asarray(v) for v in impl_outputs(eqn.primitive, values, eqn.params)]


_numpy_apply = Scoped(impl_eqn)  # how this thread's eval_jaxpr_numpy computes each equation


def numpy_equations(apply: Callable):
    """A context in which ``eval_jaxpr_numpy``, in this thread, computes each equation with ``apply(eqn,
    values)``, also in the jaxprs that the equations' implementations evaluate (loop bodies, branches): the NaN
    checker's rerun."""
    return _numpy_apply.set(apply)
