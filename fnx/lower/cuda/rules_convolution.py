"""CUDA rules of the windowed primitives: convolution, reduce_window and max pooling's two derivative
primitives, as *direct* kernels, one thread per output element (grid-strided), walking its window.

The window arithmetic is the primitives' own (``fnx/lax/convolution.py``): along an axis, tap ``t`` of the
window at output position ``j`` lands at ``q = j * stride + t * window_dilation - low`` of the dilated, padded
operand, which is element ``q // base_dilation`` when ``q`` is inside and on the dilation grid, and padding
(or a hole) otherwise. The convolution's gradients are convolutions again (their jvp and vjp rules), so they
run here too. (im2col into the tiled matmul would reuse shared memory better on large layers; the direct form
needs no workspace and reads as the definition.)
"""
from __future__ import annotations

import math

from ...core.ir import Eqn, Literal
from ...lax import convolution as cv
from ..source import Constants, literal
from . import runtime
from .kernel_writer import combine, strides
from .rules import cuda_rule
from .rules_elementwise import numba_type
from .rules_structural import index_kernel
from .steps import Step, flat


def _taps(pad: str, names: list, shape: tuple, window: dict, prefix: str = "t") -> tuple[list, list, str]:
    """Nested loops over the window's taps at output position ``names`` (one per axis of ``shape``): the
    lines opening them, the operand index expressions per axis, and the condition of a real element."""
    lines, index, inside = [], [], []
    for d, (j, n) in enumerate(zip(names, shape)):
        k, s, (lo, _), a, r = (window["window_dimensions"][d], window["window_strides"][d], window["padding"][d],
                               window["base_dilation"][d], window["window_dilation"][d])
        lines += [f"{pad}for {prefix}{d} in range({k}):", f"{pad}    q{d} = {j} * {s} + {prefix}{d} * {r} - {lo}"]
        pad += "    "
        inside.append(f"q{d} >= 0 and q{d} % {a} == 0 and q{d} // {a} < {n}")
        index.append(f"q{d} // {a}")
    return lines, index, " and ".join(inside) or "True"


def _flat(shape: tuple, index: list) -> str:
    return " + ".join(f"({e}) * {s}" for e, s in zip(index, strides(shape))) or "0"


def _window(params: dict) -> dict:
    return {k: params[k] for k in ("window_dimensions", "window_strides", "padding", "base_dilation",
                                   "window_dilation")}


def _scalar(x, name: str, constants: Constants) -> str:
    return constants.name(literal(x.val, x.aval.dtype)) if isinstance(x, Literal) else f"{name}[0]"


@cuda_rule(cv.reduce_window_p)
def _reduce_window(eqn: Eqn, program) -> Step:
    x, init = eqn.invars
    shape, dtype, name = x.aval.shape, x.aval.dtype, f"reduce_{eqn.params['computation']}"

    def element(j: list, constants: Constants) -> tuple:
        start = _scalar(init, "a1", constants)
        lines, index, inside = _taps("        ", j, shape, _window(eqn.params))
        pad = "        " + "    " * len(shape)
        value = f"(a0[{_flat(shape, index)}] if {inside} else {start})"
        return [f"        acc = {start}"] + lines + [f"{pad}acc = {combine(name, 'acc', value, dtype)}"], "acc"
    step = index_kernel(eqn, [x] + ([] if isinstance(init, Literal) else [init]), element)
    step.flops = math.prod(eqn.outvars[0].aval.shape) * math.prod(eqn.params["window_dimensions"])
    return step


def _choice_lines(shape: tuple, window: dict, computation: str, init: str, pad: str) -> list:
    """Lines finding, for output position ``j0, j1, ...``, the first window element that is the maximum
    (minimum), as ``best`` (its value) and ``pos`` (its flat index in the operand; ``size``: the init value)."""
    size, cmp = math.prod(shape), ">" if computation == "max" else "<"
    lines, index, inside = _taps(pad, [f"j{d}" for d in range(len(shape))], shape, window)
    body = pad + "    " * len(shape)
    return ([f"{pad}best = {init}", f"{pad}pos = {size}", f"{pad}first = True"] + lines +
            [f"{body}here = {_flat(shape, index)} if {inside} else {size}",
             f"{body}v = x[here] if here < {size} else {init}",
             f"{body}if first or v {cmp} best:", f"{body}    best = v", f"{body}    pos = here",
             f"{body}    first = False"])


def _positions(windows: tuple) -> list:
    return [f"        j{d} = (w // {s}) % {m}" for d, (s, m) in enumerate(zip(strides(windows), windows))]


class _SelectStep(Step):
    """select_and_scatter_add (a window's cotangent added, atomically, at its chosen element) and
    select_and_gather_add (the tangent read at each window's chosen element): one thread per window."""

    def __init__(self, eqn: Eqn, scatter: bool):
        self.inputs, self.outputs, self.scatter = list(eqn.invars), list(eqn.outvars), scatter
        p = eqn.params
        operand, init = (eqn.invars[1], eqn.invars[2]) if scatter else (eqn.invars[2], eqn.invars[3])
        shape, dtype = operand.aval.shape, operand.aval.dtype
        windows = (eqn.invars[0] if scatter else eqn.outvars[0]).aval.shape
        self.count, self.size = math.prod(windows), math.prod(shape)
        constants = Constants()
        zero = constants.name(literal(0, dtype))
        choose = _choice_lines(shape, _window(p), p["computation"], "init[0]", "        ")
        if scatter:  # k(n, out, source, x, init)
            result = ["        if pos < {0}:".format(self.size), "            cuda.atomic.add(out, pos, source[w])"]
            params = "n, out, source, x, init"
        else:  # k(n, out, tangent, tangent_init, x, init)
            result = [f"        out[w] = tangent[pos] if pos < {self.size} else tangent_init[0]"]
            params = "n, out, tangent, tangent_init, x, init"
        lines = ["    w = cuda.grid(1)", "    while w < n:", *_positions(windows), *choose, *result,
                 "        w += cuda.gridsize(1)"]
        zeros = ["    i = cuda.grid(1)", "    while i < n:", f"        out[i] = {numba_type(dtype)}({zero})",
                 "        i += cuda.gridsize(1)"]
        self.source = (f"{constants.source()}\ndef k({params}):\n" + "\n".join(lines) +
                       "\n\ndef zeros(n, out):\n" + "\n".join(zeros) + "\n")
        self.launches, self.flops = 1 + scatter, self.count * math.prod(p["window_dimensions"])

    def run(self, values: list) -> list:
        out_aval = self.outputs[0].aval
        out = runtime.pool().take(out_aval.shape, out_aval.dtype)
        launch = lambda n: (runtime.blocks_for(n), runtime.THREADS)  # noqa: E731
        if self.scatter and self.size:
            runtime.compile_kernel(self.source, "zeros")[launch(self.size)](self.size, flat(out))
        if self.count and (self.size or not self.scatter):
            runtime.compile_kernel(self.source, "k")[launch(self.count)](self.count, flat(out), *map(flat, values))
        return [out]


cuda_rule(cv.select_and_scatter_add_p)(lambda eqn, program: _SelectStep(eqn, scatter=True))
cuda_rule(cv.select_and_gather_add_p)(lambda eqn, program: _SelectStep(eqn, scatter=False))


@cuda_rule(cv.conv_general_dilated_p)
def _conv(eqn: Eqn, program) -> Step:
    """Output (n, o, *positions) sums lhs (n, g * cg + c, *window element) * rhs (o, c, *taps) over the input
    features c of o's group g and the taps; each operand is read in its own layout (``dimension_numbers``)."""
    lhs, rhs = eqn.invars
    p = eqn.params
    lp, rp, op = p["dimension_numbers"]
    ls, rs = lhs.aval.shape, rhs.aval.shape
    spatial = [ls[a] for a in lp[2:]]
    cg, out_features, dtype = rs[rp[1]], rs[rp[0]], eqn.outvars[0].aval.dtype
    per_group = out_features // p["feature_group_count"]
    lst, rst = strides(ls), strides(rs)
    window = {"window_dimensions": [rs[a] for a in rp[2:]], "window_strides": p["window_strides"],
              "padding": p["padding"], "base_dilation": p["lhs_dilation"], "window_dilation": p["rhs_dilation"]}

    def element(j: list, constants: Constants) -> tuple:
        n, o, pos = j[op[0]], j[op[1]], [j[a] for a in op[2:]]
        zero = constants.name(literal(0, dtype))
        lines = [f"        acc = {zero}", f"        for c in range({cg}):"]
        taps, index, inside = _taps("            ", pos, tuple(spatial), window)
        pad = "            " + "    " * len(spatial)
        x_at = " + ".join([f"{n} * {lst[lp[0]]}", f"({o} // {per_group} * {cg} + c) * {lst[lp[1]]}"] +
                          [f"({e}) * {lst[a]}" for e, a in zip(index, lp[2:])])
        w_at = " + ".join([f"{o} * {rst[rp[0]]}", f"c * {rst[rp[1]]}"] +
                          [f"t{d} * {rst[a]}" for d, a in enumerate(rp[2:])])
        lines += taps + [f"{pad}if {inside}:", f"{pad}    acc = {numba_type(dtype)}(acc + a0[{x_at}] * a1[{w_at}])"]
        return lines, "acc"
    step = index_kernel(eqn, [lhs, rhs], element)
    step.flops = 2 * math.prod(eqn.outvars[0].aval.shape) * cg * math.prod(window["window_dimensions"])
    return step
