"""CPU rules of the elementwise primitives: the expression of one element, used in fused loops and for scalars.

Most come from the templates of the elementwise table (fnx/lax/elementwise.py); the functions below write
the rest.
"""
from __future__ import annotations

import numpy as np

from ...core.ir import Eqn
from ...lax.elementwise import (convert_element_type_p, div_p, exp2_p, integer_pow_p, log2_p, not_p, population_count_p,
                                pow_p, select_n_p, stop_gradient_p)
from ...lax.elementwise import for_each_row
from ..source import convert_element, select_n_element
from .codegen import FunctionWriter, cpu_rules, literal, np_dtype


def _pin(expr: str, dtype) -> str:
    """Numba's scalar arithmetic follows Python's types (int8 + int8 is int64): pin the result's dtype."""
    return expr if dtype == np.bool_ else f"{np_dtype(dtype)}({expr})"


# Complex operands: division as NumPy's (Python's ``/`` raises on a zero divisor), and NumPy's functions where
# the template calls fnx's float-only vecmath (``vm.``) or kernels (``k.``); Numba implements them for complexes.
_COMPLEX_TEMPLATES = {div_p: "np.true_divide({0}, {1})"}


def _template(row):
    """The expression from the row's template. Where Numba's result on floats already has the operands' type
    (``row.same_type``) no pin is written: a pin is a call that Numba types and lowers at every use, which adds
    up in compile time."""
    complex_template = _COMPLEX_TEMPLATES.get(row.primitive) or (
        f"np.{row.numpy.__name__}({{0}})" if row.cpu.startswith(("vm.", "k.")) else row.cpu)

    def expr(eqn: Eqn, args: list) -> str:
        operand = eqn.invars[0].aval.dtype
        text = (complex_template if operand.kind == "c" else row.cpu).format(*args)
        dtype = eqn.outvars[0].aval.dtype
        return text if dtype.kind == "f" and row.same_type else _pin(text, dtype)
    return expr


def _not(eqn: Eqn, args: list) -> str:
    return f"(not {args[0]})" if eqn.invars[0].aval.dtype == np.bool_ else _pin(f"~{args[0]}", eqn.outvars[0].aval.dtype)


def _population_count(eqn: Eqn, args: list) -> str:
    dtype = eqn.invars[0].aval.dtype
    unsigned = np_dtype(np.dtype(f"uint{dtype.itemsize * 8}"))
    return _pin(f"k.population_count({unsigned}({args[0]}))", dtype)


def _convert(eqn: Eqn, args: list) -> str:
    return convert_element(eqn, args, _pin)


def _select_n(eqn: Eqn, args: list) -> str:
    return select_n_element(eqn, args, lambda c, a, b: f"k.select({c}, {a}, {b})")


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


def _scalar_rule(expr):
    """The CPU rule for rank-0 results; array results are computed in fused loops (see codegen)."""
    def rule(w: FunctionWriter, eqn: Eqn) -> None:
        w.assign(eqn.outvars[0], expr(eqn, [w.atom(x) for x in eqn.invars]))
    return rule


# The expression of one element of each elementwise primitive, given its operands' element expressions.
scalar_exprs: dict = {}


def _register(prim, expr) -> None:
    scalar_exprs[prim], cpu_rules[prim] = expr, _scalar_rule(expr)


def _register_row(row) -> None:
    if row.cpu is not None:
        _register(row.primitive, _template(row))


_WRITTEN_HERE = {not_p: _not, population_count_p: _population_count, exp2_p: _in_float64("np.exp2"),
                 log2_p: _in_float64("np.log2"), pow_p: _pow, convert_element_type_p: _convert,
                 select_n_p: _select_n, integer_pow_p: _integer_pow, stop_gradient_p: lambda eqn, args: args[0]}
for _prim, _expr in _WRITTEN_HERE.items():
    _register(_prim, _expr)
for_each_row(_register_row)
