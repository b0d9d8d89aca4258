"""Elementwise functions of fnx.numpy: NumPy semantics, Array API names, and the NumPy aliases."""
from __future__ import annotations

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.array import Array
from ..core.primitive import Primitive, bind1, impl_rules
from ..core.tracing import Tracer, active_traces
from ..lax import elementwise as ew
from ._elementwise_examples import EXAMPLES
from ._util import as_array, broadcast_operands, cast, common_dtype, promote, to_operand

_TRACES = active_traces()  # updated in place: its truth says whether a trace is active, at no call's cost

_NO_PARAMS: dict = {}
_WEAK = (bool, int, float)


def _doc(f, name: str, what: str, example: str):
    """Name ``f`` and give it a docstring with its example from EXAMPLES (``example``, a call, without one)."""
    f.__name__ = f.__qualname__ = name
    call, output = EXAMPLES.get(name, (example, ""))
    example = f">>> import fnx.numpy as fnp\n    >>> {call}\n    {output}"
    f.__doc__ = f"{what}, elementwise (NumPy's ``{name}``).\n\n    {example}\n"
    return f


def _key(v):
    return type(v) if type(v) in _WEAK else getattr(v, "dtype", None)


def _with_fast_path(p: Primitive, generic, arity: int):
    """Wrap ``generic`` (promote, then bind ``p``) with an eager shortcut and a traced one.

    The first eager call with given operand dtypes runs ``generic``; when it needed no conversion, NumPy's
    own promotion gives fnx's result for those dtypes, so later calls go straight to the NumPy function.
    This keeps eager dispatch within a small factor of NumPy's own per-call time. Under a trace, tracers
    already of the promoted dtype, with one shape (or rank 0), and Python scalars beside them bind at once
    (``grad`` outside ``jit`` traces every operation, so this is its per-operation cost).
    """
    numpy_fn = impl_rules[p]
    direct: set = set()
    traced_dtypes: dict = {}  # operand dtypes (or weak types) -> the promoted dtype, or None if it changes one
    new_array = object.__new__

    def first_call(key, *xs):
        converted = generic.convert(*xs)
        if all(c is x for c, x in zip(converted, xs)):
            direct.add(key)
        return bind1(p, converted, _NO_PARAMS)

    def traced(xs):  # the general form of the shortcuts in unary and binary; learns the dtypes on first use
        key, shape = [], ()
        for x in xs:
            if type(x) is Tracer:
                aval = x.aval
                if aval.shape and aval.shape != shape:
                    if shape:
                        return generic(*xs)  # broadcasting: the general path
                    shape = aval.shape
                key.append(aval.dtype)
            elif type(x) in _WEAK:
                key.append(type(x))
            else:
                return generic(*xs)
        key = tuple(key)
        if key not in traced_dtypes:
            dtype = generic.target(*xs)
            traced_dtypes[key] = dtype if all(k == dtype for k in key if isinstance(k, np.dtype)) else None
        dtype = traced_dtypes[key]
        if dtype is None:
            return generic(*xs)
        return bind1(p, [x if type(x) is Tracer else dtype.type(x) for x in xs], _NO_PARAMS)

    def wrap(out) -> Array:
        result = new_array(Array)
        result._value = out if type(out) is np.ndarray else np.asarray(out)
        return result

    def unary(x):
        if _TRACES:
            if type(x) is Tracer and traced_dtypes.get((x.aval.dtype,)) is not None:
                return bind1(p, (x,), _NO_PARAMS)
            return traced((x,))
        v = x._value if type(x) is Array else x
        key = _key(v)
        if key not in direct:
            return first_call(key, x)
        try:
            return wrap(numpy_fn(v))
        except Exception:  # let the general path raise its clear error
            return generic(x)

    def binary(x, y):
        if _TRACES:
            tx, ty = type(x), type(y)
            if tx is Tracer and ty is Tracer:
                ax, ay = x.aval, y.aval
                if (ax.shape == ay.shape or not ax.shape or not ay.shape) and \
                        traced_dtypes.get((ax.dtype, ay.dtype)) is not None:
                    return bind1(p, (x, y), _NO_PARAMS)
            elif tx is Tracer and ty in _WEAK:
                dtype = traced_dtypes.get((x.aval.dtype, ty))
                if dtype is not None:
                    return bind1(p, (x, dtype.type(y)), _NO_PARAMS)
            elif ty is Tracer and tx in _WEAK:
                dtype = traced_dtypes.get((tx, y.aval.dtype))
                if dtype is not None:
                    return bind1(p, (dtype.type(x), y), _NO_PARAMS)
            return traced((x, y))
        vx = x._value if type(x) is Array else x
        vy = y._value if type(y) is Array else y
        key = (_key(vx), _key(vy))
        if key not in direct:
            return first_call(key, x, y)
        try:
            return wrap(numpy_fn(vx, vy))
        except Exception:
            return generic(x, y)

    return unary if arity == 1 else binary


class _Promoted:
    """The general path of an elementwise function: promote the operands, then bind the primitive."""

    def __init__(self, p: Primitive, name: str, to_float: bool):
        self.p, self.name, self.to_float = p, name, to_float

    def target(self, *xs) -> np.dtype:
        """The dtype the operands are brought to."""
        xs = [to_operand(x, self.name) for x in xs]
        dtype = common_dtype(self.name, *xs)
        return dtypes.to_inexact(dtype) if self.to_float else dtype

    def convert(self, *xs) -> list:
        xs = [to_operand(x, self.name) for x in xs]
        return promote(self.name, *xs, dtype=self.target(*xs))

    def __call__(self, *xs):
        return bind1(self.p, self.convert(*xs), _NO_PARAMS)


def _elementwise(p: Primitive, name: str, to_float: bool = False):
    """An fnx.numpy function of ``p``; with ``to_float`` integer and bool inputs compute in the default float."""
    f = _with_fast_path(p, _Promoted(p, name, to_float), ew.table[p].arity)
    args = "fnp.array([0.5, 1.0])" if ew.table[p].arity == 1 else "fnp.array([1.0, 2.0]), 3.0"
    return _doc(f, name, f"``{p.name}``", f"fnp.{name}({args})")


sin = _elementwise(ew.sin_p, "sin", to_float=True)
cos = _elementwise(ew.cos_p, "cos", to_float=True)
tan = _elementwise(ew.tan_p, "tan", to_float=True)
arcsin = _elementwise(ew.asin_p, "arcsin", to_float=True)
arccos = _elementwise(ew.acos_p, "arccos", to_float=True)
arctan = _elementwise(ew.atan_p, "arctan", to_float=True)
sinh = _elementwise(ew.sinh_p, "sinh", to_float=True)
cosh = _elementwise(ew.cosh_p, "cosh", to_float=True)
tanh = _elementwise(ew.tanh_p, "tanh", to_float=True)
arcsinh = _elementwise(ew.asinh_p, "arcsinh", to_float=True)
arccosh = _elementwise(ew.acosh_p, "arccosh", to_float=True)
arctanh = _elementwise(ew.atanh_p, "arctanh", to_float=True)
exp = _elementwise(ew.exp_p, "exp", to_float=True)
exp2 = _elementwise(ew.exp2_p, "exp2", to_float=True)
expm1 = _elementwise(ew.expm1_p, "expm1", to_float=True)
log = _elementwise(ew.log_p, "log", to_float=True)
log2 = _elementwise(ew.log2_p, "log2", to_float=True)
log10 = _elementwise(ew.log10_p, "log10", to_float=True)
log1p = _elementwise(ew.log1p_p, "log1p", to_float=True)
sqrt = _elementwise(ew.sqrt_p, "sqrt", to_float=True)
cbrt = _elementwise(ew.cbrt_p, "cbrt", to_float=True)
negative = _elementwise(ew.neg_p, "negative")
sign = _elementwise(ew.sign_p, "sign")
absolute = _elementwise(ew.abs_p, "absolute")
add = _elementwise(ew.add_p, "add")
subtract = _elementwise(ew.sub_p, "subtract")
multiply = _elementwise(ew.mul_p, "multiply")
floor_divide = _elementwise(ew.floor_divide_p, "floor_divide")
remainder = _elementwise(ew.rem_p, "remainder")
maximum = _elementwise(ew.max_p, "maximum")
minimum = _elementwise(ew.min_p, "minimum")
equal = _elementwise(ew.eq_p, "equal")
not_equal = _elementwise(ew.ne_p, "not_equal")
less = _elementwise(ew.lt_p, "less")
less_equal = _elementwise(ew.le_p, "less_equal")
greater = _elementwise(ew.gt_p, "greater")
greater_equal = _elementwise(ew.ge_p, "greater_equal")
bitwise_and = _elementwise(ew.and_p, "bitwise_and")
bitwise_or = _elementwise(ew.or_p, "bitwise_or")
bitwise_xor = _elementwise(ew.xor_p, "bitwise_xor")
left_shift = _elementwise(ew.shift_left_p, "left_shift")
right_shift = _elementwise(ew.shift_right_p, "right_shift")
divide = _elementwise(ew.div_p, "divide", to_float=True)
arctan2 = _elementwise(ew.atan2_p, "arctan2", to_float=True)
hypot = _elementwise(ew.hypot_p, "hypot", to_float=True)
copysign = _elementwise(ew.copysign_p, "copysign", to_float=True)
nextafter = _elementwise(ew.nextafter_p, "nextafter", to_float=True)
logaddexp = _elementwise(ew.logaddexp_p, "logaddexp", to_float=True)


def _rounding(p: Primitive, name: str):
    def f(x):
        x = as_array(x, name)
        return x if x.dtype.kind in "biu" else bind1(p, (x,), _NO_PARAMS)  # integers are already whole
    return _doc(f, name, f"``{p.name}`` (integers are returned unchanged)", f"fnp.{name}(fnp.array([-1.5, 2.5]))")


floor = _rounding(ew.floor_p, "floor")
ceil = _rounding(ew.ceil_p, "ceil")
rint = _rounding(ew.round_p, "rint")
trunc = _rounding(ew.trunc_p, "trunc")


def _float_predicate(p: Primitive, name: str, int_value: bool):
    def f(x):
        x = as_array(x, name)
        if x.dtype.kind != "f":
            from ._creation import full_like
            return full_like(x, int_value, dtype=bool)
        return bind1(p, (x,), _NO_PARAMS)
    return _doc(f, name, f"``{p.name}`` (always {int_value} for integers)", f"fnp.{name}(fnp.array([1.0, fnp.nan]))")


isnan = _float_predicate(ew.is_nan_p, "isnan", False)
isinf = _float_predicate(ew.is_inf_p, "isinf", False)
isfinite = _float_predicate(ew.is_finite_p, "isfinite", True)
signbit = _float_predicate(ew.signbit_p, "signbit", False)


def positive(x):
    """``+x`` (a no-op returning an array)."""
    return as_array(x, "positive")


def square(x):
    """``x * x`` elementwise.

    >>> import fnx.numpy as fnp
    >>> fnp.square(fnp.array([1.5, -2.0]))
    Array([2.25, 4.  ], dtype=float64)
    """
    x = as_array(x, "square")
    return multiply(x, x)


def reciprocal(x):
    """``1 / x`` elementwise, in the default float for integer input.

    >>> import fnx.numpy as fnp
    >>> fnp.reciprocal(fnp.array([2.0, 0.5]))
    Array([0.5, 2. ], dtype=float64)
    """
    return divide(1.0, x)


_general_power = _elementwise(ew.pow_p, "power")


def power(x, y):
    """``x ** y`` elementwise with NumPy's promotion (integer powers of integers stay integers).

    >>> import fnx.numpy as fnp
    >>> fnp.power(fnp.array([1.5, 2.0]), 2)
    Array([2.25, 4.  ], dtype=float64)
    """
    # integer_pow also refuses an integer to a negative Python int, eagerly and when tracing alike
    if type(y) is int and hasattr(x, "dtype") and x.dtype.kind in "fiu":
        return bind1(lax.integer_pow_p, (as_array(x, "power"),), {"y": y})
    return _general_power(x, y)


def float_power(x, y):
    """``x ** y`` computed in the default float (NumPy's ``float_power``)."""
    x, y = to_operand(x, "float_power"), to_operand(y, "float_power")
    return power(*promote("float_power", x, y, dtype=dtypes.to_inexact(common_dtype("float_power", x, y))))


def divmod(x, y):  # noqa: A001 (NumPy's name)
    """``(x // y, x % y)`` elementwise."""
    return floor_divide(x, y), remainder(x, y)


def fmod(x, y):
    """C-style remainder: the result has the sign of ``x`` (NumPy's ``fmod``).

    >>> import fnx.numpy as fnp
    >>> fnp.fmod(fnp.array([7.0, -7.0]), 2.0)
    Array([ 1., -1.], dtype=float64)
    """
    x, y = promote("fmod", x, y)
    r = remainder(x, y)
    fix = logical_and(not_equal(r, 0), not_equal(signbit_like(r), signbit_like(x)))
    return where(fix, subtract(r, y), r)


def signbit_like(x):
    """True where ``x`` is negative (for any numeric dtype)."""
    return signbit(x) if x.dtype.kind == "f" else less(x, 0)


def logical_and(x, y):
    """Truth of ``x and y`` elementwise.

    >>> import fnx.numpy as fnp
    >>> fnp.logical_and(fnp.array([True, True, False]), fnp.array([True, False, False]))
    Array([ True, False, False], dtype=bool)
    """
    return bitwise_and(astype(x, bool), astype(y, bool))


def logical_or(x, y):
    """Truth of ``x or y`` elementwise.

    >>> import fnx.numpy as fnp
    >>> fnp.logical_or(fnp.array([True, True, False]), fnp.array([True, False, False]))
    Array([ True,  True, False], dtype=bool)
    """
    return bitwise_or(astype(x, bool), astype(y, bool))


def logical_xor(x, y):
    """Truth of ``x xor y`` elementwise."""
    return bitwise_xor(astype(x, bool), astype(y, bool))


def logical_not(x):
    """Truth of ``not x`` elementwise.

    >>> import fnx.numpy as fnp
    >>> fnp.logical_not(fnp.array([True, False]))
    Array([False,  True], dtype=bool)
    """
    return bind1(ew.not_p, (astype(x, bool),), _NO_PARAMS)


def bitwise_not(x):
    """Bitwise NOT of integers, logical NOT of bools."""
    x = as_array(x, "bitwise_not")
    return bind1(ew.not_p, (x,), _NO_PARAMS)


def astype(x, dtype, copy: bool = True, *, device=None):
    """``x`` converted to ``dtype`` (floats to integers truncate toward zero), on ``device`` if given.

    >>> import fnx.numpy as fnp
    >>> fnp.astype(fnp.array([1.7, -1.7]), "int32")
    Array([ 1, -1], dtype=int32)
    """
    from ._creation import to_device
    x = as_array(x, "astype")
    return to_device(cast(x, dtypes.canonicalize(dtype, "astype")), device)


def where(condition, x=None, y=None):
    """``x`` where ``condition`` else ``y``, broadcast together; with one argument, ``nonzero(condition)``.

    >>> import fnx.numpy as fnp
    >>> fnp.where(fnp.array([True, False, True]), fnp.array([1.0, 2.0, 3.0]), 0.0)
    Array([1., 0., 3.], dtype=float64)
    """
    if x is None and y is None:
        from ._sorting import nonzero
        return nonzero(condition)
    condition = astype(condition, bool)
    x, y = promote("where", x, y)
    if _TRACES:
        condition, x, y = broadcast_operands("where", [condition, x, y])
    return bind1(lax.select_n_p, (condition, y, x), _NO_PARAMS)


def clip(x, min=None, max=None, a_min=None, a_max=None):  # noqa: A002 (NumPy's names)
    """``x`` limited to ``[min, max]`` (either may be None).

    >>> import fnx.numpy as fnp
    >>> fnp.clip(fnp.array([-2.0, 0.5, 3.0]), 0.0, 1.0)
    Array([0. , 0.5, 1. ], dtype=float64)
    """
    lo, hi = (min if min is not None else a_min), (max if max is not None else a_max)
    x = as_array(x, "clip")
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x


def nan_to_num(x, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None):
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (the dtype's extremes by default).

    >>> import fnx.numpy as fnp
    >>> fnp.nan_to_num(fnp.array([1.0, fnp.nan, fnp.inf, -fnp.inf]), posinf=9.0, neginf=-9.0)
    Array([ 1.,  0.,  9., -9.], dtype=float64)
    """
    x = as_array(x, "nan_to_num")
    if x.dtype.kind != "f":
        return x
    info = np.finfo(x.dtype)
    x = where(isnan(x), nan, x)
    x = where(equal(x, np.inf), info.max if posinf is None else posinf, x)
    return where(equal(x, -np.inf), info.min if neginf is None else neginf, x)


def deg2rad(x):
    """Degrees to radians.

    >>> import fnx.numpy as fnp
    >>> fnp.deg2rad(fnp.array([90.0, 180.0]))
    Array([1.57079633, 3.14159265], dtype=float64)
    """
    return multiply(astype_float(x), np.pi / 180)


def rad2deg(x):
    """Radians to degrees.

    >>> import fnx.numpy as fnp
    >>> fnp.rad2deg(fnp.array([fnp.pi / 2, fnp.pi]))
    Array([ 90., 180.], dtype=float64)
    """
    return multiply(astype_float(x), 180 / np.pi)


def astype_float(x):
    """``x`` in its float dtype (integers and bools go to the default float)."""
    x = as_array(x, "astype_float")
    return cast(x, dtypes.to_inexact(x.dtype))


def sinc(x):
    """The normalized sinc ``sin(pi x) / (pi x)``, 1 at 0.

    >>> import fnx.numpy as fnp
    >>> fnp.sinc(fnp.array([0.0, 0.5, 1.0]))
    Array([1.00000000e+00, 6.36619772e-01, 3.89817183e-17], dtype=float64)
    """
    x = astype_float(x)
    px = multiply(x, np.pi)
    safe = where(equal(x, 0), 1.0, px)
    return where(equal(x, 0), 1.0, divide(sin(safe), safe))


def heaviside(x, h0):
    """0 where ``x < 0``, ``h0`` where ``x == 0``, 1 where ``x > 0``."""
    x = astype_float(x)
    return where(less(x, 0), 0.0, where(equal(x, 0), h0, 1.0))


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed stably."""
    return bind1(ew.logistic_p, (astype_float(x),), _NO_PARAMS)


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """True where ``|a - b| <= atol + rtol * |b|`` (NumPy's ``isclose``).

    >>> import fnx.numpy as fnp
    >>> fnp.isclose(fnp.array([1.0, 1.1]), 1.0 + 1e-9)
    Array([ True, False], dtype=bool)
    """
    a, b = promote("isclose", astype_float(a), b)
    close = less_equal(absolute(subtract(a, b)), add(atol, multiply(rtol, absolute(b))))
    close = logical_or(close, equal(a, b))  # equal infinities
    return logical_or(close, logical_and(isnan(a), isnan(b))) if equal_nan else close


def round(x, decimals: int = 0):
    """Round half to even to ``decimals`` places (NumPy's ``round``).

    >>> import fnx.numpy as fnp
    >>> fnp.round(fnp.array([0.5, 1.5, 2.675]), 0)
    Array([0., 2., 3.], dtype=float64)
    >>> fnp.round(fnp.array([1.234, -5.678]), 1)
    Array([ 1.2, -5.7], dtype=float64)
    """
    x = as_array(x, "round")
    if x.dtype.kind in "biu":
        return x
    if decimals == 0:
        return rint(x)
    scale = 10.0 ** decimals
    return divide(rint(multiply(x, scale)), scale)


abs = absolute  # noqa: A001,F821
pow = power  # noqa: A001
mod = remainder
true_divide = divide
fabs = absolute
invert = bitwise_not
bitwise_invert = bitwise_not
bitwise_left_shift = left_shift
bitwise_right_shift = right_shift
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
atan2 = arctan2
radians, degrees = deg2rad, rad2deg
around = round
