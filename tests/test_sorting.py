"""Sorting, searching and set functions (fnx.lax.sorting, fnx.numpy._sorting) against NumPy, eager and traced."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from fnx.lax.sorting import sort as lax_sort, sort_key_val
from helpers import assert_same, check_against_numpy, eager_and_traced

INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
FLOATS = ["float32", "float64"]
ALL = ["bool"] + INTS + FLOATS
FLOAT_VALUES = [-2.5, -1.0, -0.0, 0.0, 1.0, 3.0, np.inf, -np.inf, np.nan]


def arrays(dtypes, min_dims=1, max_dims=3, shape=None):
    """Arrays drawn from few distinct values (so there are ties), with NaNs and infinities for floats."""
    def build(dtype):
        dt = np.dtype(dtype)
        elements = {"b": st.booleans(), "u": st.integers(0, 4), "i": st.integers(-3, 3)}.get(
            dt.kind, st.sampled_from(FLOAT_VALUES))
        shapes = shape if shape is not None else hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                                                                   min_side=0, max_side=5)
        return hnp.arrays(dt, shapes, elements=elements)
    return st.sampled_from(dtypes).flatmap(build)


def axis_of(ndim: int):
    return st.integers(-ndim, ndim - 1)


def python_argsort(keys: list, axis: int, descending: bool = False) -> np.ndarray:
    """A reference independent of NumPy's sorts: Python's stable ``sorted`` on every lane, NaNs last
    (first when descending), keys compared lexicographically (the first key decides)."""
    def rank(v):
        nan = isinstance(v, float) and math.isnan(v)
        v = 0 if nan else (-v if descending else v)
        return (not nan, v) if descending else (nan, v)
    lanes = [np.moveaxis(k, axis, -1) for k in keys]
    out = np.empty(lanes[0].shape, np.int64)
    for idx in np.ndindex(lanes[0].shape[:-1]):
        columns = [lane[idx].tolist() for lane in lanes]
        out[idx] = sorted(range(len(columns[0])), key=lambda i: tuple(rank(c[i]) for c in columns))
    return np.moveaxis(out, -1, axis)


# -- fnx.lax.sort --------------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(data=st.data(), num_keys=st.integers(1, 3))
def test_lax_sort_multi_operand(data, num_keys):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    operands = [data.draw(arrays(ALL, shape=shape)) for _ in range(num_keys + 1)]
    dimension = data.draw(axis_of(len(shape)))
    perm = python_argsort(operands[:num_keys], dimension)
    expected = tuple(np.take_along_axis(op, perm, axis=dimension) for op in operands)
    check_against_numpy(lambda *ops: lax_sort(ops, dimension, num_keys=num_keys), lambda *ops: expected, *operands)


@settings(max_examples=20, deadline=None)
@given(x=arrays(ALL))
def test_lax_sort_single_operand_and_sort_key_val(x):
    check_against_numpy(lambda v: lax_sort(v, 0), lambda v: np.sort(v, axis=0), x)
    values = np.arange(x.size, dtype=np.float32).reshape(x.shape)
    order = np.argsort(x, axis=-1, kind="stable")
    check_against_numpy(sort_key_val, lambda k, v: (np.sort(k, axis=-1), np.take_along_axis(v, order, -1)),
                        x, values)


def test_lax_sort_prints_as_one_equation():
    text = str(fnx.make_jaxpr(lambda k, v: sort_key_val(k, v))(np.ones(3), np.arange(3)))
    assert "sort[dimension=0, is_stable=True, num_keys=1]" in text


def test_lax_sort_errors():
    with pytest.raises(FnxTypeError, match=r"sort: operands must have one shape.*f64\[3\], i64\[4\]"):
        lax_sort((np.ones(3), np.arange(4)))
    with pytest.raises(FnxTypeError, match="num_keys=3"):
        lax_sort((np.ones(3), np.ones(3)), num_keys=3)
    with pytest.raises(FnxTypeError, match="sort: axis 2 is out of range"):
        lax_sort(np.ones((2, 2)), 2)
    with pytest.raises(FnxTypeError, match="rank 0"):
        fnx.make_jaxpr(lambda x: lax_sort(x))(np.float64(1.0))


# -- sort, argsort, lexsort, partition ---------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(data=st.data(), descending=st.booleans())
def test_sort_and_argsort(data, descending):
    x = data.draw(arrays(ALL, min_dims=0))
    axis = data.draw(st.none() | axis_of(x.ndim)) if x.ndim else None
    flat = x.ravel() if axis is None else x
    perm = python_argsort([flat], 0 if axis is None else axis, descending)
    if not descending:  # NumPy itself is the reference where it has the function
        assert_same(perm, np.argsort(x, axis=axis, kind="stable"))
    expected_sort = np.take_along_axis(flat, perm, axis=0 if axis is None else axis)
    check_against_numpy(lambda v: fnp.sort(v, axis=axis, descending=descending), lambda v: expected_sort, x)
    check_against_numpy(lambda v: fnp.argsort(v, axis=axis, descending=descending), lambda v: perm, x)


def test_descending_sort_is_stable_and_puts_nans_first():
    x = np.array([1.0, np.nan, 2.0, 1.0, np.nan, 2.0])
    assert_same(fnp.argsort(x, descending=True), np.array([1, 4, 2, 5, 0, 3]))
    assert_same(fnp.sort(x, descending=True), np.array([np.nan, np.nan, 2.0, 2.0, 1.0, 1.0]))
    assert_same(fnp.array([3, 1, 2]).argsort(), np.array([1, 2, 0]))


@settings(max_examples=25, deadline=None)
@given(data=st.data(), num_keys=st.integers(1, 3))
def test_lexsort(data, num_keys):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=6))
    keys = [data.draw(arrays(ALL, shape=shape)) for _ in range(num_keys)]
    axis = data.draw(axis_of(len(shape)))
    check_against_numpy(lambda *k: fnp.lexsort(k, axis=axis), lambda *k: np.lexsort(k, axis=axis), *keys)


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_partition_and_argpartition(data):
    x = data.draw(arrays(INTS + FLOATS, min_dims=1).filter(lambda a: a.shape[-1] > 0))
    kth = data.draw(st.integers(-x.shape[-1], x.shape[-1] - 1))
    part, apart = eager_and_traced(lambda v: fnp.partition(v, kth), x), eager_and_traced(
        lambda v: fnp.argpartition(v, kth), x)
    for out, idx in zip(part, apart):
        assert_same(out[..., kth], np.partition(x, kth)[..., kth])
        assert_same(out, np.sort(x, axis=-1))  # fnx's partition is a full (stable) sort
        assert_same(np.take_along_axis(x, idx, -1), out)


# -- searchsorted, isin ------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(a=arrays(ALL, max_dims=1), v=arrays(ALL, min_dims=0, max_dims=2), side=st.sampled_from(["left", "right"]))
def test_searchsorted(a, v, side):
    a = np.sort(a)
    check_against_numpy(lambda a_, v_: fnp.searchsorted(a_, v_, side=side),
                        lambda a_, v_: np.searchsorted(a_, v_, side=side), a, v)


@settings(max_examples=20, deadline=None)
@given(a=arrays(FLOATS + INTS, max_dims=1), side=st.sampled_from(["left", "right"]))
def test_searchsorted_with_sorter_and_scalars(a, side):
    sorter = np.argsort(a, kind="stable")
    v = np.array([0, 1, 2, 3, 5], dtype=a.dtype)
    check_against_numpy(lambda a_, s: fnp.searchsorted(a_, v, side=side, sorter=s),
                        lambda a_, s: np.searchsorted(a_, v, side=side, sorter=s), a, sorter)
    assert_same(fnp.searchsorted(np.sort(a), 1.5, side=side), np.searchsorted(np.sort(a), 1.5, side=side))


@settings(max_examples=30, deadline=None)
@given(element=arrays(ALL, min_dims=0), test=arrays(ALL, max_dims=2), invert=st.booleans())
def test_isin(element, test, invert):
    check_against_numpy(lambda e, t: fnp.isin(e, t, invert=invert), lambda e, t: np.isin(e, t, invert=invert),
                        element, test)


# -- unique --------------------------------------------------------------------------------------------------

def as_tuple(result):
    return tuple(result) if isinstance(result, tuple) else (result,)


def padded(reference: tuple, size: int, fills: tuple) -> tuple:
    """NumPy's unique results cut or padded to ``size`` (the inverse, shaped like x, is left as it is)."""
    out = []
    for part, fill in zip(reference, fills):
        if fill is None:
            out.append(part)
        else:
            extra = np.full((max(size - len(part), 0),) + part.shape[1:], fill, part.dtype)
            out.append(np.concatenate([part[:size], extra]))
    return tuple(out)


@settings(max_examples=30, deadline=None)
@given(x=arrays(ALL, min_dims=0), flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       equal_nan=st.booleans())
def test_unique_eager(x, flags, equal_nan):
    expected = np.unique(x, *flags, equal_nan=equal_nan)
    assert_same(as_tuple(fnp.unique(x, *flags, equal_nan=equal_nan)), as_tuple(expected))


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_unique_with_size_is_traceable(data):
    x = data.draw(arrays(ALL, min_dims=0))
    values, index, inverse, counts = np.unique(x, True, True, True)
    size = data.draw(st.integers(0, x.size + 2))
    fill = data.draw(st.none() | st.sampled_from([0, 1]))
    default_fill = values[0] if len(values) else 0
    expected = padded((values, index, inverse, counts), size, (default_fill if fill is None else fill, 0, None, 0))
    check_against_numpy(lambda v: fnp.unique(v, True, True, True, size=size, fill_value=fill),
                        lambda v: expected, x)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_unique_along_axis(data):
    x = data.draw(arrays(["bool", "int8", "uint16", "float32"], min_dims=1, max_dims=3)
                  .filter(lambda a: not np.isnan(a).any() if a.dtype.kind == "f" else True))
    axis = data.draw(axis_of(x.ndim))
    expected = np.unique(x, True, True, True, axis=axis)
    assert_same(fnp.unique(x, True, True, True, axis=axis), expected)
    size = len(expected[1])
    check_against_numpy(lambda v: fnp.unique(v, True, True, True, axis=axis, size=size), lambda v: expected, x)


@settings(max_examples=25, deadline=None)
@given(x=arrays(ALL, min_dims=0))
def test_array_api_unique_functions(x):
    """Array API semantics: every NaN is its own unique value; the inverse has the shape of x."""
    assert_same(fnp.unique_values(x), np.unique(x, equal_nan=False))
    assert_same(tuple(fnp.unique_counts(x)), tuple(np.unique_counts(x)))
    assert fnp.unique_all(x)._fields == np.unique_all(x)._fields
    if x.dtype.kind == "f" and np.isnan(x).sum() > 1:
        # NaNs are distinct unique values, all equal to look at: which NaN an element maps to is arbitrary
        # (NumPy's sort does not keep their order), so check what the results mean instead of the indices
        values, inverse = fnp.unique_inverse(x)
        assert_same(np.asarray(values)[np.asarray(inverse)], x)
        values, indices, inverse, counts = fnp.unique_all(x)
        assert_same(np.asarray(values), np.asarray(x).reshape(-1)[np.asarray(indices)])
        assert_same(np.asarray(values)[np.asarray(inverse)], x)
        assert_same(np.asarray(counts), np.unique_all(x).counts)
        return
    assert_same(tuple(fnp.unique_inverse(x)), tuple(np.unique_inverse(x)))
    assert_same(tuple(fnp.unique_all(x)), tuple(np.unique_all(x)))
    n = np.unique(x, equal_nan=False).size
    check_against_numpy(lambda v: tuple(fnp.unique_all(v, size=n)), lambda v: tuple(np.unique_all(v)), x)


# -- nonzero, argwhere, flatnonzero, where(cond) -------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(x=arrays(ALL))
def test_nonzero_family_eager(x):
    assert_same(fnp.nonzero(x), np.nonzero(x))
    assert_same(fnp.where(x), np.where(x))
    assert_same(fnp.argwhere(x), np.argwhere(x))
    assert_same(fnp.flatnonzero(x), np.flatnonzero(x))


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_nonzero_family_with_size_is_traceable(data):
    x = data.draw(arrays(ALL))
    size = data.draw(st.integers(0, x.size + 2))
    fill = data.draw(st.sampled_from([None, -1, tuple(range(-x.ndim, 0))]))
    fills = (0,) * x.ndim if fill is None else (fill if isinstance(fill, tuple) else (fill,) * x.ndim)
    expected = padded(np.nonzero(x), size, fills)
    check_against_numpy(lambda v: fnp.nonzero(v, size=size, fill_value=fill), lambda v: expected, x)
    check_against_numpy(lambda v: fnp.argwhere(v, size=size, fill_value=fill),
                        lambda v: np.stack(expected, axis=-1), x)
    flat_fill = None if isinstance(fill, tuple) else fill
    check_against_numpy(lambda v: fnp.flatnonzero(v, size=size, fill_value=flat_fill),
                        lambda v: padded((np.flatnonzero(x),), size, (flat_fill or 0,))[0], x)


def test_argwhere_of_a_scalar():
    assert_same(fnp.argwhere(np.float32(5)), np.argwhere(np.float32(5)))
    assert_same(fnp.argwhere(np.int8(0)), np.argwhere(np.int8(0)))


# -- errors --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["unique", "unique_values", "unique_counts", "unique_inverse", "unique_all",
                                  "nonzero", "argwhere", "flatnonzero"])
def test_data_dependent_shapes_ask_for_size_under_tracing(name):
    f = getattr(fnp, name)
    with pytest.raises(FnxTypeError, match=rf"{name}: the length of the result depends .* pass size=N"):
        fnx.make_jaxpr(f)(np.array([1, 0, 1]))


def test_where_with_one_argument_asks_for_size_under_tracing():
    with pytest.raises(FnxTypeError, match="pass size=N"):
        fnx.make_jaxpr(fnp.where)(np.array([1, 0, 1]))


def test_bad_arguments():
    with pytest.raises(FnxTypeError, match="sort: axis -1 is out of bounds for an array of rank 0"):
        fnp.sort(np.float64(1.0))
    with pytest.raises(FnxTypeError, match="order= sorts structured arrays"):
        fnp.sort(np.ones(3), order="f0")
    with pytest.raises(FnxTypeError, match=r"searchsorted: a must be 1-D, got shape \(2, 2\)"):
        fnp.searchsorted(np.ones((2, 2)), 1.0)
    with pytest.raises(FnxTypeError, match="side must be 'left' or 'right'"):
        fnp.searchsorted(np.ones(3), 1.0, side="middle")
    with pytest.raises(FnxTypeError, match=r"lexsort: keys must have one shape, got shapes \(3,\), \(4,\)"):
        fnp.lexsort([np.ones(3), np.ones(4)])
    with pytest.raises(FnxTypeError, match="partition: kth=5 is out of bounds for an axis of length 3"):
        fnp.partition(np.ones(3), 5)
    with pytest.raises(FnxTypeError, match="nonzero: a 0-d array"):
        fnp.nonzero(np.float64(1.0))
    with pytest.raises(FnxTypeError, match="unique: size must be a non-negative int"):
        fnp.unique(np.ones(3), size=-1)
    with pytest.raises(FnxTypeError, match="nonzero: fill_value needs one value per axis"):
        fnp.nonzero(np.ones((2, 2)), size=3, fill_value=(0, 0, 0))
