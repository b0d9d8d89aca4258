"""Python scalars passed to jit, grad and vmap are weakly typed, as in JAX
(https://jax.readthedocs.io/en/latest/type_promotion.html): ``jit(lambda x, s: x * s)(x32, 2.0)`` is float32.

The expected dtypes are JAX's documented table with 64-bit types on (fnx's default float is float64): a Python
scalar takes the dtype of the array it meets unless its kind is higher (bool < int < float < complex), then the
default dtype of its kind (int64, float64; complex64 beside float32, else complex128). Where JAX is installed the
same table is also read from JAX itself."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp

SETTINGS = settings(max_examples=40, deadline=None)
DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
          "complex64", "complex128"]
SCALARS = {bool: True, int: 3, float: 2.0, complex: 1j}
_ORDER = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def expected(dtype: str, scalar_type: type) -> np.dtype:
    """JAX's result dtype of an array of ``dtype`` times a weakly typed Python scalar (64-bit mode)."""
    d = np.dtype(dtype)
    kind = {bool: "b", int: "i", float: "f", complex: "c"}[scalar_type]
    if _ORDER[kind] <= _ORDER[d.kind]:
        return d
    if kind == "c":
        return np.dtype("complex64" if d == np.float32 else "complex128")
    return np.dtype({"i": "int64", "f": "float64"}[kind])


times = fnx.jit(lambda x, s: x * s)
times_plus_one = fnx.jit(lambda x, s: x * (s + 1))  # weak in, weak out: s + 1 stays weak


def _operands(dtype: str, scalar_type: type):
    x = fnp.ones(2, dtype=dtype)
    return x, SCALARS[scalar_type]


@given(st.sampled_from(DTYPES), st.sampled_from(list(SCALARS)))
@SETTINGS
def test_a_python_scalar_argument_of_jit_is_weak(dtype, scalar_type):
    x, s = _operands(dtype, scalar_type)
    assert times(x, s).dtype == expected(dtype, scalar_type) == (x * s).dtype  # as the same scalar eagerly
    if scalar_type is not bool:  # True + 1 is an int
        assert times_plus_one(x, s).dtype == expected(dtype, scalar_type)


@given(st.sampled_from(DTYPES), st.sampled_from(list(SCALARS)), st.booleans())
@settings(max_examples=25, deadline=None)
def test_the_result_never_depends_on_the_call_order(dtype, scalar_type, scalar_first):
    """A Python scalar is weak, a 0-d array of the same dtype is not, whichever was traced first."""
    x, s = _operands(dtype, scalar_type)
    f = fnx.jit(lambda x, s: x * s)
    strong = fnp.asarray(s)
    calls = [lambda: f(x, s), lambda: f(x, strong)]
    dtypes = [c().dtype for c in (calls if scalar_first else calls[::-1])]
    weak, strong_result = dtypes if scalar_first else dtypes[::-1]
    assert weak == expected(dtype, scalar_type)
    assert strong_result == np.result_type(np.dtype(dtype), strong.dtype)


def test_weak_under_grad_and_vmap():
    x32 = fnp.ones(3, dtype="float32")
    assert fnx.grad(lambda x, s: fnp.sum(x * s))(x32, 2.0).dtype == np.float32
    assert fnx.vmap(lambda x, s: x * s, in_axes=(0, None))(x32, 2.0).dtype == np.float32
    assert fnx.vmap(lambda x, s: x * s, in_axes=(0, None))(x32, fnp.asarray(2.0)).dtype == np.float64
    assert fnx.jit(fnx.grad(lambda s, x: fnp.sum(x * s)))(2.0, x32).dtype == np.float64  # s's own dtype


def test_two_weak_scalars_stay_weak_together():
    x16 = fnp.ones(2, dtype="int16")
    assert fnx.jit(lambda x, i, j: x * (i + j))(x16, 2, 3).dtype == np.int16
    x32 = fnp.ones(2, dtype="float32")
    assert fnx.jit(lambda x, s, i: x * (s * i))(x32, 2.0, 3).dtype == np.float32


def test_the_jaxpr_shows_the_conversion_of_the_weak_argument():
    closed = fnx.make_jaxpr(lambda x, s: x * s)(fnp.ones(2, dtype="float32"), 2.0)
    assert [e.primitive.name for e in closed.eqns] == ["convert_element_type", "mul"]
    assert closed.jaxpr.invars[1].aval.weak_type and str(closed.out_avals[0]) == "f32[2]"


def test_the_table_agrees_with_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    for dtype in DTYPES:  # eval_shape traces as jit does, without compiling
        for scalar_type, s in SCALARS.items():
            out = jax.eval_shape(lambda x, s: x * s, np.ones(2, dtype), s)
            assert np.dtype(out.dtype) == expected(dtype, scalar_type), (dtype, s)
