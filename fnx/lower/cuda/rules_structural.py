"""CUDA rules of the structural primitives. A reshape is a view of the C-contiguous buffer; a broadcast to the
operand's own shape is the operand (other broadcasts are fused into clusters); transpose, slice, rev,
concatenate, pad, iota and the dynamic slices (their starts read from the device, clamped as in XLA) are map
kernels whose output position gives, by index arithmetic, the element to read; a bitcast is a view of the
buffer as another dtype of the same size."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ...core.ir import Eqn, Literal
from ...lax import structural as st
from ..source import Constants, literal
from .kernel_writer import strides
from .rules import cuda_rule
from .rules_elementwise import numba_type
from .steps import IndexStep, ViewStep


def index_kernel(eqn: Eqn, inputs: list, element: Callable[[list, Constants], str | tuple]) -> IndexStep:
    """A step computing ``eqn``'s one output by ``out[i] = element(j, constants)``, where ``j`` names the
    output position's index along each axis and the ``inputs`` (vars) are the kernel's ``a0, a1, ...``.
    ``element`` returns the expression, or (lines computing it, indented for the loop body, the expression)."""
    out = eqn.outvars[0]
    shape, constants = out.aval.shape, Constants()
    lines = ["    i = cuda.grid(1)", "    while i < n:"]
    lines += [f"        j{d} = (i // {s}) % {m}" for d, (s, m) in enumerate(zip(strides(shape), shape))]
    value = element([f"j{d}" for d in range(len(shape))], constants)
    if isinstance(value, tuple):
        lines += value[0]
        value = value[1]
    lines += [f"        o0[i] = {value}", "        i += cuda.gridsize(1)"]
    params = ", ".join(["n", "o0"] + [f"a{k}" for k in range(len(inputs))])
    return IndexStep(inputs, out, f"{constants.source()}\ndef k({params}):\n" + "\n".join(lines) + "\n")


def at(name: str, shape: tuple, index: list) -> str:
    """``name``'s element at the multi-index ``index`` (expressions), in C order."""
    terms = [f"({j}) * {s}" for j, s in zip(index, strides(shape))]
    return f"{name}[{' + '.join(terms) or '0'}]"


@cuda_rule(st.reshape_p)
def _reshape(eqn: Eqn, program) -> ViewStep:
    return ViewStep(eqn.invars[0], eqn.outvars[0])


@cuda_rule(st.broadcast_in_dim_p)
def _broadcast_in_dim(eqn: Eqn, program):
    """What fusion leaves: a broadcast to the operand's own shape (a view) or to a rank-0 shape."""
    return ViewStep(eqn.invars[0], eqn.outvars[0])


@cuda_rule(st.transpose_p)
def _transpose(eqn: Eqn, program) -> IndexStep:
    x, perm = eqn.invars[0], eqn.params["permutation"]
    return index_kernel(eqn, [x], lambda j, c: at("a0", x.aval.shape, [j[perm.index(d)] for d in range(len(perm))]))


@cuda_rule(st.slice_p)
def _slice(eqn: Eqn, program) -> IndexStep:
    x, p = eqn.invars[0], eqn.params
    return index_kernel(eqn, [x], lambda j, c: at("a0", x.aval.shape, [
        f"{lo} + {jd} * {s}" for jd, lo, s in zip(j, p["start_indices"], p["strides"])]))


@cuda_rule(st.rev_p)
def _rev(eqn: Eqn, program) -> IndexStep:
    x, dims = eqn.invars[0], eqn.params["dimensions"]
    shape = x.aval.shape
    return index_kernel(eqn, [x], lambda j, c: at("a0", shape, [
        f"{shape[d] - 1} - {jd}" if d in dims else jd for d, jd in enumerate(j)]))


@cuda_rule(st.iota_p)
def _iota(eqn: Eqn, program) -> IndexStep:
    dtype = eqn.params["dtype"]
    return index_kernel(eqn, [], lambda j, c: f"{numba_type(dtype)}({j[eqn.params['dimension']]})")


@cuda_rule(st.concatenate_p)
def _concatenate(eqn: Eqn, program) -> IndexStep:
    xs, axis = eqn.invars, eqn.params["dimension"]

    def element(j: list, constants: Constants) -> str:
        expr, end = None, sum(x.aval.shape[axis] for x in xs)
        for k in range(len(xs) - 1, -1, -1):  # from the last operand: a chain of conditional reads
            end -= xs[k].aval.shape[axis]
            moved = [f"{jd} - {end}" if d == axis else jd for d, jd in enumerate(j)]
            read = at(f"a{k}", xs[k].aval.shape, moved)
            expr = read if expr is None else f"({read} if {j[axis]} < {end + xs[k].aval.shape[axis]} else {expr})"
        return expr
    return index_kernel(eqn, list(xs), element)


@cuda_rule(st.pad_p)
def _pad(eqn: Eqn, program) -> IndexStep:
    """Output position j reads x at (j - low) / (interior + 1) when that divides evenly and lies inside x."""
    x, value = eqn.invars
    config, shape = eqn.params["padding_config"], x.aval.shape
    inputs = [x] if isinstance(value, Literal) else [x, value]

    def element(j: list, constants: Constants) -> str:
        fill = constants.name(literal(value.val, np.dtype(value.aval.dtype))) if isinstance(value, Literal) else "a1[0]"
        offsets = [f"({jd} - {lo})" for jd, (lo, _, _) in zip(j, config)]
        inside = " and ".join(f"{o} >= 0 and {o} % {i + 1} == 0 and {o} // {i + 1} < {n}"
                              for o, (_, _, i), n in zip(offsets, config, shape)) or "True"
        read = at("a0", shape, [f"{o} // {i + 1}" for o, (_, _, i) in zip(offsets, config)])
        return f"({read} if {inside} else {fill})"
    return index_kernel(eqn, inputs, element)


@cuda_rule(st.bitcast_convert_type_p)
def _bitcast_convert_type(eqn: Eqn, program) -> ViewStep:
    return ViewStep(eqn.invars[0], eqn.outvars[0])


def _clamped_starts(starts: list, inputs: list, sizes: tuple, shape: tuple) -> list:
    """The expressions of the start indices, clamped into the array; a start that is a variable joins
    ``inputs`` (the kernel reads it as ``a<k>[0]``), a literal is its value."""
    exprs = []
    for s, k, n in zip(starts, sizes, shape):
        if not isinstance(s, Literal):
            inputs.append(s)
        start = s.val if isinstance(s, Literal) else f"a{len(inputs) - 1}[0]"
        exprs.append(f"min(max({start}, 0), {n - k})")
    return exprs


@cuda_rule(st.dynamic_slice_p)
def _dynamic_slice(eqn: Eqn, program) -> IndexStep:
    x, *starts = eqn.invars
    inputs = [x]
    begin = _clamped_starts(starts, inputs, eqn.params["slice_sizes"], x.aval.shape)
    return index_kernel(eqn, inputs, lambda j, c: at("a0", x.aval.shape, [f"{b} + {jd}" for b, jd in zip(begin, j)]))


@cuda_rule(st.dynamic_update_slice_p)
def _dynamic_update_slice(eqn: Eqn, program) -> IndexStep:
    """``out[j]`` is the update's element at ``j - start`` inside the window, the operand's outside it."""
    x, update, *starts = eqn.invars
    shape, sizes, inputs = x.aval.shape, update.aval.shape, [x, update]
    begin = _clamped_starts(starts, inputs, sizes, shape)

    def element(j: list, constants: Constants) -> str:
        inside = " and ".join(f"{b} <= {jd} < {b} + {k}" for b, jd, k in zip(begin, j, sizes)) or "True"
        read = at("a1", sizes, [f"{jd} - {b}" for b, jd in zip(begin, j)])
        return f"({read} if {inside} else {at('a0', shape, j)})"
    return index_kernel(eqn, inputs, element)
