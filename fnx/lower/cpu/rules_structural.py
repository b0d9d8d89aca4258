"""CPU rules of the structural primitives: broadcasts, reshapes, transposes, slices, padding, concatenation."""
from __future__ import annotations

import math

from ...core.ir import Eqn
from ...lax import structural as st
from .codegen import FunctionWriter, cpu_rule, np_dtype
from .operands import as_shape, dilate_pad, flat, reshaped, transposed


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
    """Each operand copied into its block of a new array, both seen as (before, axis, after): one call of the
    ``place_block`` kernel per operand, compiled once per dtype. Numba's ``np.concatenate`` generates code for
    each operand of its tuple and compiles in time superlinear in their number: 26 s of CPU for 40 operands,
    minutes for the 80 columns of a vmapped ridge regression's design matrix (Ketkar 2-2)."""
    out, d = eqn.outvars[0], eqn.params["dimension"]
    shape = tuple(out.aval.shape)
    before, after = math.prod(shape[:d]), math.prod(shape[d + 1:])
    name = w.assign_contiguous(out, w.empty(shape, out.aval.dtype))
    if before * after == 0:
        return
    target, offset = reshaped(w, name, (before, shape[d], after)), 0
    for x in eqn.invars:
        n = x.aval.shape[d]
        if n:
            start = w.module.constant(f"np.int64({offset})")
            w.line(f"ka.place_block({target}, {as_shape(w, x, (before, n, after))}, {start})")
        offset += n


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
