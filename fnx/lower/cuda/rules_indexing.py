"""CUDA rules of gather and scatter, in fnx's normal form (``fnx/lax/indexing.py``): ``indices`` of shape
``batch + (k,)`` pick along the first k axes of the operand, whose trailing axes ``x.shape[k:]`` are taken
whole, a contiguous block of ``T`` elements. Element ``i`` of a gather's output (or of a scatter's updates) is
at batch position ``i // T`` and block offset ``i % T``.

gather clamps its indices (as JAX); scatter drops the out-of-range ones and combines with atomics (add, max,
min: ``cuda.atomic``), so duplicate indices add up as NumPy's ``ufunc.at`` does, in some order; ``set`` with
duplicate indices keeps one of the writes (which one is unspecified, as in JAX). Multiplication has no atomic,
and atomics take 32/64-bit numbers only: those scatters, and gathers from an empty axis, run on the host.
"""
from __future__ import annotations

import math

import numpy as np

from ...core.ir import Eqn
from ...lax.indexing import gather_p, scatter_p
from . import runtime
from .kernel_writer import strides
from .rules import cuda_rule
from .steps import HostStep, IndexStep, Step, flat

_ATOMIC = {"add": "cuda.atomic.add", "max": "cuda.atomic.max", "min": "cuda.atomic.min"}
_ATOMIC_DTYPES = {np.dtype(t) for t in ("float32", "float64", "int32", "int64", "uint32", "uint64")}


def _picked(x_shape: tuple, k: int, test: bool) -> tuple[list, str, str]:
    """Lines reading batch position ``b``'s k indices from ``idx`` (clamped, or tested for range when ``test``),
    the expression of the picked block's flat start in x, and the in-range condition."""
    lines, terms, inside = [], [], []
    for c, (n, s) in enumerate(zip(x_shape[:k], strides(x_shape))):
        lines.append(f"        c{c} = idx[b * {k} + {c}]")
        if not test:
            lines.append(f"        c{c} = min(max(c{c}, 0), {n - 1})")
        inside.append(f"0 <= c{c} < {n}")
        terms.append(f"c{c} * {s}")
    return lines, " + ".join(terms) or "0", " and ".join(inside) or "True"


@cuda_rule(gather_p)
def _gather(eqn: Eqn, program) -> Step:
    x, indices = eqn.invars
    k, out = indices.aval.shape[-1], eqn.outvars[0]
    if 0 in x.aval.shape[:k]:
        return HostStep([eqn], eqn.outvars)
    block = math.prod(x.aval.shape[k:])
    lines, start, _ = _picked(x.aval.shape, k, test=False)
    source = "\n".join(["def k(n, o0, x, idx):", "    i = cuda.grid(1)", "    while i < n:",
                        f"        b = i // {block}", *lines, f"        o0[i] = x[{start} + i % {block}]",
                        "        i += cuda.gridsize(1)"]) + "\n"
    return IndexStep([x, indices], out, source)


class ScatterStep(Step):
    """The operand copied into a new buffer, then one kernel combining every update into it."""

    def __init__(self, eqn: Eqn):
        self.inputs, self.outputs = list(eqn.invars), list(eqn.outvars)
        x, indices, updates = eqn.invars
        k, mode = indices.aval.shape[-1], eqn.params["mode"]
        block = math.prod(x.aval.shape[k:])
        lines, start, inside = _picked(x.aval.shape, k, test=True)
        store = "out[p] = u[i]" if mode == "set" else f"{_ATOMIC[mode]}(out, p, u[i])"
        self.size, self.launches = math.prod(updates.aval.shape), 2  # the copy of x, the kernel
        self.source = "\n".join(["def k(n, out, idx, u):", "    i = cuda.grid(1)", "    while i < n:",
                                 f"        b = i // {block}", *lines, f"        if {inside}:",
                                 f"            p = {start} + i % {block}", f"            {store}",
                                 "        i += cuda.gridsize(1)"]) + "\n"

    def run(self, values: list) -> list:
        x, indices, updates = values
        out = runtime.pool().take(x.shape, x.dtype)
        if out.size:
            out.copy_to_device(x)
        if self.size and out.size:
            kernel = runtime.compile_kernel(self.source, "k")
            kernel[runtime.blocks_for(self.size), runtime.THREADS](self.size, flat(out), flat(indices), flat(updates))
        return [out]


@cuda_rule(scatter_p)
def _scatter(eqn: Eqn, program) -> Step:
    mode, dtype = eqn.params["mode"], eqn.invars[0].aval.dtype
    if mode == "mul" or (mode != "set" and dtype not in _ATOMIC_DTYPES):
        return HostStep([eqn], eqn.outvars)
    return ScatterStep(eqn)
