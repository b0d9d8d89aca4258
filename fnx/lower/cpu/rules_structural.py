"""CPU rules of the structural primitives, the reductions and dot_general."""
from __future__ import annotations

import numpy as np

from ...core.ir import Eqn
from ...lax import linalg, reductions, structural as st
from ..product_updates import product_update_p
from .codegen import FunctionWriter, cpu_rule, cpu_rules, literal, np_dtype
from .rules_arrays import bool_arg, dilate_pad, flat, int_arg, reshaped, transposed


def _rank(x) -> int:
    return len(x.aval.shape)


def _index(parts: list) -> str:
    return "[" + ", ".join(parts) + ("," if len(parts) == 1 else "") + "]"


@cpu_rule(st.broadcast_in_dim_p)
def _broadcast_in_dim(w: FunctionWriter, eqn: Eqn) -> None:
    (x,), p = eqn.invars, eqn.params
    shape = tuple(p["shape"])
    if shape == x.aval.shape:  # nothing to broadcast (the dimensions are then in order)
        w.alias(eqn.outvars[0], x)
        return
    if _rank(x) == 0:
        w.assign_contiguous(eqn.outvars[0], w.full(shape, w.atom(x), x.aval.dtype))
        return
    expanded = [1] * len(shape)
    for i, d in enumerate(p["broadcast_dimensions"]):
        expanded[d] = x.aval.shape[i]
    source = w.atom(x) if tuple(expanded) == x.aval.shape else reshaped(w, w.contiguous(x), tuple(expanded))
    w.assign(eqn.outvars[0], f"np.broadcast_to({source}, {shape})")


@cpu_rule(st.reshape_p)
def _reshape(w: FunctionWriter, eqn: Eqn) -> None:
    x, shape = eqn.invars[0], tuple(eqn.params["new_sizes"])
    if _rank(x) == 0:
        w.assign_contiguous(eqn.outvars[0], w.full(shape, w.atom(x), x.aval.dtype))
    elif shape == ():
        w.assign(eqn.outvars[0], f"{reshaped(w, w.contiguous(x), (-1,))}[0]")
    else:
        w.assign_contiguous(eqn.outvars[0], reshaped(w, w.contiguous(x), shape))


@cpu_rule(st.transpose_p)
def _transpose(w: FunctionWriter, eqn: Eqn) -> None:
    x, perm = eqn.invars[0], tuple(eqn.params["permutation"])
    if perm == tuple(range(len(perm))):
        w.assign(eqn.outvars[0], w.atom(x))
    elif len(perm) == 2:
        w.assign(eqn.outvars[0], f"{w.atom(x)}.T")  # a view; Numba compiles .T quickly
    else:  # a flat kernel: Numba compiles np.transpose with an axes tuple very slowly
        flat_t = transposed(w, flat(w, x), x.aval.shape, perm)
        w.assign_contiguous(eqn.outvars[0], reshaped(w, flat_t, tuple(eqn.outvars[0].aval.shape)))


@cpu_rule(st.rev_p)
def _rev(w: FunctionWriter, eqn: Eqn) -> None:
    x, dims = eqn.invars[0], eqn.params["dimensions"]
    if _rank(x) == 0 or not dims:
        w.assign(eqn.outvars[0], w.atom(x))
        return
    w.assign(eqn.outvars[0], w.atom(x) + _index(["::-1" if d in dims else ":" for d in range(_rank(x))]))


@cpu_rule(st.slice_p)
def _slice(w: FunctionWriter, eqn: Eqn) -> None:
    p = eqn.params
    parts = [f"{lo}:{hi}:{s}" for lo, hi, s in zip(p["start_indices"], p["limit_indices"], p["strides"])]
    w.assign(eqn.outvars[0], w.atom(eqn.invars[0]) + _index(parts) if parts else w.atom(eqn.invars[0]))


@cpu_rule(st.pad_p)
def _pad(w: FunctionWriter, eqn: Eqn) -> None:
    x, value = eqn.invars
    if _rank(x) == 0:
        w.assign(eqn.outvars[0], w.atom(x))
        return
    padded, _ = dilate_pad(w, flat(w, x), x.aval.shape, list(eqn.params["padding_config"]), w.atom(value))
    w.assign_contiguous(eqn.outvars[0], reshaped(w, padded, tuple(eqn.outvars[0].aval.shape)))


@cpu_rule(st.concatenate_p)
def _concatenate(w: FunctionWriter, eqn: Eqn) -> None:
    parts = ", ".join(w.contiguous(x) for x in eqn.invars)
    w.assign(eqn.outvars[0], f"np.concatenate(({parts},), axis={eqn.params['dimension']})")


@cpu_rule(st.iota_p)
def _iota(w: FunctionWriter, eqn: Eqn) -> None:
    p = eqn.params
    shape, d = tuple(p["shape"]), p["dimension"]
    ramp = f"np.arange({shape[d]}).astype({np_dtype(p['dtype'])})"
    expanded = tuple(n if i == d else 1 for i, n in enumerate(shape))
    w.assign(eqn.outvars[0], f"np.broadcast_to({reshaped(w, ramp, expanded)}, {shape})")


@cpu_rule(st.bitcast_convert_type_p)
def _bitcast(w: FunctionWriter, eqn: Eqn) -> None:
    x, dtype = eqn.invars[0], np_dtype(eqn.params["new_dtype"])
    if _rank(x) == 0:
        w.assign(eqn.outvars[0], f"np.array([{w.atom(x)}]).view({dtype})[0]")
    else:
        w.assign(eqn.outvars[0], f"{w.contiguous(x)}.view({dtype})")


def _clamped_starts(w: FunctionWriter, starts, sizes, shape) -> list:
    names = []
    for s, k, n in zip(starts, sizes, shape):
        name = w.temp()
        w.line(f"{name} = min(max(int({w.atom(s)}), 0), {n - k})")
        names.append(name)
    return names


@cpu_rule(st.dynamic_slice_p)
def _dynamic_slice(w: FunctionWriter, eqn: Eqn) -> None:
    x, *starts = eqn.invars
    sizes = eqn.params["slice_sizes"]
    if _rank(x) == 0:
        w.assign(eqn.outvars[0], w.atom(x))
        return
    s = _clamped_starts(w, starts, sizes, x.aval.shape)
    w.assign(eqn.outvars[0], w.atom(x) + _index([f"{a}:{a} + {k}" for a, k in zip(s, sizes)]))


@cpu_rule(st.dynamic_update_slice_p)
def _dynamic_update_slice(w: FunctionWriter, eqn: Eqn) -> None:
    x, update, *starts = eqn.invars
    if _rank(x) == 0:
        w.assign(eqn.outvars[0], w.atom(update))
        return
    s = _clamped_starts(w, starts, update.aval.shape, x.aval.shape)
    out = w.assign(eqn.outvars[0], f"{w.atom(x)}.copy()")
    w.line(f"k.assign({out}{_index([f'{a}:{a} + {k}' for a, k in zip(s, update.aval.shape)])}, {w.atom(update)})")


# -- reductions ----------------------------------------------------------------------------------------------

# sum, product, max and min are loops of their own (fnx.lower.fusion), never these rules
_ROWS = {"reduce_and": ("k.logical_rows", 0), "reduce_or": ("k.logical_rows", 1),
         "argmax": ("k.arg_rows", 0), "argmin": ("k.arg_rows", 1)}


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


_CUMULATIVE = {"cumsum": 0, "cumprod": 1, "cummax": 2, "cummin": 3}


def _cumulative(w: FunctionWriter, eqn: Eqn) -> None:
    x, axis, reverse = eqn.invars[0], eqn.params["axis"], eqn.params["reverse"]
    shape = x.aval.shape
    perm = tuple([i for i in range(len(shape)) if i != axis] + [axis])
    rows = reshaped(w, transposed(w, flat(w, x), shape, perm), (-1, shape[axis]))
    flip = "[:, ::-1]" if reverse else ""
    one = w.module.constant(literal(1, reductions.accumulator_dtype(eqn.primitive.name, x.aval.dtype)))
    result = reshaped(w, f"k.contiguous(k.cumulative_rows(k.contiguous({rows}{flip}), "
                         f"{int_arg(w, _CUMULATIVE[eqn.primitive.name])}, {one}){flip})", (-1,))
    back = tuple(int(i) for i in np.argsort(perm))
    w.assign_contiguous(eqn.outvars[0], reshaped(w, transposed(w, result, tuple(shape[i] for i in perm), back), shape))


for _p in reductions.reduce_primitives.values():
    cpu_rules[_p] = _reduce
for _p in (reductions.argmax_p, reductions.argmin_p):
    cpu_rules[_p] = _argreduce
for _p in reductions.cumulative_primitives.values():
    cpu_rules[_p] = _cumulative


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
    kind = "float" if out.dtype.kind == "f" else "int"
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
