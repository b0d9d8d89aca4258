"""CUDA rules of the reductions.

Sums, products, maxima and minima over axes are clusters (``fnx.lower.fusion``) whose kernels
``kernel_writer.reduction_kernel`` writes (a block tree reduction in shared memory, and a second pass); what
reaches their rule here reduces no axis and is its operand. all/any are the min/max of booleans, as clusters
of their own. The arg-reductions are block tree reductions of (value, index) pairs, one block per kept
position: the first maximum (minimum) wins, a NaN before anything, as in NumPy. The cumulative reductions give
each line along the axis to one thread, which runs along it (a parallel scan per line would serve long lines
better; it is not written yet), accumulating float32 sums and products in float64 as the CPU backend does.
"""
from __future__ import annotations

import math

from ...core.ir import Eqn
from ...lax import reductions as rd
from ..fusion import REDUCTIONS, Cluster
from ..source import Constants, literal, reduction_identity
from . import runtime
from .kernel_writer import combine, position, strides
from .rules import cuda_rule, cuda_rules
from .rules_elementwise import numba_type
from .steps import ClusterStep, IndexStep, Step, ViewStep, flat


def _no_axes(eqn: Eqn, program) -> ViewStep:
    return ViewStep(eqn.invars[0], eqn.outvars[0])


cuda_rules.update({prim: _no_axes for prim in REDUCTIONS})


def _boolean(as_prim):
    def rule(eqn: Eqn, program) -> Step:
        if not eqn.params["axes"]:
            return ViewStep(eqn.invars[0], eqn.outvars[0])
        same = Eqn(as_prim, eqn.invars, eqn.outvars, eqn.params)
        return ClusterStep(Cluster(eqn.invars[0].aval.shape, [same], list(eqn.outvars)))
    return rule


cuda_rules[rd.reduce_and_p], cuda_rules[rd.reduce_or_p] = _boolean(rd.reduce_min_p), _boolean(rd.reduce_max_p)


def _line_start(shape: tuple, axis: int, counter: str) -> str:
    """The flat position in ``shape`` of the first element of line ``counter`` along ``axis``."""
    kept = [d for d in range(len(shape)) if d != axis]
    return position(shape, kept, counter, strides([shape[d] for d in kept]))


class ArgStep(Step):
    """argmax / argmin along one axis: one block per kept position (grid-strided), a tree over index pairs."""

    def __init__(self, eqn: Eqn):
        self.inputs, self.outputs = list(eqn.invars), list(eqn.outvars)
        x, axis = eqn.invars[0], eqn.params["axis"]
        shape, dtype, threads = x.aval.shape, x.aval.dtype, runtime.THREADS
        n, step = shape[axis], strides(shape)[axis]
        cmp = ">" if eqn.primitive is rd.argmax_p else "<"
        # (v, j) beats (w, m): a better value, a NaN against a number, or an equal (or NaN) value earlier
        beats = (f"({{0}} {cmp} {{2}} or ({{0}} != {{0}} and {{2}} == {{2}}) or "
                 f"(({{0}} == {{2}} or ({{0}} != {{0}} and {{2}} != {{2}})) and {{1}} < {{3}}))")
        lines = [f"    vs = cuda.shared.array({threads}, {numba_type(dtype)})",
                 f"    js = cuda.shared.array({threads}, nb.int64)", "    t = cuda.threadIdx.x", "    o = cuda.blockIdx.x",
                 "    while o < kept:", f"        start = {_line_start(shape, axis, 'o')}",
                 "        v = x[start]", "        j = 0", "        r = t", f"        while r < {n}:",
                 f"            w = x[start + r * {step}]", f"            if {beats.format('w', 'r', 'v', 'j')}:",
                 "                v = w", "                j = r", f"            r += {threads}",
                 "        vs[t] = v", "        js[t] = j", "        cuda.syncthreads()", f"        half = {threads // 2}",
                 "        while half > 0:",
                 f"            if t < half and {beats.format('vs[t + half]', 'js[t + half]', 'vs[t]', 'js[t]')}:",
                 "                vs[t] = vs[t + half]", "                js[t] = js[t + half]",
                 "            cuda.syncthreads()", "            half //= 2",
                 "        if t == 0:", "            out[o] = js[0]", "        cuda.syncthreads()",
                 "        o += cuda.gridDim.x"]
        self.kept = math.prod(eqn.outvars[0].aval.shape)
        self.flops = math.prod(shape)
        self.source = "def k(kept, out, x):\n" + "\n".join(lines) + "\n"

    def run(self, values: list) -> list:
        out_aval = self.outputs[0].aval
        out = runtime.pool().take(out_aval.shape, out_aval.dtype)
        if self.kept:
            kernel = runtime.compile_kernel(self.source, "k")
            kernel[min(self.kept, runtime.MAX_BLOCKS), runtime.THREADS](self.kept, flat(out), flat(values[0]))
        return [out]


cuda_rules[rd.argmax_p] = cuda_rules[rd.argmin_p] = lambda eqn, program: ArgStep(eqn)

_CUMULATIVE = {"cumsum": "reduce_sum", "cumprod": "reduce_prod", "cummax": "reduce_max", "cummin": "reduce_min"}


def _cumulative(eqn: Eqn, program) -> IndexStep:
    """One thread per line along the axis (grid-strided), accumulating in order (or in reverse)."""
    x, axis, reverse = eqn.invars[0], eqn.params["axis"], eqn.params["reverse"]
    shape, dtype = x.aval.shape, x.aval.dtype
    name, n, step = _CUMULATIVE[eqn.primitive.name], shape[axis], strides(shape)[axis]
    acc_dtype = rd.accumulator_dtype(eqn.primitive.name, dtype)  # float64 for float32 running sums, as on CPU
    constants = Constants()
    identity = constants.name(literal(reduction_identity(name, acc_dtype), acc_dtype))
    order = f"range({n} - 1, -1, -1)" if reverse else f"range({n})"
    lines = ["    i = cuda.grid(1)", "    while i < lines:", f"        start = {_line_start(shape, axis, 'i')}",
             f"        acc = {identity}", f"        for r in {order}:",
             f"            acc = {combine(name, 'acc', f'a0[start + r * {step}]', acc_dtype)}",
             f"            o0[start + r * {step}] = {numba_type(dtype)}(acc)", "        i += cuda.gridsize(1)"]
    source = f"{constants.source()}\ndef k(lines, o0, a0):\n" + "\n".join(lines) + "\n"
    return _LineStep(x, eqn.outvars[0], source, math.prod(shape) // max(n, 1) if n else 0)


class _LineStep(IndexStep):
    """An index kernel launched over the lines along an axis rather than over the output's elements."""

    def __init__(self, x, out, source: str, lines: int):
        super().__init__([x], out, source)
        self.lines = lines

    def run(self, values: list) -> list:
        out_aval = self.outputs[0].aval
        out = runtime.pool().take(out_aval.shape, out_aval.dtype)
        if self.lines:
            kernel = runtime.compile_kernel(self.source, "k")
            kernel[runtime.blocks_for(self.lines), runtime.THREADS](self.lines, flat(out), flat(values[0]))
        return [out]


for _prim in rd.cumulative_primitives.values():
    cuda_rule(_prim)(_cumulative)
