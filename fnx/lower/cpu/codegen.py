"""Generate the Python source of Numba functions from jaxprs.

One jaxpr becomes one function ``def f(a0, a1, ...): ... return (out0, out1)``; a primitive's CPU rule
(``cpu_rules``, keyed by primitive) writes the lines that compute its outputs. Values of rank 0 are Numba
scalars, every other value a NumPy array. The jaxpr comes simplified (``fnx.lower.simplify``, see
``program.lower``); the clusters that ``fnx.lower.fusion`` finds (elementwise chains with their broadcasts and
reductions) become one explicit loop nest each (``write_cluster``), their elements computed by
``rules_elementwise.scalar_exprs``. Typed literals are module-level constants. Sub-jaxprs (loop bodies,
branches) become functions of their own in the same module.
"""
from __future__ import annotations

import numpy as np

from ...core.errors import FnxTypeError
from ...core.ir import ClosedJaxpr, Eqn, Jaxpr, Literal, Var
from ...core.primitive import Primitive, RuleTable
from ...lax.reductions import accumulator_dtype
from ..fusion import REDUCTIONS, Cluster, buffer_reuse, fuse, new_outputs
from ..source import Constants, literal, np_dtype, reduction_identity
from . import user_kernels
from .options import NUMBA_OPTIONS

cpu_rules = RuleTable("CPU lowering")  # prim -> rule(writer: FunctionWriter, eqn: Eqn) writing its lines


def cpu_rule(prim: Primitive):
    """Decorator: register the function as the CPU rule of ``prim``."""
    def register(f):
        cpu_rules[prim] = f
        return f
    return register

# a parallel loop's outer axis is cut into at most this many chunks, shared out among Numba's threads
PARALLEL_CHUNKS = 16
_DECORATOR_OPTIONS = ", ".join(f"{name}={value!r}" for name, value in NUMBA_OPTIONS.items())


class ModuleWriter:
    """The functions of one generated module: the jaxpr's own and those of its sub-jaxprs.

    Each function is named ``f<n>`` and each of its items (a fused cluster or an equation) ``f<n>.<i>``:
    ``function_of`` gives the function of each jaxpr written, ``parent`` the item whose code calls each function
    but the entry. A ``profiler`` (``fnx.lower.cpu.profile``) times every item; its module is not cached.
    """

    def __init__(self, profiler=None) -> None:
        self.functions: list[str] = []  # each with its decorator
        self.count = 0
        self.constants = Constants()
        self.function_of: dict[int, str] = {}  # id(jaxpr) -> the name of the function computing it
        self.parent: dict[str, str] = {}  # function name -> the label of the item calling it
        self.item = ""  # the label of the item being written
        self.profiler = profiler

    def constant(self, text: str) -> str:
        """A module-level name for a typed literal such as ``np.float32(0.5)`` (``fnx.lower.source``)."""
        return self.constants.name(text)

    def add_jaxpr(self, jaxpr: Jaxpr, donated: frozenset = frozenset()) -> str:
        """Write a function computing ``jaxpr`` (constvars first, then invars); return its name. The inputs at
        the positions ``donated`` may be overwritten."""
        return self._add_fused(jaxpr, fuse(jaxpr), donated)

    def add_loop_body(self, jaxpr: Jaxpr, first_carry: int, num_carry: int) -> tuple[str, list[bool]]:
        """Write a loop body (inputs: constants, carries from ``first_carry``, step inputs); return its name and,
        per carry, whether the loop owns it. An owned carry is returned by the body as memory of its own (not
        an input or a view of one: ``fusion.new_outputs``), so once the loop has copied it before the first
        step, the body may update it in place: it is compiled as donated."""
        items = fuse(jaxpr)
        owned = [new and v.aval.shape != () for new, v in
                 zip(new_outputs(jaxpr, items)[:num_carry], jaxpr.outvars)]
        donated = frozenset(first_carry + i for i, own in enumerate(owned) if own)
        return self._add_fused(jaxpr, items, donated), owned

    def _add_fused(self, jaxpr: Jaxpr, items: list, donated: frozenset) -> str:
        name, caller = f"f{self.count}", self.item
        self.count += 1
        self.function_of[id(jaxpr)], self.parent[name] = name, caller
        self.add_function(FunctionWriter(self, name).write(jaxpr, items, donated))
        self.item = caller
        return name

    def add_function(self, text: str, parallel: bool = False) -> None:
        """Add a function's source; ``parallel`` compiles it with Numba's ``parallel=True`` (for prange)."""
        options = _DECORATOR_OPTIONS + (", parallel=True" if parallel else "")
        if self.profiler is not None:  # in memory: its timers' counters are at an address of this process
            options = options.replace("cache=True", "cache=False")
        self.functions.append(f"@numba.njit({options})\n{text}")

    def source(self) -> str:
        body = "".join(f"\n\n{f}" for f in self.functions) + "\n"
        if "numba.objmode()" in body:  # a debug callback takes the GIL: no function of the module releases it
            body = body.replace("nogil=True", "nogil=False")
        # only the kernel modules the code uses: importing vecmath costs ~0.06 s, kernels_arrays ~0.03 s
        optional = (("kernels_arrays", "ka"), ("kernels_collectives", "kc"), ("kernels_decompositions", "kd"),
                    ("host_callbacks", "hc"), ("kernels_fft", "kf"), ("threads", "th"), ("timers", "pf"),
                    ("vecmath", "vm"))
        modules = ["kernels as k"] + [f"{m} as {a}" for m, a in optional if f"{a}." in body]
        header = ("# Generated by fnx from a jaxpr: do not edit.\nimport numpy as np\nimport numba\n"
                  f"from fnx.lower.cpu import {', '.join(modules)}\n") + user_kernels.header(body)
        return header + self.constants.source() + body


class FunctionWriter:
    """Writes the body of one function: names for variables, typed literals, and lines of code."""

    def __init__(self, module: ModuleWriter, name: str):
        self.module, self.name = module, name
        self.names: dict[int, str] = {}
        self.lines: list[str] = []
        self.temp_count = 0
        self.c_contiguous: set[str] = set()  # names of arrays known to be C-contiguous
        self.reuse: dict[int, Var] = {}  # a cluster output -> the donated input whose buffer it is written to
        self.loop_read: set[int] = set()  # values that only loops read, element by element
        self.narrowed: dict[int, str] = {}  # a reduction kept in its wider accumulator -> the cast its loads add

    def write(self, jaxpr: Jaxpr, items: list, donated: frozenset = frozenset()) -> str:
        """The source of the function computing ``jaxpr``, whose equations ``fuse`` grouped into ``items``."""
        inputs = jaxpr.constvars + jaxpr.invars
        params = [self.define(v, "a") for v in inputs]
        self.reuse = buffer_reuse(jaxpr, items, [inputs[i] for i in sorted(donated)])
        self.loop_read = _loop_read(jaxpr, items)
        profiler = self.module.profiler
        for n, item in enumerate(items):
            self.module.item = f"{self.name}.{n}"
            start = profiler.start(self, item) if profiler is not None else None
            self.write_item(item)
            if profiler is not None:
                profiler.stop(self, start)
        outs = [self.atom(v) for v in jaxpr.outvars]
        body = "\n".join("    " + line for line in self.lines)
        returns = "(" + "".join(f"{o}, " for o in outs) + ")"
        return f"def {self.name}({', '.join(params)}):\n{body}\n    return {returns}" if body else \
            f"def {self.name}({', '.join(params)}):\n    return {returns}"

    def write_item(self, item) -> None:
        """The lines computing one item of ``fuse``: a cluster's loop nest, or an equation by its CPU rule."""
        if isinstance(item, Cluster):
            self.write_cluster(item)
            return
        rule = cpu_rules.get(item.primitive)
        if rule is None:
            raise FnxTypeError(f"jit: the primitive '{item.primitive.name}' has no CPU lowering rule yet")
        rule(self, item)

    def define(self, v: Var, prefix: str = "v") -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[id(v)] = name
        return name

    def temp(self) -> str:
        self.temp_count += 1
        return f"t{self.temp_count}"

    def atom(self, x) -> str:
        """The expression for an input: a variable's name or a typed literal."""
        if isinstance(x, Literal):
            return self.module.constant(literal(x.val, x.aval.dtype))
        return self.names[id(x)]

    def shape(self, shape: tuple) -> str:
        """A shape as a kernel argument (``k.empty``, ``k.full``): a module constant, a tuple of int64. A literal
        ``(128, 512)`` would make Numba specialize the kernel for that very shape."""
        return self.module.constant("(" + "".join(f"np.int64({int(n)}), " for n in shape) + ")")

    def empty(self, shape: tuple, dtype) -> str:
        """A new array of ``shape``: ``k.empty``, an intrinsic (``np.empty`` in the generated function would
        compile Numba's implementation of it again in every process)."""
        return f"k.empty({self.shape(shape)}, {np_dtype(np.dtype(dtype))})"

    def full(self, shape: tuple, value: str, dtype) -> str:
        """A new array of ``shape`` filled with the expression ``value``: ``k.full``, for the same reason."""
        return f"k.full({self.shape(shape)}, {value}, {np_dtype(np.dtype(dtype))})"

    def contiguous(self, x) -> str:
        """The expression of ``x`` as a C-contiguous array (a copy only when it may not be one already)."""
        name = self.atom(x)
        return name if name in self.c_contiguous else f"k.contiguous({name})"

    def assign_contiguous(self, v: Var, expr: str) -> str:
        """``assign`` for an expression known to give a C-contiguous array (a new one, or a reshape of one)."""
        name = self.assign(v, expr)
        self.c_contiguous.add(name)
        return name

    def alias(self, v: Var, x) -> None:
        """Name ``v`` by the expression of ``x``: a value that needs no code of its own."""
        self.names[id(v)] = self.atom(x)

    def line(self, text: str) -> None:
        self.lines.append(text)

    def assign(self, v: Var, expr: str) -> str:
        """``name = expr`` for an output variable; returns its name."""
        name = self.define(v)
        self.line(f"{name} = {expr}")
        return name

    def write_cluster(self, cluster: Cluster) -> None:
        """One loop nest over the cluster's shape computing all its equations element by element; a large one
        runs its outer loop on several threads, in a function of its own (see ``config.parallel_loops``)."""
        shape = cluster.shape
        if all(_fills(eqn) for eqn in cluster.eqns):  # constants: no loop needed
            for eqn in cluster.eqns:
                out = eqn.outvars[0]
                self.assign_contiguous(out, self.full(shape, self.atom(eqn.invars[0]), out.aval.dtype))
            return
        self._allocate_outputs(cluster)
        if 0 not in shape:
            if _parallel(cluster):
                self._write_parallel_loops(cluster)
            else:
                self._write_loops(cluster)
        for eqn in cluster.eqns:
            if eqn.primitive in REDUCTIONS and not _stored_per_row(eqn, len(shape)):
                self._narrow(eqn.outvars[0], _accumulator(eqn))

    def _write_parallel_loops(self, cluster: Cluster) -> None:
        """The loop nest in a function of its own over rows ``lo`` to ``hi`` of the outer axis, called through
        ``th.run_serial`` (never inlined: see there): over every row here while the load leaves one thread for
        loops (``fnx.lower.loop_threads``), and otherwise over chunks of rows in a ``parallel=True`` function's
        prange (starting a parallel loop costs tens of microseconds). The functions take the cluster's inputs
        and its (allocated) outputs, under the names they have here."""
        sub = FunctionWriter(self.module, f"{self.name}_loop{self.temp_count}")
        self.temp_count += 1
        for x in [x for eqn in cluster.eqns for x in eqn.invars] + cluster.outputs:
            if isinstance(x, Var) and id(x) in self.names:
                sub.names[id(x)] = self.names[id(x)]
        sub.narrowed = self.narrowed
        sub._write_loops(cluster, rows=("lo", "hi"))
        args = ", ".join(dict.fromkeys(sub.names.values()))
        self.module.add_function(f"def {sub.name}({args}, lo, hi):\n" + "\n".join("    " + line for line in sub.lines))
        rows = cluster.shape[0]
        size = -(-rows // min(rows, PARALLEL_CHUNKS))
        self.module.add_function(
            f"def {sub.name}_chunks({args}):\n    for chunk in numba.prange({-(-rows // size)}):\n"
            f"        th.run_serial({sub.name}, ({args}, chunk * {size}, min({rows}, (chunk + 1) * {size})))",
            parallel=True)
        self.line("if th.use_loop_threads() > 1:")
        self.line(f"    {sub.name}_chunks({args})")
        self.line("else:")
        self.line(f"    th.run_serial({sub.name}, ({args}, 0, {rows}))")

    def _allocate_outputs(self, cluster: Cluster) -> None:
        """Before the loop: the outputs' arrays (or donated buffers), the reductions' starting values."""
        for v, eqn in zip(cluster.outputs, _producers(cluster)):
            if eqn.primitive in REDUCTIONS:
                self._start_reduction(eqn)
            elif id(v) in self.reuse:
                self.alias(v, self.reuse[id(v)])
            else:
                self.line(f"{self.define(v)} = {self.empty(cluster.shape, v.aval.dtype)}")
                self.c_contiguous.add(self.names[id(v)])

    def _write_loops(self, cluster: Cluster, rows: tuple[str, str] | None = None) -> None:
        """The loop nest computing and storing the cluster's values; with ``rows`` (the names of two arguments
        ``lo``, ``hi``) over those rows of the outer axis only."""
        from .rules_elementwise import scalar_exprs
        shape = cluster.shape
        index = [self.temp() for _ in shape]
        at = "[" + ", ".join(index) + "]"
        reductions = [eqn for eqn in cluster.eqns if eqn.primitive in REDUCTIONS]
        partial = {id(eqn): self.temp() for eqn in reductions if 0 < _reduced_suffix(eqn, len(shape)) < len(shape)}
        for depth, (i, n) in enumerate(zip(index, shape)):
            for eqn in reductions:  # a partial result over the innermost loops starts before them
                if id(eqn) in partial and _reduced_suffix(eqn, len(shape)) == depth:
                    self.line("    " * depth + f"{partial[id(eqn)]} = {self._identity(eqn)}")
            if depth == 0 and rows is not None:  # non-negative, as an index into range(n) would be
                self.line(f"for {i}_ in range({rows[0]}, {rows[1]}):")
                self.line(f"    {i} = th.nonneg({i}_)")
            else:
                self.line("    " * depth + f"for {i} in range({n}):")
        pad = "    " * len(shape)
        local: dict[int, str] = {}

        def element(x) -> str:
            if isinstance(x, Literal) or x.aval.shape == ():
                return self.atom(x)
            return local.get(id(x)) or self._load(x, at)

        outputs, stores = {id(v) for v in cluster.outputs}, []
        for eqn in cluster.eqns:
            out = eqn.outvars[0]
            if eqn.primitive in REDUCTIONS:
                self._accumulate(eqn, partial.get(id(eqn)) or self._target(eqn, index), element(eqn.invars[0]), pad)
                continue
            if eqn.primitive.name == "broadcast_in_dim":
                expr = self._broadcast_load(eqn, index)
            else:
                expr = scalar_exprs[eqn.primitive](eqn, [element(x) for x in eqn.invars])
            local[id(out)] = self.temp()
            self.line(f"{pad}{local[id(out)]} = {expr}")
            if id(out) in outputs:
                stores.append(f"{pad}{self.names[id(out)]}{at} = {local[id(out)]}")
        self.lines += stores  # after every load of the iteration: an output may overwrite a donated input
        for eqn in sorted(reductions, key=lambda e: -_reduced_suffix(e, len(shape))):  # after their loops
            pad = "    " * _reduced_suffix(eqn, len(shape))
            if _stored_per_row(eqn, len(shape)):  # the row's result is complete: stored once, in its dtype
                dtype, row = eqn.outvars[0].aval.dtype, partial[id(eqn)]
                self.line(f"{pad}{self._target(eqn, index)} = " +
                          (row if _accumulator(eqn) == dtype else f"{np_dtype(dtype)}({row})"))
            elif id(eqn) in partial:
                self._accumulate(eqn, self._target(eqn, index), partial[id(eqn)], pad)

    def _load(self, x: Var, at: str) -> str:
        """An element of array ``x`` at the loop position ``at`` (``[t1, t2]``), rounded if ``x`` is a reduction
        kept in its wider accumulator."""
        load = f"{self.atom(x)}{at}"
        return f"{self.narrowed[id(x)]}({load})" if id(x) in self.narrowed else load

    def _identity(self, eqn: Eqn) -> str:
        dtype = _accumulator(eqn)
        return self.module.constant(literal(reduction_identity(eqn.primitive.name, dtype), dtype))

    def _start_reduction(self, eqn: Eqn) -> None:
        """Before the loop: the reduction's accumulator (an array of the kept axes, or a scalar, in the
        accumulator dtype) set to its identity; ``_narrow`` makes it the result after the loop."""
        out, init = eqn.outvars[0].aval, self._identity(eqn)
        name = self.define(eqn.outvars[0])
        if out.shape == ():
            self.line(f"{name} = {init}")
        elif _stored_per_row(eqn, len(eqn.invars[0].aval.shape)):
            self.line(f"{name} = {self.empty(out.shape, out.dtype)}")
            self.c_contiguous.add(name)
        else:
            self.line(f"{name} = {self.full(out.shape, init, _accumulator(eqn))}")
            self.c_contiguous.add(name)

    def _narrow(self, v: Var, accumulator: np.dtype) -> None:
        """After the loop: a reduction's result rounded from its wider accumulator (float32 sums), if it has
        one. An array that only loops read stays wide, each load rounding its element (``_load``); otherwise an
        element loop over the kept axes writes it, since ``.astype`` would compile Numba's generic version.
        Each loop nest costs ~0.05 s of compile (Numba's lowering and LLVM)."""
        dtype = v.aval.dtype
        if accumulator == dtype:
            return
        if v.aval.shape != () and id(v) in self.loop_read:
            self.narrowed[id(v)] = np_dtype(dtype)
            return
        wide, name = self.names[id(v)], self.temp()
        if v.aval.shape == ():
            self.line(f"{name} = {np_dtype(dtype)}({wide})")
        else:
            index = [self.temp() for _ in v.aval.shape]
            at = "[" + ", ".join(index) + "]"
            self.line(f"{name} = {self.empty(v.aval.shape, dtype)}")
            for depth, (i, n) in enumerate(zip(index, v.aval.shape)):
                self.line("    " * depth + f"for {i} in range({n}):")
            self.line("    " * len(index) + f"{name}{at} = {np_dtype(dtype)}({wide}{at})")
            self.c_contiguous.add(name)
        self.names[id(v)] = name

    def _target(self, eqn: Eqn, index: list) -> str:
        """The reduction result's element at the kept axes' loop position."""
        kept = [i for d, i in enumerate(index) if d not in eqn.params["axes"]]
        return self.names[id(eqn.outvars[0])] + (f"[{', '.join(kept)}]" if kept else "")

    def _accumulate(self, eqn: Eqn, target: str, value: str, pad: str) -> None:
        """``target = target (+, *, max or min) value`` in the reduction's dtype."""
        dtype = eqn.outvars[0].aval.dtype
        combined = _ACCUMULATE[eqn.primitive.name].format(target, value)
        if dtype.kind in "iu":  # Numba widens small integers; floats and bools keep their type
            combined = f"{np_dtype(dtype)}({combined})"
        self.line(f"{pad}{target} = {combined}")

    def _broadcast_load(self, eqn: Eqn, index: list) -> str:
        """The element of a broadcast operand that lands at the loop position ``index``."""
        x = eqn.invars[0]
        if isinstance(x, Literal) or x.aval.shape == ():
            return self.atom(x)
        dims = eqn.params["broadcast_dimensions"]
        parts = ["0" if n == 1 else index[d] for n, d in zip(x.aval.shape, dims)]
        return self._load(x, f"[{', '.join(parts)}]")

    def sub_function(self, closed: ClosedJaxpr) -> str:
        """The name of a module function computing a (const-free) sub-jaxpr."""
        return self.module.add_jaxpr(closed.jaxpr)


_ACCUMULATE = {"reduce_sum": "{0} + {1}", "reduce_prod": "{0} * {1}", "reduce_max": "np.maximum({0}, {1})",
               "reduce_min": "np.minimum({0}, {1})"}


def _accumulator(eqn: Eqn) -> np.dtype:
    """The dtype a fused reduction accumulates in (``lax.reductions.accumulator_dtype``)."""
    return accumulator_dtype(eqn.primitive.name, eqn.outvars[0].aval.dtype)


def _reduced_suffix(eqn: Eqn, rank: int) -> int:
    """The loop depth from which every loop runs over a reduced axis (``rank`` if the last axis is kept).

    A reduction accumulates the innermost of those loops in a scalar (a register, so the loop vectorizes)
    and combines it into the result once per position of the outer loops.
    """
    depth = rank
    while depth > 0 and depth - 1 in eqn.params["axes"]:
        depth -= 1
    return depth


def _stored_per_row(eqn: Eqn, rank: int) -> bool:
    """Whether reduction ``eqn`` over a value of ``rank`` reduces exactly its innermost axes, keeping some: each
    row's result is then complete after its inner loops (an accumulator scalar) and is stored once, rounded
    to the result's dtype, rather than combined into an array of the accumulator's dtype (its identity
    combined with the row's result is that result, so the values are the same)."""
    suffix = _reduced_suffix(eqn, rank)
    return 0 < suffix < rank and len(eqn.params["axes"]) == rank - suffix


def _loop_read(jaxpr: Jaxpr, items: list) -> set[int]:
    """Ids of the array values that only fused loops read (no equation's rule, no output of ``jaxpr``)."""
    loop_inputs, other = set(), {id(v) for v in jaxpr.outvars if isinstance(v, Var)}
    for item in items:
        eqns = item.eqns if isinstance(item, Cluster) else [item]
        target = loop_inputs if isinstance(item, Cluster) else other
        target.update(id(x) for eqn in eqns for x in eqn.invars if isinstance(x, Var))
    return loop_inputs - other


def _parallel(cluster: Cluster) -> bool:
    """Whether the cluster's outer loop runs on several threads: it is large enough (``config.parallel_loops``
    elements, 0 meaning never) and no reduction adds up across that loop (each thread writes its own rows)."""
    from ...config import config
    size = int(np.prod(cluster.shape, dtype=np.int64))
    return 0 < config.parallel_loops <= size and len(cluster.shape) > 0 and \
        not any(eqn.primitive in REDUCTIONS and 0 in eqn.params["axes"] for eqn in cluster.eqns)


def _fills(eqn: Eqn) -> bool:
    """Whether ``eqn`` broadcasts a scalar (to an array filled with it)."""
    x = eqn.invars[0]
    return eqn.primitive.name == "broadcast_in_dim" and (isinstance(x, Literal) or x.aval.shape == ())


def _producers(cluster: Cluster) -> list:
    """The equation computing each of the cluster's outputs, in order."""
    by_output = {id(e.outvars[0]): e for e in cluster.eqns}
    return [by_output[id(v)] for v in cluster.outputs]


def write_module(jaxpr: Jaxpr, donated: frozenset = frozenset(), module: ModuleWriter | None = None
                 ) -> tuple[str, str]:
    """The module source for a simplified jaxpr whose consts are passed as leading arguments, and the entry's
    name: each (sub-)jaxpr fused and written as a function (by ``module``, a new ModuleWriter by default).

    ``donated``: positions of inputs whose buffers may hold outputs (see ``fnx.lower.fusion.buffer_reuse``).
    """
    module = module or ModuleWriter()
    entry = module.add_jaxpr(jaxpr, donated)
    return module.source(), entry
