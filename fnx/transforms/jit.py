"""jit: trace once per argument signature, compile the jaxpr with the CPU backend, call the native code.

Called eagerly, a jitted function looks its code up by the shapes and dtypes of its arguments (plus its
static arguments) and calls it with as little Python in between as possible. The code has two tiers
(``TieredCode``): the jaxpr on NumPy at once, the compiled program once it has been made in the background
(``fnx.lower.background``). Called under another
transform (grad, vmap, an outer jit), it stays one unit: a ``jit`` equation holding its jaxpr, whose rules
wrap the transformed jaxpr in a new ``jit`` equation, so ``grad(jit(f))`` runs compiled code both ways.
"""
from __future__ import annotations

import functools
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from .. import numpy as fnp
from ..config import config
from ..core.array import CPU, Array, Device
from ..core.errors import ArraySizeError, ConcretizationError, DeletedArrayError, FnxTypeError, compiled_failure
from ..core.ir import ClosedJaxpr, hoist_consts
from ..core.primitive import impl_rules
from ..core.tracing import Tracer, abstractify, active_traces, eval_jaxpr, eval_jaxpr_numpy, is_tracing, trace_to_jaxpr
from ..core.tree import tree_flatten, tree_unflatten
from ..lax.calls import jit_p
from ..lax.debugging import without_callbacks
from ..lower.devices import placement, resolve, run as run_on
from ..lower.background import (arg_types, compile_in_background, match_blas_threads, start_worker,
                                wait_for_compiles)
from .autodiff.engine import instantiate, jvp_jaxpr, jvp_rules, vjp_flat, vjp_rules
from .batching.engine import batch_to_front, batching_rules, vmap
from . import debug_nans
from .static_args import static_both_ways

if TYPE_CHECKING:
    from ..lower.cpu.profile import Profile

_new_object = object.__new__
# ClosedJaxpr -> {donated inputs: TieredCode}; weak, so that a jaxpr's code goes when nothing can call it
_codes: "weakref.WeakKeyDictionary[ClosedJaxpr, dict]" = weakref.WeakKeyDictionary()
_called_once: "weakref.WeakSet[TieredCode]" = weakref.WeakSet()  # not compiling yet (block_until_compiled)
_jitted: "weakref.WeakSet[Jitted]" = weakref.WeakSet()  # every live jitted function (_check_calls_again)


class TieredCode:
    """A jaxpr's code in two tiers. ``call(*args)`` (flat NumPy inputs) runs the compiled code once it is
    ready; until then, the jaxpr on the primitives' NumPy implementations, while the compiled code is made in
    the background (``fnx.lower.background``, ``fnx.config.background_compile``; ``"off"``: the first call
    compiles and waits).

    The background compile starts at the second call (or at ``block_until_compiled``): a function called once
    gains nothing from it (a call that has started on NumPy finishes there), and a program making many
    distinct one-off jitted functions would otherwise fill its memory with their machine code, which Numba
    never frees (LLVM's MCJIT keeps every finalized object; numba/numba#5976, #7831). A training loop's
    second call follows its first at once.

    The tiers agree to float rounding: the compiled code's transcendental functions are within a few ulp of
    NumPy's (docs/vecmath.md) and its fused loops add in another order. ``listeners`` are called with each
    new ``call`` (a jitted function's entries rebind their fast path to it). The code keeps the jaxpr's parts,
    not the ClosedJaxpr that ``_codes`` is keyed by.
    """

    def __init__(self, closed: ClosedJaxpr, donated: frozenset = frozenset()):
        self.jaxpr, self.consts, self.donated, self.executable = closed.jaxpr, closed.consts, donated, None
        self.listeners: list[Callable] = []
        self.call: Callable = self._first_call
        self._arg_types: list | None = None  # what the first call passed, for a compile started before a second
        self._background_done: threading.Event | None = None
        self._eager = hoist_consts(closed) if closed.consts else ClosedJaxpr(closed.jaxpr, [])
        self._eager_consts = [np.asarray(c) for c in closed.consts]

    @property
    def closed(self) -> ClosedJaxpr:
        return ClosedJaxpr(self.jaxpr, self.consts)

    def _switch(self, call: Callable) -> None:
        self.call = call
        for listener in self.listeners:
            listener(call)

    def _first_call(self, *args):
        match_blas_threads()
        if config.background_compile == "off":
            return self.compiled().call(*args)
        if self._arg_types is None:
            self._arg_types = arg_types(self.jaxpr.in_avals, args)
            _called_once.add(self)
            _start_worker()
        else:
            self.start_compile()
        return self._first_tier(*args)

    def start_compile(self) -> None:
        """Compile in the background for the arguments of the first call (once)."""
        _called_once.discard(self)
        if self._background_done is None and self.executable is None:
            self._background_done = threading.Event()
            self._switch(self._first_tier)
            compile_in_background(self.closed, self.donated, self._arg_types, self._compiled_in_background)

    def _first_tier(self, *args) -> list:
        match_blas_threads()
        return eval_jaxpr_numpy(self._eager, *self._eager_consts, *args)

    def _compiled_in_background(self, executable) -> None:  # runs in the compiling thread
        if executable is not None:
            self.executable = executable
            self._switch(self._first_compiled_call)
        else:  # it failed: the next call compiles in the caller's thread, which shows the error as usual
            self._switch(self._compile_now)
        self._background_done.set()

    def _compile_now(self, *args):
        return self.compiled().call(*args)

    def _first_compiled_call(self, *args):
        match_blas_threads()  # in the caller's thread, between its products
        self._switch(self.executable.call)
        return self.executable.call(*args)

    def _use(self, executable) -> None:
        self.executable = executable
        self._switch(executable.call)

    def compiled(self):
        """The compiled code (an ``Executable``): waits for the background compile, or compiles now."""
        if self.executable is None and self._background_done is not None:
            self._background_done.wait()
        if self.executable is None:
            from ..lower.cpu.compile import compile_jaxpr  # imports Numba (~0.5 s): only once something is compiled
            self._use(compile_jaxpr(self.closed, self.donated))
        _called_once.discard(self)
        return self.executable


def _start_worker() -> None:
    """Start the compile worker if it will be used (at ``jit``, and before a first trace), so that its start
    (~0.7 s of CPU: Python, NumPy, Numba) overlaps what comes before the first compile: loading data, tracing,
    the first calls; idle, it compiles common kernels ahead (``fnx.lower.cpu.common_kernels``)."""
    if config.background_compile == "process" and config.cache_dir:
        try:
            start_worker()
        except OSError:  # the compile starts it again, and compiles in this process if it cannot
            pass


def _code(jaxpr: ClosedJaxpr, donated: frozenset = frozenset()) -> TieredCode:
    by_donated = _codes.setdefault(jaxpr, {})
    if donated not in by_donated:
        by_donated[donated] = TieredCode(jaxpr, donated)
    return by_donated[donated]


def block_until_compiled(timeout: float | None = None) -> bool:
    """Compile every jitted function called so far and wait until each runs its compiled code (see
    ``fnx.config``'s ``background_compile``); False if ``timeout`` seconds passed first.

    >>> import fnx, fnx.numpy as fnp
    >>> f = fnx.jit(lambda x: x * 2.0)
    >>> y = f(fnp.ones(3))            # on NumPy; a second call would start compiling f in the background
    >>> fnx.block_until_compiled()    # compiles f now; from here on, f runs native code
    True
    """
    for code in list(_called_once):
        code.start_compile()
    done = wait_for_compiles(timeout)
    match_blas_threads()
    return done


def _check_calls_again() -> None:
    """Every live jitted entry takes its call again, with or without the NaN/inf check (settings changed). With a
    check on, jitted functions trace again, recording the user's line of each equation for its report
    (``JaxprTrace.record_source``; JAX's jit cache key holds ``jax_debug_nans`` too)."""
    for by_donated in list(_codes.values()):
        for code in list(by_donated.values()):
            code._switch(code.call)
    if debug_nans.enabled():
        for jitted in list(_jitted):
            jitted._entries.clear()


config._on_debug_change.append(_check_calls_again)


def _jit_impl(*args, jaxpr, name):
    outs = _code(jaxpr).call(*args)
    return debug_nans.check(outs, jaxpr, list(args), f"jit({name})") if debug_nans.enabled() else outs


impl_rules[jit_p] = _jit_impl  # a nested jit's eager value (under eager grad) comes from its compiled code


class Lowered:
    """What ``jit(f).lower(*args)`` returns: the jaxpr, the generated Numba source, the compiled code.
    ``flat_values(*args, **kwargs)`` gives the program's flat NumPy inputs (its consts first) for ``f``'s
    arguments."""

    def __init__(self, closed: ClosedJaxpr, donated: frozenset = frozenset(), flat_values: Callable | None = None):
        self.jaxpr, self.donated, self._flat_values = closed, donated, flat_values
        self.executable = _code(closed, donated).compiled()

    def as_text(self, optimized: bool = False) -> str:
        """The jaxpr, then the Python source that Numba compiles; with ``optimized``, the program after the
        simplifications and fusion instead: one block per generated function, each item labelled ``f<n>.<i>``
        (as in ``profile``'s table), a fused loop's equations listed under its label (docs/debugging.md)."""
        if not optimized:
            return f"{self.jaxpr}\n\n{self.executable.source}"
        from ..lower.cpu.program import lower_program
        from ..lower.cpu.program_text import optimized_text
        return optimized_text(lower_program(self.jaxpr, self.donated))

    def profile(self, *args, repeat: int = 10, show: bool = True, **kwargs) -> "Profile":
        """Run the program ``repeat`` times on ``args`` (the jitted function's arguments) with a timer around
        every fused loop, kernel or BLAS call and loop of its generated functions; print the table of their
        times per call, most expensive first (unless ``show`` is False), and return it as a ``Profile`` (``.rows``,
        ``.seconds``; ``str()`` is the table). The items are those of ``as_text(optimized=True)``.

        >>> import fnx, fnx.numpy as fnp
        >>> f = fnx.jit(lambda w, x: fnp.tanh(x @ w).sum())
        >>> w, x = fnp.ones((64, 32)), fnp.ones((128, 64))
        >>> table = f.lower(w, x).profile(w, x, repeat=5, show=False)
        >>> [r.description for r in table.rows][:1]  # doctest: +SKIP
        ['dot_general f64[128,64] f64[64,32]']
        """
        from ..lower.cpu.profile import profile
        if self._flat_values is None:
            raise FnxTypeError("Lowered.profile: this Lowered was not made by jit(f).lower(...)")
        if repeat < 1:
            raise ValueError(f"Lowered.profile: repeat must be at least 1, got {repeat}")
        result = profile(self.jaxpr, self.donated, self._flat_values(args, kwargs), repeat)
        if show:
            print(result)
        return result

    def compile(self):
        """The compiled code (it is compiled when ``lower`` returns: no tier runs NumPy here)."""
        return self.executable


class _Entry:
    """One traced signature: the jaxpr (consts hoisted), its consts, its code, the output structure."""

    __slots__ = ("jaxpr", "consts", "code", "call", "out_tree", "single_output", "donated", "__weakref__")

    def __init__(self, jaxpr, consts, out_tree, donated: frozenset):
        self.jaxpr, self.consts, self.out_tree, self.code = jaxpr, consts, out_tree, None
        self.donated = donated  # positions of the flat arguments whose buffers are donated
        self.call = None  # the code's current tier, consts bound: call(*flat_values) -> outputs
        self.single_output = out_tree.num_leaves == 1 and out_tree.node_type is None

    def bind_code(self, code: TieredCode, where: str) -> None:
        """Call ``code`` from now on, following it from tier to tier; its outputs checked while ``debug_nans`` or
        ``debug_infs`` is on (``where`` names the function in the error)."""
        consts = [np.asarray(c) for c in self.consts]
        entry = weakref.ref(self)  # the code is kept by a weak dict keyed by our jaxpr: it must not keep us

        def use(call):
            me = entry()
            if me is not None:
                call = functools.partial(call, *consts) if consts else call
                me.call = debug_nans.checked(call, me.jaxpr, consts, where) if debug_nans.enabled() else call
        self.code = code
        code.listeners.append(use)  # before reading code.call: a compile may finish in between
        use(code.call)

    @property
    def executable(self):
        """The compiled code (waits for it)."""
        return self.code.compiled()


class Jitted:
    """The state of a jitted function: its compiled entries per signature, and the slow call path. What
    ``fnx.jit`` returns is ``Jitted.function()``, a plain function holding the fast path."""

    def __init__(self, fun: Callable, static_argnums: Sequence[int], static_argnames: Sequence[str],
                 donate_argnums: Sequence[int] = (), device: Device | None = None):
        self.fun, self.device = fun, device
        self.name = getattr(fun, "__name__", type(fun).__name__)  # a functools.partial has no __name__
        static_argnums, static_argnames = static_both_ways(fun, static_argnums, static_argnames)
        self.static_argnums, self.static_argnames = frozenset(static_argnums), frozenset(static_argnames)
        self.donate_argnums = frozenset(donate_argnums)
        if self.static_argnums & self.donate_argnums:
            raise FnxTypeError(f"jit({self.name}): arguments {sorted(self.static_argnums & self.donate_argnums)}"
                               " are both static and donated")
        self._entries: dict = {}
        _jitted.add(self)

    # -- the call path ---------------------------------------------------------------------------------------

    def function(self) -> Callable:
        """The jitted function: a closure rather than this object's method, since calling a plain function
        costs ~0.25 us less per call than calling an object (measured on a 10-element ``x + 1``). It carries
        ``lower`` and the entries, and calls the compiled code directly for fnx Arrays of a signature seen
        before; everything else takes the general path."""
        entries, general, with_numpy, failure = self._entries, self._general_call, self._call_with_numpy, self._failure
        traces = active_traces()  # the list itself, updated in place: testing it costs no call

        def jitted(*args, **kwargs):
            if not (kwargs or traces):
                values, key = [], []
                for a in args:
                    if type(a) is not Array:  # NumPy arrays, scalars, pytrees
                        return with_numpy(args)
                    value = a._value
                    values.append(value)
                    key.append((value.shape, value.dtype.num))
                entry = entries.get(tuple(key))
                if entry is not None:
                    try:
                        outs = entry.call(*values)
                    except Exception as e:  # free unless raised (Python 3.11's exception tables)
                        raise failure(entry, e) from e
                    if entry.single_output:
                        result = _new_object(Array)
                        result._value = outs[0]
                        return result
                    return tree_unflatten(entry.out_tree, [Array._wrap(o) for o in outs])
            return general(args, kwargs)

        def jitted_general(*args, **kwargs):  # static or donated arguments: no fast path
            return general(args, kwargs)

        wrapper = jitted_general if self.static_argnums or self.donate_argnums else jitted
        functools.update_wrapper(wrapper, self.fun)
        wrapper.lower, wrapper._entries = self.lower, self._entries
        return wrapper

    def _call_with_numpy(self, args: tuple):
        """The fast path for Arrays and NumPy arrays mixed (outputs that are views of a NumPy input are copied)."""
        values = [a._value if type(a) is Array else a for a in args]
        if all(type(v) is np.ndarray and v.dtype.isnative for v in values):  # '>f8' and '<f8' share a num
            entry = self._entries.get(tuple([(v.shape, v.dtype.num) for v in values]))
            if entry is not None:
                outs = _unaliased(self._run(entry, values), args)
                return tree_unflatten(entry.out_tree, [Array._wrap(o) for o in outs])
        return self._general_call(args, {})

    def _split(self, args: tuple, kwargs: dict):
        static = tuple((i, args[i]) for i in sorted(self.static_argnums) if i < len(args))
        static += tuple(sorted((k, v) for k, v in kwargs.items() if k in self.static_argnames))
        dynamic = ([a for i, a in enumerate(args) if i not in self.static_argnums],
                   {k: v for k, v in kwargs.items() if k not in self.static_argnames})
        return static, dynamic

    def _trace(self, static, dynamic_tree, avals):
        static_args = dict(static)

        def flat_fun(*leaves):
            dyn_args, dyn_kwargs = tree_unflatten(dynamic_tree, leaves)
            it = iter(dyn_args)
            n = len(dyn_args) + len([k for k in static_args if isinstance(k, int)])
            full = [static_args[i] if i in static_args else next(it) for i in range(n)]
            kw = {**{k: v for k, v in static_args.items() if isinstance(k, str)}, **dyn_kwargs}
            return self.fun(*full, **kw)

        closed, out_tree = trace_to_jaxpr(flat_fun, avals)
        return hoist_consts(closed), list(closed.consts), out_tree

    def _general_call(self, args: tuple, kwargs: dict):
        static, dynamic = self._split(args, kwargs)
        try:
            hash(static)
        except TypeError:
            raise FnxTypeError(f"jit({self.name}): static arguments must be hashable, got {static!r}") from None
        leaves, tree = tree_flatten(dynamic)
        avals = [abstractify(x) for x in leaves]
        key = (static, tree, tuple((a.shape, a.dtype, a.weak_type) for a in avals))
        entry = self._entries.get(key)
        if entry is None:
            if not is_tracing():
                _start_worker()  # before tracing, which it overlaps
            entry = self._entries[key] = _Entry(*self._trace(static, tree, avals), self._donated_leaves(args))
        if is_tracing() or any(isinstance(x, Tracer) for x in leaves):
            outs = jit_p.bind(*entry.consts, *leaves, jaxpr=entry.jaxpr, name=self.name)
            return tree_unflatten(entry.out_tree, outs)
        device = placement(leaves, self.device, f"jit({self.name})")
        if device is not CPU:  # another backend (no donation there)
            return tree_unflatten(entry.out_tree, run_on(entry.jaxpr, entry.consts, leaves, device))
        if entry.code is None:
            entry.bind_code(_code(entry.jaxpr, frozenset(len(entry.consts) + i for i in entry.donated)),
                            f"jit({self.name})")
            if not static and not kwargs and tree == tree_flatten(([0] * len(args), {}))[1] \
                    and not any(a.weak_type for a in avals):  # the fast path takes arrays, never Python scalars
                self._entries[tuple((a.shape, a.dtype.num) for a in avals)] = entry
        values = [_donated_value(x, a, leaves) if i in entry.donated else _value(x, a)
                  for i, (x, a) in enumerate(zip(leaves, avals))]
        outs = _unaliased(self._run(entry, values), leaves)
        for i in entry.donated:
            if type(leaves[i]) is Array:
                leaves[i].delete(f"{avals[i]} was donated to jit({self.name}) (donate_argnums)")
        return tree_unflatten(entry.out_tree, [Array._wrap(o) for o in outs])

    def _run(self, entry: _Entry, values: list) -> list:
        """``entry``'s code on ``values``, its failures described (``_failure``)."""
        try:
            return entry.call(*values)
        except Exception as e:
            raise self._failure(entry, e) from e

    def _failure(self, entry: _Entry, error: Exception) -> Exception:
        """A failure of the code (Numba's, LAPACK's, an allocation) as an error naming this function, the
        operations that can raise it and the user's line; fnx's own errors, already clear, pass unchanged."""
        if isinstance(error, (FnxTypeError, ArraySizeError, ConcretizationError, DeletedArrayError,
                              debug_nans.InvalidValueError)):
            return error
        return compiled_failure(f"jit({self.name})", entry.jaxpr.jaxpr, error)

    def _donated_leaves(self, args: tuple) -> frozenset:
        """The positions, among the flat dynamic arguments, of the leaves of the arguments in donate_argnums."""
        donated, start = [], 0
        for i, a in enumerate(args):
            if i not in self.static_argnums:
                n = len(tree_flatten(a)[0])
                if i in self.donate_argnums:
                    donated += range(start, start + n)
                start += n
        return frozenset(donated)

    def lower(self, *args, **kwargs) -> Lowered:
        """Trace and compile for these arguments; ``.as_text()`` shows the jaxpr and the generated source,
        ``.as_text(optimized=True)`` the program after simplification and fusion, ``.profile(*args)`` the time of
        each of its fused loops and calls (docs/debugging.md)."""
        static, dynamic = self._split(args, kwargs)
        leaves, tree = tree_flatten(dynamic)
        avals = [abstractify(x) for x in leaves]
        jaxpr, consts, _ = self._trace(static, tree, avals)
        consts = [np.asarray(c) for c in consts]

        def flat_values(args: tuple, kwargs: dict) -> list:
            leaves = tree_flatten(self._split(args, kwargs)[1])[0]
            if [abstractify(x) for x in leaves] != avals:
                raise FnxTypeError(f"jit({self.name}): lowered for {', '.join(map(str, avals))}, called with "
                                   f"{', '.join(str(abstractify(x)) for x in leaves)}")
            return consts + [_value(x, a) for x, a in zip(leaves, avals)]
        return Lowered(jaxpr, frozenset(len(consts) + i for i in self._donated_leaves(args)), flat_values)


def _unaliased(outs, args) -> list:
    """Outputs that may be views of the caller's (mutable) NumPy arrays, copied."""
    raw = [a for a in args if type(a) is np.ndarray]
    return [o.copy() if any(np.may_share_memory(o, a) for a in raw) else o for o in outs]


def _donated_value(x, aval, leaves: list):
    """A donated argument's buffer for the compiled code to overwrite: an Array's own when nothing else can see
    it (no view, no other reference, not passed twice, C order), else a private copy. A NumPy array is never
    overwritten."""
    value = x._value if type(x) is Array and sum(y is x for y in leaves) == 1 else None
    if type(value) is np.ndarray and value.dtype == aval.dtype and value.flags.c_contiguous \
            and value.flags.writeable and sys.getrefcount(value) <= 3:  # x._value, `value`, getrefcount's own
        base = value.base  # None, or the Numba memory record of a compiled function's output
        if base is None or (type(base).__name__ == "_MemInfo" and sys.getrefcount(base) <= 3):
            return value
    return np.array(_value(x, aval), order="C")


def _value(x, aval):
    v = x._value if type(x) is Array else x
    return v if type(v) is np.ndarray and v.dtype == aval.dtype else np.asarray(v, aval.dtype)


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), donate_argnums: int | Sequence[int] = (),
        device: Device | str | None = None, soft_placement: bool = False) -> Callable:
    """Compile ``fun`` with Numba, once per signature (shapes, dtypes, pytree structure, static values).

    ``static_argnums``/``static_argnames`` mark arguments that are Python values baked into the trace
    (they must be hashable). ``donate_argnums`` marks arguments whose buffers the compiled code may overwrite
    with outputs of the same shape and dtype (the SGD update of a training step, in place): a donated fnx
    Array is deleted by the call, and using it afterwards raises ``DeletedArrayError``; NumPy arrays passed
    there are copied, never overwritten.

    The function runs where its fnx Array inputs live (the CPU for NumPy inputs), or on ``device`` (a Device,
    ``"cpu"``, ``"gpu"``, ``"gpu:1"``); inputs on different devices are a ``DeviceError``, and so is a GPU that
    is not there, unless ``soft_placement`` (then a warning, and the CPU). Results of a GPU run stay there.

    >>> import fnx, fnx.numpy as fnp
    >>> @fnx.jit
    ... def f(x):
    ...     return fnp.tanh(x) * 2.0 + 1.0
    >>> f(fnp.zeros(3))
    Array([1., 1., 1.], dtype=float64)
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums, static_argnames=static_argnames,
                                 donate_argnums=donate_argnums, device=device, soft_placement=soft_placement)
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    donate = (donate_argnums,) if isinstance(donate_argnums, int) else tuple(donate_argnums)
    target = None if device is None else resolve(device, soft_placement, f"jit({getattr(fun, '__name__', 'f')})")
    if target is None and not is_tracing():
        _start_worker()  # a function is usually jitted before its data is ready: that time is the worker's start
    return Jitted(fun, nums, names, donate, target).function()


# ---------------------------------------------------------------------------------------------- rules

# ClosedJaxpr -> {(transform, ...): jitted function}: a jitted function's derivative or batched form is
# traced once and compiled from its second call, like any jitted function (a new jit per call would run on
# NumPy forever). The functions hold the jaxpr's parts, not the key.
_derived: "weakref.WeakKeyDictionary[ClosedJaxpr, dict]" = weakref.WeakKeyDictionary()


def _derived_jit(closed: ClosedJaxpr, key: tuple, make: Callable) -> Callable:
    """``jit(make(jaxpr, consts))``, made once per ``closed`` and ``key``."""
    by_key = _derived.setdefault(closed, {})
    if key not in by_key:
        by_key[key] = jit(make(closed.jaxpr, closed.consts))
    return by_key[key]


def _call(jaxpr, consts):
    return lambda *xs: eval_jaxpr(jaxpr, consts, *xs)


def _jvp_function(jaxpr, consts):
    n = len(jaxpr.invars)

    def jvp_fun(*xs):
        outs, touts = jvp_jaxpr(jaxpr, consts, list(xs[:n]), list(xs[n:]))
        return outs + [instantiate(t) for t in touts]
    return jvp_fun


def _backward_function(jaxpr, consts):
    n = len(jaxpr.invars)
    forward = without_callbacks(jaxpr)  # the forward call printed already

    def backward(*xs):  # recomputes the forward pass inside the compiled backward pass
        _, _, pullback = vjp_flat(_call(forward, consts), list(xs[:n]))
        return [instantiate(c) for c in pullback(list(xs[n:]))]
    return backward


def _jit_jvp(primals, tangents, *, jaxpr, name):
    tangents = [instantiate(t) for t in tangents]
    outs = _derived_jit(jaxpr, ("jvp",), _jvp_function)(*primals, *tangents)
    k = len(jaxpr.out_avals)
    return outs[:k], outs[k:]


def _jit_vjp(cts, primals, outs, *, jaxpr, name):
    cts = [fnp.zeros_like(o) if c is None else instantiate(c) for c, o in zip(cts, outs)]
    return _derived_jit(jaxpr, ("vjp",), _backward_function)(*primals, *cts)


def _jit_batch(values, dims, *, axis_size, jaxpr, name):
    values = [batch_to_front(v, d, axis_size) if d is not None else v for v, d in zip(values, dims)]
    in_axes = tuple(0 if d is not None else None for d in dims)
    batched = _derived_jit(jaxpr, ("vmap", in_axes), lambda j, c: vmap(_call(j, c), in_axes=in_axes))
    outs = batched(*values)
    return list(outs), [0] * len(outs)


jvp_rules[jit_p], vjp_rules[jit_p], batching_rules[jit_p] = _jit_jvp, _jit_vjp, _jit_batch
