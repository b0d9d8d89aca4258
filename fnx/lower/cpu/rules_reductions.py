"""CPU rules of the reductions: reduce_and/or, arg-reductions and cumulative ops (sum, product, max and min over
some axes are fused loops of their own: fnx.lower.fusion)."""
from __future__ import annotations

import numpy as np

from ...core.ir import Eqn
from ...lax import reductions
from .codegen import FunctionWriter, cpu_rules, literal, np_dtype
from .op_codes import ARG_OPS, CUMULATIVE_OPS, LOGICAL_OPS
from .operands import flat, int_arg, reshaped, transposed


# sum, product, max and min are loops of their own (fnx.lower.fusion), never these rules
_ROWS = {**{name: ("k.logical_rows", op) for name, op in LOGICAL_OPS.items()},
         **{name: ("k.arg_rows", op) for name, op in ARG_OPS.items()}}


def _as_rows(w: FunctionWriter, x, axes: tuple) -> tuple[str, tuple]:
    """``x`` with ``axes`` moved last and flattened: a (kept, reduced) matrix, and the kept shape."""
    shape = x.aval.shape
    kept = [i for i in range(len(shape)) if i not in axes]
    rows = int(np.prod([shape[i] for i in kept], dtype=np.int64))
    return reshaped(w, transposed(w, flat(w, x), shape, tuple(kept + list(axes))), (rows, -1)), \
        tuple(shape[i] for i in kept)


def _reduce(w: FunctionWriter, eqn: Eqn) -> None:
    """reduce_and and reduce_or over any axes, and any reduction over none (sum, product, max and min over
    some axes are fused loops: fnx.lower.fusion)."""
    x, axes, name = eqn.invars[0], tuple(eqn.params["axes"]), eqn.primitive.name
    out = eqn.outvars[0].aval
    if not axes:
        w.assign(eqn.outvars[0], w.atom(x))
    elif out.shape == ():  # one row of all the elements
        kernel, op = _ROWS[name]
        w.assign(eqn.outvars[0], f"{kernel}({reshaped(w, w.contiguous(x), (1, -1))}, {int_arg(w, op)})[0]")
    else:
        matrix, kept = _as_rows(w, x, axes)
        kernel, op = _ROWS[name]
        w.assign_contiguous(eqn.outvars[0], reshaped(w, f"{kernel}({matrix}, {int_arg(w, op)})", kept))


def _argreduce(w: FunctionWriter, eqn: Eqn) -> None:
    x, axis = eqn.invars[0], eqn.params["axis"]
    out = eqn.outvars[0].aval
    matrix, kept = _as_rows(w, x, (axis,))
    kernel, op = _ROWS[eqn.primitive.name]
    result = f"{kernel}({matrix}, {int_arg(w, op)})"
    w.assign(eqn.outvars[0], f"{np_dtype(out.dtype)}({result}[0])" if out.shape == () else
             f"{reshaped(w, result, kept)}.astype({np_dtype(out.dtype)})")


def _cumulative(w: FunctionWriter, eqn: Eqn) -> None:
    x, axis, reverse = eqn.invars[0], eqn.params["axis"], eqn.params["reverse"]
    shape = x.aval.shape
    perm = tuple([i for i in range(len(shape)) if i != axis] + [axis])
    rows = reshaped(w, transposed(w, flat(w, x), shape, perm), (-1, shape[axis]))
    flip = "[:, ::-1]" if reverse else ""
    one = w.module.constant(literal(1, reductions.accumulator_dtype(eqn.primitive.name, x.aval.dtype)))
    result = reshaped(w, f"k.contiguous(k.cumulative_rows(k.contiguous({rows}{flip}), "
                         f"{int_arg(w, CUMULATIVE_OPS[eqn.primitive.name])}, {one}){flip})", (-1,))
    back = tuple(int(i) for i in np.argsort(perm))
    w.assign_contiguous(eqn.outvars[0], reshaped(w, transposed(w, result, tuple(shape[i] for i in perm), back), shape))


for _p in reductions.reduce_primitives.values():
    cpu_rules[_p] = _reduce
for _p in (reductions.argmax_p, reductions.argmin_p):
    cpu_rules[_p] = _argreduce
for _p in reductions.cumulative_primitives.values():
    cpu_rules[_p] = _cumulative
