"""fnx.lax.convolution: conv_general_dilated and reduce_window against loop references and the book's numbers."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
from fnx import lax
from fnx.core.errors import FnxTypeError
from fnx.lax.convolution import conv, conv_general_dilated, reduce_window
from tests.helpers import assert_same, check_against_numpy

TOL = {np.dtype("float32"): dict(rtol=1e-4, atol=1e-5), np.dtype("float64"): dict(rtol=1e-10, atol=1e-12),
       np.dtype("int32"): {}}


# -- loop references ---------------------------------------------------------------------------------------

def dilate_and_pad(x, first_axis, pads, dilation, fill):
    """``x`` with ``dilation - 1`` holes and then ``pads`` (negative crops) on the axes from ``first_axis``."""
    lead = x.shape[:first_axis]
    sizes = [(n - 1) * d + 1 if n else 0 for n, d in zip(x.shape[first_axis:], dilation)]
    out = np.full(lead + tuple(sizes), fill, dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(None, None, d) for d in dilation)] = x
    grow = [(0, 0)] * first_axis + [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    out = np.pad(out, grow, constant_values=fill)
    crop = tuple(slice(max(-lo, 0), out.shape[first_axis + i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pads))
    return out[(slice(None),) * first_axis + crop]


def conv_reference(x, w, strides, pads, lhs_dilation, rhs_dilation, groups):
    """NC.../OI... cross-correlation, one output element at a time."""
    xp = dilate_and_pad(x.astype(np.float64), 2, pads, lhs_dilation, 0.0)
    n, c = x.shape[:2]
    o, cg, *taps = w.shape
    spans = [(k - 1) * r + 1 for k, r in zip(taps, rhs_dilation)]
    positions = [max((p - s) // st + 1, 0) for p, s, st in zip(xp.shape[2:], spans, strides)]
    out = np.zeros((n, o, *positions))
    per_group = o // groups
    for pos in itertools.product(*map(range, positions)):
        window = xp[(slice(None), slice(None)) + tuple(
            slice(p * st, p * st + s, r) for p, st, s, r in zip(pos, strides, spans, rhs_dilation))]
        for f in range(o):
            g = f // per_group
            out[(slice(None), f) + pos] = np.sum(window[:, g * cg:(g + 1) * cg] * w[f], axis=tuple(
                range(1, window.ndim)))
    return out.astype(x.dtype)


REDUCERS = {"max": max, "min": min, "sum": lambda a, b: a + b}


def reduce_window_reference(x, init, computation, windows, strides, pads, base_dilation, window_dilation):
    xp = dilate_and_pad(x, 0, pads, base_dilation, init)
    spans = [(k - 1) * r + 1 for k, r in zip(windows, window_dilation)]
    positions = [max((p - s) // st + 1, 0) for p, s, st in zip(xp.shape, spans, strides)]
    out = np.zeros(positions, x.dtype)
    for pos in itertools.product(*map(range, positions)):
        acc = init
        for tap in itertools.product(*map(range, windows)):
            acc = REDUCERS[computation](acc, xp[tuple(p * st + t * r for p, st, t, r
                                                       in zip(pos, strides, tap, window_dilation))])
        out[pos] = acc
    return out


# -- conv_general_dilated against the reference -------------------------------------------------------------

LAYOUTS = {1: [("NCH", "OIH", "NCH"), ("NHC", "HIO", "NHC")],
           2: [("NCHW", "OIHW", "NCHW"), ("NHWC", "HWIO", "NHWC"), ("NHWC", "OIHW", "NCHW")],
           3: [("NCDHW", "OIDHW", "NCDHW"), ("NDHWC", "DHWIO", "NDHWC")]}


def to_layout(a, spec, canonical):
    """An array in the ``canonical`` layout (e.g. "NCHW") transposed to ``spec`` (e.g. "NHWC")."""
    return np.transpose(a, [canonical.index(ch) for ch in spec])


@st.composite
def conv_cases(draw):
    k = draw(st.integers(1, 3))
    size = st.integers(1, 6 if k < 3 else 3)
    per_axis = lambda s: tuple(draw(st.lists(s, min_size=k, max_size=k)))  # noqa: E731
    groups = draw(st.integers(1, 3))
    shape_x = (draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)), *per_axis(size))
    shape_w = (groups * draw(st.integers(1, 2)), shape_x[1] // groups, *per_axis(st.integers(1, 3)))
    return dict(shape_x=shape_x, shape_w=shape_w, groups=groups, strides=per_axis(st.integers(1, 3)),
                pads=tuple(zip(per_axis(st.integers(-1, 2)), per_axis(st.integers(0, 2)))),
                lhs_dilation=per_axis(st.integers(1, 2)), rhs_dilation=per_axis(st.integers(1, 2)),
                layout=draw(st.sampled_from(LAYOUTS[k])), dtype=draw(st.sampled_from([np.float32, np.float64])),
                seed=draw(st.integers(0, 2 ** 16)))


@settings(max_examples=30, deadline=None)
@given(conv_cases())
def test_conv_general_dilated_matches_loop_reference(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape_x"]).astype(case["dtype"])
    w = rng.standard_normal(case["shape_w"]).astype(case["dtype"])
    lhs_spec, rhs_spec, out_spec = case["layout"]
    spatial = [ch for ch in rhs_spec if ch not in "OI"]
    canon_lhs, canon_rhs, canon_out = "NC" + "".join(spatial), "OI" + "".join(spatial), "NC" + "".join(spatial)
    expected = conv_reference(x, w, case["strides"], case["pads"], case["lhs_dilation"], case["rhs_dilation"],
                              case["groups"])

    def f(lhs, rhs):
        return conv_general_dilated(lhs, rhs, case["strides"], case["pads"], case["lhs_dilation"],
                                    case["rhs_dilation"], case["layout"], feature_group_count=case["groups"])

    check_against_numpy(f, lambda *_: to_layout(expected, out_spec, canon_out),
                        to_layout(x, lhs_spec, canon_lhs), to_layout(w, rhs_spec, canon_rhs),
                        **TOL[np.dtype(case["dtype"])])


@pytest.mark.parametrize("padding", ["SAME", "SAME_LOWER", "VALID"])
@pytest.mark.parametrize("n, k, stride, dilation", [(7, 3, 1, 1), (7, 4, 2, 1), (8, 3, 3, 2), (5, 2, 2, 1)])
def test_string_padding_gives_the_documented_sizes_and_sides(padding, n, k, stride, dilation):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, n)), rng.standard_normal((3, 2, k))
    span = (k - 1) * dilation + 1
    out_size = -(-n // stride) if padding != "VALID" else (n - span) // stride + 1
    total = max((out_size - 1) * stride + span - n, 0) if padding != "VALID" else 0
    low = {"SAME": total // 2, "SAME_LOWER": total - total // 2, "VALID": 0}[padding]
    expected = conv_reference(x, w, (stride,), [(low, total - low)], (1,), (dilation,), 1)
    assert expected.shape[-1] == out_size
    check_against_numpy(lambda a, b: conv_general_dilated(a, b, (stride,), padding, rhs_dilation=(dilation,)),
                        lambda *_: expected, x, w, rtol=1e-10)


def test_depthwise_conv_convolves_each_channel_with_its_own_filter():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((4, 1, 3, 3))
    single = [conv_reference(x[:, c:c + 1], w[c:c + 1], (1, 1), [(1, 1)] * 2, (1, 1), (1, 1), 1)
              for c in range(4)]
    check_against_numpy(lambda a, b: conv_general_dilated(a, b, (1, 1), "SAME", feature_group_count=4),
                        lambda *_: np.concatenate(single, axis=1), x, w, rtol=1e-10)


def test_conv_is_nchw_oihw_conv_general_dilated():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 2, 3))
    check_against_numpy(lambda a, b: conv(a, b, (2, 1), [(1, 0), (0, 2)]),
                        lambda *_: conv_reference(x, w, (2, 1), [(1, 0), (0, 2)], (1, 1), (1, 1), 1), x, w,
                        rtol=1e-10)


# -- dtypes and the jaxpr ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dx, dw, preferred, out", [
    (np.float32, np.float32, None, np.float32), (np.float32, np.float64, None, np.float64),
    (np.int32, np.int64, None, np.float64), (np.float32, np.float32, np.float64, np.float64)])
def test_operands_are_promoted_to_one_float_dtype(dx, dw, preferred, out):
    x, w = np.arange(16).reshape(1, 1, 4, 4).astype(dx), np.ones((1, 1, 2, 2), dw)
    expected = conv_reference(x.astype(np.float64), w.astype(np.float64), (1, 1), [(0, 0)] * 2, (1, 1), (1, 1), 1)
    check_against_numpy(lambda a, b: conv_general_dilated(a, b, (1, 1), "VALID", preferred_element_type=preferred),
                        lambda *_: expected.astype(out), x, w)


def test_jaxpr_params_are_plain_readable_tuples():
    closed = fnx.make_jaxpr(lambda a, b: conv_general_dilated(
        a, b, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")))(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 8)))
    (eqn,) = closed.jaxpr.eqns
    assert eqn.params == dict(window_strides=(2, 2), padding=((1, 1), (1, 1)), lhs_dilation=(1, 1),
                              rhs_dilation=(1, 1), dimension_numbers=((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2)),
                              feature_group_count=1)
    assert "c:f64[1,3,3,8] = conv_general_dilated[window_strides=(2, 2), padding=((1, 1), (1, 1))" in str(closed)
    hash(tuple(eqn.params.values()))


def test_conv_accepts_canonical_permutations_as_dimension_numbers():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 4))
    by_name = conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    by_perm = conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2)))
    assert_same(np.asarray(by_perm), np.asarray(by_name))


# -- reduce_window ---------------------------------------------------------------------------------------------

@st.composite
def reduce_window_cases(draw):
    ndim = draw(st.integers(1, 3))
    per_axis = lambda s: tuple(draw(st.lists(s, min_size=ndim, max_size=ndim)))  # noqa: E731
    return dict(shape=per_axis(st.integers(1, 5)), windows=per_axis(st.integers(1, 3)),
                strides=per_axis(st.integers(1, 3)),
                pads=tuple(zip(per_axis(st.integers(-1, 2)), per_axis(st.integers(0, 2)))),
                base_dilation=per_axis(st.integers(1, 2)), window_dilation=per_axis(st.integers(1, 2)),
                computation=draw(st.sampled_from(["max", "min", "sum"])),
                dtype=draw(st.sampled_from([np.float32, np.float64, np.int32])), seed=draw(st.integers(0, 2 ** 16)))


@settings(max_examples=30, deadline=None)
@given(reduce_window_cases())
def test_reduce_window_matches_loop_reference(case):
    x = np.random.default_rng(case["seed"]).integers(-50, 50, case["shape"]).astype(case["dtype"])
    init = {"max": -1000, "min": 1000, "sum": 0}[case["computation"]]
    init = np.dtype(case["dtype"]).type(init)
    args = (case["computation"], case["windows"], case["strides"], case["pads"], case["base_dilation"],
            case["window_dilation"])
    check_against_numpy(lambda a: reduce_window(a, init, *args), lambda a: reduce_window_reference(a, init, *args),
                        x, **TOL[np.dtype(case["dtype"])])


def pool_reference(x, size, stride, reduce):
    """NCHW pooling with square windows, no padding, by loops."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, (h - size) // stride + 1, (w - size) // stride + 1), x.dtype)
    for i, j in itertools.product(range(out.shape[2]), range(out.shape[3])):
        out[:, :, i, j] = reduce(x[:, :, i * stride:i * stride + size, j * stride:j * stride + size], axis=(2, 3))
    return out


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 1), (3, 2)])
def test_max_pool_and_avg_pool_via_reduce_window(size, stride):
    x = np.random.default_rng(5).standard_normal((2, 3, 7, 6)).astype(np.float32)
    window, strides = (1, 1, size, size), (1, 1, stride, stride)
    check_against_numpy(lambda a: reduce_window(a, -np.inf, lax.max, window, strides, "VALID"),
                        lambda a: pool_reference(a, size, stride, np.max), x)
    check_against_numpy(lambda a: reduce_window(a, 0.0, lax.add, window, strides, "VALID") / (size * size),
                        lambda a: pool_reference(a, size, stride, np.mean), x, rtol=1e-5, atol=1e-6)


def test_same_max_pool_pads_with_init_value_and_avg_pool_can_exclude_padding():
    x = -np.arange(1.0, 26.0).reshape(1, 1, 5, 5)  # all negative: a zero pad would win the max
    window, strides = (1, 1, 3, 3), (1, 1, 2, 2)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], constant_values=-np.inf)
    check_against_numpy(lambda a: reduce_window(a, -np.inf, "max", window, strides, "SAME"),
                        lambda a: pool_reference(xp, 3, 2, np.max), x)
    counts = pool_reference(np.pad(np.ones_like(x), [(0, 0), (0, 0), (1, 1), (1, 1)]), 3, 2, np.sum)
    check_against_numpy(
        lambda a: reduce_window(a, 0.0, "sum", window, strides, "SAME")
        / reduce_window(np.ones_like(x), 0.0, "sum", window, strides, "SAME"),
        lambda a: pool_reference(np.pad(a, [(0, 0), (0, 0), (1, 1), (1, 1)]), 3, 2, np.sum) / counts, x)


def test_reduce_window_jaxpr_stores_the_computation_name():
    closed = fnx.make_jaxpr(lambda a: reduce_window(a, -np.inf, lax.max, (2,), (2,), "VALID"))(np.ones(4))
    assert closed.jaxpr.eqns[0].params["computation"] == "max"
    assert "reduce_window[computation='max', window_dimensions=(2,)" in str(closed)


# -- errors ----------------------------------------------------------------------------------------------------

def raises_eager_and_traced(f, *args, match):
    with pytest.raises(FnxTypeError, match=match):
        f(*args)
    with pytest.raises(FnxTypeError, match=match):
        fnx.make_jaxpr(f)(*args)


def test_mismatched_channels_name_the_op_and_both_shapes():
    x, w = np.ones((1, 3, 5, 5)), np.ones((2, 4, 3, 3))
    raises_eager_and_traced(lambda a, b: conv(a, b, (1, 1), "VALID"), x, w,
                            match=r"conv_general_dilated: lhs f64\[1,3,5,5\] has 3 input features.*f64\[2,4,3,3\]")


def test_groups_must_divide_the_features():
    x, w = np.ones((1, 4, 5, 5)), np.ones((3, 2, 3, 3))
    raises_eager_and_traced(lambda a, b: conv_general_dilated(a, b, (1, 1), "VALID", feature_group_count=2), x, w,
                            match="feature_group_count=2")


@pytest.mark.parametrize("dimension_numbers, match", [
    (("NCHW", "OIHW", "NCH"), "out layout 'NCH'"), (("NXHW", "OIHW", "NCHW"), "lhs layout 'NXHW'"),
    (("NCHW", "OIHX", "NCHW"), "same spatial axes"), (("NCHW", "OIHW"), "three layout strings"),
    (((0, 1, 2, 2), (0, 1, 2, 3), (0, 1, 2, 3)), "not three permutations")])
def test_bad_dimension_numbers(dimension_numbers, match):
    raises_eager_and_traced(lambda a, b: conv_general_dilated(a, b, (1, 1), "VALID",
                                                              dimension_numbers=dimension_numbers),
                            np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3)), match=match)


@pytest.mark.parametrize("kwargs, match", [
    (dict(window_strides=(1,)), "window_strides must be 2 positive ints"),
    (dict(padding="FULL"), "padding must be 'VALID'"), (dict(padding=[(1, 1)]), "needs 2 .low, high. padding"),
    (dict(padding=[(-4, 0), (0, 0)]), "crops more than the whole input"),
    (dict(rhs_dilation=(0, 1)), "rhs_dilation must be 2 positive ints"),
    (dict(batch_group_count=2), "batch_group_count=2 is not supported"),
    (dict(preferred_element_type=np.int32), "preferred_element_type must be a float")])
def test_bad_conv_arguments(kwargs, match):
    args = dict(window_strides=(1, 1), padding="VALID") | kwargs
    raises_eager_and_traced(lambda a, b: conv_general_dilated(a, b, **args), np.ones((1, 3, 3, 3)),
                            np.ones((2, 3, 2, 2)), match=match)


def test_rank_mismatch():
    raises_eager_and_traced(lambda a, b: conv(a, b, (1,), "VALID"), np.ones((1, 3, 5)), np.ones((2, 3, 3, 3)),
                            match=r"same rank.*f64\[1,3,5\], f64\[2,3,3,3\]")


@pytest.mark.parametrize("operand, init, computation, match", [
    (np.ones(4), 0.0, "mean", "computation must be 'max', 'min', 'sum'"),
    (np.ones(4), 0.0, np.maximum, "computation must be"),
    (np.ones(4, np.int32), -np.inf, "max", "init_value -inf does not fit int32"),
    (np.ones(4, bool), False, "max", "needs integer or float operands"),
    (np.ones(4), np.ones(2), "sum", "init_value must be a scalar")])
def test_bad_reduce_window_arguments(operand, init, computation, match):
    raises_eager_and_traced(lambda a: reduce_window(a, init, computation, (2,), (1,), "VALID"), operand,
                            match=match)


def test_reduce_window_needs_one_window_size_per_axis():
    raises_eager_and_traced(lambda a: reduce_window(a, 0.0, "sum", (2, 2), (1, 1), "VALID"), np.ones((2, 2, 2)),
                            match="window_dimensions must be 3 positive ints")
