"""The sources of the CUDA kernels of fused clusters (``fnx.lower.fusion``): one map kernel for a cluster's
elementwise outputs, one reduction kernel per reduction.

Every kernel argument is a flat, C-contiguous 1-d view of a value, so a position is one integer. A map kernel
runs a grid-stride loop over the cluster's elements; an operand broadcast into the cluster is read at the
position that index arithmetic on the loop index gives (its shape and the cluster's are constants in the
source). A reduction kernel gives each block one (kept position, part of the reduced range): its threads
accumulate strided elements in a register, then combine them in shared memory by a tree (``THREADS`` a power
of two); a full or long reduction splits the reduced range over several blocks, whose partial results a second
pass (``second_pass_source``) combines the same way.
"""
from __future__ import annotations

import numpy as np

from ...core.ir import Eqn, Literal
from ..fusion import REDUCTIONS, Cluster
from ..source import Constants, literal, reduction_identity
from .rules_elementwise import cuda_exprs, numba_type

_COMBINE = {"reduce_sum": "{0} + {1}", "reduce_prod": "{0} * {1}",
            "reduce_max": "({0} if ({0} >= {1} or {0} != {0}) else {1})",  # NaN wins, as in NumPy
            "reduce_min": "({0} if ({0} <= {1} or {0} != {0}) else {1})"}


def strides(shape: tuple) -> list[int]:
    """C-order strides of ``shape``, in elements."""
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= n
    return out[::-1]


def combine(name: str, a: str, b: str, dtype: np.dtype) -> str:
    """``a`` and ``b`` combined by the reduction ``name``, pinned to its dtype (Numba widens small integers)."""
    expr = _COMBINE[name].format(a, b)
    return expr if dtype == np.bool_ else f"{numba_type(dtype)}({expr})"


class KernelWriter:
    """The source of one kernel over a cluster's positions: ``def <name>(<arguments>): <lines>``."""

    def __init__(self, cluster: Cluster, name: str):
        self.cluster, self.name = cluster, name
        self.constants = Constants()
        self.args: dict[int, str] = {}  # id(input var) -> its argument's name
        self.inputs: list = []  # the input vars, in argument order
        self.lines: list[str] = []
        self.count = 0

    def temp(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def arg(self, v) -> str:
        if id(v) not in self.args:
            self.args[id(v)] = f"a{len(self.args)}"
            self.inputs.append(v)
        return self.args[id(v)]

    def constant(self, value, dtype) -> str:
        return self.constants.name(literal(value, np.dtype(dtype)))

    def elements(self, position: str, pad: str, needed: list) -> dict:
        """Lines computing the cluster's equations ``needed`` at the flat ``position``; id(var) -> local name."""
        shape, local, index = self.cluster.shape, {}, {}

        def axis_index(d: int) -> str:  # the loop position's index along axis d of the cluster's shape
            if d not in index:
                index[d] = self.temp()
                self.lines.append(f"{pad}{index[d]} = ({position} // {strides(shape)[d]}) % {shape[d]}")
            return index[d]

        def element(x) -> str:
            if isinstance(x, Literal):
                return self.constant(x.val, x.aval.dtype)
            if id(x) in local:
                return local[id(x)]
            return f"{self.arg(x)}[0]" if x.aval.shape == () else f"{self.arg(x)}[{position}]"

        for eqn in needed:
            if eqn.primitive.name == "broadcast_in_dim":
                expr = self._broadcast(eqn, axis_index, element)
            else:
                expr = cuda_exprs[eqn.primitive](eqn, [element(x) for x in eqn.invars])
            local[id(eqn.outvars[0])] = self.temp()
            self.lines.append(f"{pad}{local[id(eqn.outvars[0])]} = {expr}")
        return local

    def _broadcast(self, eqn: Eqn, axis_index, element) -> str:
        x = eqn.invars[0]
        if isinstance(x, Literal) or x.aval.shape == ():
            return element(x)
        dims, xs = eqn.params["broadcast_dimensions"], strides(x.aval.shape)
        terms = [f"{axis_index(d)} * {s}" for n, d, s in zip(x.aval.shape, dims, xs) if n != 1]
        return f"{self.arg(x)}[{' + '.join(terms) or '0'}]"

    def source(self, params: list[str]) -> str:
        body = "\n".join(self.lines)
        return f"{self.constants.source()}\ndef {self.name}({', '.join(params + [self.args[id(v)] for v in self.inputs])}):\n{body}\n"


def feeding(cluster: Cluster, wanted: list) -> list:
    """The cluster's non-reduction equations that the values ``wanted`` depend on, in order."""
    producer = {id(e.outvars[0]): e for e in cluster.eqns if e.primitive not in REDUCTIONS}
    needed, stack = set(), [id(v) for v in wanted]
    while stack:
        eqn = producer.get(stack.pop())
        if eqn is not None and id(eqn) not in needed:
            needed.add(id(eqn))
            stack += [id(x) for x in eqn.invars if not isinstance(x, Literal)]
    return [e for e in cluster.eqns if id(e) in needed]


def map_kernel(cluster: Cluster, outputs: list) -> tuple[str, list]:
    """The source of kernel ``k(n, out0, ..., a0, ...)`` storing the cluster's ``outputs`` (elementwise values)
    at every position below ``n``, and its input vars in argument order."""
    w = KernelWriter(cluster, "k")
    w.lines += ["    i = cuda.grid(1)", "    while i < n:"]
    local = w.elements("i", "        ", feeding(cluster, outputs))
    w.lines += [f"        o{j}[i] = {local[id(v)]}" for j, v in enumerate(outputs)]
    w.lines.append("        i += cuda.gridsize(1)")
    return w.source(["n"] + [f"o{j}" for j in range(len(outputs))]), w.inputs


def reduction_kernel(cluster: Cluster, eqn: Eqn, threads: int) -> tuple[str, list]:
    """The source of kernel ``k(kept, parts, out, a0, ...)`` reducing the cluster's value ``eqn.invars[0]``
    over ``eqn.params["axes"]``: block (o, p) combines the part p of kept position o's reduced elements into
    ``out[o * parts + p]``; the grid-stride loop over o lets any grid cover every position."""
    shape, axes = cluster.shape, sorted(eqn.params["axes"])
    kept_axes = [d for d in range(len(shape)) if d not in axes]
    name, dtype = eqn.primitive.name, eqn.outvars[0].aval.dtype
    w = KernelWriter(cluster, "k")
    total = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    identity = w.constant(reduction_identity(name, dtype), dtype)
    w.lines += [f"    cache = cuda.shared.array({threads}, {numba_type(dtype)})",
                "    t = cuda.threadIdx.x", "    p = cuda.blockIdx.y", "    o = cuda.blockIdx.x",
                "    while o < kept:", f"        acc = {identity}", f"        r = p * {threads} + t",
                f"        while r < {total}:"]
    pad = "            "
    w.lines.append(f"{pad}i = {position(shape, kept_axes, 'o', strides([shape[d] for d in kept_axes]))}"
                   f" + {position(shape, axes, 'r', strides([shape[d] for d in axes]))}")
    local = w.elements("i", pad, feeding(cluster, [eqn.invars[0]]))
    x = eqn.invars[0]
    value = local.get(id(x)) or (f"{w.arg(x)}[i]" if not isinstance(x, Literal) else w.constant(x.val, dtype))
    w.lines += [f"{pad}acc = {combine(name, 'acc', value, dtype)}", f"{pad}r += parts * {threads}"]
    w.lines += _tree("        ", name, dtype, threads, "out[o * parts + p]")
    w.lines.append("        o += cuda.gridDim.x")
    return w.source(["kept", "parts", "out"]), w.inputs


def position(shape: tuple, axes: list, counter: str, sub_strides: list) -> str:
    """The flat position in ``shape`` of the ``counter``-th element (C order) of the sub-array along ``axes``
    (whose own C-order strides are ``sub_strides``): 0 for no axes."""
    full = strides(shape)
    terms = [f"(({counter} // {s}) % {shape[d]}) * {full[d]}" for d, s in zip(axes, sub_strides)]
    return " + ".join(terms) or "0"


def _tree(pad: str, name: str, dtype, threads: int, target: str) -> list[str]:
    """Lines combining each thread's ``acc`` in shared memory by halves; thread 0 stores the block's result."""
    lines = [f"{pad}cache[t] = acc", f"{pad}cuda.syncthreads()", f"{pad}half = {threads // 2}",
             f"{pad}while half > 0:", f"{pad}    if t < half:",
             f"{pad}        cache[t] = {combine(name, 'cache[t]', 'cache[t + half]', dtype)}",
             f"{pad}    cuda.syncthreads()", f"{pad}    half //= 2",
             f"{pad}if t == 0:", f"{pad}    {target} = cache[0]", f"{pad}cuda.syncthreads()"]
    return lines


def second_pass_source(name: str, dtype: np.dtype, threads: int) -> str:
    """The source of kernel ``k(kept, parts, out, partial)``: ``out[o]`` combines ``partial[o * parts:(o + 1) *
    parts]``, one block per kept position."""
    constants = Constants()
    identity = constants.name(literal(reduction_identity(name, dtype), dtype))
    lines = [f"    cache = cuda.shared.array({threads}, {numba_type(dtype)})", "    t = cuda.threadIdx.x",
             "    o = cuda.blockIdx.x", "    while o < kept:", f"        acc = {identity}", "        r = t",
             "        while r < parts:", f"            acc = {combine(name, 'acc', 'partial[o * parts + r]', dtype)}",
             f"            r += {threads}"]
    lines += _tree("        ", name, dtype, threads, "out[o]") + ["        o += cuda.gridDim.x"]
    return f"{constants.source()}\ndef k(kept, parts, out, partial):\n" + "\n".join(lines) + "\n"
