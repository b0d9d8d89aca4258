"""CPU rules of the array primitives: gather, scatter, sort, inv/solve/det/cholesky, conv_general_dilated,
reduce_window and the max/min pooling derivatives (select_and_scatter_add, select_and_gather_add).

Each rule reshapes its operands (free for C-contiguous arrays) into the fixed-rank normal form of its kernel
in ``kernels_arrays`` (``ka``), calls it, and reshapes the result back; layout changes (transposes, dilation,
padding) are flat kernels too, with shapes and params passed as int64 arrays. So every kernel compiles once
per dtype, never per shape or param, and the generated code stays short, which keeps Numba's compile time
down. Rank-0 operands become 1-element arrays on the way in and scalars on the way out.
"""
from __future__ import annotations

import math

import numpy as np

from ...core.ir import Eqn
from ...lax import linalg
from ...lax.convolution import conv_general_dilated_p, reduce_window_p, select_and_gather_add_p, \
    select_and_scatter_add_p
from ...lax.indexing import gather_p, scatter_p
from ...lax.sorting import sort_p
from .codegen import FunctionWriter, cpu_rule, cpu_rules, literal, np_dtype
from .kernels_arrays import SCATTER_MODES, WINDOW_REDUCERS


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


def _zeros_if_empty(w: FunctionWriter, v) -> bool:
    """Define ``v`` as zeros when it has no elements (kernels then need not care); True if so."""
    if 0 not in v.aval.shape:
        return False
    w.assign(v, f"np.zeros({tuple(v.aval.shape)}, {np_dtype(v.aval.dtype)})")
    return True


# -- gather and scatter: operand rows (prod(x.shape[:k]), rest), indices (batch, k) -------------------------

def _indexing_operands(w: FunctionWriter, x, indices) -> tuple[str, str, str, int]:
    """Operand rows, int64 index rows, dims of the indexed axes, and the batch size."""
    k = indices.aval.shape[-1]
    dims = x.aval.shape[:k]
    rows = (math.prod(dims), math.prod(x.aval.shape[k:]))
    batch = math.prod(indices.aval.shape[:-1])
    if k == 0:
        index_rows = f"np.zeros(({batch}, 0), np.int64)"
    else:
        index_rows = as_shape(w, indices, (batch, k))
        if indices.aval.dtype != np.int64:
            index_rows += ".astype(np.int64)"
    return as_shape(w, x, rows), index_rows, ints(w, dims), batch


@cpu_rule(gather_p)
def _gather(w: FunctionWriter, eqn: Eqn) -> None:
    x, indices = eqn.invars
    if _zeros_if_empty(w, eqn.outvars[0]):
        return
    rows, index_rows, dims, _ = _indexing_operands(w, x, indices)
    reshaped_result(w, eqn.outvars[0], f"ka.gather({rows}, {index_rows}, {dims})")


@cpu_rule(scatter_p)
def _scatter(w: FunctionWriter, eqn: Eqn) -> None:
    x, indices, updates = eqn.invars
    if _zeros_if_empty(w, eqn.outvars[0]):
        return
    rows, index_rows, dims, batch = _indexing_operands(w, x, indices)
    update_rows = as_shape(w, updates, (batch, math.prod(x.aval.shape[indices.aval.shape[-1]:])))
    mode = int_arg(w, SCATTER_MODES[eqn.params["mode"]])
    reshaped_result(w, eqn.outvars[0], f"ka.scatter({rows}, {index_rows}, {update_rows}, {dims}, {mode})")


# -- sort: every operand as (outer, n, inner), sorted along the middle axis --------------------------------

@cpu_rule(sort_p)
def _sort(w: FunctionWriter, eqn: Eqn) -> None:
    p = eqn.params
    shape, axis = eqn.invars[0].aval.shape, p["dimension"]
    blocks = (math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:]))
    names = []
    for x in eqn.invars:
        names.append(w.temp())
        w.line(f"{names[-1]} = {as_shape(w, x, blocks)}")
    order = w.temp()
    w.line(f"{order} = ka.identity_permutation({', '.join(int_arg(w, n) for n in blocks)})")
    for key in reversed(names[:p["num_keys"]]):  # least significant key first: each pass is stable
        w.line(f"{order} = ka.sort_permutation({key}, {order})")
    for name, v in zip(names, eqn.outvars):
        reshaped_result(w, v, f"ka.take_along_middle({name}, {order})")


# -- linear algebra: stacks of matrices (batch, n, n) ------------------------------------------------------

def _stack(w: FunctionWriter, x) -> str:
    """``x`` (..., n, m) as a stack (batch, n, m)."""
    shape = x.aval.shape
    return as_shape(w, x, (math.prod(shape[:-2]), *shape[-2:]))


def _matrix_rule(kernel: str):
    def lower(w: FunctionWriter, eqn: Eqn) -> None:
        if not _zeros_if_empty(w, eqn.outvars[0]):
            reshaped_result(w, eqn.outvars[0], f"ka.{kernel}({', '.join(_stack(w, x) for x in eqn.invars)})")
    return lower


for _prim in (linalg.inv_p, linalg.solve_p, linalg.det_p, linalg.cholesky_p):
    cpu_rules[_prim] = _matrix_rule(_prim.name)


# -- dilation and padding shared by the windowed primitives -------------------------------------------------

def dilate_pad(w: FunctionWriter, flat: str, shape: tuple, config: list, fill: str) -> tuple[str, tuple]:
    """``flat`` (C-order elements of ``shape``) dilated and padded by ``(low, high, interior)`` per axis, as
    ``lax.pad`` does, new elements holding ``fill``; returns the flat result and its shape."""
    if all(c == (0, 0, 0) for c in config):
        return flat, shape
    padded = tuple(n + max(n - 1, 0) * i + lo + hi for n, (lo, hi, i) in zip(shape, config))
    low, high, interior = (ints(w, (c[j] for c in config)) for j in range(3))
    return f"ka.dilate_pad({flat}, {ints(w, shape)}, {low}, {high}, {interior}, {fill})", padded


# -- conv_general_dilated: canonical (N, C, spatial) input and (O, C/G, spatial) kernel, spatial flattened --

@cpu_rule(conv_general_dilated_p)
def _conv(w: FunctionWriter, eqn: Eqn) -> None:
    lhs, rhs = eqn.invars
    out, p = eqn.outvars[0], eqn.params
    if _zeros_if_empty(w, out):
        return
    lhs_perm, rhs_perm, out_perm = p["dimension_numbers"]
    dtype = lhs.aval.dtype
    x_shape = tuple(lhs.aval.shape[i] for i in lhs_perm)
    config = [(0, 0, 0)] * 2 + [(lo, hi, d - 1) for (lo, hi), d in zip(p["padding"], p["lhs_dilation"])]
    x = transposed(w, flat(w, lhs), lhs.aval.shape, tuple(lhs_perm))
    x, x_shape = dilate_pad(w, x, x_shape, config, literal(0, dtype))
    w_shape = tuple(rhs.aval.shape[i] for i in rhs_perm)
    kernel = transposed(w, flat(w, rhs), rhs.aval.shape, tuple(rhs_perm))
    x3 = reshaped(w, x, (*x_shape[:2], math.prod(x_shape[2:])))
    w3 = reshaped(w, kernel, (*w_shape[:2], math.prod(w_shape[2:])))
    unit = () if x_shape[2:] else (1,)  # no spatial axes: one of size 1
    params = ", ".join(ints(w, v + unit) for v in (x_shape[2:], w_shape[2:], p["window_strides"], p["rhs_dilation"]))
    result = reshaped(w, f"ka.conv({x3}, {w3}, {params}, {int_arg(w, p['feature_group_count'])})", (-1,))
    canonical = tuple(out.aval.shape[i] for i in out_perm)
    reshaped_result(w, out, transposed(w, result, canonical, tuple(int(i) for i in np.argsort(out_perm))))


# -- reduce_window and its derivatives: the operand dilated and padded with init, flattened, with its shape ---

def _window_operand(w: FunctionWriter, x, init, params: dict) -> tuple[str, tuple, list]:
    """``x`` dilated and padded with ``init`` (flat; a scalar as one element), its shape and the pad config."""
    config = [(lo, hi, d - 1) for (lo, hi), d in zip(params["padding"], params["base_dilation"])]
    padded, padded_shape = dilate_pad(w, flat(w, x), x.aval.shape or (1,), config, w.atom(init))
    return padded, padded_shape, config


def _window_params(w: FunctionWriter, padded_shape: tuple, out, params: dict) -> str:
    """The shape arrays every window kernel takes after its operands."""
    per_axis = [params[name] or (1,) for name in ("window_dimensions", "window_strides", "window_dilation")]
    return ", ".join(ints(w, v) for v in (padded_shape, out.aval.shape or (1,), *per_axis))


@cpu_rule(reduce_window_p)
def _reduce_window(w: FunctionWriter, eqn: Eqn) -> None:
    x, init = eqn.invars
    out, p = eqn.outvars[0], eqn.params
    if _zeros_if_empty(w, out):
        return
    padded, padded_shape, _ = _window_operand(w, x, init, p)
    op = int_arg(w, WINDOW_REDUCERS[p["computation"]])
    reshaped_result(w, out, f"ka.reduce_window({padded}, {_window_params(w, padded_shape, out, p)}, {w.atom(init)}, "
                            f"{op})")


@cpu_rule(select_and_gather_add_p)
def _select_and_gather_add(w: FunctionWriter, eqn: Eqn) -> None:
    tangent, tangent_init, x, init = eqn.invars
    out, p = eqn.outvars[0], eqn.params
    if _zeros_if_empty(w, out):
        return
    padded, padded_shape, config = _window_operand(w, x, init, p)
    padded_tangent, _ = dilate_pad(w, flat(w, tangent), x.aval.shape or (1,), config, w.atom(tangent_init))
    op = int_arg(w, WINDOW_REDUCERS[p["computation"]])
    reshaped_result(w, out, f"ka.select_and_gather_add({padded}, {padded_tangent}, {w.atom(tangent_init)}, "
                            f"{_window_params(w, padded_shape, out, p)}, {w.atom(init)}, {op})")


@cpu_rule(select_and_scatter_add_p)
def _select_and_scatter_add(w: FunctionWriter, eqn: Eqn) -> None:
    source, x, init = eqn.invars
    out, p = eqn.outvars[0], eqn.params
    if _zeros_if_empty(w, out):
        return
    if 0 in source.aval.shape:
        w.assign(out, f"np.zeros({tuple(out.aval.shape)}, {np_dtype(out.aval.dtype)})")
        return
    padded, padded_shape, config = _window_operand(w, x, init, p)
    op = int_arg(w, WINDOW_REDUCERS[p["computation"]])
    result = (f"ka.select_and_scatter_add({padded}, {flat(w, source)}, {_window_params(w, padded_shape, source, p)}, "
              f"{w.atom(init)}, {op})")
    if any(c != (0, 0, 0) for c in config):  # back from the padded layout: the padding's share is dropped
        shape = x.aval.shape or (1,)
        result = f"ka.undilate_pad({result}, {ints(w, shape)}, " + ", ".join(ints(w, (c[j] for c in config))
                                                                        for j in range(3)) + ")"
    reshaped_result(w, out, result)
