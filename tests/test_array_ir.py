"""fnx.lower.cpu.array_ir (allocation, reshapes, copies and select as LLVM IR), the kernels written with them
(row reductions), and that a shared kernel is compiled once for every program that uses it."""
from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.lower.cpu import array_ir as ir
from fnx.lower.cpu import kernels
from fnx.lower.cpu import vecmath as vm

DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]
shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5)


@numba.njit
def _empty_full(shape, value, like):
    out = ir.empty(shape, like.dtype)
    return out.shape, ir.full(shape, value, like.dtype)


@numba.njit
def _reshape(x, shape):
    return ir.reshape(x, shape)


@numba.njit
def _copies(x):
    """contiguous, copy and assign of a (possibly strided) view."""
    c, d = ir.contiguous(x), ir.copy(x)
    e = ir.empty(x.shape, x.dtype)
    ir.assign(e, x)
    return c, d, e


@numba.njit
def _select_and_cast(condition, a, b, like):
    return ir.select(condition, a, b), ir.cast(a, like.dtype)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, dtype=st.sampled_from(DTYPES))
def test_empty_and_full_have_numpys_shape_dtype_and_values(shape, dtype):
    like = np.zeros(1, dtype)
    shape64 = tuple(np.int64(n) for n in shape)
    got_shape, filled = _empty_full(shape64, 1, like)
    expected = np.full(shape, 1, dtype)
    assert got_shape == shape and filled.dtype == dtype and filled.flags.c_contiguous
    np.testing.assert_array_equal(filled, expected)


def test_empty_rejects_a_negative_dimension():
    with pytest.raises(ValueError, match="allocation"):
        _empty_full((np.int64(2), np.int64(-3)), 0, np.zeros(1, np.float32))


@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(np.float32, shapes), data=st.data())
def test_reshape_views_like_numpy(x, data):
    target = data.draw(st.sampled_from([(x.size,), (1, x.size), (x.size, 1), (-1,), (1, -1)]))
    got = _reshape(x, tuple(np.int64(n) for n in target))
    np.testing.assert_array_equal(got, x.reshape(target))
    assert x.size == 0 or np.shares_memory(got, x)  # a view, not a copy


def test_reshape_of_a_contiguous_view_and_refusal_of_a_strided_one():
    x = np.arange(24, dtype=np.float64).reshape(4, 6)
    np.testing.assert_array_equal(_reshape(x[1:3], (np.int64(-1),)), x[1:3].reshape(-1))  # layout "A", contiguous
    with pytest.raises(ValueError, match="non-contiguous"):
        _reshape(x[:, ::2], (np.int64(-1),))


@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(st.sampled_from(DTYPES), shapes), step=st.integers(1, 3))
def test_contiguous_copy_and_assign_of_strided_views(x, step):
    view = x[::step]
    c, d, e = _copies(view)
    for got in (c, d, e):
        np.testing.assert_array_equal(got, view)
        assert got.flags.c_contiguous and got.dtype == x.dtype
    assert not np.shares_memory(d, x) or x.size == 0


def test_contiguous_returns_a_c_contiguous_array_itself():
    x = np.ones((3, 4), np.float32)
    c, d, _ = _copies(x)
    assert np.shares_memory(c, x) and not np.shares_memory(d, x)


@pytest.mark.parametrize("condition", [True, False])
def test_select_and_cast(condition):
    chosen, cast = _select_and_cast(condition, np.float32(1.5), np.float32(-2.0), np.zeros(1, np.int8))
    assert chosen == (1.5 if condition else -2.0) and cast == 1
    # Numba boxes its scalars as Python numbers: the types are those it compiled
    assert _select_and_cast.nopython_signatures[0].return_type == numba.types.Tuple((numba.float32, numba.int8))


@settings(max_examples=25, deadline=None)
@given(x=hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(min_dims=2, max_dims=2, min_side=1),
                    elements=st.floats(-1e3, 1e3, width=32) | st.just(np.nan)))
def test_row_kernels_match_numpy(x):
    np.testing.assert_array_equal(kernels.arg_rows(x, 0), np.argmax(x, axis=1))
    np.testing.assert_array_equal(kernels.arg_rows(x, 1), np.argmin(x, axis=1))
    positive = x > 0
    np.testing.assert_array_equal(kernels.logical_rows(positive, 0), np.all(positive, axis=1))
    np.testing.assert_array_equal(kernels.logical_rows(positive, 1), np.any(positive, axis=1))


X_ROWS = np.array([[1.5, -2.0, np.nan, 4.0], [0.5, 3.0, -1.0, 2.0], [-7.0, 0.25, 6.0, -0.5]], np.float32)
ROW_REDUCTIONS = fnx.jit(lambda x: (fnp.sum(x, axis=1), fnp.prod(x, axis=1), fnp.max(x, axis=1),
                                    fnp.min(x, axis=1), fnp.sum(x, axis=0), fnp.max(x), fnp.sum(x[1:])))


def test_sum_product_max_min_loops_match_numpy_with_nans():
    """Sum, product, max and min over any axes are fused loops (no kernel): NaN propagates as in NumPy."""
    x = X_ROWS
    expected = (np.sum(x, 1), np.prod(x, 1), np.max(x, 1), np.min(x, 1), np.sum(x, 0), np.max(x), np.sum(x[1:]))
    for got, want in zip(ROW_REDUCTIONS(x), expected):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
        assert np.asarray(got).dtype == np.float32


def test_integer_row_sums_wrap_as_numpy_casts_them():
    """reduce_sum keeps its operand's dtype (fnp.sum would widen int32 to int64 first)."""
    x = np.array([[2**31 - 1, 1, 5]], np.int32)
    summed = fnx.jit(lambda v: fnx.lax.reduce_sum_p.bind(v, axes=(1,)))(x)
    np.testing.assert_array_equal(np.asarray(summed), np.sum(x, axis=1).astype(np.int32))
    assert np.asarray(summed).dtype == np.int32


def test_a_shared_kernel_is_compiled_once_for_two_programs(tmp_path, monkeypatch):
    """Two jitted programs calling vm.exp on float32 call one dispatcher, compiled (or loaded) once. The
    programs compile in an empty folder: loaded from a warm cache, they would not type vm.exp at all."""
    monkeypatch.setattr(fnx.config, "cache_dir", str(tmp_path))
    exp32 = vm.SCALAR_FUNCTIONS["exp_float32"]

    def compiles():
        return sum(exp32.stats.cache_hits.values()) + sum(exp32.stats.cache_misses.values())

    x = fnp.asarray(np.linspace(-3, 3, 7, dtype=np.float32))
    first = fnx.jit(lambda v: fnp.exp(v) * 2.0)(x)
    before = compiles()
    second = fnx.jit(lambda v: fnp.sum(fnp.exp(v - 1.0)))(x)
    np.testing.assert_allclose(np.asarray(first), np.exp(np.asarray(x)) * 2, rtol=1e-6)
    np.testing.assert_allclose(float(second), np.sum(np.exp(np.asarray(x) - 1)), rtol=1e-6)
    assert len(exp32.signatures) == 1 and before <= 1 and compiles() == before


def test_reshape_and_assign_refuse_mismatched_shapes():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="another size"):
        _reshape(x, (np.int64(4), np.int64(2)))

    @numba.njit
    def assign(view, y):
        ir.assign(view, y)

    with pytest.raises(ValueError, match="different shapes"):
        assign(x, np.ones((3, 2), np.float32))
