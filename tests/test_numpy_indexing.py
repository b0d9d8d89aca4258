"""NumPy indexing on fnx arrays, checked against NumPy eagerly and through the jaxpr.

Covers ``x[idx]`` (basic, advanced and boolean-mask indexing), ``x.at[idx].set/add/multiply/min/max/get``,
``take`` and ``take_along_axis``, and the errors for bad indices. Inputs reach the fnx function as NumPy
arrays (``eager_and_traced`` runs it eagerly on them and traces it with them as arguments), so every fnx
function below starts with ``fnp.asarray(x)``: NumPy's own ``x[idx]`` must not answer for fnx.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError
from helpers import assert_same, check_against_numpy, eager_and_traced

SETTINGS = settings(max_examples=30, deadline=None)
UPDATE_MODES = ("set", "add", "multiply", "min", "max")
_UFUNCS = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}


def _data(shape, dtype=np.float64) -> np.ndarray:
    """Distinct values (mixed ones for bool), so that a wrong element or axis order cannot go unnoticed."""
    values = np.arange(1, int(np.prod(shape)) + 1).reshape(shape)
    return values % 3 == 0 if np.dtype(dtype) == np.bool_ else values.astype(dtype)


def _indexer(index):
    """The fnx function ``x -> x[index]`` (x made an fnx array first)."""
    return lambda x: fnp.asarray(x)[index]


def _with_traced_arrays(index):
    """Split ``index`` into a template and its array entries, so that the arrays can be traced arguments.

    Returns ``(build, arrays)``: ``build(arrays)`` is the index again, with the given arrays in place.
    """
    parts = index if isinstance(index, tuple) else (index,)
    slots = [k for k, p in enumerate(parts) if isinstance(p, np.ndarray)]

    def build(arrays):
        out = list(parts)
        for k, a in zip(slots, arrays):
            out[k] = a
        return tuple(out)

    return build, [parts[k] for k in slots]


# -- hypothesis strategies ---------------------------------------------------------------------------------

def _slices(n: int):
    """Slices of an axis of size n, with bounds beyond the axis and steps of both signs."""
    bound = st.none() | st.integers(-n - 3, n + 3)
    return st.builds(slice, bound, bound, st.sampled_from([None, 1, 2, 3, -1, -2, -3]))


@st.composite
def _insert_nones(draw, entries: list) -> list:
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return entries


@st.composite
def basic_indices(draw, shape: tuple):
    """A valid basic index for ``shape``: ints (negative too), slices, None, Ellipsis, in any combination."""
    entries = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "full"] if n else ["slice", "full"]))
        entries.append(draw(st.integers(-n, n - 1)) if kind == "int" else
                       draw(_slices(n)) if kind == "slice" else slice(None))
    if draw(st.booleans()):  # an Ellipsis stands for a run of axes (the later entries keep their axes)
        a = draw(st.integers(0, len(entries)))
        entries[a:draw(st.integers(a, len(entries)))] = [Ellipsis]
    else:  # leave off trailing entries: they are full slices
        entries = entries[:draw(st.integers(0, len(entries)))]
    entries = draw(_insert_nones(entries))
    return entries[0] if len(entries) == 1 and draw(st.booleans()) else tuple(entries)


_INDEX_DTYPES = [np.int64, np.int32, np.int8, np.uint8]


@st.composite
def advanced_indices(draw, shape: tuple):
    """A valid advanced index for ``shape`` (all sides >= 1): integer arrays of broadcastable shapes (negative
    entries too) mixed with ints, slices and None, at adjacent or separated positions."""
    common = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))

    def index_array(n):
        rank = draw(st.integers(0, len(common)))
        ishape = tuple(d if draw(st.booleans()) else 1 for d in common[len(common) - rank:])
        dtype = draw(st.sampled_from(_INDEX_DTYPES))
        low = 0 if np.dtype(dtype).kind == "u" else -n
        return draw(hnp.arrays(dtype, ishape, elements=st.integers(low, n - 1)))

    entries = []
    for n in shape[:draw(st.integers(1, len(shape)))]:
        kind = draw(st.sampled_from(["array", "array", "int", "slice", "full"]))
        entries.append(index_array(n) if kind == "array" else draw(st.integers(-n, n - 1)) if kind == "int" else
                       draw(_slices(n)) if kind == "slice" else slice(None))
    if not any(isinstance(e, np.ndarray) for e in entries):
        k = draw(st.integers(0, len(entries) - 1))
        entries[k] = index_array(shape[k])
    return tuple(draw(_insert_nones(entries)))


_small_shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
_nonempty_shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)


# -- basic indexing ----------------------------------------------------------------------------------------

BASIC_CASES = [
    ((), ()), ((), Ellipsis), ((), None), ((), (None, Ellipsis, None)),
    ((5,), 0), ((5,), -1), ((5,), -5), ((5,), slice(1, 4)), ((5,), slice(None, None, -1)),
    ((5,), slice(None, None, -2)), ((5,), slice(4, 0, -3)), ((5,), slice(-100, 100)), ((5,), slice(100, -100, -1)),
    ((5,), slice(3, 1)), ((5,), slice(1, 3, -1)), ((5,), slice(10, 20)), ((5,), None), ((5,), (Ellipsis, None)),
    ((3, 4), (1, -1)), ((3, 4), (slice(None), 2)), ((3, 4), (-1,)),
    ((3, 4), (slice(None, None, -1), slice(1, None, 2))),
    ((3, 4), (None, 1, None, slice(None))), ((3, 4), (Ellipsis, -1)), ((3, 4), (0, Ellipsis, 0)),
    ((2, 3, 4), (Ellipsis, None)), ((2, 3, 4), (1, Ellipsis)), ((2, 3, 4), (slice(None), None, slice(2, 0, -1), 0)),
    ((2, 3, 4), (-2, -3, -4)), ((2, 3, 4), (slice(None), slice(0, 0))),
    ((2, 3, 4, 5), (1, Ellipsis, slice(None, None, -2), None)),
    ((2, 3, 4, 5), (slice(None), 2, None, slice(1, -1), -1)),
    ((2, 0, 3), (slice(None), slice(None, None, -1), 1)), ((2, 0, 3), (Ellipsis, 2)),
    ((5,), np.int64(-2)), ((3, 4), (np.int32(1), np.uint8(3))),
]


@pytest.mark.parametrize("shape,index", BASIC_CASES, ids=[f"{s}-{i!r}" for s, i in BASIC_CASES])
def test_basic_index_cases(shape, index):
    check_against_numpy(_indexer(index), lambda x: x[index], _data(shape))


@SETTINGS
@given(st.data(), _small_shapes, st.sampled_from([np.float32, np.int16, np.bool_, np.uint8]))
def test_basic_indices_match_numpy(data, shape, dtype):
    index = data.draw(basic_indices(shape), label="index")
    check_against_numpy(_indexer(index), lambda x: x[index], _data(shape, dtype))


def test_basic_indexing_records_only_static_slicing():
    closed = fnx.make_jaxpr(_indexer((1, slice(None, None, -2), None)))(_data((3, 5)))
    names = {e.primitive.name for e in closed.jaxpr.eqns}
    assert "gather" not in names and names <= {"slice", "rev", "reshape"}, names


# -- advanced (integer array) indexing ---------------------------------------------------------------------

ADVANCED_CASES = [
    ((5,), [0, -1, 2, 2]),
    ((5,), np.array([[4, -5], [0, 1]])),
    ((3, 4), ([0, -1], [1, 3])),
    ((3, 4), ([[0], [2]], [0, 1, -1])),                                  # broadcast to (2, 3)
    ((3, 4), (slice(None), [3, 0, 0])),
    ((3, 4), (np.array(-1), slice(None))),                               # 0-d index array
    ((2, 3, 4), (slice(None), [0, 2], [1, 3])),                         # adjacent, not first: stays in place
    ((2, 3, 4), ([1, 0], slice(None), [1, 3])),                         # separated: goes first
    ((2, 3, 4), (1, slice(None), [0, -1, 2])),                          # an int counts as advanced: separated
    ((2, 3, 4), (slice(None), 1, [0, 3])),                              # ... or adjacent
    ((2, 3, 4), (slice(None), [2, 1], None, [0, 3])),                   # None separates advanced indices
    ((2, 3, 4), (None, slice(None), [[2], [1]], [0, 3, 1])),
    ((2, 3, 4), (Ellipsis, [3, 3, 0])),
    ((2, 3, 4), ([1], Ellipsis, None)),
    ((2, 3, 4), (slice(None, None, -1), [2, 0], slice(1, None, 2))),
    ((2, 3, 4), ([[0, 1]], [[0], [2], [1]], -1)),
    ((2, 3, 4, 5), (slice(None), [0, 1], slice(None), [4, 0])),
    ((2, 3, 4, 5), ([1, 0], slice(None, None, -1), [3, 2], slice(None))),
    ((2, 3, 4, 5), (0, [[2, 1]], [[3], [0]], slice(None))),
    ((3, 4), (np.array([], np.int64), slice(None))),                    # empty index array
    ((0, 3), (slice(None), [2, 0])),                                    # empty operand
    ((3, 4), (np.array([0, 2], np.uint8), np.array([3], np.int8))),
]


def _as_numpy_index(index):
    return tuple(np.asarray(i) if isinstance(i, list) else i for i in index) if isinstance(index, tuple) else \
        (np.asarray(index) if isinstance(index, list) else index)


@pytest.mark.parametrize("shape,index", ADVANCED_CASES, ids=[f"{s}-{i!r}" for s, i in ADVANCED_CASES])
def test_advanced_index_cases_with_lists_and_constants(shape, index):
    check_against_numpy(_indexer(index), lambda x: x[_as_numpy_index(index)], _data(shape))


@pytest.mark.parametrize("shape,index", ADVANCED_CASES, ids=[f"{s}-{i!r}" for s, i in ADVANCED_CASES])
def test_advanced_index_cases_with_traced_index_arrays(shape, index):
    build, arrays = _with_traced_arrays(_as_numpy_index(index))
    check_against_numpy(lambda x, *a: fnp.asarray(x)[build(a)], lambda x, *a: x[build(a)], _data(shape), *arrays)


def test_fnx_arrays_as_indices():
    x = _data((3, 4))
    rows, cols = fnp.asarray([[2], [-3]]), fnp.asarray(np.array([1, -1], np.int32))
    check_against_numpy(_indexer((rows, cols)), lambda a: a[np.asarray(rows), np.asarray(cols)], x)
    check_against_numpy(_indexer((slice(None), fnp.asarray(3))), lambda a: a[:, 3], x)


@SETTINGS
@given(st.data(), _nonempty_shapes, st.sampled_from(["numpy", "list", "fnx", "traced"]))
def test_advanced_indices_match_numpy(data, shape, how):
    index = data.draw(advanced_indices(shape), label="index")
    x = _data(shape, np.int32)
    expected = x[index]
    if how == "traced":
        build, arrays = _with_traced_arrays(index)
        eager, traced = eager_and_traced(lambda a, *i: fnp.asarray(a)[build(i)], x, *arrays)
    else:
        convert = {"numpy": lambda a: a, "list": lambda a: a.tolist(), "fnx": fnp.asarray}[how]
        given_index = tuple(convert(i) if isinstance(i, np.ndarray) else i for i in index)
        eager, traced = eager_and_traced(_indexer(given_index), x)
    assert_same(eager, expected)
    assert_same(traced, expected)


def test_traced_out_of_bounds_indices_are_clamped_by_gather():
    """Under tracing the bounds are unknown: gather clamps (see fnx/lax/indexing.py), as JAX does."""
    x = _data((3, 2))
    closed = fnx.make_jaxpr(lambda a, i: fnp.asarray(a)[i])(x, np.array([0, 1, 2]))
    (out,) = fnx.eval_jaxpr(closed.jaxpr, closed.consts, x, np.array([7, -10, -1]))
    assert_same(np.asarray(out), x[[2, 0, 2]])


# -- boolean masks -----------------------------------------------------------------------------------------

MASK_CASES = [
    ((5,), lambda x: x > 2),
    ((5,), lambda x: x > 100),                                            # all False: empty result
    ((3, 4), lambda x: x % 3 == 0),                                       # a full-rank mask
    ((3, 4), lambda x: (slice(None), np.array([True, False, True, True]))),
    ((2, 3, 4), lambda x: x[..., 0] > 6),                                 # mask over the leading two axes
    ((2, 3, 4), lambda x: (Ellipsis, np.array([False, True, True, False]))),
    ((2, 3, 4), lambda x: (np.array([True, False]), slice(None, None, -1), [0, 3])),
    ((2, 3, 4), lambda x: (x[:, :, 0] > 0, [3, 1, 0, 2, 2, 1])),          # 6 True: broadcasts with the array
    ((2, 3, 4), lambda x: (1, np.array([True, False, True]), None)),
    ((2, 3, 4), lambda x: [True, False]),                                 # a list of bools is a mask
]


@pytest.mark.parametrize("shape,make", MASK_CASES)
def test_boolean_masks_match_numpy(shape, make):
    x = _data(shape)
    index = make(x)  # concrete: a constant of the traced function
    check_against_numpy(_indexer(index), lambda a: a[_as_numpy_index(index)], x)


@SETTINGS
@given(st.data(), _nonempty_shapes)
def test_random_boolean_masks_match_numpy(data, shape):
    start = data.draw(st.integers(0, len(shape) - 1), label="start")
    stop = data.draw(st.integers(start + 1, len(shape)), label="stop")
    mask = data.draw(hnp.arrays(np.bool_, shape[start:stop]), label="mask")
    index = (slice(None),) * start + (mask,)
    x = _data(shape)
    check_against_numpy(_indexer(index), lambda a: a[index], x)
    check_against_numpy(_indexer(index[:-1] + (fnp.asarray(mask),)), lambda a: a[index], x)


def test_boolean_mask_is_a_constant_of_the_jaxpr():
    x = _data((3, 4))
    closed = fnx.make_jaxpr(_indexer(x > 5))(x)
    assert closed.out_avals[0].shape == ((x > 5).sum(),)


def test_traced_boolean_mask_raises_a_clear_error():
    x = _data((3, 4))
    for f in (lambda a, m: fnp.asarray(a)[m], lambda a, m: fnp.asarray(a).at[m].set(0.0)):
        with pytest.raises(FnxTypeError) as info:
            fnx.make_jaxpr(f)(x, x > 5)
        message = str(info.value)
        assert "getitem" in message and "bool[3,4]" in message and "where" in message
        assert "test_numpy_indexing.py" in message  # the user's line


@pytest.mark.parametrize("mask", [np.array([True, False]), np.array([True, False, False, False]),
                                  np.ones((3, 2), bool)], ids=["short", "long", "2d-wrong"])
def test_boolean_mask_of_the_wrong_shape_raises(mask):
    x = _data((3, 4))
    with pytest.raises(IndexError):
        x[mask]  # NumPy refuses it ...
    with pytest.raises((IndexError, FnxTypeError)):
        fnp.asarray(x)[mask]  # ... and so must fnx, instead of reading the mask as a shorter one


# -- out of bounds -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("index", [3, -4, (0, 4), (slice(None), -5), [0, 3], (slice(None), [1, -5]),
                                   ([0, 1], 4), np.array([[0], [3]])])
def test_concrete_out_of_bounds_indices_raise_index_error(index):
    x = fnp.asarray(_data((3, 4)))
    with pytest.raises(IndexError, match="out of bounds"):
        x[index]
    with pytest.raises(IndexError, match="out of bounds"):
        x.at[index].set(0.0)
    with pytest.raises(IndexError, match="out of bounds"):
        fnx.make_jaxpr(_indexer(index))(_data((3, 4)))  # a constant index is checked while tracing too


# -- .at[] updates -----------------------------------------------------------------------------------------

def _positions(shape, index) -> np.ndarray:
    """The flat position in an array of ``shape`` of every element of ``array[index]``."""
    return np.arange(int(np.prod(shape))).reshape(shape)[index]


def _update_reference(mode: str, x: np.ndarray, index, values) -> np.ndarray:
    """NumPy's answer for ``x.at[index].<mode>(values)``: values cast to x's dtype, repeats accumulate."""
    out = x.copy()
    values = np.asarray(values).astype(x.dtype)
    if mode == "set":
        out[index] = values
    else:
        _UFUNCS[mode].at(out, index, values)
    return out


def _check_update(result, mode: str, x: np.ndarray, index, values):
    """Compare with NumPy; for ``set`` a repeated position may hold any of the values written there."""
    expected = _update_reference(mode, x, index, values)
    result = np.asarray(result)
    assert result.shape == x.shape and result.dtype == x.dtype, (result.shape, result.dtype)
    if mode != "set":
        assert_same(result, expected)
        return
    where = _positions(x.shape, index)
    counts = np.bincount(where.ravel(), minlength=x.size).reshape(x.shape)
    assert_same(result[counts <= 1], expected[counts <= 1])
    written = np.broadcast_to(np.asarray(values).astype(x.dtype), where.shape)
    for p in np.flatnonzero(counts > 1):
        assert result.flat[p] in written[where == p], (p, result.flat[p], written[where == p])


def _update(mode: str, index):
    return lambda x, v: getattr(fnp.asarray(x).at[index], mode)(v)


UPDATE_CASES = [
    ((5,), 2, 10.0),
    ((5,), -1, np.float64(-3.0)),
    ((5,), [0, 0, 3, 0], np.array([1.0, 2.0, 3.0, 4.0])),                # repeats accumulate
    ((5,), slice(None, None, -2), np.array([7.0, 8.0, 9.0])),
    ((3, 4), (slice(1, None), [3, 0, 3]), 5.0),                          # broadcast scalar
    ((3, 4), ([2, 2, 0], [1, 1, -1]), np.array([10.0, 20.0, 30.0])),
    ((3, 4), (slice(None), 1), np.array([1.0, -2.0, 3.0])),
    ((3, 4), ([[0], [0]], [1, 2]), np.array([[1.0, 2.0]])),              # values broadcast to (2, 2)
    ((2, 3, 4), (1, slice(None), [0, 0, 2]), np.array([1.0, 2.0, 3.0])),  # values broadcast along the slice
    ((2, 3, 4), (slice(None), [2, 1], None, [0, 3]), 2.5),
    ((2, 3, 4), (Ellipsis, -1), np.arange(3.0)),
    ((2, 3, 4), (None, 0), np.arange(12.0).reshape(1, 3, 4)),
    ((2, 3, 4), [1, 1], np.arange(4.0)),                                 # embedding-style: row updates
    ((2, 3, 4), np.ones((2, 3), bool), -1.0),                            # a concrete mask
    ((2, 3, 4), (slice(None), np.array([False, True, True]), 1), np.array([4.0, 5.0])),
    ((), (), 9.0),                                                       # a 0-d array
    ((), Ellipsis, np.float64(9.0)),
]


@pytest.mark.parametrize("mode", UPDATE_MODES)
@pytest.mark.parametrize("shape,index,values", UPDATE_CASES, ids=[f"{s}-{i!r}" for s, i, _ in UPDATE_CASES])
def test_updates_match_numpy(mode, shape, index, values):
    x = np.asarray(_data(shape) - 6.0)  # 0-d stays an array (NumPy would give a scalar)
    np_index = _as_numpy_index(index)
    eager, traced = eager_and_traced(_update(mode, index), x, values)
    _check_update(eager, mode, x, np_index, values)
    _check_update(traced, mode, x, np_index, values)


@pytest.mark.parametrize("mode", UPDATE_MODES)
def test_updates_with_traced_index_arrays(mode):
    x = _data((3, 4)) - 6.0
    rows, cols = np.array([[2], [-1], [0]]), np.array([1, 1])
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    f = lambda a, i, j, v: getattr(fnp.asarray(a).at[i, j], mode)(v)  # noqa: E731
    for out in eager_and_traced(f, x, rows, cols, values):
        _check_update(out, mode, x, (rows, cols), values)
    g = lambda a, i, v: getattr(fnp.asarray(a).at[i], mode)(v)  # noqa: E731  (leading-axis fast path)
    for out in eager_and_traced(g, x, np.array([1, -2, 0]), np.array([1.0, 2.0, 3.0, 4.0])):
        _check_update(out, mode, x, np.array([1, -2, 0]), np.array([1.0, 2.0, 3.0, 4.0]))


@SETTINGS
@given(st.data(), _nonempty_shapes, st.sampled_from(UPDATE_MODES), st.booleans())
def test_random_updates_match_numpy(data, shape, mode, traced_index):
    index = data.draw(advanced_indices(shape) | basic_indices(shape), label="index")
    x = _data(shape, np.int32) - 10
    target = x[index].shape
    vshape = data.draw(st.sampled_from([(), target, target[len(target) // 2:]]), label="values shape")
    values = data.draw(hnp.arrays(np.int32, vshape, elements=st.integers(-20, 20)), label="values")
    if traced_index:
        build, arrays = _with_traced_arrays(index)
        f = lambda a, v, *i: getattr(fnp.asarray(a).at[build(i)], mode)(v)  # noqa: E731
        outs = eager_and_traced(f, x, values, *arrays)
    else:
        outs = eager_and_traced(_update(mode, index), x, values)
    for out in outs:
        _check_update(out, mode, x, index, values)


CAST_CASES = [
    (np.int32, np.array([2.7, -2.7])),      # floats into ints: truncated as by astype
    (np.int32, 2.5),                         # a Python float into ints
    (np.float32, np.array([1, 2], np.int64)),
    (np.float32, np.array([0.1, 1e-9])),     # float64 into float32: rounded
    (np.uint8, np.array([3, 4], np.int64)),
    (np.int8, np.int64(300)),                # wraps around as astype does
    (np.float32, [1, 2]),                    # a list of Python ints
]


@pytest.mark.parametrize("mode,x_dtype,values", [(m, d, v) for m in ("set", "add", "max") for d, v in CAST_CASES]
                         + [("set", np.bool_, np.array([1, 0]))])
def test_update_values_are_cast_to_the_dtype_of_x(mode, x_dtype, values):
    x = _data((2, 3), x_dtype)
    index = (slice(None), 1)
    eager, traced = eager_and_traced(lambda a: getattr(fnp.asarray(a).at[index], mode)(values), x)
    expected = _update_reference(mode, x, index, values)
    assert_same(eager, expected)
    assert_same(traced, expected)


def test_update_returns_a_new_array_and_leaves_x_unchanged():
    x = fnp.asarray(_data((3, 4)))
    before = np.array(x)
    for mode in UPDATE_MODES:
        y = getattr(x.at[1, [0, 2]], mode)(-100.0 if mode == "min" else 100.0)
        assert y is not x
        assert_same(np.asarray(x), before)
        assert not np.array_equal(np.asarray(y), before)
    assert_same(x.at[:, 1].get(), before[:, 1])
    assert_same(x.at[1].mul(2.0), x.at[1].multiply(2.0))


def test_at_get_matches_getitem():
    x = _data((2, 3, 4))
    for index in [(1, slice(None, None, -1)), (slice(None), [2, 0], [1, 1]), (x[..., 0] > 3,)]:
        check_against_numpy(lambda a: fnp.asarray(a).at[index].get(), lambda a: a[index], x)


def test_traced_out_of_bounds_updates_are_dropped():
    """Under tracing the bounds are unknown: scatter drops out-of-bounds updates (see fnx/lax/indexing.py)."""
    x = _data((4,))
    closed = fnx.make_jaxpr(lambda a, i: fnp.asarray(a).at[i].add(1.0))(x, np.array([0, 1, 2]))
    (out,) = fnx.eval_jaxpr(closed.jaxpr, closed.consts, x, np.array([9, -9, 1]))
    assert_same(np.asarray(out), x + np.array([0.0, 1.0, 0.0, 0.0]))


def test_lax_gather_and_scatter_with_no_index_axes_follow_their_definition():
    """k = 0 (indices of shape batch + (0,)): every batch element addresses the whole operand.

    ``fnx.numpy`` never builds this today, but it is the natural lowering of ``x.at[()]`` on a 0-d x.
    """
    x, indices, updates = _data((2, 3)), np.zeros((4, 0), np.int64), _data((4, 2, 3))
    check_against_numpy(lambda a: lax.gather(a, indices), lambda a: np.broadcast_to(a, (4, 2, 3)), x)
    check_against_numpy(lambda a, u: lax.scatter(a, indices, u, "add"), lambda a, u: a + u.sum(0), x, updates)


# -- take and take_along_axis ------------------------------------------------------------------------------

TAKE_CASES = [
    (None, [0, -1, 5, 5]), (None, np.array([[3], [-24]])), (None, 7), (0, [1, 0, -2]), (1, np.array([[2, -3]])),
    (-1, [3, 0, -1, 3]), (2, -4), (-2, np.array([], np.int64)), (1, np.array([1, 0], np.uint8)),
]


@pytest.mark.parametrize("axis,indices", TAKE_CASES)
def test_take_matches_numpy(axis, indices):
    x = _data((2, 3, 4))
    check_against_numpy(lambda a: fnp.take(a, indices, axis=axis), lambda a: np.take(a, indices, axis=axis), x)
    if isinstance(indices, np.ndarray):
        check_against_numpy(lambda a, i: fnp.take(a, i, axis=axis), lambda a, i: np.take(a, i, axis=axis), x, indices)
    check_against_numpy(lambda a: fnp.asarray(a).take(indices, axis=axis), lambda a: a.take(indices, axis=axis), x)


@st.composite
def _along_axis_case(draw):
    """(x, indices, axis) for take_along_axis: argsort-like indices, maybe fewer or more, negative, broadcast."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-10, 10, allow_nan=False)))
    axis = draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    keys = x.ravel() if axis is None else x
    ax = 0 if axis is None else axis
    indices = np.argsort(keys, axis=ax, kind="stable")
    n = keys.shape[ax]
    count = draw(st.integers(0, 2 * n))
    indices = np.take(indices, np.arange(count) % n, axis=ax)  # fewer, or repeated
    if draw(st.booleans()):
        indices = indices - n  # the same positions, counted from the end
    if axis is not None and len(shape) > 1 and draw(st.booleans()):  # size-1 axes broadcast
        other = draw(st.sampled_from([d for d in range(len(shape)) if d != axis % len(shape)]))
        indices = np.take(indices, [0], axis=other)
    return x, indices, axis


@SETTINGS
@given(_along_axis_case())
def test_take_along_axis_matches_numpy(case):
    x, indices, axis = case
    check_against_numpy(lambda a, i: fnp.take_along_axis(a, i, axis=axis),
                        lambda a, i: np.take_along_axis(a, i, axis=axis), x, indices)
    check_against_numpy(lambda a: fnp.take_along_axis(a, indices, axis=axis),
                        lambda a: np.take_along_axis(a, indices, axis=axis), x)


def test_take_along_axis_sorts_like_numpy():
    x = np.array([[3.0, 1.0, 2.0], [0.5, 9.0, -1.0]])
    order = np.argsort(x, axis=1)
    check_against_numpy(lambda a, i: fnp.take_along_axis(a, i, 1), lambda a, i: np.sort(a, axis=1), x, order)


# -- errors ------------------------------------------------------------------------------------------------

X34 = _data((3, 4))

ERROR_CASES = [
    (lambda x: x[0, 0, 0], ["getitem", "(3, 4)"]),                                 # too many indices
    (lambda x: x[None, 1, 2, None, 3], ["getitem", "(3, 4)"]),
    (lambda x: x[..., 0, ...], ["getitem", "(3, 4)"]),                             # two Ellipses
    (lambda x: x[np.array([0.0, 1.0])], ["getitem", "float64"]),                   # float index arrays
    (lambda x: x[fnp.asarray([1.5])], ["getitem", "float64"]),
    (lambda x: x[:, [0, 1.5]], ["getitem", "float64"]),
    (lambda x: x[1.0], ["getitem", "unsupported", "float"]),                       # unsupported index types
    (lambda x: x[np.float32(1)], ["getitem", "unsupported", "float32"]),
    (lambda x: x["a"], ["getitem", "unsupported", "str"]),
    (lambda x: x[{0: 1}], ["getitem", "unsupported", "dict"]),
    (lambda x: x[True, 0], ["getitem", "boolean", "alone", "where"]),  # alone it is NumPy's new axis
    (lambda x: x[np.array(True), 0], ["getitem", "boolean", "alone", "where"]),
    (lambda x: x[[0, 1], [0, 1, 2]], ["getitem", "(2,)", "(3,)", "broadcast"]),    # index shapes that don't broadcast
    (lambda x: x.at[0].set(np.ones(5)), ["(5,)", "(4,)"]),                         # values that don't fit
    (lambda x: x.at[np.array([0.5])].add(1.0), ["float64"]),
    (lambda x: fnp.take(x, 0, axis=2), ["take", "axis"]),
    (lambda x: fnp.take(x, np.array([0.0])), ["float64"]),
    (lambda x: fnp.take_along_axis(x, np.array([0]), axis=0), ["take_along_axis", "rank"]),
    (lambda x: fnp.take_along_axis(x, np.zeros((2, 2), np.int64), axis=0), ["(2, 2)", "broadcast"]),
]


@pytest.mark.parametrize("f,words", ERROR_CASES)
def test_bad_indices_raise_fnx_type_error(f, words):
    for run in (lambda: f(fnp.asarray(X34)), lambda: fnx.make_jaxpr(lambda a: f(fnp.asarray(a)))(X34)):
        with pytest.raises(FnxTypeError) as info:
            run()
        for word in words:
            assert word in str(info.value), (word, str(info.value))


def test_traced_float_index_raises_fnx_type_error():
    with pytest.raises(FnxTypeError, match="float32"):
        fnx.make_jaxpr(lambda a, i: fnp.asarray(a)[i])(X34, np.array([0.0, 1.0], np.float32))
    with pytest.raises(FnxTypeError, match="float32"):
        fnx.make_jaxpr(lambda a, i: fnp.asarray(a).at[:, i].set(0.0))(X34, np.array([0.0], np.float32))


def test_zero_step_slice_raises_like_numpy():
    with pytest.raises(ValueError, match="zero"):
        fnp.asarray(X34)[::0]
