"""Elementwise primitives: one table row each, holding what every layer needs to know about it.

A row (``unary(...)`` or ``binary(...)``) gives the primitive's name, its NumPy implementation, the dtype kinds
it accepts, its derivative and its CPU scalar template:

* the derivative is the partial derivative of the output with respect to each operand, a function of the
  output and the operands (``None``: not differentiable, its derivative being zero wherever it exists);
  ``fnx.transforms.autodiff.rules_elementwise`` turns the partials into jvp and vjp rules;
* for complex operands the partial is the complex derivative f'(z), and reverse mode multiplies by it without
  conjugating (JAX's convention, docs/complex.md);
* the CPU template is the expression of one element, ``{0}`` and ``{1}`` standing for the operands' elements;
  ``fnx.lower.cpu.rules_elementwise`` uses it in fused loops (``None``: that module has a function for it);
  ``same_type`` says that Numba's result already has the operands' float type (no cast to write).

So adding or auditing ``tanh`` is its one row here. Operands share one dtype (``fnx.numpy`` promotes first)
and one shape, except that rank-0 operands broadcast. The other elementwise primitives, which take params or
select between operands (``convert_element_type``, ``integer_pow``, ``select_n``, ``stop_gradient``), are
defined at the end with their rules in each layer's ``rules_elementwise``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

import numpy as np

from ..core import dtypes
from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.primitive import Primitive, bind1, def_primitive
from ._rules import elementwise_shape, public_names, require_dtype_kind, same_dtype, typed

# dtype rules: which input kinds an op accepts. The ordered ones (REAL, NUMERIC, FLOAT) leave out complex
# numbers, which have no order (docs/complex.md): ``lt`` or ``max`` on them is an error, as in JAX.
FLOAT, NUMERIC, INT_BOOL, INT, REAL = "f", "iuf", "biu", "iu", "biuf"
INEXACT, NUMBER, ANY, COMPLEX = "fc", "iufc", "biufc", "c"
_KIND_NAMES = {FLOAT: "real float", NUMERIC: "real numeric", INT_BOOL: "integer or bool", INT: "integer",
               REAL: "real (ordered)", INEXACT: "float or complex", NUMBER: "numeric", ANY: "array",
               COMPLEX: "complex"}

# what an operation's output dtype is, from its operands' dtype
SAME, BOOL, REAL_PART, TO_COMPLEX = "same", "bool", "real", "complex"
_OUT_DTYPE = {SAME: lambda d: d, BOOL: lambda d: np.dtype(bool), REAL_PART: dtypes.to_real,
              TO_COMPLEX: dtypes.to_complex}


@dataclass(frozen=True)
class Elementwise:
    """One row of the elementwise table (see the module docstring)."""
    primitive: Primitive
    arity: int
    numpy: Callable
    kinds: str
    out: str  # the output dtype: SAME, BOOL, REAL_PART (abs, real, imag of complexes) or TO_COMPLEX (complex)
    partials: tuple | None  # d out / d operand i as ``f(out, *operands)``; an entry None: zero
    linear: tuple | None  # instead of partials: the sign with which each operand's tangent passes (add, sub, neg)
    cpu: str | None
    same_type: bool


table: dict[Primitive, Elementwise] = {}
_listeners: list[Callable[[Elementwise], None]] = []


def for_each_row(register: Callable[[Elementwise], None]) -> None:
    """Call ``register(row)`` for every row of the table, now and for each row defined later (a layer registers
    its rules this way, so that a user's row, ``fnx.extend.def_elementwise``, gets them too)."""
    _listeners.append(register)
    for row in list(table.values()):
        register(row)


def _shape_rule(name: str, kinds: str, out: str):
    out_dtype = _OUT_DTYPE[out]

    def abstract_eval(*avals: ShapedArray) -> ShapedArray:
        dtype = same_dtype(name, avals)
        for a in avals:
            require_dtype_kind(name, a, kinds, _KIND_NAMES[kinds])
        return ShapedArray(elementwise_shape(name, avals), out_dtype(dtype))
    return abstract_eval


_REAL = np.dtype(float)


def _ordered(name: str, numpy):
    """``numpy`` refusing complex operands, which NumPy would order lexicographically: the eager impl of the
    comparisons and max/min, so that eager calls fail as traced ones do (fnx.numpy checks once per dtype and
    then calls ``numpy`` itself)."""
    def impl(*xs):
        for x in xs:
            if getattr(x, "dtype", _REAL).kind == "c":  # (Python complexes never get here: ``typed`` refuses them)
                raise FnxTypeError(f"{name}: complex numbers have no order, got "
                                   + ", ".join(str(ShapedArray(np.shape(v), np.asarray(v).dtype)) for v in xs))
        return numpy(*xs)
    impl.__name__ = getattr(numpy, "__name__", name)
    return impl


def nary(name: str, arity: int, numpy, kinds: str, partials: tuple | None, cpu: str | None,
         same_type: bool = False, bool_out: bool = False, linear: tuple | None = None, out: str | None = None
         ) -> Primitive:
    """Define an elementwise primitive of ``arity`` operands and its table row (see the module docstring);
    ``partials[i](out, *operands)`` is its derivative in operand i (None: zero), ``partials`` None: no
    derivative. The output has the operands' dtype, bool with ``bool_out``, or as ``out`` says."""
    if partials is not None and len(partials) != arity:
        raise FnxTypeError(f"{name}: {arity} operands need {arity} partial derivatives, got {len(partials)}")
    out = out or (BOOL if bool_out else SAME)
    p = def_primitive(name, _shape_rule(name, kinds, out), _ordered(name, numpy) if kinds == REAL else numpy)
    row = table[p] = Elementwise(p, arity, numpy, kinds, out, partials, linear, cpu, same_type)
    for register in _listeners:
        register(row)
    return p


def unary(name: str, numpy, kinds: str, d: Callable | None, cpu: str | None, same_type: bool = False,
          bool_out: bool = False, linear: tuple | None = None, out: str | None = None) -> Primitive:
    """Define a one-operand elementwise primitive and its table row; ``d(out, x)`` is its derivative."""
    return nary(name, 1, numpy, kinds, None if d is None else (d,), cpu, same_type, bool_out, linear, out)


def binary(name: str, numpy, kinds: str, d: tuple | None, cpu: str | None, same_type: bool = False,
           bool_out: bool = False, linear: tuple | None = None, out: str | None = None) -> Primitive:
    """Define a two-operand elementwise primitive and its table row; ``d = (d_dx, d_dy)``, each
    ``f(out, x, y)`` or None."""
    return nary(name, 2, numpy, kinds, d, cpu, same_type, bool_out, linear, out)


def _special(name: str):
    """``scipy.special.<name>``, imported at its first call: importing scipy.special takes ~0.4 s."""
    def call(*args, **kwargs):
        import scipy.special
        return getattr(scipy.special, name)(*args, **kwargs)
    call.__name__ = name
    return call


sp = SimpleNamespace(**{name: _special(name) for name in ("expit", "erf", "erfc", "erfinv", "gammaln", "digamma")})
_LN2, _LN10, _TWO_OVER_SQRT_PI = math.log(2.0), math.log(10.0), 2.0 / math.sqrt(math.pi)

# Each row: name, NumPy implementation, accepted kinds, derivative, CPU element, whether it keeps the float type.
# The derivatives call the lax functions defined after the table (cos, sqrt, select, ...) when they run.
neg_p = unary("neg", np.negative, NUMBER, None, "-{0}", True, linear=(-1,))
sign_p = unary("sign", np.sign, NUMBER, None, "np.sign({0})")
abs_p = unary("abs", np.abs, NUMBER, lambda out, x: _abs_partial(out, x), "np.abs({0})", True, out=REAL_PART)
floor_p = unary("floor", np.floor, FLOAT, None, "np.floor({0})", True)
ceil_p = unary("ceil", np.ceil, FLOAT, None, "np.ceil({0})", True)
round_p = unary("round", np.rint, FLOAT, None, "np.rint({0})")
trunc_p = unary("trunc", np.trunc, FLOAT, None, "np.trunc({0})", True)
exp_p = unary("exp", np.exp, INEXACT, lambda out, x: out, "vm.exp({0})", True)
exp2_p = unary("exp2", np.exp2, INEXACT, lambda out, x: out * _LN2, None)
expm1_p = unary("expm1", np.expm1, INEXACT, lambda out, x: out + 1.0, "vm.expm1({0})", True)
log_p = unary("log", np.log, INEXACT, lambda out, x: 1.0 / x, "vm.log({0})", True)
log2_p = unary("log2", np.log2, INEXACT, lambda out, x: 1.0 / (x * _LN2), None)
log10_p = unary("log10", np.log10, INEXACT, lambda out, x: 1.0 / (x * _LN10), "np.log10({0})")
log1p_p = unary("log1p", np.log1p, INEXACT, lambda out, x: 1.0 / (x + 1.0), "vm.log1p({0})", True)
sqrt_p = unary("sqrt", np.sqrt, INEXACT, lambda out, x: 0.5 / out, "np.sqrt({0})", True)
cbrt_p = unary("cbrt", np.cbrt, FLOAT, lambda out, x: 1.0 / (3.0 * out * out), "np.cbrt({0})")
sin_p = unary("sin", np.sin, INEXACT, lambda out, x: cos(x), "vm.sin({0})", True)
cos_p = unary("cos", np.cos, INEXACT, lambda out, x: -sin(x), "vm.cos({0})", True)
tan_p = unary("tan", np.tan, INEXACT, lambda out, x: 1.0 + out * out, "np.tan({0})")
asin_p = unary("asin", np.arcsin, INEXACT, lambda out, x: 1.0 / sqrt(1.0 - x * x), "np.arcsin({0})")
acos_p = unary("acos", np.arccos, INEXACT, lambda out, x: -1.0 / sqrt(1.0 - x * x), "np.arccos({0})")
atan_p = unary("atan", np.arctan, INEXACT, lambda out, x: 1.0 / (1.0 + x * x), "np.arctan({0})")
sinh_p = unary("sinh", np.sinh, INEXACT, lambda out, x: cosh(x), "np.sinh({0})")
cosh_p = unary("cosh", np.cosh, INEXACT, lambda out, x: sinh(x), "np.cosh({0})")
tanh_p = unary("tanh", np.tanh, INEXACT, lambda out, x: 1.0 - out * out, "vm.tanh({0})", True)
asinh_p = unary("asinh", np.arcsinh, INEXACT, lambda out, x: 1.0 / sqrt(x * x + 1.0), "np.arcsinh({0})")
acosh_p = unary("acosh", np.arccosh, INEXACT, lambda out, x: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)),
                "np.arccosh({0})")
atanh_p = unary("atanh", np.arctanh, INEXACT, lambda out, x: 1.0 / (1.0 - x * x), "np.arctanh({0})")
logistic_p = unary("logistic", sp.expit, FLOAT, lambda out, x: out * (1.0 - out), "vm.logistic({0})", True)
erf_p = unary("erf", sp.erf, FLOAT, lambda out, x: _TWO_OVER_SQRT_PI * exp(-x * x), "vm.erf({0})", True)
erfc_p = unary("erfc", sp.erfc, FLOAT, lambda out, x: -_TWO_OVER_SQRT_PI * exp(-x * x), "k.erfc({0})")
erf_inv_p = unary("erf_inv", sp.erfinv, FLOAT, lambda out, x: (1.0 / _TWO_OVER_SQRT_PI) * exp(out * out),
                  "k.erf_inv({0})")
lgamma_p = unary("lgamma", sp.gammaln, FLOAT, lambda out, x: digamma(x), "k.lgamma({0})")
digamma_p = unary("digamma", sp.digamma, FLOAT, lambda out, x: trigamma(x), "k.digamma({0})")
is_finite_p = unary("is_finite", np.isfinite, INEXACT, None, "np.isfinite({0})", bool_out=True)
is_nan_p = unary("is_nan", np.isnan, INEXACT, None, "np.isnan({0})", bool_out=True)
is_inf_p = unary("is_inf", np.isinf, INEXACT, None, "np.isinf({0})", bool_out=True)
signbit_p = unary("signbit", np.signbit, FLOAT, None, "np.signbit({0})", bool_out=True)
not_p = unary("not", np.invert, INT_BOOL, None, None)
population_count_p = unary("population_count", np.bitwise_count, INT, None, None)

add_p = binary("add", np.add, ANY, None, "{0} + {1}", True, linear=(1, 1))
sub_p = binary("sub", np.subtract, NUMBER, None, "{0} - {1}", True, linear=(1, -1))
mul_p = binary("mul", np.multiply, ANY, (lambda out, x, y: y, lambda out, x, y: x), "{0} * {1}", True)
div_p = binary("div", np.true_divide, INEXACT, (lambda out, x, y: 1.0 / y, lambda out, x, y: -out / y),
               "{0} / {1}", True)
floor_divide_p = binary("floor_divide", np.floor_divide, NUMERIC, None, "np.floor_divide({0}, {1})")
rem_p = binary("rem", np.remainder, NUMERIC, (lambda out, x, y: _like(1, x), lambda out, x, y: -floor_divide(x, y)),
               "np.remainder({0}, {1})")
def _power(x, y):
    """``x ** y``; for integers to negative powers (values unknown when tracing, so never an error) JAX's
    value of ``1 // x**-y``: 1 for x = 1, -1 or 1 for x = -1, else 0 (NumPy raises; docs/failures.md)."""
    if np.asarray(x).dtype.kind != "i" or not np.any(np.asarray(y) < 0):
        return np.power(x, y)  # Python scalars stay weakly typed
    x, y = np.asarray(x), np.asarray(y)
    negative = np.where(x == 1, 1, np.where(x == -1, np.where(y % 2 == 1, -1, 1), 0))
    return np.where(y >= 0, np.power(x, np.maximum(y, 0)), negative).astype(x.dtype)


pow_p = binary("pow", _power, NUMBER, (lambda out, x, y: _pow_dx(x, y), lambda out, x, y: _pow_dy(out, x)), None)
max_p = binary("max", np.maximum, REAL, (lambda out, x, y: _tie_weights(gt(x, y), eq(x, y), out),
                                        lambda out, x, y: _tie_weights(gt(y, x), eq(x, y), out)),
               "np.maximum({0}, {1})", True)
min_p = binary("min", np.minimum, REAL, (lambda out, x, y: _tie_weights(lt(x, y), eq(x, y), out),
                                        lambda out, x, y: _tie_weights(lt(y, x), eq(x, y), out)),
               "np.minimum({0}, {1})", True)
atan2_p = binary("atan2", np.arctan2, FLOAT, (lambda out, x, y: y / (x * x + y * y),
                                              lambda out, x, y: -x / (x * x + y * y)), "np.arctan2({0}, {1})")
hypot_p = binary("hypot", np.hypot, FLOAT, (lambda out, x, y: x / out, lambda out, x, y: y / out),
                 "np.hypot({0}, {1})")
copysign_p = binary("copysign", np.copysign, FLOAT, (lambda out, x, y: _same_sign(x, out), None),
                    "np.copysign({0}, {1})")
nextafter_p = binary("nextafter", np.nextafter, FLOAT, None, "np.nextafter({0}, {1})")
logaddexp_p = binary("logaddexp", np.logaddexp, FLOAT, (lambda out, x, y: exp(x - out), lambda out, x, y: exp(y - out)),
                     "np.logaddexp({0}, {1})")
and_p = binary("and", np.bitwise_and, INT_BOOL, None, "{0} & {1}")
or_p = binary("or", np.bitwise_or, INT_BOOL, None, "{0} | {1}")
xor_p = binary("xor", np.bitwise_xor, INT_BOOL, None, "{0} ^ {1}")
shift_left_p = binary("shift_left", np.left_shift, INT, None, "np.left_shift({0}, {1})")
shift_right_p = binary("shift_right", np.right_shift, INT, None, "np.right_shift({0}, {1})")
eq_p = binary("eq", np.equal, ANY, None, "{0} == {1}", bool_out=True)
ne_p = binary("ne", np.not_equal, ANY, None, "{0} != {1}", bool_out=True)
lt_p = binary("lt", np.less, REAL, None, "{0} < {1}", bool_out=True)
le_p = binary("le", np.less_equal, REAL, None, "{0} <= {1}", bool_out=True)
gt_p = binary("gt", np.greater, REAL, None, "{0} > {1}", bool_out=True)
ge_p = binary("ge", np.greater_equal, REAL, None, "{0} >= {1}", bool_out=True)


def _complex_impl(x, y):
    """``x + i y`` from real parts of one dtype, exact also for infinite parts (``x + 1j * y`` gives NaN)."""
    x, y = np.broadcast_arrays(np.asarray(x), np.asarray(y))
    out = np.empty(x.shape, dtypes.to_complex(x.dtype))
    out.real, out.imag = x, y
    return out if out.shape else out[()]


# Complex numbers (docs/complex.md). A partial derivative is the complex derivative f'(z); reverse mode
# multiplies by it without conjugating (JAX's convention), and a real operand or output takes the real part.
# conj is linear but not holomorphic: its rules are written in each layer's rules_elementwise.
real_p = unary("real", np.real, COMPLEX, lambda out, x: 1.0, "{0}.real", True, out=REAL_PART)
imag_p = unary("imag", np.imag, COMPLEX, lambda out, x: -1j, "{0}.imag", True, out=REAL_PART)
conj_p = unary("conj", np.conjugate, COMPLEX, None, "np.conj({0})", True)
complex_p = binary("complex", _complex_impl, FLOAT, (lambda out, x, y: 1.0, lambda out, x, y: 1j),
                   "complex({0}, {1})", out=TO_COMPLEX)


# -- the lax functions: each binds its primitive, Python scalars taking the array operand's dtype -----------

_NO_PARAMS: dict = {}


def _unary_function(p: Primitive, name: str | None = None):
    def f(x):
        return bind1(p, (x,) if hasattr(x, "dtype") else typed(x), _NO_PARAMS)
    f.__name__, f.__doc__ = name or p.name, f"Elementwise ``{p.name}`` (the ``{p.name}`` primitive)."
    return f


def _binary_function(p: Primitive, name: str | None = None):
    def f(x, y):  # (typed gives a Python scalar the other operand's dtype)
        return bind1(p, (x, y) if hasattr(x, "dtype") and hasattr(y, "dtype") else typed(x, y), _NO_PARAMS)
    f.__name__, f.__doc__ = name or p.name, f"Elementwise ``{p.name}`` of two operands of one dtype and shape."
    return f


neg, sign, abs, floor, ceil, round, trunc, exp, exp2, expm1, log, log2, log10, log1p, sqrt, cbrt = map(
    _unary_function, (neg_p, sign_p, abs_p, floor_p, ceil_p, round_p, trunc_p, exp_p, exp2_p, expm1_p, log_p,
                      log2_p, log10_p, log1p_p, sqrt_p, cbrt_p))
sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh = map(
    _unary_function, (sin_p, cos_p, tan_p, asin_p, acos_p, atan_p, sinh_p, cosh_p, tanh_p, asinh_p, acosh_p, atanh_p))
logistic, erf, erfc, erf_inv, lgamma, digamma, is_finite, is_nan, is_inf, signbit, population_count = map(
    _unary_function, (logistic_p, erf_p, erfc_p, erf_inv_p, lgamma_p, digamma_p, is_finite_p, is_nan_p, is_inf_p,
                      signbit_p, population_count_p))
real, imag, conj = map(_unary_function, (real_p, imag_p, conj_p))
complex = _binary_function(complex_p)  # noqa: A001 (lax's name)
bitwise_not = _unary_function(not_p, "bitwise_not")
sigmoid = logistic
add, sub, mul, div, floor_divide, rem, pow, max, min, atan2, hypot, copysign, nextafter, logaddexp = map(
    _binary_function, (add_p, sub_p, mul_p, div_p, floor_divide_p, rem_p, pow_p, max_p, min_p, atan2_p, hypot_p,
                       copysign_p, nextafter_p, logaddexp_p))
shift_left, shift_right, eq, ne, lt, le, gt, ge = map(
    _binary_function, (shift_left_p, shift_right_p, eq_p, ne_p, lt_p, le_p, gt_p, ge_p))
bitwise_and, bitwise_or, bitwise_xor = (_binary_function(p, f"bitwise_{p.name}") for p in (and_p, or_p, xor_p))
shift_right_logical = shift_right


# -- helpers of the derivatives above ----------------------------------------------------------------------

def _like(value, x):
    """``value`` as a scalar of ``x``'s dtype."""
    return np.dtype(x.dtype).type(value)


def _pow_dx(x, y):
    # y * x**(y-1), with the y == 0 case kept finite at x == 0
    return y * pow(x, select(eq(y, _like(0, y)), _like(1, y), y - 1.0))


def _pow_dy(out, x):
    # out * log(x), defined as 0 where x == 0 (the limit for y > 0); real x < 0 has no real derivative in y
    defined = ne(x, _like(0, x)) if np.dtype(x.dtype).kind == "c" else gt(x, _like(0, x))
    safe_x = select(defined, x, _like(1, x))  # log only where it is defined
    return select(eq(x, _like(0, x)), _like(0, out), out * log(safe_x))


def _abs_partial(out, x):
    """d|x|/dx: sign(x) for reals; for complexes conj(x) / |x| (0 at 0), whose real part times a tangent is
    |x|'s tangent and which times a real cotangent is JAX's cotangent (docs/complex.md)."""
    if np.dtype(x.dtype).kind != "c":
        return sign(x)
    safe = select(eq(out, _like(0, out)), _like(1, out), out)
    return div(conj(x), convert_element_type(safe, x.dtype))


def _tie_weights(wins, ties, like):
    """1 where ``wins``, 1/2 where ``ties``, else 0, in the dtype of ``like``: where max/min's operands tie,
    each gets half of the derivative (as JAX does), so that max(x, x) has derivative 1."""
    return select(wins, _like(1.0, like), select(ties, _like(0.5, like), _like(0.0, like)))


def _same_sign(x, out):
    """1 where ``x`` and ``out`` have the same sign bit, else -1 (the derivative of copysign in x)."""
    return select(eq(signbit(x), signbit(out)), _like(1.0, out), _like(-1.0, out))


# The asymptotic series of trigamma: 1/z + 1/(2z^2) + sum_k B_2k / z^(2k+1), B_2k the Bernoulli numbers.
_TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)


def trigamma(x):
    """The derivative of digamma, psi'(x) = sum over k >= 0 of 1/(x+k)^2, written with lax functions so that it
    differentiates and compiles like any composite. For x >= 0.5: ten steps of psi'(x) = 1/x^2 + psi'(x+1),
    then the asymptotic series (relative error below 1e-13); below: the reflection
    psi'(x) = pi^2 / sin(pi x)^2 - psi'(1 - x). Infinite at 0, -1, -2, ... (Abramowitz and Stegun, Handbook of
    Mathematical Functions, 6.4.6, 6.4.7 and 6.4.12.)

    >>> float(trigamma(1.0))  # pi^2 / 6
    1.6449340668482262
    """
    x = np.asarray(x, dtypes.dtype_of_scalar(float(x))) if isinstance(x, (int, float)) else x
    reflect = lt(x, _like(0.5, x))
    y = select(reflect, 1.0 - x, x)
    head = sum(1.0 / ((y + k) * (y + k)) for k in range(10))
    inv = 1.0 / (y + 10.0)
    inv2 = inv * inv
    series = 0.0
    for b in reversed(_TRIGAMMA_SERIES):
        series = b + inv2 * series
    psi1 = head + inv + 0.5 * inv2 + inv * inv2 * series
    s = sin(math.pi * select(reflect, x, _like(0.5, x)))  # 0.5 where not used: no infinity to differentiate
    return select(reflect, math.pi ** 2 / (s * s) - psi1, psi1)


# -- the elementwise primitives with params or a selector --------------------------------------------------

def _integer_pow_eval(x: ShapedArray, *, y: int) -> ShapedArray:
    require_dtype_kind("integer_pow", x, NUMBER, "numeric")
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

def _convert_impl(x, *, new_dtype: np.dtype):
    """``x`` as ``new_dtype``; a complex to a real or integer dtype keeps its real part (as JAX; NumPy warns)."""
    x = np.asarray(x)
    if x.dtype.kind == "c" and new_dtype.kind not in "cb":
        x = x.real
    return x.astype(new_dtype)


convert_element_type_p = def_primitive("convert_element_type", lambda x, *, new_dtype: ShapedArray(x.shape, new_dtype),
                                       _convert_impl)


def _select_n_eval(which, *cases):
    same_dtype("select_n", cases)
    if which.dtype.kind not in "biu" or (which.dtype.kind != "b" and len(cases) < 2):
        raise FnxTypeError(f"select_n: the selector must be bool or integer, got {which}")
    if which.dtype.kind == "b" and len(cases) != 2:
        raise FnxTypeError("select_n: a bool selector needs exactly two cases")
    return ShapedArray(elementwise_shape("select_n", [which, *cases]), cases[0].dtype)


def _select_n_impl(which, *cases):
    if len(cases) == 2:
        return np.where(which, cases[1], cases[0])
    return np.choose(np.clip(which, 0, len(cases) - 1), cases)


select_n_p = def_primitive("select_n", _select_n_eval, _select_n_impl)

# The identity, except that no derivative flows through it (see fnx.transforms.autodiff).
stop_gradient_p = def_primitive("stop_gradient", lambda x: x, lambda x: np.asarray(x))


def integer_pow(x, y: int):
    """``x ** y`` for a Python int ``y``."""
    return integer_pow_p.bind(x, y=int(y))


def convert_element_type(x, new_dtype):
    """Cast ``x`` to ``new_dtype`` (C-style: floats truncate toward zero when cast to integers; complexes keep
    their real part when cast to a real dtype, and are True where nonzero as bools)."""
    return convert_element_type_p.bind(x, new_dtype=dtypes.canonicalize(new_dtype, "convert_element_type"))


def select_n(which, *cases):
    """``cases[which]`` elementwise; a bool ``which`` picks ``cases[1]`` where True."""
    return select_n_p.bind(which, *typed(*cases))


def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` else ``on_false``."""
    return select_n(pred, on_false, on_true)


def stop_gradient(x):
    """``x`` itself, through which no derivative flows (``fnx.stop_gradient`` takes pytrees)."""
    return stop_gradient_p.bind(x)


__all__ = public_names(globals(), frozenset({"Elementwise", "unary", "binary", "nary", "for_each_row"}))
