"""CUDA rule of ``dot_general``: a tiled matrix product in shared memory, with batch axes.

The product is (B, M, K) x (B, K, N) -> (B, M, N) over the operands as they are: the batch, free and
contracted axes of each operand are flattened by index arithmetic in the loads, so no transpose is made. Each
block of TILE x TILE threads computes a TILE x TILE tile of C, loading a tile of A and of B into shared memory
per step along K; the grid's third axis strides over the batch. inv, solve, det and cholesky run a thread per
matrix (``MatrixStep``).
"""
from __future__ import annotations

import math

import numpy as np

from ...core.ir import Eqn
from ...lax import linalg
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


class MatrixStep(Step):
    """inv, solve, det and cholesky of a batch of small matrices: one thread per matrix (grid-strided), in a
    copy of it (``work``), by Gaussian elimination with partial pivoting (Cholesky needs none). A thread per
    matrix suits the many small matrices of fnx's uses (covariances, Newton steps); one large matrix would want
    a blocked factorization across a whole block."""

    def __init__(self, eqn: Eqn):
        self.inputs, self.outputs = list(eqn.invars), list(eqn.outvars)
        a = eqn.invars[0].aval
        self.n, self.count, self.name = a.shape[-1], math.prod(a.shape[:-2]), eqn.primitive.name
        self.k = eqn.invars[1].aval.shape[-1] if self.name == "solve" else self.n
        self.source = _matrix_source(self.name, self.n, self.k, a.dtype)
        self.flops = self.count * self.n ** 2 * (self.n + 2 * self.k)

    def run(self, values: list) -> list:
        pool = runtime.pool()
        work = pool.take(values[0].shape, values[0].dtype)
        out_aval = self.outputs[0].aval
        out = pool.take(out_aval.shape, out_aval.dtype)
        if self.count and self.n:
            work.copy_to_device(values[0])
            if self.name == "solve":
                out.copy_to_device(values[1])
            kernel = runtime.compile_kernel(self.source, "k")
            kernel[runtime.blocks_for(self.count), runtime.THREADS](self.count, flat(work), flat(out))
        pool.give_back(work)
        return [out]


def _matrix_source(name: str, n: int, k: int, dtype) -> str:
    """The kernel ``k(count, work, out)`` of ``name`` for n x n matrices (and n x k right-hand sides)."""
    constants = Constants()
    one, zero, nan = (constants.name(literal(v, dtype)) for v in (1, 0, np.nan))
    w = lambda r, c: f"work[base + ({r}) * {n} + ({c})]"  # noqa: E731
    o = lambda r, c: f"out[ob + ({r}) * {k} + ({c})]"  # noqa: E731
    lines = ["    m = cuda.grid(1)", "    while m < count:", f"        base = m * {n * n}", f"        ob = m * {n * k}"]
    if name == "cholesky":
        lines += _cholesky_lines(n, w, o, zero, nan)
    else:
        if name == "inv":
            lines += [f"        for r in range({n}):", f"            for c in range({n}):",
                      f"                {o('r', 'c')} = {one} if r == c else {zero}"]
        lines += _elimination_lines(n, k if name != "det" else 0, w, o, one)
        if name == "det":
            lines += ["        out[m] = sign * det"]
        else:
            lines += [f"        for c in range({n} - 1, -1, -1):", f"            for j in range({k}):",
                      f"                s = {o('c', 'j')}", f"                for q in range(c + 1, {n}):",
                      f"                    s -= {w('c', 'q')} * {o('q', 'j')}",
                      f"                {o('c', 'j')} = s / {w('c', 'c')}"]
    lines.append("        m += cuda.gridsize(1)")
    return f"{constants.source()}\ndef k(count, work, out):\n" + "\n".join(lines) + "\n"


def _elimination_lines(n: int, k: int, w, o, one: str) -> list:
    """Forward elimination with partial pivoting on ``work``, the same row operations on ``out``'s k columns;
    ``det`` and ``sign`` accumulate the determinant."""
    return [f"        det = {one}", f"        sign = {one}", f"        for c in range({n}):", "            p = c",
            f"            best = abs({w('c', 'c')})", f"            for r in range(c + 1, {n}):",
            f"                if abs({w('r', 'c')}) > best:", f"                    best = abs({w('r', 'c')})",
            "                    p = r", "            if p != c:", "                sign = -sign",
            f"                for j in range({n}):", f"                    t = {w('c', 'j')}",
            f"                    {w('c', 'j')} = {w('p', 'j')}", f"                    {w('p', 'j')} = t",
            f"                for j in range({k}):", f"                    t = {o('c', 'j')}",
            f"                    {o('c', 'j')} = {o('p', 'j')}", f"                    {o('p', 'j')} = t",
            f"            det *= {w('c', 'c')}", f"            for r in range(c + 1, {n}):",
            f"                f = {w('r', 'c')} / {w('c', 'c')}", f"                for j in range(c, {n}):",
            f"                    {w('r', 'j')} -= f * {w('c', 'j')}", f"                for j in range({k}):",
            f"                    {o('r', 'j')} -= f * {o('c', 'j')}"]


def _cholesky_lines(n: int, w, o, zero: str, nan: str) -> list:
    """L with L @ L.T = the matrix, the lower triangle of ``out``; a matrix that is not positive definite gives
    NaNs throughout, as the eager implementation does."""
    return ["        ok = True", f"        for c in range({n}):", f"            for r in range({n}):",
            f"                {o('r', 'c')} = {zero}", f"            d = {w('c', 'c')}", "            for q in range(c):",
            f"                d -= {o('c', 'q')} * {o('c', 'q')}", "            if not d > 0:", "                ok = False",
            "                d = 1.0",  # any positive value: the matrix is NaN in the end
            f"            {o('c', 'c')} = math.sqrt(d)",
            f"            for r in range(c + 1, {n}):", f"                s = {w('r', 'c')}",
            "                for q in range(c):", f"                    s -= {o('r', 'q')} * {o('c', 'q')}",
            f"                {o('r', 'c')} = s / {o('c', 'c')}", "        if not ok:",
            f"            for j in range({n * n}):", f"                out[ob + j] = {nan}"]


for _prim in (linalg.inv_p, linalg.solve_p, linalg.det_p, linalg.cholesky_p):
    cuda_rule(_prim)(lambda eqn, program: MatrixStep(eqn))
