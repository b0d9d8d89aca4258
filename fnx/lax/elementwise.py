"""Elementwise primitives: one table row each, mapping the primitive to its NumPy ufunc and dtype rule.

Operands share one dtype (``fnx.numpy`` promotes first) and one shape, except that rank-0 operands broadcast.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..core.avals import ShapedArray
from ..core.primitive import Primitive, def_primitive
from ..core.errors import FnxTypeError
from ._rules import elementwise_shape, require_dtype_kind, same_dtype

# dtype rules: which input kinds an op accepts, and whether its output is bool
_FLOAT, _NUMERIC, _SIGNED, _INT_BOOL, _INT, _ANY = "f", "iuf", "if", "biu", "iu", "biuf"


def _special(name: str):
    """``scipy.special.<name>``, imported at its first call: importing scipy.special takes ~0.4 s."""
    def call(*args, **kwargs):
        import scipy.special
        return getattr(scipy.special, name)(*args, **kwargs)
    call.__name__ = name
    return call


sp = SimpleNamespace(**{name: _special(name) for name in ("expit", "erf", "erfc", "erfinv", "gammaln", "digamma")})

_UNARY = {  # name: (numpy function, accepted kinds, bool output)
    "neg": (np.negative, _NUMERIC, False), "sign": (np.sign, _NUMERIC, False), "abs": (np.abs, _NUMERIC, False),
    "floor": (np.floor, _FLOAT, False), "ceil": (np.ceil, _FLOAT, False), "round": (np.rint, _FLOAT, False),
    "trunc": (np.trunc, _FLOAT, False), "exp": (np.exp, _FLOAT, False), "exp2": (np.exp2, _FLOAT, False),
    "expm1": (np.expm1, _FLOAT, False), "log": (np.log, _FLOAT, False), "log2": (np.log2, _FLOAT, False),
    "log10": (np.log10, _FLOAT, False), "log1p": (np.log1p, _FLOAT, False), "sqrt": (np.sqrt, _FLOAT, False),
    "cbrt": (np.cbrt, _FLOAT, False), "sin": (np.sin, _FLOAT, False), "cos": (np.cos, _FLOAT, False),
    "tan": (np.tan, _FLOAT, False), "asin": (np.arcsin, _FLOAT, False), "acos": (np.arccos, _FLOAT, False),
    "atan": (np.arctan, _FLOAT, False), "sinh": (np.sinh, _FLOAT, False), "cosh": (np.cosh, _FLOAT, False),
    "tanh": (np.tanh, _FLOAT, False), "asinh": (np.arcsinh, _FLOAT, False), "acosh": (np.arccosh, _FLOAT, False),
    "atanh": (np.arctanh, _FLOAT, False), "logistic": (sp.expit, _FLOAT, False), "erf": (sp.erf, _FLOAT, False),
    "erfc": (sp.erfc, _FLOAT, False), "erf_inv": (sp.erfinv, _FLOAT, False), "lgamma": (sp.gammaln, _FLOAT, False),
    "digamma": (sp.digamma, _FLOAT, False), "is_finite": (np.isfinite, _FLOAT, True),
    "is_nan": (np.isnan, _FLOAT, True), "is_inf": (np.isinf, _FLOAT, True), "signbit": (np.signbit, _FLOAT, True),
    "not": (np.invert, _INT_BOOL, False), "population_count": (np.bitwise_count, _INT, False),
}
def _power(x, y):
    """``x ** y``; for integers to negative powers (values unknown when tracing, so never an error) JAX's
    value of ``1 // x**-y``: 1 for x = 1, -1 or 1 for x = -1, else 0 (NumPy raises; docs/failures.md)."""
    if np.asarray(x).dtype.kind != "i" or not np.any(np.asarray(y) < 0):
        return np.power(x, y)  # Python scalars stay weakly typed
    x, y = np.asarray(x), np.asarray(y)
    negative = np.where(x == 1, 1, np.where(x == -1, np.where(y % 2 == 1, -1, 1), 0))
    return np.where(y >= 0, np.power(x, np.maximum(y, 0)), negative).astype(x.dtype)


_BINARY = {
    "add": (np.add, _ANY, False), "sub": (np.subtract, _NUMERIC, False), "mul": (np.multiply, _ANY, False),
    "div": (np.true_divide, _FLOAT, False), "floor_divide": (np.floor_divide, _NUMERIC, False),
    "rem": (np.remainder, _NUMERIC, False), "pow": (_power, _NUMERIC, False),
    "max": (np.maximum, _ANY, False), "min": (np.minimum, _ANY, False), "atan2": (np.arctan2, _FLOAT, False),
    "hypot": (np.hypot, _FLOAT, False), "copysign": (np.copysign, _FLOAT, False),
    "nextafter": (np.nextafter, _FLOAT, False), "logaddexp": (np.logaddexp, _FLOAT, False),
    "and": (np.bitwise_and, _INT_BOOL, False), "or": (np.bitwise_or, _INT_BOOL, False),
    "xor": (np.bitwise_xor, _INT_BOOL, False), "shift_left": (np.left_shift, _INT, False),
    "shift_right": (np.right_shift, _INT, False),
    "eq": (np.equal, _ANY, True), "ne": (np.not_equal, _ANY, True), "lt": (np.less, _ANY, True),
    "le": (np.less_equal, _ANY, True), "gt": (np.greater, _ANY, True), "ge": (np.greater_equal, _ANY, True),
}
_KIND_NAMES = {_FLOAT: "float", _NUMERIC: "numeric", _INT_BOOL: "integer or bool", _INT: "integer", _ANY: "array"}

# numpy function of each elementwise primitive, for backends and tests
numpy_functions: dict[Primitive, object] = {}


def _shape_rule(name: str, kinds: str, bool_out: bool):
    def abstract_eval(*avals: ShapedArray) -> ShapedArray:
        dtype = same_dtype(name, avals)
        for a in avals:
            require_dtype_kind(name, a, kinds, _KIND_NAMES[kinds])
        return ShapedArray(elementwise_shape(name, avals), np.dtype(bool) if bool_out else dtype)
    return abstract_eval


def _define(table: dict) -> dict:
    prims = {}
    for name, (fn, kinds, bool_out) in table.items():
        p = def_primitive(name, _shape_rule(name, kinds, bool_out), fn)
        numpy_functions[p] = fn
        prims[name] = p
    return prims


unary_primitives = _define(_UNARY)
binary_primitives = _define(_BINARY)
globals().update({f"{name}_p": p for name, p in {**unary_primitives, **binary_primitives}.items()})


def _integer_pow_eval(x: ShapedArray, *, y: int) -> ShapedArray:
    require_dtype_kind("integer_pow", x, _NUMERIC, "numeric")
    if x.dtype.kind in "iu" and y < 0:
        raise FnxTypeError(f"integer_pow: integers cannot be raised to the negative power {y} ({x})")
    return x


# x ** y for a Python int y known when tracing: simpler to differentiate and to compile than ``pow``.
def _integer_pow_impl(x, *, y: int):
    x = np.asarray(x)
    if y < 0:  # the same error as when tracing (NumPy's own words differ)
        _integer_pow_eval(ShapedArray(x.shape, x.dtype), y=y)
    return np.power(x, x.dtype.type(y))


integer_pow_p = def_primitive("integer_pow", _integer_pow_eval, _integer_pow_impl)
