"""CUDA rule of ``dot_general``: a tiled matrix product in shared memory, with batch axes.

The product is (B, M, K) x (B, K, N) -> (B, M, N) over the operands as they are: the batch, free and
contracted axes of each operand are flattened by index arithmetic in the loads, so no transpose is made. Each
block of TILE x TILE threads computes a TILE x TILE tile of C, loading a tile of A and of B into shared memory
per step along K; the grid's third axis strides over the batch. The other linear algebra (inv, solve, det,
cholesky) runs on the host (``host.py``).
"""
from __future__ import annotations

import math

import numpy as np

from ...core.ir import Eqn
from ...lax.linalg import dot_general_p
from ..product_updates import product_update_p
from ..source import Constants, literal
from . import runtime
from .kernel_writer import position, strides
from .rules import cuda_rule
from .rules_elementwise import numba_type
from .steps import HostStep, Step, flat

TILE = 4 if runtime.SIMULATED else 16  # the simulator runs TILE * TILE Python threads per block
MAX_BATCH_BLOCKS = 65535  # the grid's third axis; a larger batch is strided


def _groups(lhs: tuple, rhs: tuple, dimension_numbers) -> tuple:
    (lc, rc), (lb, rb) = dimension_numbers
    lf = [d for d in range(len(lhs)) if d not in lc + lb]
    rf = [d for d in range(len(rhs)) if d not in rc + rb]
    return (list(lb), lf, list(lc)), (list(rb), list(rc), rf)


def _offset(shape: tuple, groups: tuple, counters: tuple) -> str:
    """The flat position in ``shape`` of the element whose flattened index in each axis group is its counter."""
    terms = [position(shape, axes, c, strides([shape[d] for d in axes])) for axes, c in zip(groups, counters) if axes]
    return " + ".join(terms) or "0"


def matmul_source(lhs: tuple, rhs: tuple, dimension_numbers, dtype, update: str = "") -> tuple[str, tuple]:
    """The kernel ``k(a, b, c, w, scale)`` computing ``c = dot_general(a, b)`` of operands of shapes ``lhs`` and
    ``rhs`` (or, with ``update`` "+" or "-", ``c = w +- scale * dot_general(a, b)``), and its (B, M, N, K)."""
    (lb, lf, lc), (rb, rc, rf) = _groups(lhs, rhs, dimension_numbers)
    size = lambda shape, axes: math.prod(shape[d] for d in axes)  # noqa: E731
    B, M, K, N = size(lhs, lb), size(lhs, lf), size(lhs, lc), size(rhs, rf)
    constants = Constants()
    zero, t = constants.name(literal(0, dtype)), numba_type(dtype)
    a_at = _offset(lhs, (lb, lf, lc), ("z", "row", "kk"))
    b_at = _offset(rhs, (rb, rc, rf), ("z", "kk", "col"))
    lines = [f"    sa = cuda.shared.array(({TILE}, {TILE}), {t})", f"    sb = cuda.shared.array(({TILE}, {TILE}), {t})",
             "    tx = cuda.threadIdx.x", "    ty = cuda.threadIdx.y",
             f"    row = cuda.blockIdx.y * {TILE} + ty", f"    col = cuda.blockIdx.x * {TILE} + tx",
             "    z = cuda.blockIdx.z", f"    while z < {B}:", f"        acc = {zero}",
             f"        for t0 in range(0, {K}, {TILE}):",
             "            kk = t0 + tx", f"            sa[ty, tx] = a[{a_at}] if row < {M} and kk < {K} else {zero}",
             "            kk = t0 + ty", f"            sb[ty, tx] = b[{b_at}] if kk < {K} and col < {N} else {zero}",
             "            cuda.syncthreads()", f"            for q in range({TILE}):",
             f"                acc = {t}(acc + sa[ty, q] * sb[q, tx])", "            cuda.syncthreads()",
             f"        if row < {M} and col < {N}:", f"            p = z * {M * N} + row * {N} + col",
             f"            c[p] = {t}(w[p] {update} scale[0] * acc)" if update else "            c[p] = acc",
             "        z += cuda.gridDim.z"]
    return f"{constants.source()}\ndef k(a, b, c, w, scale):\n" + "\n".join(lines) + "\n", (B, M, N, K)


class MatmulStep(Step):
    """``dot_general`` (inputs a, b) or ``product_update`` (inputs w, scale, a, b: the update applied as the
    tiles are stored) as one launch of the tiled kernel."""

    def __init__(self, eqn: Eqn):
        self.inputs, self.outputs = list(eqn.invars), list(eqn.outvars)
        *update, a, b = eqn.invars
        sign = ("-" if eqn.params["negate"] else "+") if update else ""
        self.source, (self.B, self.M, self.N, k) = matmul_source(
            a.aval.shape, b.aval.shape, eqn.params["dimension_numbers"], eqn.outvars[0].aval.dtype, sign)
        self.flops = 2 * self.B * self.M * self.N * k

    def run(self, values: list) -> list:
        out = self.outputs[0].aval
        c = runtime.pool().take(out.shape, out.dtype)
        *update, a, b = map(flat, values)
        w, scale = update or (c, c)  # a plain product reads neither
        if self.B * self.M * self.N:
            grid = (math.ceil(self.N / TILE), math.ceil(self.M / TILE), min(self.B, MAX_BATCH_BLOCKS))
            runtime.compile_kernel(self.source, "k")[grid, (TILE, TILE)](a, b, flat(c), w, scale)
        return [c]


@cuda_rule(dot_general_p)
def _dot_general(eqn: Eqn, program) -> Step:
    """Products of numbers on the device; of booleans (rare: NumPy's "or of ands") on the host."""
    if eqn.outvars[0].aval.dtype == np.bool_:
        return HostStep([eqn], eqn.outvars)
    return MatmulStep(eqn)


@cuda_rule(product_update_p)
def _product_update(eqn: Eqn, program) -> Step:
    """``w +- scale * (a @ b)``, which the lowering folds from an SGD update (``fnx/lower/product_updates.py``):
    the update in the matmul's store. (The output is new memory: the CUDA backend does not donate.)"""
    return MatmulStep(eqn)
