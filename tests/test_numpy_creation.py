"""fnx.numpy creation functions against NumPy, eagerly and through make_jaxpr.

Functions that take no array are traced inside a function of a dummy input (``lambda x: (fnp.eye(3), x)``), so
their traced path (iota, broadcasts, converts) is recorded in the jaxpr and evaluated by ``eval_jaxpr``.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from helpers import DTYPES, assert_same, check_against_numpy, make_array, raises_eager_and_traced

SETTINGS = settings(max_examples=30, deadline=None)
DUMMY = np.zeros((), np.float32)


def check_creation(make, expected, rtol=1e-7):
    """``make()`` equals ``expected`` (a pytree of NumPy arrays) eagerly and when traced inside a function."""
    check_against_numpy(lambda x: (make(), x), lambda x: (expected, x), DUMMY, rtol=rtol)


@pytest.fixture
def float32_default():
    """Run a test with ``default_float`` float32, and always restore float64."""
    fnx.config.update("default_float", "float32")
    try:
        yield
    finally:
        fnx.config.update("default_float", "float64")


# --------------------------------------------------------------------------------------------- array/asarray

ARRAY_INPUTS = [
    [[1, 2], [3, 4]],
    [[1.5, 2], [3, 4]],
    [[[True, False]], [[False, True]]],
    (1, 2.0, 3),
    3,
    -2.5,
    True,
    [],
    [[], []],
]


@pytest.mark.parametrize("obj", ARRAY_INPUTS, ids=repr)
@pytest.mark.parametrize("name", ["array", "asarray"])
def test_array_from_python_values(name, obj):
    check_creation(lambda: getattr(fnp, name)(obj), np.array(obj))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_array_dtype_argument(dtype):
    obj = [[0, 1, 2], [3, 4, 5]]
    check_creation(lambda: fnp.array(obj, dtype=dtype), np.array(obj, dtype=dtype))
    check_creation(lambda: fnp.asarray(obj, dtype=dtype), np.asarray(obj, dtype=dtype))
    check_creation(lambda: fnp.array(2, dtype=dtype), np.array(2, dtype=dtype))


@SETTINGS
@given(x=st.sampled_from(DTYPES).flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=3))))
def test_numpy_inputs_keep_their_dtype(x):
    check_creation(lambda: fnp.array(x), x)
    check_creation(lambda: fnp.asarray(x), x)
    if x.size:
        scalar = x.reshape(-1)[0]  # a NumPy scalar (np.generic)
        check_creation(lambda: fnp.asarray(scalar), np.asarray(scalar))


def test_array_copies_numpy_input():
    source = np.arange(3.0)
    a, b = fnp.array(source), fnp.asarray(source)
    source[0] = 100.0
    assert_same(np.asarray(a), np.arange(3.0))
    assert_same(np.asarray(b), np.arange(3.0))


def test_asarray_returns_fnx_arrays_unchanged():
    a = fnp.arange(3)
    assert fnp.asarray(a) is a
    assert_same(np.asarray(fnp.asarray(a, dtype="float32")), np.arange(3, dtype=np.float32))


def test_array_of_lists_holding_fnx_arrays():
    a, b = fnp.ones(3, dtype="float32"), fnp.arange(3, dtype="float32")
    assert_same(np.asarray(fnp.array([a, b])), np.array([np.ones(3, np.float32), np.arange(3, dtype=np.float32)]))
    assert_same(np.asarray(fnp.array([a, [7, 8, 9]])), np.array([np.ones(3, np.float32), [7, 8, 9]]))
    expected = np.array([[np.ones(3, np.float32)], [np.arange(3, dtype=np.float32)]])
    assert_same(np.asarray(fnp.array([[a], [b]])), expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_array_of_lists_holding_traced_values(dtype):
    x = make_array((3,), dtype)
    check_against_numpy(lambda a: fnp.array([a, a]), lambda a: np.array([a, a]), x)
    check_against_numpy(lambda a: fnp.array([[a], [a]]), lambda a: np.array([[a], [a]]), x)
    check_against_numpy(lambda a: fnp.array([a[0], a[2]]), lambda a: np.array([a[0], a[2]]), x)
    check_against_numpy(lambda a: fnp.array([a, a], dtype="float32"), lambda a: np.array([a, a], dtype="float32"), x)
    check_against_numpy(lambda a: fnp.asarray(a, dtype="int64"), lambda a: np.asarray(a, dtype="int64"), x)


def test_array_of_traced_values_and_python_numbers():
    x = make_array((3,), "float32")
    check_against_numpy(lambda a: fnp.array([a, [1.0, 2.0, 3.0]]), lambda a: np.array([a, [1.0, 2.0, 3.0]]), x)
    check_against_numpy(lambda a: fnp.array([a[0], 1]), lambda a: np.array([a[0], 1]), x)


def test_python_floats_give_the_default_float(float32_default):
    assert fnp.array(1.5).dtype == np.float32
    assert fnp.array([[1, 2.5]]).dtype == np.float32
    assert fnp.asarray((1.0, 2.0)).dtype == np.float32
    assert fnp.array([1, 2]).dtype == np.int64
    assert fnp.array(np.ones(2)).dtype == np.float64  # a NumPy array keeps its dtype
    check_creation(lambda: fnp.array([0.5, 1.5]), np.array([0.5, 1.5], np.float32))


# ------------------------------------------------------------------------------------------- filled arrays

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@SETTINGS
@given(shape=shapes, dtype=st.sampled_from(DTYPES), as_int=st.booleans())
def test_zeros_ones_empty(shape, dtype, as_int):
    arg = shape[0] if as_int and len(shape) == 1 else shape
    check_creation(lambda: fnp.zeros(arg, dtype), np.zeros(arg, dtype))
    check_creation(lambda: fnp.ones(arg, dtype=dtype), np.ones(arg, dtype=dtype))
    check_creation(lambda: fnp.empty(arg, dtype), np.zeros(arg, dtype))  # fnx documents empty as zeros
    check_creation(lambda: fnp.zeros(arg), np.zeros(arg))
    check_creation(lambda: fnp.ones(arg), np.ones(arg))


@SETTINGS
@given(shape=shapes, dtype=st.none() | st.sampled_from(DTYPES),
       fill=st.sampled_from([0, 1, -3, 7, 2.5, True, False]))
def test_full(shape, dtype, fill):
    if dtype is not None and dtype.kind == "u" and fill == -3:
        fill = 3  # NumPy refuses a negative Python int for an unsigned dtype
    check_creation(lambda: fnp.full(shape, fill, dtype), np.full(shape, fill, dtype))


@pytest.mark.parametrize("dtype", [None] + DTYPES, ids=str)
def test_full_with_array_fill_values(dtype):
    row = make_array((3,), "int8")
    check_creation(lambda: fnp.full((2, 3), row, dtype), np.full((2, 3), row, dtype))
    check_creation(lambda: fnp.full((2, 3), fnp.asarray(row), dtype), np.full((2, 3), row, dtype))
    check_creation(lambda: fnp.full(4, np.float32(1.5), dtype), np.full(4, np.float32(1.5), dtype))
    check_against_numpy(lambda v: fnp.full((2, 3), v, dtype), lambda v: np.full((2, 3), v, dtype), row)


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like"])
@SETTINGS
@given(x=st.sampled_from(DTYPES).flatmap(lambda d: hnp.arrays(d, shapes)), dtype=st.none() | st.sampled_from(DTYPES),
       new_shape=st.none() | shapes)
def test_like_functions(name, x, dtype, new_shape):
    args = (7,) if name == "full_like" else ()
    fnx_f = getattr(fnp, name)
    np_f = np.zeros_like if name == "empty_like" else getattr(np, name)  # fnx documents empty_like as zeros_like
    check_against_numpy(lambda a: fnx_f(a, *args, dtype=dtype, shape=new_shape),
                        lambda a: np_f(a, *args, dtype=dtype, shape=new_shape), x)


def test_full_like_casts_the_fill_value_to_the_array_dtype():
    x = make_array((2, 2), "int8")
    check_against_numpy(lambda a: fnp.full_like(a, 2.7), lambda a: np.full_like(a, 2.7), x)
    check_against_numpy(lambda a: fnp.full_like(a, 2.7, dtype=float), lambda a: np.full_like(a, 2.7, dtype=float), x)


# ------------------------------------------------------------------------------------------------- ranges


@SETTINGS
@given(start=st.integers(-20, 20), stop=st.integers(-20, 20), step=st.integers(-7, 7).filter(bool),
       dtype=st.sampled_from([None, "int8", "int64", "float32", "float64"]))
def test_arange_integers(start, stop, step, dtype):
    check_creation(lambda: fnp.arange(stop, dtype=dtype), np.arange(stop, dtype=dtype))
    check_creation(lambda: fnp.arange(start, stop, dtype=dtype), np.arange(start, stop, dtype=dtype))
    check_creation(lambda: fnp.arange(start, stop, step, dtype=dtype), np.arange(start, stop, step, dtype=dtype))


@pytest.mark.parametrize("args", [(0.5, 3.0, 0.25), (1, 2.0, 0.3), (0, 1, 0.1), (3.0,), (2.5, -1.0, -0.5),
                                  (10, 0, -3), (-1.0, 1.0, 0.7)], ids=str)
@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
def test_arange_floats_and_negative_steps(args, dtype):
    check_creation(lambda: fnp.arange(*args, dtype=dtype), np.arange(*args, dtype=dtype),
                   rtol=1e-6 if dtype == "float32" else 1e-12)


def test_arange_dtype_of_numpy_scalars():
    check_creation(lambda: fnp.arange(np.int8(5)), np.arange(np.int8(5)))
    check_creation(lambda: fnp.arange(np.float32(0.5), 3), np.arange(np.float32(0.5), 3), rtol=1e-6)


NUMS = [0, 1, 2, 3, 7]


@pytest.mark.parametrize("num", NUMS)
@pytest.mark.parametrize("endpoint", [True, False])
@pytest.mark.parametrize("retstep", [False, True])
def test_linspace(num, endpoint, retstep):
    for start, stop in [(0.0, 1.0), (-2, 9), (3.5, -1.25)]:
        expected = np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep)
        check_creation(lambda: fnp.linspace(start, stop, num, endpoint=endpoint, retstep=retstep),
                       tuple(map(np.asarray, expected)) if retstep else expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint16"])
@pytest.mark.parametrize("endpoint", [True, False])
def test_linspace_dtype(dtype, endpoint):
    check_creation(lambda: fnp.linspace(0, 9, 6, endpoint=endpoint, dtype=dtype),
                   np.linspace(0, 9, 6, endpoint=endpoint, dtype=dtype), rtol=1e-6)
    check_creation(lambda: fnp.linspace(2.0, 0.5, 4, endpoint=endpoint, dtype=dtype),
                   np.linspace(2.0, 0.5, 4, endpoint=endpoint, dtype=dtype), rtol=1e-6)


def test_linspace_integer_dtype_rounds_towards_minus_infinity():
    # NumPy 2: integer results are floor()ed, so -1/6 becomes -1, not 0.
    check_creation(lambda: fnp.linspace(-2, 9, 6, endpoint=False, dtype="int8"),
                   np.linspace(-2, 9, 6, endpoint=False, dtype="int8"))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_linspace_with_array_start_and_stop(axis):
    start, stop = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    check_against_numpy(lambda a, b: fnp.linspace(a, b, 4, axis=axis), lambda a, b: np.linspace(a, b, 4, axis=axis),
                        start, stop, rtol=1e-12)
    check_against_numpy(lambda a, b: fnp.linspace(a, b, 5, retstep=True),
                        lambda a, b: tuple(np.linspace(a, b, 5, retstep=True)), start, stop, rtol=1e-12)
    check_against_numpy(lambda a, b: fnp.linspace(a, b, 3, axis=axis), lambda a, b: np.linspace(a, b, 3, axis=axis),
                        start.reshape(2, 1), stop, rtol=1e-12)


def test_linspace_broadcasts_a_scalar_start_against_an_array_stop():
    check_against_numpy(lambda a, b: fnp.linspace(a, b, 3), lambda a, b: np.linspace(a, b, 3),
                        np.array(0.0), np.array([2.0, -1.0]), rtol=1e-12)


def test_linspace_of_float32_arrays_is_float32():
    check_against_numpy(lambda a, b: fnp.linspace(a, b, 5), lambda a, b: np.linspace(a, b, 5),
                        np.float32(0), np.float32(1), rtol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(num=5), dict(num=4, endpoint=False), dict(num=4, base=2.0),
                                    dict(num=3, dtype="float32"), dict(num=4, dtype="int64"), dict(num=1),
                                    dict(num=0)], ids=str)
def test_logspace(kwargs):
    check_creation(lambda: fnp.logspace(0.0, 3.0, **kwargs), np.logspace(0.0, 3.0, **kwargs), rtol=1e-6)
    check_creation(lambda: fnp.logspace(-1, 2, **kwargs), np.logspace(-1, 2, **kwargs), rtol=1e-6)


def test_logspace_with_array_start_and_stop():
    check_against_numpy(lambda a, b: fnp.logspace(a, b, 4), lambda a, b: np.logspace(a, b, 4),
                        np.array([0.0, 1.0]), np.array([2.0, -1.0]), rtol=1e-12)


# -------------------------------------------------------------------------------------------- matrices


@SETTINGS
@given(n=st.integers(0, 5), m=st.none() | st.integers(0, 5), k=st.integers(-6, 6),
       dtype=st.none() | st.sampled_from(DTYPES))
def test_eye_and_tri(n, m, k, dtype):
    check_creation(lambda: fnp.eye(n, m, k, dtype), np.eye(n, m, k, dtype))
    check_creation(lambda: fnp.eye(n, M=m, k=k, dtype=dtype), np.eye(n, M=m, k=k, dtype=dtype))
    check_creation(lambda: fnp.tri(n, m, k, dtype), np.tri(n, m, k, dtype))


@pytest.mark.parametrize("dtype", [None] + DTYPES, ids=str)
def test_identity(dtype):
    check_creation(lambda: fnp.identity(4, dtype=dtype), np.identity(4, dtype=dtype))
    check_creation(lambda: fnp.identity(0, dtype), np.identity(0, dtype))


@SETTINGS
@given(x=st.sampled_from(DTYPES[1:]).flatmap(  # bool: below
    lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=2, max_dims=4, max_side=4),
                         elements=dict(min_value=0, max_value=100))), k=st.integers(-5, 5))
def test_tril_triu(x, k):
    check_against_numpy(lambda a: fnp.tril(a, k), lambda a: np.tril(a, k), x)
    check_against_numpy(lambda a: fnp.triu(a, k), lambda a: np.triu(a, k), x)
    check_against_numpy(fnp.tril, np.tril, x)


@pytest.mark.parametrize("k", [-1, 0, 1])
def test_tril_triu_keep_the_bool_dtype(k):
    x = make_array((3, 4), "bool")
    check_against_numpy(lambda a: fnp.tril(a, k), lambda a: np.tril(a, k), x)
    check_against_numpy(lambda a: fnp.triu(a, k), lambda a: np.triu(a, k), x)


@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu_of_a_vector_mask_a_square_matrix(k):
    # As NumPy: a vector of length n is broadcast against the n x n mask.
    x = make_array((3,), "int8")
    check_against_numpy(lambda a: fnp.tril(a, k), lambda a: np.tril(a, k), x)
    check_against_numpy(lambda a: fnp.triu(a, k), lambda a: np.triu(a, k), x)


@SETTINGS
@given(x=st.sampled_from(DTYPES).flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=1, max_dims=2,
                                                                                       max_side=4))),
       k=st.integers(-5, 5))
def test_diag(x, k):
    """Both directions for any ``k`` from a matrix; from a vector for ``k >= 0`` (negative ``k``: below)."""
    if x.ndim == 2:
        check_against_numpy(lambda a: fnp.diag(a, k), lambda a: np.diag(a, k), x)
    check_against_numpy(lambda a: fnp.diag(a, abs(k)), lambda a: np.diag(a, abs(k)), x)
    check_against_numpy(lambda a: fnp.diagflat(a, abs(k)), lambda a: np.diagflat(a, abs(k)), x)


@pytest.mark.parametrize("k", [-2, -1, 0, 1, 2])
def test_diag_of_a_vector(k):
    v = np.array([1, 2, 3], np.int8)
    check_against_numpy(lambda a: fnp.diag(a, k), lambda a: np.diag(a, k), v)
    check_against_numpy(lambda a: fnp.diagflat(a, k), lambda a: np.diagflat(a, k), v.reshape(1, 3))


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid(indexing, sparse):
    x, y, z = np.arange(3), np.linspace(0.0, 1.0, 4), np.array([5, 7], np.int8)
    for args in [(x,), (x, y), (x, y, z), (y, z.reshape(1, 2))]:
        check_against_numpy(lambda *a: fnp.meshgrid(*a, indexing=indexing, sparse=sparse),
                            lambda *a: list(np.meshgrid(*a, indexing=indexing, sparse=sparse)), *args)


@SETTINGS
@given(x=st.sampled_from(DTYPES).flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=3))))
def test_copy(x):
    check_against_numpy(fnp.copy, np.copy, x)


# ---------------------------------------------------------------------------------------- default float

FLOAT_DEFAULTS = {  # name: (fnx call, the float64 NumPy result)
    "array": (lambda: fnp.array([1.5, 2.0]), np.array([1.5, 2.0])),
    "asarray": (lambda: fnp.asarray(2.0), np.asarray(2.0)),
    "zeros": (lambda: fnp.zeros((2, 2)), np.zeros((2, 2))),
    "ones": (lambda: fnp.ones(3), np.ones(3)),
    "empty": (lambda: fnp.empty(3), np.zeros(3)),
    "full": (lambda: fnp.full(2, 0.5), np.full(2, 0.5)),
    "zeros_like(dtype=float)": (lambda: fnp.zeros_like(np.ones(2, np.int8), dtype=float), np.zeros(2)),
    "arange": (lambda: fnp.arange(0.0, 1.0, 0.25), np.arange(0.0, 1.0, 0.25)),
    "linspace": (lambda: fnp.linspace(0, 1, 5), np.linspace(0, 1, 5)),
    "logspace": (lambda: fnp.logspace(0, 1, 3), np.logspace(0, 1, 3)),
    "eye": (lambda: fnp.eye(3), np.eye(3)),
    "identity": (lambda: fnp.identity(2), np.identity(2)),
    "tri": (lambda: fnp.tri(3), np.tri(3)),
}


@pytest.mark.parametrize("name", sorted(FLOAT_DEFAULTS))
def test_default_float32_setting(name, float32_default):
    make, expected = FLOAT_DEFAULTS[name]
    check_creation(make, expected.astype(np.float32), rtol=1e-6)


def test_default_float_is_restored_after_the_float32_tests():
    assert fnx.config.default_float == np.float64
    assert fnp.zeros(1).dtype == np.float64 and fnp.array(1.5).dtype == np.float64


# ------------------------------------------------------------------------------------------------ errors


def check_creation_error(make, names=()):
    """``make()`` raises FnxTypeError eagerly and when traced inside a function, its message matching every
    regex in ``names``."""
    raises_eager_and_traced(lambda x: make(), DUMMY, names=names)


NEGATIVE_SHAPES = {
    "zeros": lambda: fnp.zeros((2, -1)),
    "ones": lambda: fnp.ones(-3),
    "empty": lambda: fnp.empty((-1, 2)),
    "full": lambda: fnp.full((2, -1), 1.0),
    "zeros_like": lambda: fnp.zeros_like(np.ones(2), shape=(-2,)),
    "full_like": lambda: fnp.full_like(np.ones(2), 3, shape=(2, -1)),
}


@pytest.mark.parametrize("name", sorted(NEGATIVE_SHAPES))
def test_negative_shapes_are_errors(name):
    check_creation_error(NEGATIVE_SHAPES[name], names=["shape", r"-\d"])


def test_negative_shape_errors_name_the_function_called():
    for name in ("zeros", "ones", "zeros_like"):
        check_creation_error(NEGATIVE_SHAPES[name], names=[f"^{name}"])


@pytest.mark.parametrize("make", [lambda: fnp.eye(-1), lambda: fnp.eye(2, -1), lambda: fnp.identity(-2),
                                  lambda: fnp.tri(-1)], ids=["eye", "eye M", "identity", "tri"])
def test_negative_matrix_sizes_are_errors(make):
    # NumPy raises for eye and identity, but returns an empty matrix from tri(-1); fnx refuses all of them.
    check_creation_error(make, names=[r"-\d"])


def test_iota_of_a_negative_size_is_a_type_error_when_traced():
    with pytest.raises(FnxTypeError, match="^iota"):
        fnx.make_jaxpr(lambda x: fnx.lax.broadcasted_iota(np.int64, (2, -1), 0))(DUMMY)


def test_other_creation_errors():
    check_creation_error(lambda: fnp.zeros(2, dtype="float16"), names=["^zeros", "float16"])
    check_creation_error(lambda: fnp.arange(0, 3, 0), names=["^arange", "step"])
    check_creation_error(lambda: fnp.array(["a"]), names=["^array"])
    check_creation_error(lambda: fnp.array([[1, 2], [3]]), names=["^array"])
    check_creation_error(lambda: fnp.diag(np.ones((2, 2, 2))), names=["^diag", r"2,\s*2,\s*2"])
    check_creation_error(lambda: fnp.tril(np.float64(1)), names=["^tril", r"\(\)"])  # NumPy: TypeError
    check_creation_error(lambda: fnp.linspace(0, 1, -1), names=["^linspace", "-1"])
    with pytest.raises(FnxTypeError, match="^arange"):
        fnx.make_jaxpr(lambda n: fnp.arange(n))(np.int64(3))


def test_numpy_arrays_of_unsupported_dtypes_are_errors():
    check_creation_error(lambda: fnp.array(np.ones(2, np.float16)), names=["^array", "float16"])
    check_creation_error(lambda: fnp.asarray(np.ones(2, np.float16)), names=["^array", "float16"])


def test_meshgrid_rejects_unknown_indexing():
    check_creation_error(lambda: fnp.meshgrid(np.ones(2), np.ones(3), indexing="yx"), names=["^meshgrid"])
