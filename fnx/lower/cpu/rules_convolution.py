"""CPU rules of the windowed primitives: conv_general_dilated, reduce_window and the max/min pooling derivatives
(select_and_scatter_add, select_and_gather_add)."""
from __future__ import annotations

import math

import numpy as np

from ...core.ir import Eqn
from ...lax.convolution import conv_general_dilated_p, reduce_window_p, select_and_gather_add_p, \
    select_and_scatter_add_p
from .codegen import FunctionWriter, cpu_rule, literal, np_dtype
from .op_codes import WINDOW_REDUCERS
from .operands import dilate_pad, flat, int_arg, ints, reshaped, reshaped_result, transposed, zeros_if_empty


# -- conv_general_dilated: canonical (N, C, spatial) input and (O, C/G, spatial) kernel, spatial flattened --

@cpu_rule(conv_general_dilated_p)
def _conv(w: FunctionWriter, eqn: Eqn) -> None:
    lhs, rhs = eqn.invars
    out, p = eqn.outvars[0], eqn.params
    if zeros_if_empty(w, out):
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
    if zeros_if_empty(w, out):
        return
    padded, padded_shape, _ = _window_operand(w, x, init, p)
    op = int_arg(w, WINDOW_REDUCERS[p["computation"]])
    reshaped_result(w, out, f"ka.reduce_window({padded}, {_window_params(w, padded_shape, out, p)}, {w.atom(init)}, "
                            f"{op})")


@cpu_rule(select_and_gather_add_p)
def _select_and_gather_add(w: FunctionWriter, eqn: Eqn) -> None:
    tangent, tangent_init, x, init = eqn.invars
    out, p = eqn.outvars[0], eqn.params
    if zeros_if_empty(w, out):
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
    if zeros_if_empty(w, out):
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
