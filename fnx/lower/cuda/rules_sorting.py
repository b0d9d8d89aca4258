"""CUDA rule of ``sort`` (every operand reordered by the stable lexicographic order of the first ``num_keys``,
NaNs last): a rank sort. One thread per element counts the elements of its line that come before it (a
smaller key, or an equal one earlier in the line), which is its place in the sorted line, and writes each
operand's element there. It is stable by construction and needs no synchronization, at n^2 comparisons per
line of n: fine for the rows that argsort, top-k and ranking losses sort; a long line (beyond a few thousand)
wants a bitonic or radix sort, not written yet.
"""
from __future__ import annotations

import math

from ...core.ir import Eqn
from ...lax.sorting import sort_p
from . import runtime
from .kernel_writer import strides
from .rules import cuda_rule
from .steps import Step, flat


def _precedes(k: int, mine: str, other: str) -> str:
    """Whether key ``k``'s element at ``other`` sorts strictly before the one at ``mine`` (NaN last)."""
    a, b = f"a{k}[{other}]", f"a{k}[{mine}]"
    return f"({a} < {b} or ({b} != {b} and {a} == {a}))"


def _ties(k: int, mine: str, other: str) -> str:
    a, b = f"a{k}[{other}]", f"a{k}[{mine}]"
    return f"({a} == {b} or ({a} != {a} and {b} != {b}))"


class SortStep(Step):
    """All of a sort's outputs from one kernel ``k(total, o0, ..., a0, ...)``."""

    def __init__(self, eqn: Eqn):
        self.inputs, self.outputs = list(eqn.invars), list(eqn.outvars)
        shape, axis, keys = eqn.invars[0].aval.shape, eqn.params["dimension"], eqn.params["num_keys"]
        n, step, m = shape[axis], strides(shape)[axis], len(eqn.invars)
        before = "q < r"  # the last tie-break: the position in the line (stability)
        for k in range(keys - 1, -1, -1):
            before = f"({_precedes(k, 'i', 'other')} or ({_ties(k, 'i', 'other')} and {before}))"
        lines = ["    i = cuda.grid(1)", "    while i < total:", f"        r = (i // {step}) % {n}",
                 f"        start = i - r * {step}", "        rank = 0", f"        for q in range({n}):",
                 f"            other = start + q * {step}", f"            if {before}:", "                rank += 1",
                 *[f"        o{k}[start + rank * {step}] = a{k}[i]" for k in range(m)], "        i += cuda.gridsize(1)"]
        params = ", ".join(["total"] + [f"o{k}" for k in range(m)] + [f"a{k}" for k in range(m)])
        self.source, self.total = f"def k({params}):\n" + "\n".join(lines) + "\n", math.prod(shape)
        self.flops = self.total * n * keys

    def run(self, values: list) -> list:
        outs = [runtime.pool().take(v.aval.shape, v.aval.dtype) for v in self.outputs]
        if self.total:
            kernel = runtime.compile_kernel(self.source, "k")
            kernel[runtime.blocks_for(self.total), runtime.THREADS](self.total, *map(flat, outs), *map(flat, values))
        return outs


cuda_rule(sort_p)(lambda eqn, program: SortStep(eqn))
