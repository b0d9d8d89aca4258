"""fnx.numpy elementwise functions against NumPy, eagerly and through make_jaxpr, over generated inputs."""
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from helpers import check_against_numpy

INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
FLOATS = ["float32", "float64"]
ALL = ["bool"] + INTS + FLOATS


def arrays(dtypes, shape=None, min_value=-50, max_value=50):
    """Arrays of one of ``dtypes`` with small values (so integer ops do not overflow)."""
    def build(dtype):
        dt = np.dtype(dtype)
        if dt.kind == "b":
            elements = st.booleans()
        elif dt.kind == "u":
            elements = st.integers(0, max_value)
        elif dt.kind == "i":
            elements = st.integers(min_value, max_value)
        else:
            elements = st.floats(min_value, max_value, width=dt.itemsize * 8)
        return hnp.arrays(dt, shape if shape is not None else hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                          elements=elements)
    return st.sampled_from(dtypes).flatmap(build)


def in_default_float(f):
    """The NumPy reference of a float function: integers and bools compute in float64, as in fnx."""
    return lambda x, *rest: f(x if x.dtype.kind == "f" else x.astype(np.float64), *rest)


FLOAT_UNARY = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arctan": np.arctan, "sinh": np.sinh, "tanh": np.tanh,
    "arcsinh": np.arcsinh, "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "cbrt": np.cbrt, "sigmoid":
    scipy.special.expit, "deg2rad": np.deg2rad, "rad2deg": np.rad2deg, "sinc": np.sinc,
}
POSITIVE_UNARY = {"log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt,
                  "arccosh": lambda v: np.arccosh(v + 1)}
UNIT_UNARY = {"arcsin": np.arcsin, "arccos": np.arccos, "arctanh": lambda v: np.arctanh(v * 0.99)}
SAME_UNARY = {"negative": np.negative, "absolute": np.absolute, "sign": np.sign, "square": np.square,
              "positive": np.positive, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "rint": np.rint}


@pytest.mark.parametrize("name", sorted(FLOAT_UNARY))
@settings(max_examples=15, deadline=None)
@given(x=arrays(ALL, min_value=-5, max_value=5))
def test_float_unary(name, x):
    check_against_numpy(getattr(fnp, name), in_default_float(FLOAT_UNARY[name]), x, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(POSITIVE_UNARY) + sorted(UNIT_UNARY))
@settings(max_examples=15, deadline=None)
@given(x=arrays(FLOATS, min_value=0, max_value=1))
def test_float_unary_in_domain(name, x):
    ref = {**POSITIVE_UNARY, **UNIT_UNARY}[name]
    f = {"arccosh": lambda v: fnp.arccosh(v + 1), "arctanh": lambda v: fnp.arctanh(v * 0.99)}.get(name, getattr(fnp, name))
    check_against_numpy(f, ref, x, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(SAME_UNARY))
@settings(max_examples=15, deadline=None)
@given(x=arrays([d for d in INTS if d[0] == "i"] + FLOATS))
def test_dtype_preserving_unary(name, x):
    ref = SAME_UNARY[name]
    if name in ("floor", "ceil", "trunc", "rint") and x.dtype.kind != "f":
        ref = lambda v: v  # noqa: E731  (Array API: integers are returned unchanged)
    check_against_numpy(getattr(fnp, name), ref, x)


BINARY = ["add", "subtract", "multiply", "maximum", "minimum", "equal", "not_equal", "less", "less_equal",
          "greater", "greater_equal", "divide", "arctan2", "hypot", "copysign", "nextafter", "logaddexp",
          "logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_binary_with_promotion_and_broadcasting(name, data):
    kinds = ALL if name not in ("subtract",) else INTS + FLOATS
    x = data.draw(arrays(kinds, shape=data.draw(st.sampled_from([(), (3,), (2, 3), (4, 1, 3)]))))
    y = data.draw(arrays(kinds, shape=data.draw(st.sampled_from([(), (3,), (1, 3), (2, 1)]))))
    if name == "subtract" and (x.dtype.kind == "u" or y.dtype.kind == "u"):
        x, y = x.astype(np.int64), y.astype(np.int64)
    if x.shape and y.shape and len(x.shape) == 3 and y.shape == (2, 1):
        y = y.reshape(1, 2, 1)[:, :1]
    ref = getattr(np, name)
    if name in ("arctan2", "hypot", "copysign", "nextafter", "logaddexp", "divide"):
        ref = lambda a, b, f=ref: f(*[v.astype(np.float64) if np.result_type(a, b).kind != "f" else v  # noqa: E731
                                       for v in (a, b)])
    check_against_numpy(getattr(fnp, name), ref, x, y, rtol=1e-6)


@pytest.mark.parametrize("scalar", [2, -3, 2.5, True])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "float32", "float64", "bool"])
def test_python_scalars_are_weak(scalar, dtype):
    if np.dtype(dtype).kind == "u" and scalar == -3:
        return  # NumPy raises: -3 does not fit uint8 (tested in test_scalar_overflow_is_an_error)
    x = np.arange(4).astype(dtype)
    check_against_numpy(lambda v: fnp.multiply(v, scalar), lambda v: np.multiply(v, scalar), x)
    check_against_numpy(lambda v: fnp.add(scalar, v), lambda v: np.add(scalar, v), x)


def test_scalar_overflow_is_an_error():
    with pytest.raises(FnxTypeError, match="add"):
        fnp.add(np.arange(3, dtype=np.uint8), 300)


@settings(max_examples=25, deadline=None)
@given(x=arrays(INTS, shape=(2, 3)), y=arrays(INTS, shape=(3,)))
def test_integer_division_and_remainder(x, y):
    y = np.where(y == 0, 1, y).astype(y.dtype)
    for name in ("floor_divide", "remainder", "fmod"):
        check_against_numpy(getattr(fnp, name), getattr(np, name), x, y)


@settings(max_examples=25, deadline=None)
@given(x=arrays(["int8", "int32", "uint16", "int64"], min_value=0, max_value=60),
       s=st.integers(0, 7))
def test_bitwise_and_shifts(x, s):
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"):
        check_against_numpy(lambda v, n=name: getattr(fnp, n)(v, x.dtype.type(s)),
                            lambda v, n=name: getattr(np, n)(v, x.dtype.type(s)), x)
    check_against_numpy(fnp.bitwise_not, np.invert, x)
    check_against_numpy(fnp.invert, np.invert, x > 3)


@settings(max_examples=25, deadline=None)
@given(x=arrays(INTS + FLOATS, min_value=0, max_value=6), p=st.integers(0, 3))
def test_power(x, p):
    check_against_numpy(lambda v: fnp.power(v, p), lambda v: np.power(v, p), x)
    check_against_numpy(lambda v: v ** p, lambda v: v ** p, x)


def test_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e-310], np.float64)
    for name in ("isnan", "isinf", "isfinite", "signbit", "exp", "log1p", "expm1", "tanh", "sign", "sqrt"):
        with np.errstate(all="ignore"):
            check_against_numpy(getattr(fnp, name), getattr(np, name), x)
    check_against_numpy(fnp.nan_to_num, np.nan_to_num, x)
    check_against_numpy(lambda v: fnp.nan_to_num(v, nan=1.0, posinf=2.0, neginf=-2.0),
                        lambda v: np.nan_to_num(v, nan=1.0, posinf=2.0, neginf=-2.0), x)
    ints = np.array([1, -2, 3])
    check_against_numpy(fnp.isnan, np.isnan, ints)
    check_against_numpy(fnp.isfinite, np.isfinite, ints)


@settings(max_examples=25, deadline=None)
@given(x=arrays(INTS + FLOATS), lo=st.integers(-10, 0), hi=st.integers(0, 10))
def test_clip_where_isclose(x, lo, hi):
    if x.dtype.kind == "u":
        lo = 0
    check_against_numpy(lambda v: fnp.clip(v, lo, hi), lambda v: np.clip(v, lo, hi), x)
    check_against_numpy(lambda v: fnp.where(v > 0, v, 0), lambda v: np.where(v > 0, v, 0), x)
    check_against_numpy(lambda v: fnp.where(v > 0, 1.5, v), lambda v: np.where(v > 0, 1.5, v), x)
    check_against_numpy(lambda v: fnp.isclose(v, v + 1e-9), lambda v: np.isclose(v, v + 1e-9), x)


def test_round_heaviside_float_power_reciprocal():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.25, 0.0])
    check_against_numpy(fnp.round, np.round, x)
    check_against_numpy(lambda v: fnp.round(v, 1), lambda v: np.round(v, 1), x)
    check_against_numpy(lambda v: fnp.heaviside(v, 0.5), lambda v: np.heaviside(v, 0.5), x)
    check_against_numpy(lambda v: fnp.float_power(v, 2), lambda v: np.float_power(v, 2), x)
    check_against_numpy(fnp.reciprocal, np.reciprocal, x + 10)


def test_mixed_dtypes_promote_as_numpy():
    pairs = [("int8", "uint8"), ("int32", "float32"), ("uint64", "int64"), ("bool", "int16"), ("float32",
                                                                                                "float64")]
    for a, b in pairs:
        x, y = np.ones(2, a), np.ones(2, b)
        assert fnp.add(x, y).dtype == np.add(x, y).dtype
        assert fnp.result_type(x, y) == np.result_type(x, y)


def test_default_float32_setting():
    try:
        fnx.config.update("default_float", "float32")
        assert fnp.sin(np.arange(3)).dtype == np.float32
        assert fnp.add(np.arange(3), 0.5).dtype == np.float32
        assert fnp.divide(1, 2).dtype == np.float32
        assert fnp.add(np.ones(2, np.float64), 1.0).dtype == np.float64  # explicit float64 stays
    finally:
        fnx.config.update("default_float", "float64")
    assert fnp.sin(np.arange(3)).dtype == np.float64
    with pytest.raises(ValueError, match="default_float"):
        fnx.config.update("default_float", "int32")


def test_traced_literals_take_the_array_dtype():
    text = str(fnx.make_jaxpr(lambda v: v * 2 + 1.5)(np.ones(2, np.float32)))
    assert "mul a 2.0:f32[]" in text and "1.5:f32[]" in text
