"""Every failure a clear error (issue 16, item 2): the operation, the shapes or dtypes and the user's line,
eagerly and under jit, on the first call and on the fast path of later calls (docs/failures.md)."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.core.errors import ArraySizeError, FnxTypeError

HERE = __file__.rsplit("/", 1)[-1]


def big_endian(x: np.ndarray) -> np.ndarray:
    return x.astype(x.dtype.newbyteorder(">"))


# -- byte order: converted to native on every path, as NumPy computes with it ---------------------------------

def test_big_endian_arrays_are_converted_eagerly():
    x = big_endian(np.arange(4.0))
    for result in (fnp.asarray(x), fnp.array(x), fnp.sin(x), fnp.asarray(x) * 2):
        assert np.asarray(result).dtype.isnative
    np.testing.assert_array_equal(np.asarray(fnp.asarray(x)), np.arange(4.0))
    np.testing.assert_allclose(np.asarray(fnp.sin(x)), np.sin(np.arange(4.0)))


@pytest.mark.parametrize("first", ["native", "big-endian"])
def test_big_endian_arrays_are_converted_on_every_jit_call(first):
    f = fnx.jit(lambda a, b: a * 2 + b)
    native, swapped = np.arange(4.0), big_endian(np.arange(4.0))
    calls = [(native, native), (swapped, native), (native, swapped), (swapped, swapped)]
    if first == "big-endian":
        calls.reverse()
    for _ in range(2):  # the second round takes the fast paths (NumPy arrays, then Arrays)
        for a, b in calls:
            np.testing.assert_array_equal(np.asarray(f(a, b)), np.arange(4.0) * 3)
            np.testing.assert_array_equal(np.asarray(f(fnp.asarray(a), b)), np.arange(4.0) * 3)
            np.testing.assert_array_equal(np.asarray(f(fnx.Array(a), fnx.Array(b))), np.arange(4.0) * 3)


# -- linear algebra failures under jit --------------------------------------------------------------------------

@pytest.mark.parametrize("op, args", [
    ("inv", lambda: (np.zeros((3, 3)),)),
    ("solve", lambda: (np.zeros((3, 3)), np.ones(3))),
])
def test_singular_matrices_under_jit_name_the_operation(op, args):
    f = fnx.jit(getattr(fnp.linalg, op))
    f(np.eye(3), *args()[1:])  # compiles
    for _ in range(2):  # the general path, then the fast path
        with pytest.raises(np.linalg.LinAlgError) as info:
            f(*args())
        message = str(info.value)
        assert f"jit({op})" in message and op in message and "f64[3,3]" in message and HERE in message, message
        assert "Singular matrix" in message


def test_singular_matrices_eagerly_raise_a_linalg_error_naming_the_operation():
    with pytest.raises(np.linalg.LinAlgError, match=r"inv: Singular matrix \(operands f64\[3,3\]\)") as info:
        fnp.linalg.inv(np.zeros((3, 3)))
    assert isinstance(info.value, FnxTypeError) and HERE in str(info.value)


# -- sizes --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: fnp.zeros((2 ** 32, 2 ** 32)),
    lambda: fnp.broadcast_to(1.0, (2 ** 32, 2 ** 32)),
    lambda: fnp.ones(3) + fnp.zeros((2 ** 40, 2 ** 30, 1)),
    lambda: fnx.jit(lambda a: fnp.broadcast_to(a, (2 ** 32, 2 ** 32)))(1.0),
    lambda: fnx.jit(lambda a: fnp.zeros((2 ** 32, 2 ** 32)) + a)(1.0),
])
def test_impossible_sizes_are_refused_before_allocating(make):
    with pytest.raises(ArraySizeError) as info:
        make()
    message = str(info.value)
    assert "4294967296" in message or "1099511627776" in message, message
    assert ("bytes" in message or "elements" in message) and HERE in message
    assert "cannot be broadcast" not in message


def test_a_failed_allocation_under_jit_names_the_value():
    f = fnx.jit(lambda a: fnp.zeros((2 ** 22, 2 ** 22)) + a)  # 128 TiB: addressable, not allocatable
    for _ in range(2):
        with pytest.raises(MemoryError) as info:
            f(1.0)
        message = str(info.value)
        assert "jit(<lambda>)" in message and "f64[4194304,4194304]" in message and "TiB" in message, message
        assert HERE in message


# -- integer powers -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("exponent", [-1, -3])
def test_integer_to_a_negative_literal_power_raises_eagerly_and_under_jit(exponent):
    x = np.array([2, 3], np.int32)
    for f in (lambda a: a ** exponent, lambda a: fnp.power(a, exponent)):
        for g in (f, fnx.jit(f)):
            with pytest.raises(FnxTypeError, match=f"negative power {exponent}.*i32\\[2\\]"):
                g(fnp.asarray(x))


def test_integer_to_a_traced_negative_power_follows_jax():
    """Under jit the exponent's value is unknown when tracing: 1 // x**n, as JAX defines it (no error)."""
    x = np.array([-2, -1, 0, 1, 2, 3], np.int32)
    out = fnx.jit(lambda a, n: a ** n)(x, np.int32(-1))
    np.testing.assert_array_equal(np.asarray(out), [0, -1, 0, 1, 0, 0])
    out = fnx.jit(lambda a, n: a ** n)(x, np.int32(-2))
    np.testing.assert_array_equal(np.asarray(out), [0, 1, 0, 1, 0, 0])
