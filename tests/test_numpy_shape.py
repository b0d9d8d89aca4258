"""fnx.numpy shape functions against NumPy, eagerly and through make_jaxpr, over generated shapes and dtypes."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from helpers import DTYPES, check_against_numpy, make_array, raises_eager_and_traced

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def arrays(draw, min_dims=0, max_dims=4, min_side=0, max_side=4, shape=None):
    """NumPy arrays of any of DTYPES, of a drawn shape (or the given one)."""
    if shape is None:
        shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side))
    return make_array(shape, draw(st.sampled_from(DTYPES)), draw(st.integers(0, 2 ** 16)))


def maybe_negative(draw, axis: int, ndim: int) -> int:
    """``axis`` or its negative spelling ``axis - ndim``, as drawn."""
    return axis - ndim if draw(st.booleans()) else axis


def some_axes(draw, candidates: list, ndim: int) -> list:
    """Some of the ``candidates`` axes (of an array of rank ``ndim``), in a drawn order, each maybe negative."""
    chosen = draw(st.permutations(candidates))[:draw(st.integers(0, len(candidates)))]
    return [maybe_negative(draw, a, ndim) for a in chosen]


def check_axis_spellings(name: str, x: np.ndarray, axes: list):
    """``fnp.<name>`` equals ``np.<name>`` on ``x`` with no axis argument, with the tuple ``axes`` and (when
    there is one) with the single axis ``axes[0]``."""
    fnx_f, np_f = getattr(fnp, name), getattr(np, name)
    check_against_numpy(fnx_f, np_f, x)
    check_against_numpy(lambda a: fnx_f(a, tuple(axes)), lambda a: np_f(a, tuple(axes)), x)
    if axes:
        check_against_numpy(lambda a: fnx_f(a, axes[0]), lambda a: np_f(a, axes[0]), x)


def reshape_targets(size: int) -> list:
    """Shapes of ``size`` elements, some using -1."""
    if size == 0:
        return [(0,), (-1,), (0, 3), (-1, 2), (2, 0, 1)]
    out = [(size,), (-1,)]
    for d in (d for d in range(1, size + 1) if size % d == 0):
        out += [(d, size // d), (d, -1), (-1, d), (size // d, 1, d), (1, -1, d, 1)]
    return out


# ----------------------------------------------------------------------------------------------- reshaping


@SETTINGS
@given(data=st.data())
def test_reshape(data):
    x = data.draw(arrays())
    shape = data.draw(st.sampled_from(reshape_targets(x.size)))
    order = data.draw(st.sampled_from(["C", "F"]))
    check_against_numpy(lambda a: fnp.reshape(a, shape, order=order), lambda a: np.reshape(a, shape, order=order), x)
    check_against_numpy(lambda a: a.reshape(shape), lambda a: a.reshape(shape), x)


def test_reshape_int_shape_and_scalar():
    check_against_numpy(lambda a: fnp.reshape(a, 6), lambda a: np.reshape(a, 6), make_array((2, 3), "int8"))
    check_against_numpy(lambda a: fnp.reshape(a, (1, 1)), lambda a: np.reshape(a, (1, 1)), np.float32(2.5))
    check_against_numpy(lambda a: fnp.reshape(a, ()), lambda a: np.reshape(a, ()), np.ones((1, 1), np.uint16))


@SETTINGS
@given(x=arrays(), order=st.sampled_from(["C", "F"]))
def test_ravel(x, order):
    check_against_numpy(lambda a: fnp.ravel(a, order=order), lambda a: np.ravel(a, order=order), x)


@SETTINGS
@given(data=st.data())
def test_transpose_and_permute_dims(data):
    x = data.draw(arrays())
    perm = data.draw(st.permutations(range(x.ndim)))
    axes = tuple(maybe_negative(data.draw, a, x.ndim) for a in perm)
    check_against_numpy(lambda a: fnp.transpose(a), np.transpose, x)
    check_against_numpy(lambda a: fnp.transpose(a, axes), lambda a: np.transpose(a, axes), x)
    check_against_numpy(lambda a: fnp.permute_dims(a, axes), lambda a: np.permute_dims(a, axes), x)
    check_against_numpy(lambda a: a.T, lambda a: a.T, x)


@SETTINGS
@given(x=arrays(min_dims=2))
def test_matrix_transpose(x):
    check_against_numpy(fnp.matrix_transpose, np.matrix_transpose, x)


@SETTINGS
@given(data=st.data())
def test_swapaxes(data):
    x = data.draw(arrays(min_dims=1))
    a1, a2 = (data.draw(st.integers(-x.ndim, x.ndim - 1)) for _ in range(2))
    check_against_numpy(lambda a: fnp.swapaxes(a, a1, a2), lambda a: np.swapaxes(a, a1, a2), x)


@SETTINGS
@given(data=st.data())
def test_moveaxis(data):
    x = data.draw(arrays(min_dims=1))
    k = data.draw(st.integers(1, x.ndim))
    src = [maybe_negative(data.draw, a, x.ndim) for a in data.draw(st.permutations(range(x.ndim)))[:k]]
    dst = [maybe_negative(data.draw, a, x.ndim) for a in data.draw(st.permutations(range(x.ndim)))[:k]]
    check_against_numpy(lambda a: fnp.moveaxis(a, src, dst), lambda a: np.moveaxis(a, src, dst), x)
    check_against_numpy(lambda a: fnp.moveaxis(a, src[0], dst[0]), lambda a: np.moveaxis(a, src[0], dst[0]), x)
    check_against_numpy(lambda a: fnp.moveaxis(a, tuple(src), tuple(dst)),
                        lambda a: np.moveaxis(a, tuple(src), tuple(dst)), x)


@SETTINGS
@given(data=st.data())
def test_expand_dims(data):
    x = data.draw(arrays(max_dims=3))
    n_new = data.draw(st.integers(1, 3))
    out_ndim = x.ndim + n_new
    axes = [maybe_negative(data.draw, a, out_ndim) for a in data.draw(st.permutations(range(out_ndim)))[:n_new]]
    one = data.draw(st.integers(-x.ndim - 1, x.ndim))
    check_against_numpy(lambda a: fnp.expand_dims(a, tuple(axes)), lambda a: np.expand_dims(a, tuple(axes)), x)
    check_against_numpy(lambda a: fnp.expand_dims(a, one), lambda a: np.expand_dims(a, one), x)


@SETTINGS
@given(data=st.data())
def test_squeeze(data):
    x = data.draw(arrays(min_side=1, max_side=3))
    check_axis_spellings("squeeze", x, some_axes(data.draw, [i for i, n in enumerate(x.shape) if n == 1], x.ndim))


# ------------------------------------------------------------------------------------------- broadcasting


@SETTINGS
@given(data=st.data())
def test_broadcast_to(data):
    x = data.draw(arrays(max_dims=3, max_side=3))
    lead = tuple(data.draw(st.lists(st.integers(0, 3), max_size=2)))
    stretched = tuple(data.draw(st.integers(0, 3)) if n == 1 and data.draw(st.booleans()) else n for n in x.shape)
    shape = lead + stretched
    check_against_numpy(lambda a: fnp.broadcast_to(a, shape), lambda a: np.broadcast_to(a, shape), x)


def test_broadcast_to_int_shape():
    check_against_numpy(lambda a: fnp.broadcast_to(a, 4), lambda a: np.broadcast_to(a, 4), np.float32(1.5))


@SETTINGS
@given(data=st.data())
def test_broadcast_arrays(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=4, max_side=3)).input_shapes
    xs = [data.draw(arrays(shape=s)) for s in shapes]
    check_against_numpy(lambda *a: fnp.broadcast_arrays(*a), lambda *a: list(np.broadcast_arrays(*a)), *xs)


# ---------------------------------------------------------------------------------------------- joining


@st.composite
def joinable(draw, min_dims=1, max_dims=4, vary=True):
    """(arrays, axis): 1-4 arrays of mixed dtypes that agree except along ``axis`` (when ``vary``)."""
    base = list(draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=3)))
    axis = draw(st.integers(0, len(base) - 1)) if base else 0
    xs = []
    for _ in range(draw(st.integers(1, 4))):
        shape = list(base)
        if vary and shape:
            shape[axis] = draw(st.integers(0, 3))
        xs.append(draw(arrays(shape=tuple(shape))))
    return xs, axis


@SETTINGS
@given(data=st.data())
def test_concatenate_promotes_mixed_dtypes(data):
    xs, axis = data.draw(joinable())
    axis = maybe_negative(data.draw, axis, xs[0].ndim)
    check_against_numpy(lambda *a: fnp.concatenate(a, axis=axis), lambda *a: np.concatenate(a, axis=axis), *xs)
    check_against_numpy(lambda *a: fnp.concat(list(a), axis=axis), lambda *a: np.concat(a, axis=axis), *xs)


@SETTINGS
@given(xs=st.lists(arrays(max_dims=3), min_size=1, max_size=4))
def test_concatenate_axis_none_flattens(xs):
    check_against_numpy(lambda *a: fnp.concatenate(a, axis=None), lambda *a: np.concatenate(a, axis=None), *xs)


def test_concatenate_dtype_and_lists():
    x, y = make_array((2, 3), "int8"), make_array((1, 3), "uint16")
    check_against_numpy(lambda a, b: fnp.concatenate([a, b], dtype="float32"),
                        lambda a, b: np.concatenate([a, b], dtype="float32"), x, y)
    check_against_numpy(lambda a: fnp.concatenate([a, [[1, 2, 3]]]), lambda a: np.concatenate([a, [[1, 2, 3]]]), x)


@SETTINGS
@given(data=st.data())
def test_stack(data):
    xs, _ = data.draw(joinable(min_dims=0, max_dims=3, vary=False))
    axis = data.draw(st.integers(-xs[0].ndim - 1, xs[0].ndim))
    check_against_numpy(lambda *a: fnp.stack(a, axis=axis), lambda *a: np.stack(a, axis=axis), *xs)


def arrays_varying(draw, ndim: int, axis: int | None):
    """1-3 arrays of rank ``ndim`` and mixed dtypes whose shapes differ only along ``axis`` (None: not at all)."""
    base = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=0, max_side=3))
    xs = []
    for _ in range(draw(st.integers(1, 3))):
        shape = list(base)
        if axis is not None:
            shape[axis] = draw(st.integers(0, 3))
        xs.append(draw(arrays(shape=tuple(shape))))
    return xs


STACKS = {  # name: (largest input rank tested, the axis along which inputs of rank ndim may differ, or None)
    "hstack": (3, lambda ndim: {0: None, 1: 0}.get(ndim, 1)),
    "vstack": (3, lambda ndim: 0 if ndim >= 2 else None),
    "dstack": (4, lambda ndim: 2 if ndim >= 3 else None),
}


@pytest.mark.parametrize("name", sorted(STACKS))
@SETTINGS
@given(data=st.data())
def test_hstack_vstack_dstack(name, data):
    max_ndim, varying_axis = STACKS[name]
    ndim = data.draw(st.integers(0, max_ndim))
    xs = arrays_varying(data.draw, ndim, varying_axis(ndim))
    check_against_numpy(lambda *a: getattr(fnp, name)(a), lambda *a: getattr(np, name)(a), *xs)


@SETTINGS
@given(data=st.data())
def test_column_stack(data):
    rows = data.draw(st.integers(0, 3))
    shapes = data.draw(st.lists(st.sampled_from([(rows,), (rows, 1), (rows, 2)]), min_size=1, max_size=3))
    xs = [data.draw(arrays(shape=s)) for s in shapes]
    check_against_numpy(lambda *a: fnp.column_stack(a), lambda *a: np.column_stack(a), *xs)


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
@SETTINGS
@given(xs=st.lists(arrays(max_dims=4, max_side=3), min_size=1, max_size=3))
def test_atleast_nd(name, xs):
    fnx_f, np_f = getattr(fnp, name), getattr(np, name)
    check_against_numpy(lambda a: fnx_f(a), lambda a: np_f(a), xs[0])
    if len(xs) > 1:
        check_against_numpy(lambda *a: fnx_f(*a), lambda *a: list(np_f(*a)), *xs)


# -------------------------------------------------------------------------------------------- splitting


def as_list(f):
    """NumPy's split functions return lists (older ones tuples): compare as lists."""
    return lambda *a: list(f(*a))


@SETTINGS
@given(data=st.data())
def test_split_into_sections(data):
    ndim = data.draw(st.integers(1, 3))
    axis = data.draw(st.integers(0, ndim - 1))
    sections, size = data.draw(st.integers(1, 4)), data.draw(st.integers(0, 3))
    shape = list(data.draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, max_side=3)))
    shape[axis] = sections * size
    x = data.draw(arrays(shape=tuple(shape)))
    axis = maybe_negative(data.draw, axis, ndim)
    check_against_numpy(lambda a: fnp.split(a, sections, axis), as_list(lambda a: np.split(a, sections, axis)), x)


@SETTINGS
@given(data=st.data())
def test_split_and_array_split_at_indices(data):
    x = data.draw(arrays(min_dims=1, max_dims=3, max_side=5))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    indices = data.draw(st.lists(st.integers(-7, 7), max_size=4))  # unsorted, negative and past the end
    check_against_numpy(lambda a: fnp.split(a, indices, axis), as_list(lambda a: np.split(a, indices, axis)), x)
    check_against_numpy(lambda a: fnp.array_split(a, indices, axis),
                        as_list(lambda a: np.array_split(a, indices, axis)), x)


@SETTINGS
@given(x=arrays(min_dims=1, max_dims=3, max_side=7), sections=st.integers(1, 9))
def test_array_split_uneven(x, sections):
    check_against_numpy(lambda a: fnp.array_split(a, sections, -1),
                        as_list(lambda a: np.array_split(a, sections, -1)), x)


@pytest.mark.parametrize("shape", [(6,), (2, 6), (2, 6, 3)])
@pytest.mark.parametrize("how", [2, 3, [1, 4], [-2]])
def test_hsplit(shape, how):
    check_against_numpy(lambda a: fnp.hsplit(a, how), as_list(lambda a: np.hsplit(a, how)),
                        make_array(shape, "float32"))


@pytest.mark.parametrize("shape", [(6, 2), (6, 1, 3)])
@pytest.mark.parametrize("how", [1, 3, [2, 3]])
def test_vsplit(shape, how):
    check_against_numpy(lambda a: fnp.vsplit(a, how), as_list(lambda a: np.vsplit(a, how)), make_array(shape, "int8"))


# ----------------------------------------------------------------------------------- flipping and rolling


@SETTINGS
@given(data=st.data())
def test_flip(data):
    x = data.draw(arrays())
    check_axis_spellings("flip", x, some_axes(data.draw, list(range(x.ndim)), x.ndim))


@SETTINGS
@given(x=arrays(min_dims=2))
def test_fliplr_flipud(x):
    check_against_numpy(fnp.fliplr, np.fliplr, x)
    check_against_numpy(fnp.flipud, np.flipud, x)
    check_against_numpy(fnp.flipud, np.flipud, x.reshape(-1))


@SETTINGS
@given(data=st.data())
def test_roll(data):
    x = data.draw(arrays())
    shift = data.draw(st.integers(-30, 30))  # often larger than the axis
    check_against_numpy(lambda a: fnp.roll(a, shift), lambda a: np.roll(a, shift), x)
    if x.ndim:
        k = data.draw(st.integers(1, 3))
        axes = tuple(data.draw(st.integers(-x.ndim, x.ndim - 1)) for _ in range(k))  # may repeat: shifts add up
        shifts = tuple(data.draw(st.integers(-30, 30)) for _ in range(k))
        check_against_numpy(lambda a: fnp.roll(a, shifts, axes), lambda a: np.roll(a, shifts, axes), x)
        check_against_numpy(lambda a: fnp.roll(a, shift, axes[0]), lambda a: np.roll(a, shift, axes[0]), x)
        check_against_numpy(lambda a: fnp.roll(a, shifts, axes[0]), lambda a: np.roll(a, shifts, axes[0]), x)


# ----------------------------------------------------------------------------------------------- tiling


@SETTINGS
@given(x=arrays(max_dims=3, max_side=3),
       reps=st.integers(0, 3) | st.lists(st.integers(0, 3), max_size=4).map(tuple))
def test_tile(x, reps):
    check_against_numpy(lambda a: fnp.tile(a, reps), lambda a: np.tile(a, reps), x)


@SETTINGS
@given(data=st.data())
def test_repeat(data):
    x = data.draw(arrays(max_dims=3))
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    n = data.draw(st.integers(0, 3))
    check_against_numpy(lambda a: fnp.repeat(a, n, axis=axis), lambda a: np.repeat(a, n, axis=axis), x)
    length = x.size if axis is None else x.shape[axis]
    counts = data.draw(st.lists(st.integers(0, 3), min_size=max(length, 1), max_size=max(length, 1)))[:length]
    check_against_numpy(lambda a: fnp.repeat(a, np.array(counts, dtype=np.int64), axis=axis),
                        lambda a: np.repeat(a, counts, axis=axis), x)
    if counts:  # an empty list is tested on its own below
        check_against_numpy(lambda a: fnp.repeat(a, counts, axis=axis), lambda a: np.repeat(a, counts, axis=axis), x)


def test_repeat_with_an_empty_list_of_counts():
    x = np.zeros((2, 0), np.float32)
    check_against_numpy(lambda a: fnp.repeat(a, [], axis=1), lambda a: np.repeat(a, [], axis=1), x)


# ---------------------------------------------------------------------------------------------- padding

MODES = ["constant", "edge", "reflect", "symmetric", "wrap"]


@st.composite
def pad_widths(draw, ndim: int):
    """An int, one pair, one pair for all axes, or one pair per axis (the (width,)-per-axis form: below)."""
    w = st.integers(0, 6)  # often wider than the axis, so reflect/symmetric/wrap go round several times
    return draw(st.one_of(
        w,
        st.tuples(w, w),
        st.tuples(st.tuples(w, w)),
        st.tuples(*[st.tuples(w, w)] * ndim),
    ))


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data())
def test_pad(mode, data):
    x = data.draw(arrays(min_dims=1, max_dims=3, min_side=1, max_side=4))
    widths = data.draw(pad_widths(x.ndim))
    check_against_numpy(lambda a: fnp.pad(a, widths, mode=mode), lambda a: np.pad(a, widths, mode=mode), x)


def test_pad_one_width_per_axis():
    x = make_array((2, 3), "float64")
    widths = ((1,), (2,))  # NumPy: axis 0 gets (1, 1), axis 1 gets (2, 2)
    check_against_numpy(lambda a: fnp.pad(a, widths), lambda a: np.pad(a, widths), x)
    check_against_numpy(lambda a: fnp.pad(a, widths, mode="wrap"), lambda a: np.pad(a, widths, mode="wrap"), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pad_constant_value(dtype):
    x = make_array((2, 3), dtype)
    check_against_numpy(lambda a: fnp.pad(a, ((1, 0), (2, 1)), constant_values=1),
                        lambda a: np.pad(a, ((1, 0), (2, 1)), constant_values=1), x)


def test_pad_constant_value_is_cast_to_the_array_dtype():
    x = make_array((3,), "int8")
    check_against_numpy(lambda a: fnp.pad(a, 2, constant_values=2.5), lambda a: np.pad(a, 2, constant_values=2.5), x)


def test_pad_constant_values_before_and_after():
    x = make_array((2, 3), "float32")
    for values in [(7, 9), ((7, 9),), ((1, 2), (3, 4))]:
        check_against_numpy(lambda a: fnp.pad(a, 2, constant_values=values),
                            lambda a: np.pad(a, 2, constant_values=values), x)


# --------------------------------------------------------------------------------------------- diagonal


@SETTINGS
@given(data=st.data())
def test_diagonal(data):
    x = data.draw(arrays(min_dims=2, max_dims=4))
    axis1, axis2 = data.draw(st.permutations(range(x.ndim)))[:2]
    axis1, axis2 = maybe_negative(data.draw, axis1, x.ndim), maybe_negative(data.draw, axis2, x.ndim)
    offset = data.draw(st.integers(-5, 5))
    check_against_numpy(lambda a: fnp.diagonal(a, offset, axis1, axis2), lambda a: np.diagonal(a, offset, axis1, axis2),
                        x)
    check_against_numpy(lambda a: fnp.diagonal(a), lambda a: np.diagonal(a), x)


# ------------------------------------------------------------------------------------------------ errors


def shape_pattern(shape) -> str:
    """A regex for ``shape`` printed as a tuple or as an aval, with or without spaces: ``2,\\s*3``."""
    return r",\s*".join(map(str, shape))


def test_reshape_size_mismatch_error():
    x = np.ones((2, 3))
    raises_eager_and_traced(lambda a: fnp.reshape(a, (4, 2)), x, names=["reshape", shape_pattern((2, 3)),
                                                                         shape_pattern((4, 2))])
    raises_eager_and_traced(lambda a: fnp.reshape(a, (4, -1)), x, names=["reshape", shape_pattern((2, 3))])
    raises_eager_and_traced(lambda a: fnp.reshape(a, (-1, -1)), x, names=["reshape"])


def test_reshape_negative_dimension_error():
    raises_eager_and_traced(lambda a: fnp.reshape(a, (-2, 3)), np.ones((2, 3)), names=["reshape", "-2"])


def test_concatenate_shape_mismatch_error():
    x, y = np.ones((2, 3)), np.ones((3, 3), np.float32)
    raises_eager_and_traced(lambda a, b: fnp.concatenate([a, b], axis=1), x, y,
                            names=["concatenate", shape_pattern((2, 3)), shape_pattern((3, 3))])
    raises_eager_and_traced(lambda a, b: fnp.concatenate([a, b]), x, np.ones(3),
                            names=["concatenate", shape_pattern((2, 3))])
    raises_eager_and_traced(lambda a, b: fnp.concatenate([a, b]), np.float64(1), np.float64(2),
                            names=["concatenate"])
    raises_eager_and_traced(lambda a: fnp.concatenate([a, a], axis=2), x, names=["concatenate", "axis 2"])


def test_stack_shape_mismatch_error():
    raises_eager_and_traced(lambda a, b: fnp.stack([a, b]), np.ones((2, 3)), np.ones((3, 2)),
                            names=["stack", shape_pattern((2, 3)), shape_pattern((3, 2))])
    with pytest.raises(FnxTypeError, match="^stack"):
        fnp.stack([])


def test_other_shape_errors():
    x = np.ones((2, 3))
    raises_eager_and_traced(lambda a: fnp.broadcast_to(a, (3, 3)), x, names=["broadcast_to", shape_pattern((2, 3))])
    raises_eager_and_traced(lambda a: fnp.squeeze(a, 0), x, names=["squeeze", shape_pattern((2, 3))])
    raises_eager_and_traced(lambda a: fnp.split(a, 2, axis=1), x, names=["split", "3"])
    raises_eager_and_traced(lambda a: fnp.transpose(a, (0, 0)), x, names=["transpose"])
    raises_eager_and_traced(lambda a: fnp.swapaxes(a, 0, 2), x, names=["swapaxes", "axis 2"])
    raises_eager_and_traced(lambda a: fnp.matrix_transpose(a), np.ones(3), names=["matrix_transpose"])
    raises_eager_and_traced(lambda a: fnp.pad(a, 1, mode="median"), x, names=["pad", "median"])
    raises_eager_and_traced(lambda a: fnp.pad(a, -1), x, names=["pad"])
    raises_eager_and_traced(lambda a, b: fnp.broadcast_arrays(a, b), np.ones(2), np.ones(3),
                            names=["broadcast_arrays"])


def test_diagonal_of_one_axis_twice_is_an_error():
    raises_eager_and_traced(lambda a: fnp.diagonal(a, 0, 1, 1), np.ones((2, 3)), names=["diagonal"])


def test_hsplit_of_a_scalar_is_an_error():
    raises_eager_and_traced(lambda a: fnp.hsplit(a, 1), np.float64(1), names=["hsplit"])


def test_vsplit_of_a_vector_is_an_error():
    raises_eager_and_traced(lambda a: fnp.vsplit(a, 2), np.ones(4), names=["vsplit"])


def test_negative_and_mismatched_repetition_counts_are_errors():
    x = np.ones((2, 3))
    raises_eager_and_traced(lambda a: fnp.tile(a, -1), x, names=["^tile", "-1"])
    raises_eager_and_traced(lambda a: fnp.tile(a, (2, -1)), x, names=["^tile", "-1"])
    raises_eager_and_traced(lambda a: fnp.repeat(a, -1), x, names=["^repeat", "-1"])
    raises_eager_and_traced(lambda a: fnp.repeat(a, [1, -1], axis=0), x, names=["^repeat", "-1"])
    raises_eager_and_traced(lambda a: fnp.repeat(a, [1, 2], axis=1), x, names=["^repeat", "3"])
    with pytest.raises(FnxTypeError, match="^repeat"):
        fnx.make_jaxpr(lambda a, n: fnp.repeat(a, n))(x, np.int64(2))


def test_pad_width_and_constant_values_of_the_wrong_shape_are_errors():
    x = np.ones((2, 3))
    raises_eager_and_traced(lambda a: fnp.pad(a, ((1, 2, 3),)), x, names=["^pad", "pad_width"])
    raises_eager_and_traced(lambda a: fnp.pad(a, 1, constant_values=(1, 2, 3)), x, names=["^pad", "constant_values"])


def test_pad_with_a_traced_constant_value():
    check_against_numpy(lambda a, v: fnp.pad(a, (1, 2), constant_values=v),
                        lambda a, v: np.pad(a, (1, 2), constant_values=v), make_array((2, 3), "int8"), np.int8(5))


NUMPY_INT_ARGS = {
    "tile": (lambda a: fnp.tile(a, np.int64(2)), lambda a: np.tile(a, 2)),
    "broadcast_to": (lambda a: fnp.broadcast_to(a[0, 0], np.int64(3)), lambda a: np.broadcast_to(a[0, 0], 3)),
    "reshape": (lambda a: fnp.reshape(a, np.int64(6)), lambda a: np.reshape(a, 6)),
    "repeat": (lambda a: fnp.repeat(a, np.int64(2), np.int64(1)), lambda a: np.repeat(a, 2, 1)),
    "roll": (lambda a: fnp.roll(a, np.int64(1), np.int64(1)), lambda a: np.roll(a, 1, 1)),
    "expand_dims": (lambda a: fnp.expand_dims(a, np.int64(1)), lambda a: np.expand_dims(a, 1)),
}


@pytest.mark.parametrize("name", sorted(NUMPY_INT_ARGS))
def test_numpy_integers_work_as_python_ints(name):
    check_against_numpy(*NUMPY_INT_ARGS[name], make_array((2, 3), "int64"))
