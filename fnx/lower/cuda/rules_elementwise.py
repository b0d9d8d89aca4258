"""CUDA rules of the elementwise primitives: the expression of one element inside a kernel.

The CPU templates of the elementwise table call NumPy and fnx's vectorized ``vecmath``, neither of which a
CUDA kernel can call; these are written with ``math`` (CUDA's libdevice on a GPU) and plain operators. A
primitive without an expression here (a user's row, or one CUDA's ``math`` lacks: ``host.py``) is routed to
the host: the cluster holding it runs on the CPU.
"""
from __future__ import annotations

import numpy as np

from ...core.ir import Eqn
from ...lax import elementwise as ew
from ..source import convert_element, select_n_element
from .rules import cuda_rules, host_routed


def numba_type(dtype) -> str:
    """The Numba type of ``dtype`` as an expression in kernel source: ``nb.float32``."""
    dtype = np.dtype(dtype)
    return "nb.boolean" if dtype == np.bool_ else f"nb.{dtype.name}"


def _pin(expr: str, dtype) -> str:
    """Numba's scalar arithmetic follows Python's types (int8 + int8 is int64, float32 * 2.0 is float64): the
    result is cast to the primitive's dtype."""
    return expr if np.dtype(dtype) == np.bool_ else f"{numba_type(dtype)}({expr})"


_SIGN = "({0} if ({0} != {0} or {0} == 0) else (1 if {0} > 0 else -1))"
# Rounding without ``math.floor`` (Numba returns an integer from it: wrong for inf and NaN). From 2**52 on every
# float is an integer; below, ``x % 1.0`` (Python's modulo, exact) is x's distance above its floor.
_FLOOR = "({0} if ({0} != {0} or abs({0}) >= 4503599627370496.0) else {0} - {0} % 1.0)"
_CEIL = "-" + _FLOOR.format("(-{0})")
_TRUNC = f"math.copysign({_FLOOR.format('abs({0})')}, {{0}})"


def _round_half_even(x: str) -> str:
    """NumPy's rint: the nearest integer, ties to the even one."""
    f = _FLOOR.format(x)
    return f"({f} + 1.0 if ({x} - {f} > 0.5 or ({x} - {f} == 0.5 and {f} % 2.0 == 1.0)) else {f})"


_TEMPLATES = {
    ew.neg_p: "-{0}", ew.sign_p: _SIGN, ew.floor_p: _FLOOR, ew.ceil_p: _CEIL, ew.trunc_p: _TRUNC,
    ew.round_p: _round_half_even("{0}"), ew.abs_p: "abs({0})", ew.exp_p: "math.exp({0})",
    ew.exp2_p: "math.pow(2.0, {0})", ew.expm1_p: "math.expm1({0})", ew.log_p: "math.log({0})",
    ew.log2_p: "math.log2({0})", ew.log10_p: "math.log10({0})", ew.log1p_p: "math.log1p({0})",
    ew.sqrt_p: "math.sqrt({0})", ew.sin_p: "math.sin({0})", ew.cos_p: "math.cos({0})", ew.tan_p: "math.tan({0})",
    ew.asin_p: "math.asin({0})", ew.acos_p: "math.acos({0})", ew.atan_p: "math.atan({0})",
    ew.sinh_p: "math.sinh({0})", ew.cosh_p: "math.cosh({0})", ew.tanh_p: "math.tanh({0})",
    ew.asinh_p: "math.asinh({0})", ew.acosh_p: "math.acosh({0})", ew.atanh_p: "math.atanh({0})",
    ew.logistic_p: "1.0 / (1.0 + math.exp(-{0}))", ew.erf_p: "math.erf({0})", ew.erfc_p: "math.erfc({0})",
    ew.lgamma_p: "math.lgamma({0})", ew.is_finite_p: "math.isfinite({0})", ew.is_nan_p: "math.isnan({0})",
    ew.is_inf_p: "math.isinf({0})", ew.signbit_p: "(math.copysign(1.0, {0}) < 0)",
    ew.add_p: "{0} + {1}", ew.sub_p: "{0} - {1}", ew.mul_p: "{0} * {1}", ew.div_p: "{0} / {1}",
    ew.floor_divide_p: "{0} // {1}", ew.rem_p: "{0} % {1}", ew.pow_p: "{0} ** {1}",
    ew.max_p: "({0} if ({0} >= {1} or {0} != {0}) else {1})",  # NaN propagates, as np.maximum
    ew.min_p: "({0} if ({0} <= {1} or {0} != {0}) else {1})",
    ew.atan2_p: "math.atan2({0}, {1})", ew.hypot_p: "math.hypot({0}, {1})", ew.copysign_p: "math.copysign({0}, {1})",
    ew.logaddexp_p: "(max({0}, {1}) + math.log1p(math.exp(-abs({0} - {1}))))",
    ew.and_p: "({0} & {1})", ew.or_p: "({0} | {1})", ew.xor_p: "({0} ^ {1})",
    ew.shift_left_p: "({0} << {1})", ew.shift_right_p: "({0} >> {1})",
    ew.eq_p: "({0} == {1})", ew.ne_p: "({0} != {1})", ew.lt_p: "({0} < {1})", ew.le_p: "({0} <= {1})",
    ew.gt_p: "({0} > {1})", ew.ge_p: "({0} >= {1})",
}


def _template(text: str):
    def expr(eqn: Eqn, args: list) -> str:
        return _pin(text.format(*args), eqn.outvars[0].aval.dtype)
    return expr


def _not(eqn: Eqn, args: list) -> str:
    return f"(not {args[0]})" if eqn.invars[0].aval.dtype == np.bool_ else _pin(f"~{args[0]}", eqn.outvars[0].aval.dtype)


def _convert(eqn: Eqn, args: list) -> str:
    return convert_element(eqn, args, _pin)


def _select_n(eqn: Eqn, args: list) -> str:
    return select_n_element(eqn, args, lambda c, a, b: f"({a} if {c} else {b})")


def _integer_pow(eqn: Eqn, args: list) -> str:
    x, y, dtype = args[0], eqn.params["y"], eqn.outvars[0].aval.dtype
    if y == 0:
        return _pin("1", dtype)
    product = " * ".join([x] * abs(y)) if abs(y) <= 4 else f"{x} ** {abs(y)}"
    return _pin(f"1.0 / ({product})" if y < 0 else product, dtype)


# The expression of one element of each elementwise primitive with a CUDA rule, given its operands' elements.
cuda_exprs: dict = {prim: _template(text) for prim, text in _TEMPLATES.items()}
cuda_exprs.update({ew.not_p: _not, ew.convert_element_type_p: _convert, ew.select_n_p: _select_n,
                   ew.integer_pow_p: _integer_pow, ew.stop_gradient_p: lambda eqn, args: args[0]})
cuda_rules.update(cuda_exprs)


def _mark_user_row(row) -> None:
    """A row defined later (``fnx.extend.def_elementwise``) has no CUDA expression: it runs on the host."""
    if row.primitive not in cuda_exprs and row.primitive not in host_routed:
        host_routed.mark(row.primitive)


ew.for_each_row(_mark_user_row)
