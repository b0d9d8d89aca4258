"""lax's dynamic slices along one axis (``dynamic_slice_in_dim``, ``dynamic_index_in_dim``,
``dynamic_update_slice_in_dim``) and negative starts, against NumPy slicing with JAX's documented index rule
(a negative start counts from the end, then the window is moved back inside the array), and against JAX itself
where it is installed."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError

SETTINGS = settings(max_examples=40, deadline=None)


def _start(start: int, size: int, n: int, allow_negative: bool = True) -> int:
    """JAX's start of a window of ``size`` on an axis of ``n`` (lax.dynamic_slice's docstring)."""
    if allow_negative and start < 0:
        start += n
    return min(max(start, 0), n - size)


@st.composite
def _cases(draw):
    """(operand, axis, start, size, allow_negative_indices)."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    return x, axis, draw(st.integers(-n - 2, n + 2)), draw(st.integers(1, n)), draw(st.booleans())


def _window(x, axis, start, size):
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, start + size)
    return tuple(index)


@given(_cases(), st.booleans())
@SETTINGS
def test_dynamic_slice_in_dim_is_numpy_slicing_with_the_start_moved_inside(case, traced_start):
    x, axis, start, size, allow = case
    s = fnp.asarray(start, dtype="int32") if traced_start else start
    out = lax.dynamic_slice_in_dim(x, s, size, axis, allow_negative_indices=allow)
    np.testing.assert_array_equal(out, x[_window(x, axis, _start(start, size, x.shape[axis], allow), size)])


@given(_cases())
@SETTINGS
def test_dynamic_index_in_dim_keeps_or_drops_the_axis(case):
    x, axis, start, _, allow = case
    i = _start(start, 1, x.shape[axis], allow)
    kept = lax.dynamic_index_in_dim(x, start, axis, allow_negative_indices=allow)
    np.testing.assert_array_equal(kept, x[_window(x, axis, i, 1)])
    np.testing.assert_array_equal(lax.dynamic_index_in_dim(x, start, axis, keepdims=False, allow_negative_indices=allow),
                                  np.take(x, i, axis=axis))


@given(_cases())
@SETTINGS
def test_dynamic_update_slice_in_dim_writes_the_window(case):
    x, axis, start, size, allow = case
    update_shape = list(x.shape)
    update_shape[axis] = size
    update = -np.ones(update_shape)
    expected = x.copy()
    expected[_window(x, axis, _start(start, size, x.shape[axis], allow), size)] = update
    out = lax.dynamic_update_slice_in_dim(x, update, start, axis, allow_negative_indices=allow)
    np.testing.assert_array_equal(out, expected)


def test_in_dim_slices_agree_with_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x = np.arange(24.0).reshape(2, 3, 4)
    for start in range(-6, 6):
        for axis, size in ((0, 1), (1, 2), (2, 3), (-1, 1)):
            np.testing.assert_array_equal(lax.dynamic_slice_in_dim(x, start, size, axis),
                                          jax.lax.dynamic_slice_in_dim(x, start, size, axis))
            np.testing.assert_array_equal(lax.dynamic_index_in_dim(x, start, axis, keepdims=False),
                                          jax.lax.dynamic_index_in_dim(x, start, axis, keepdims=False))
            update = np.full(x.shape[:axis % 3] + (size,) + x.shape[axis % 3 + 1:], -1.0)
            np.testing.assert_array_equal(lax.dynamic_update_slice_in_dim(x, update, start, axis),
                                          jax.lax.dynamic_update_slice_in_dim(x, update, start, axis))


_window_of_2 = fnx.jit(lambda x, i: lax.dynamic_slice_in_dim(x, i, 2))


def test_traced_negative_starts_under_jit_vmap_and_grad():
    x = fnp.arange(10.0)
    for i in (-3, np.int32(-3), np.uint32(7), 7):
        np.testing.assert_array_equal(_window_of_2(x, i), [7.0, 8.0])
    rows = fnx.vmap(lambda i: lax.dynamic_index_in_dim(x, i, keepdims=False))(fnp.asarray([-1, 2, -10]))
    np.testing.assert_array_equal(rows, [9.0, 2.0, 0.0])
    grad = fnx.grad(lambda x, i: fnp.sum(lax.dynamic_slice_in_dim(x, i, 2)))(x, -3)
    np.testing.assert_array_equal(grad, np.isin(np.arange(10), [7, 8]))


def test_bad_axis_or_start_count_is_a_clear_error():
    with pytest.raises(FnxTypeError, match="dynamic_slice_in_dim: axis 2 is out of range for an array of rank 1"):
        lax.dynamic_slice_in_dim(fnp.ones(3), 0, 1, axis=2)
    with pytest.raises(FnxTypeError, match=r"dynamic_slice: 1 start indices for an array of shape \(2, 2\)"):
        lax.dynamic_slice(fnp.ones((2, 2)), [0], [1, 1])
