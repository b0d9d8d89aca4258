"""CPU rules of the linear algebra primitives: dot_general (and the lowering's product_update) through BLAS,
inv/solve/det/cholesky on stacks of matrices (``kernels_arrays``), and the decompositions eigh/svd/qr/slogdet
on stacks of matrices through LAPACK (``kernels_decompositions``)."""
from __future__ import annotations

import math

import numpy as np

from ...core.ir import Eqn
from ...lax import linalg
from ..product_updates import product_update_p
from .codegen import FunctionWriter, cpu_rule, cpu_rules, np_dtype
from .operands import as_shape, bool_arg, flat, reshaped, reshaped_result, transposed, zeros_if_empty


# -- dot_general ---------------------------------------------------------------------------------------------

def _matrix_operand(w: FunctionWriter, x, perm: tuple, shape: tuple) -> tuple[str, bool]:
    """``x`` transposed by ``perm`` and viewed with ``shape`` (2-d or 3-d), copying only when needed: a
    C-contiguous array, and whether it is given transposed (BLAS transposes a matrix itself, so a ``perm``
    that moves leading axes behind the others is a reshape to a matrix and a flag)."""
    split = perm[0] if len(shape) == 2 and perm else 0
    if split and perm == tuple(range(split, len(perm))) + tuple(range(split)):
        dims = x.aval.shape
        matrix = (int(np.prod(dims[:split], dtype=np.int64)), int(np.prod(dims[split:], dtype=np.int64)))
        if matrix[::-1] == shape:
            return (w.contiguous(x) if len(dims) == 2 else reshaped(w, w.contiguous(x), matrix)), True
    if perm != tuple(range(len(perm))):
        return reshaped(w, transposed(w, flat(w, x), x.aval.shape, perm), shape), False
    return (w.contiguous(x) if tuple(x.aval.shape) == shape else reshaped(w, w.contiguous(x), shape)), False


def _product_sizes(lhs, rhs, dimension_numbers) -> tuple:
    """(batch, lhs free, contracted, rhs free) sizes and axes of a dot_general, as a batch of matrix products."""
    (lc, rc), (lb, rb) = dimension_numbers
    ls, rs = lhs.aval.shape, rhs.aval.shape
    lf = tuple(i for i in range(len(ls)) if i not in lc + lb)
    rf = tuple(i for i in range(len(rs)) if i not in rc + rb)
    size = lambda shape, dims: int(np.prod([shape[i] for i in dims], dtype=np.int64))  # noqa: E731
    return (size(ls, lb), size(ls, lf), size(ls, lc), size(rs, rf)), (lf, rf)


def _matrices(w: FunctionWriter, lhs, rhs, dimension_numbers) -> tuple:
    """A dot_general with no batch axis larger than 1, as BLAS operands: (left, left transposed?, right,
    right transposed?, (M, N))."""
    (lc, rc), (lb, rb) = dimension_numbers  # batch axes, if any, have size 1
    (_, m, kk, n), (lf, rf) = _product_sizes(lhs, rhs, dimension_numbers)
    (left, left_t), (right, right_t) = (_matrix_operand(w, lhs, tuple(lb) + lf + tuple(lc), (m, kk)),
                                        _matrix_operand(w, rhs, tuple(rb) + tuple(rc) + rf, (kk, n)))
    return left, bool_arg(w, left_t), right, bool_arg(w, right_t), (m, n)


@cpu_rule(linalg.dot_general_p)
def _dot_general(w: FunctionWriter, eqn: Eqn) -> None:
    lhs, rhs = eqn.invars
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    out = eqn.outvars[0].aval
    (b, m, kk, n), (lf, rf) = _product_sizes(lhs, rhs, eqn.params["dimension_numbers"])
    kind = {"f": "float", "c": "complex"}.get(out.dtype.kind, "int")
    if b == 1:
        left, left_t, right, right_t, natural = _matrices(w, lhs, rhs, eqn.params["dimension_numbers"])
        product = f"k.{kind}_matmul({left}, {right}, {left_t}, {right_t})"
    else:
        left = _matrix_operand(w, lhs, tuple(lb) + lf + tuple(lc), (b, m, kk))[0]  # 3-d: never swapped
        right = _matrix_operand(w, rhs, tuple(rb) + tuple(rc) + rf, (b, kk, n))[0]
        product = f"k.batched_{kind}_matmul({left}, {right})"
        natural = (b, m, n)
    if out.shape == ():
        w.assign(eqn.outvars[0], f"{np_dtype(out.dtype)}({reshaped(w, product, (-1,))}[0])")
    else:
        _assign_product(w, eqn.outvars[0], product, natural)


def _assign_product(w: FunctionWriter, v, product: str, natural: tuple) -> None:
    """Name ``v`` the product computed with its ``natural`` (matrix) shape, reshaped to ``v``'s."""
    shape = tuple(v.aval.shape)
    w.assign_contiguous(v, product if shape == natural else reshaped(w, product, shape))


@cpu_rule(product_update_p)
def _product_update(w: FunctionWriter, eqn: Eqn) -> None:
    """``target +- scale * product`` in one BLAS call, in ``target``'s own buffer when it may be overwritten."""
    target, scale, lhs, rhs = eqn.invars
    left, left_t, right, right_t, natural = _matrices(w, lhs, rhs, eqn.params["dimension_numbers"])
    matrix = w.contiguous(target)
    matrix = matrix if tuple(target.aval.shape) == natural else reshaped(w, matrix, natural)
    alpha = f"-{w.atom(scale)}" if eqn.params["negate"] else w.atom(scale)
    in_place = bool_arg(w, id(eqn.outvars[0]) in w.reuse)
    _assign_product(w, eqn.outvars[0], f"k.float_matmul_update({matrix}, {left}, {right}, {left_t}, {right_t}, "
                                        f"{alpha}, {in_place})", natural)


# -- linear algebra: stacks of matrices (batch, n, n) ------------------------------------------------------

def _stack(w: FunctionWriter, x) -> str:
    """``x`` (..., n, m) as a stack (batch, n, m)."""
    shape = x.aval.shape
    return as_shape(w, x, (math.prod(shape[:-2]), *shape[-2:]))


def _matrix_rule(kernel: str):
    def lower(w: FunctionWriter, eqn: Eqn) -> None:
        if not zeros_if_empty(w, eqn.outvars[0]):
            reshaped_result(w, eqn.outvars[0], f"ka.{kernel}({', '.join(_stack(w, x) for x in eqn.invars)})")
    return lower


for _prim in (linalg.inv_p, linalg.solve_p, linalg.det_p, linalg.cholesky_p):
    cpu_rules[_prim] = _matrix_rule(_prim.name)


def _decomposition_rule(*flags: str):
    """A kernel of ``kernels_decompositions`` on the operand as a stack, with the primitive's bool ``flags`` as
    arguments; it returns a tuple whose first entries are the primitive's results."""
    def lower(w: FunctionWriter, eqn: Eqn) -> None:
        results = w.temp()
        args = [_stack(w, eqn.invars[0])] + [bool_arg(w, eqn.params[f]) for f in flags]
        w.line(f"{results} = kd.{eqn.primitive.name}({', '.join(args)})")
        for i, v in enumerate(eqn.outvars):
            reshaped_result(w, v, f"{results}[{i}]")
    return lower


cpu_rules[linalg.eigh_p] = _decomposition_rule()
cpu_rules[linalg.svd_p] = _decomposition_rule("full_matrices")
cpu_rules[linalg.qr_p] = _decomposition_rule("full_matrices")
cpu_rules[linalg.slogdet_p] = _decomposition_rule()
