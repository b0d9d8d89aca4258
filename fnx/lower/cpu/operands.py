"""Operand helpers shared by the CPU rules of the array primitives.

Each rule reshapes its operands (free for C-contiguous arrays) into the fixed-rank normal form of its kernel
in ``kernels_arrays`` (``ka``), calls it, and reshapes the result back; layout changes (transposes, dilation,
padding) are flat kernels too, with shapes and params passed as int64 arrays. So every kernel compiles once
per dtype, never per shape or param, and the generated code stays short, which keeps Numba's compile time
down. Rank-0 operands become 1-element arrays on the way in and scalars on the way out.
"""
from __future__ import annotations

import math

from .codegen import FunctionWriter, np_dtype


def int_arg(w: FunctionWriter, value: int) -> str:
    """An int kernel argument (an op code, a count) as a module constant of type int64: Numba would
    specialize the kernel for a literal's very value (see ``FunctionWriter.shape``)."""
    return w.module.constant(f"np.int64({int(value)})")


def bool_arg(w: FunctionWriter, value: bool) -> str:
    """A bool kernel argument (a flag) as a module constant of type bool, for the same reason."""
    return w.module.constant(f"np.bool_({bool(value)})")


def reshaped(w: FunctionWriter, expr: str, shape: tuple) -> str:
    """The C-contiguous array ``expr`` viewed with ``shape`` (``-1`` allowed): ``k.reshape``."""
    return f"k.reshape({expr}, {w.shape(shape)})"


def as_shape(w: FunctionWriter, x, shape: tuple) -> str:
    """``x`` as a C-contiguous array of ``shape`` (same number of elements); a scalar is filled in."""
    if not x.aval.shape:
        return w.full(shape, w.atom(x), x.aval.dtype)
    return reshaped(w, w.contiguous(x), shape)


def flat(w: FunctionWriter, x) -> str:
    """``x`` flattened in C order (a scalar as one element)."""
    return as_shape(w, x, (math.prod(x.aval.shape) if x.aval.shape else 1,))


def transposed(w: FunctionWriter, flat: str, shape: tuple, perm: tuple) -> str:
    """The flat C-order elements of ``np.transpose(flat.reshape(shape), perm)``."""
    shape, perm = _merged_axes(shape, perm)
    if perm == tuple(range(len(perm))):
        return flat
    return f"ka.transpose({flat}, {ints(w, shape)}, {ints(w, perm)})"


def _merged_axes(shape: tuple, perm: tuple) -> tuple[tuple, tuple]:
    """An equivalent, smaller transpose: axes of size 1 dropped, and axes that stay neighbours merged.

    >>> _merged_axes((64, 20, 24, 24), (1, 0, 2, 3))
    ((64, 20, 576), (1, 0, 2))
    """
    kept = [a for a in range(len(shape)) if shape[a] != 1]
    perm = [kept.index(a) for a in perm if shape[a] != 1]
    groups: list[list[int]] = []  # runs of source axes that stay together, in the result's order
    for a in perm:
        if groups and groups[-1][-1] + 1 == a:
            groups[-1].append(a)
        else:
            groups.append([a])
    order = sorted(range(len(groups)), key=lambda g: groups[g][0])  # the merged axes in source order
    merged_shape = tuple(math.prod(shape[kept[a]] for a in groups[g]) for g in order)
    return merged_shape, tuple(order.index(g) for g in range(len(groups)))


def ints(w: FunctionWriter, values) -> str:
    """An int64 array of ``values`` (shapes, params) as a kernel argument: a module constant, which Numba
    bakes into the code, where ``np.array((...), np.int64)`` would make it compile ``np.array`` for each
    length of tuple in every process."""
    values = tuple(int(v) for v in values)
    return w.module.constant(f"np.array({values}, np.int64)" if values else "np.zeros(0, np.int64)")


def reshaped_result(w: FunctionWriter, v, expr: str) -> None:
    """Define ``v`` from a kernel result with the same number of elements: reshaped, or its scalar."""
    shape = tuple(v.aval.shape)
    if shape == ():
        w.assign(v, f"{reshaped(w, expr, (-1,))}[0]")
    else:  # Numba reshapes only contiguous arrays, so the result is one
        w.assign_contiguous(v, reshaped(w, expr, shape))

def zeros_if_empty(w: FunctionWriter, v) -> bool:
    """Define ``v`` as zeros when it has no elements (kernels then need not care); True if so."""
    if 0 not in v.aval.shape:
        return False
    w.assign(v, f"np.zeros({tuple(v.aval.shape)}, {np_dtype(v.aval.dtype)})")
    return True

def dilate_pad(w: FunctionWriter, flat: str, shape: tuple, config: list, fill: str) -> tuple[str, tuple]:
    """``flat`` (C-order elements of ``shape``) dilated and padded by ``(low, high, interior)`` per axis, as
    ``lax.pad`` does, new elements holding ``fill``; returns the flat result and its shape."""
    if all(c == (0, 0, 0) for c in config):
        return flat, shape
    padded = tuple(n + max(n - 1, 0) * i + lo + hi for n, (lo, hi, i) in zip(shape, config))
    low, high, interior = (ints(w, (c[j] for c in config)) for j in range(3))
    return f"ka.dilate_pad({flat}, {ints(w, shape)}, {low}, {high}, {interior}, {fill})", padded
