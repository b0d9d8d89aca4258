"""CPU rules of the elementwise primitives: the expression of one element, used in fused loops and for scalars."""
from __future__ import annotations

import numpy as np

from ...core.ir import Eqn
from ...lax.elementwise import binary_primitives, integer_pow_p, unary_primitives
from ...lax.structural import convert_element_type_p, select_n_p, stop_gradient_p
from .codegen import FunctionWriter, cpu_rules, literal, np_dtype

_TEMPLATES = {
    "neg": "-{0}", "sign": "np.sign({0})", "abs": "np.abs({0})", "floor": "np.floor({0})", "ceil": "np.ceil({0})",
    "round": "np.rint({0})", "trunc": "np.trunc({0})", "exp": "vm.exp({0})",
    "expm1": "vm.expm1({0})", "log": "vm.log({0})", "log10": "np.log10({0})",
    "log1p": "vm.log1p({0})", "sqrt": "np.sqrt({0})", "cbrt": "np.cbrt({0})", "sin": "vm.sin({0})",
    "cos": "vm.cos({0})", "tan": "np.tan({0})", "asin": "np.arcsin({0})", "acos": "np.arccos({0})",
    "atan": "np.arctan({0})", "sinh": "np.sinh({0})", "cosh": "np.cosh({0})", "tanh": "vm.tanh({0})",
    "asinh": "np.arcsinh({0})", "acosh": "np.arccosh({0})", "atanh": "np.arctanh({0})",
    "logistic": "vm.logistic({0})", "erf": "vm.erf({0})", "erfc": "k.erfc({0})",
    "erf_inv": "k.erf_inv({0})", "lgamma": "k.lgamma({0})", "digamma": "k.digamma({0})",
    "is_finite": "np.isfinite({0})", "is_nan": "np.isnan({0})", "is_inf": "np.isinf({0})",
    "signbit": "np.signbit({0})",
    "add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}",
    "floor_divide": "np.floor_divide({0}, {1})", "rem": "np.remainder({0}, {1})", "pow": "np.power({0}, {1})",
    "max": "np.maximum({0}, {1})", "min": "np.minimum({0}, {1})", "atan2": "np.arctan2({0}, {1})",
    "hypot": "np.hypot({0}, {1})", "copysign": "np.copysign({0}, {1})", "nextafter": "np.nextafter({0}, {1})",
    "logaddexp": "np.logaddexp({0}, {1})", "and": "{0} & {1}", "or": "{0} | {1}", "xor": "{0} ^ {1}",
    "shift_left": "np.left_shift({0}, {1})", "shift_right": "np.right_shift({0}, {1})",
    "eq": "{0} == {1}", "ne": "{0} != {1}", "lt": "{0} < {1}", "le": "{0} <= {1}", "gt": "{0} > {1}",
    "ge": "{0} >= {1}",
}


def _pin(expr: str, dtype) -> str:
    """Numba's scalar arithmetic follows Python's types (int8 + int8 is int64): pin the result's dtype."""
    return expr if dtype == np.bool_ else f"{np_dtype(dtype)}({expr})"


# Operations whose Numba result on floats of one type has that type: no pin needed (a pin is a call that
# Numba types and lowers at every use, which adds up in compile time).
_KEEP_FLOAT_TYPE = {"neg", "abs", "sqrt", "floor", "ceil", "trunc", "add", "sub", "mul", "div", "max", "min",
                    "exp", "expm1", "log", "log1p", "sin", "cos", "tanh", "logistic", "erf"}


def _template(template: str, name: str):
    def expr(eqn: Eqn, args: list) -> str:
        text = template.format(*args)
        dtype = eqn.outvars[0].aval.dtype
        return text if dtype.kind == "f" and name in _KEEP_FLOAT_TYPE else _pin(text, dtype)
    return expr


def _not(eqn: Eqn, args: list) -> str:
    return f"(not {args[0]})" if eqn.invars[0].aval.dtype == np.bool_ else _pin(f"~{args[0]}", eqn.outvars[0].aval.dtype)


def _population_count(eqn: Eqn, args: list) -> str:
    dtype = eqn.invars[0].aval.dtype
    unsigned = np_dtype(np.dtype(f"uint{dtype.itemsize * 8}"))
    return _pin(f"k.population_count({unsigned}({args[0]}))", dtype)


def _convert(eqn: Eqn, args: list) -> str:
    new = eqn.params["new_dtype"]
    return f"({args[0]} != 0)" if new == np.bool_ else _pin(args[0], new)


def _select_n(eqn: Eqn, args: list) -> str:
    which, *cases = args
    if eqn.invars[0].aval.dtype == np.bool_:
        return f"k.select({which}, {cases[1]}, {cases[0]})"
    expr = cases[-1]
    for i in range(len(cases) - 2, -1, -1):  # the index is clamped into range, as the primitive does
        expr = f"k.select({which} <= {i}, {cases[i]}, {expr})"
    return expr


def _pow(eqn: Eqn, args: list) -> str:
    """Float powers use the vectorizable ``vm.pow``; integer powers ``k.int_power`` (JAX's value for negative
    exponents, as the eager ``pow``)."""
    fn = {"f": "vm.pow", "i": "k.int_power"}.get(eqn.outvars[0].aval.dtype.kind, "np.power")
    return _pin(f"{fn}({args[0]}, {args[1]})", eqn.outvars[0].aval.dtype)


def _in_float64(fn: str):
    """``fn`` computed in float64 for float32 operands: Numba's float32 np.exp2/np.log2 clash with their float64
    versions in one module (an LLVM type error); rounding the float64 result once stays within an ulp."""
    def expr(eqn: Eqn, args: list) -> str:
        dtype = eqn.outvars[0].aval.dtype
        arg = f"np.float64({args[0]})" if dtype == np.float32 else args[0]
        return _pin(f"{fn}({arg})", dtype)
    return expr


def _integer_pow(eqn: Eqn, args: list) -> str:
    x, y, dtype = args[0], eqn.params["y"], eqn.outvars[0].aval.dtype
    if 1 <= y <= 4:  # repeated multiplication: exact as NumPy's, and cheap
        return _pin(" * ".join([x] * y), dtype)
    return _pin(f"np.power({x}, {literal(y, dtype)})", dtype)


# The expression of one element of each elementwise primitive, given its operands' element expressions.
scalar_exprs: dict = {p: _template(_TEMPLATES[name], name)
                      for name, p in {**unary_primitives, **binary_primitives}.items() if name in _TEMPLATES}
scalar_exprs.update({unary_primitives["not"]: _not, unary_primitives["population_count"]: _population_count,
                     unary_primitives["exp2"]: _in_float64("np.exp2"), unary_primitives["log2"]: _in_float64("np.log2"),
                     binary_primitives["pow"]: _pow, convert_element_type_p: _convert, select_n_p: _select_n,
                     integer_pow_p: _integer_pow, stop_gradient_p: lambda eqn, args: args[0]})


def _scalar_rule(expr):
    """The CPU rule for rank-0 results; array results are computed in fused loops (see codegen)."""
    def rule(w: FunctionWriter, eqn: Eqn) -> None:
        w.assign(eqn.outvars[0], expr(eqn, [w.atom(x) for x in eqn.invars]))
    return rule


for _prim, _expr in scalar_exprs.items():
    cpu_rules[_prim] = _scalar_rule(_expr)
