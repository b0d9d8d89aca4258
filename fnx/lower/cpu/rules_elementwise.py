"""CPU rules of the elementwise primitives: a NumPy expression each, which Numba fuses into loops."""
from __future__ import annotations

import numpy as np

from ...core.ir import Eqn
from ...lax.elementwise import binary_primitives, integer_pow_p, unary_primitives
from ...lax.structural import convert_element_type_p, stop_gradient_p
from .codegen import FunctionWriter, cpu_rules, literal, np_dtype

_TEMPLATES = {
    "neg": "-{0}", "sign": "np.sign({0})", "abs": "np.abs({0})", "floor": "np.floor({0})", "ceil": "np.ceil({0})",
    "round": "np.rint({0})", "trunc": "np.trunc({0})", "exp": "np.exp({0})", "exp2": "np.exp2({0})",
    "expm1": "np.expm1({0})", "log": "np.log({0})", "log2": "np.log2({0})", "log10": "np.log10({0})",
    "log1p": "np.log1p({0})", "sqrt": "np.sqrt({0})", "cbrt": "np.cbrt({0})", "sin": "np.sin({0})",
    "cos": "np.cos({0})", "tan": "np.tan({0})", "asin": "np.arcsin({0})", "acos": "np.arccos({0})",
    "atan": "np.arctan({0})", "sinh": "np.sinh({0})", "cosh": "np.cosh({0})", "tanh": "np.tanh({0})",
    "asinh": "np.arcsinh({0})", "acosh": "np.arccosh({0})", "atanh": "np.arctanh({0})",
    "logistic": "{one} / ({one} + np.exp(-{0}))", "erf": "k.erf({0})", "erfc": "k.erfc({0})",
    "erf_inv": "k.erf_inv({0})", "lgamma": "k.lgamma({0})", "digamma": "k.digamma({0})",
    "is_finite": "np.isfinite({0})", "is_nan": "np.isnan({0})", "is_inf": "np.isinf({0})",
    "signbit": "np.signbit({0})", "not": "~{0}",
    "add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}",
    "floor_divide": "np.floor_divide({0}, {1})", "rem": "np.remainder({0}, {1})", "pow": "np.power({0}, {1})",
    "max": "np.maximum({0}, {1})", "min": "np.minimum({0}, {1})", "atan2": "np.arctan2({0}, {1})",
    "hypot": "np.hypot({0}, {1})", "copysign": "np.copysign({0}, {1})", "nextafter": "np.nextafter({0}, {1})",
    "logaddexp": "np.logaddexp({0}, {1})", "and": "{0} & {1}", "or": "{0} | {1}", "xor": "{0} ^ {1}",
    "shift_left": "np.left_shift({0}, {1})", "shift_right": "np.right_shift({0}, {1})",
    "eq": "{0} == {1}", "ne": "{0} != {1}", "lt": "{0} < {1}", "le": "{0} <= {1}", "gt": "{0} > {1}",
    "ge": "{0} >= {1}",
}


def _elementwise_rule(template: str):
    def rule(w: FunctionWriter, eqn: Eqn) -> None:
        out = eqn.outvars[0].aval
        args = [f"({w.atom(x)})" for x in eqn.invars]
        expr = template.format(*args, one=literal(1, eqn.invars[0].aval.dtype))
        if out.shape == ():  # Numba's scalar arithmetic follows Python's types: pin the dtype
            expr = f"{np_dtype(out.dtype)}({expr})"
        w.assign(eqn.outvars[0], expr)
    return rule


for _name, _prim in {**unary_primitives, **binary_primitives}.items():
    if _name in _TEMPLATES:
        cpu_rules[_prim] = _elementwise_rule(_TEMPLATES[_name])


def _population_count(w: FunctionWriter, eqn: Eqn) -> None:
    dtype = eqn.invars[0].aval.dtype
    unsigned = np_dtype(np.dtype(f"uint{dtype.itemsize * 8}"))
    x = w.atom(eqn.invars[0])
    value = f"{unsigned}({x})" if eqn.outvars[0].aval.shape == () else f"{x}.astype({unsigned})"
    counted = f"k.population_count({value})"
    w.assign(eqn.outvars[0], f"{np_dtype(dtype)}({counted})" if eqn.outvars[0].aval.shape == () else
             f"{counted}.astype({np_dtype(dtype)})")


cpu_rules[unary_primitives["population_count"]] = _population_count


def _convert(w: FunctionWriter, eqn: Eqn) -> None:
    (x,), out = eqn.invars, eqn.outvars[0]
    dtype = np_dtype(eqn.params["new_dtype"])
    if out.aval.shape == ():
        w.assign(out, f"{dtype}({w.atom(x)})")
    else:
        w.assign(out, f"{w.atom(x)}.astype({dtype})")


def _identity(w: FunctionWriter, eqn: Eqn) -> None:
    w.assign(eqn.outvars[0], w.atom(eqn.invars[0]))


cpu_rules[convert_element_type_p] = _convert
cpu_rules[stop_gradient_p] = _identity


def _integer_pow(w: FunctionWriter, eqn: Eqn) -> None:
    x, y = w.atom(eqn.invars[0]), eqn.params["y"]
    aval = eqn.outvars[0].aval
    if 1 <= y <= 4:  # repeated multiplication: exact as NumPy's, and it vectorizes
        expr = " * ".join([f"({x})"] * y)
    else:
        expr = f"np.power({x}, {literal(y, aval.dtype)})"
    w.assign(eqn.outvars[0], f"{np_dtype(aval.dtype)}({expr})" if aval.shape == () else expr)


cpu_rules[integer_pow_p] = _integer_pow
