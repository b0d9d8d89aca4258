"""jit of the array primitives (gather, scatter, sort, linalg, conv, reduce_window) against eager fnx.

Numba compiles are slow, so each test jits ONE function computing many cases at once and compares every
output with the same function run eagerly. The kernels themselves compile once per dtype; the hypothesis
tests call them directly (no per-shape compile) against the eager implementations.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError
from fnx.core.tree import tree_flatten
from fnx.lax import convolution, indexing, sorting
from fnx.lower.cpu import kernels_arrays as ka
from fnx.lower.cpu.op_codes import SCATTER_MODES, WINDOW_REDUCERS
from tests.helpers import assert_same

TOL = {np.dtype("float32"): dict(rtol=2e-5, atol=2e-5), np.dtype("float64"): dict(rtol=1e-12, atol=1e-12)}


def assert_jit_matches_eager(f, *args, tol=None):
    """``jit(f)(*args)`` equals ``f(*args)`` leaf by leaf: exactly for integers, to ``TOL`` (or ``tol``) for floats."""
    jitted, eager = tree_flatten(fnx.jit(f)(*args))[0], tree_flatten(f(*args))[0]
    assert len(jitted) == len(eager)
    for a, b in zip(jitted, eager):
        a, b = np.asarray(a), np.asarray(b)
        assert_same(a, b, **(tol or TOL.get(b.dtype, dict(rtol=0))))


rng = np.random.default_rng(0)


# -- gather and scatter ------------------------------------------------------------------------------------

MODES = ("set", "add", "mul", "min", "max")


def indexing_cases(x32, x64, xi, rows, pairs, empty, u32, u64, ui, upairs):
    """Every scatter mode on float32/float64/int64 with duplicate and out-of-bounds index rows; gathers
    with clamped indices; k=2 (indices into two axes) and k=0 (every update addresses the whole operand)."""
    out = [lax.gather(x, rows) for x in (x32, x64, xi)]
    out += [lax.scatter(x, rows, u, m) for x, u in ((x32, u32), (x64, u64), (xi, ui)) for m in MODES]
    out += [lax.gather(x64, pairs), lax.scatter(x64, pairs, upairs, "add"), lax.scatter(x64, pairs, upairs, "set")]
    out += [lax.gather(x64, empty), lax.scatter(x64, empty, fnp.stack([x64, 2 * x64]), "max")]
    out += [lax.gather(x64, rows)[0, 0], lax.scatter(x64[:, 0], rows, u64[:, 0], "set")]  # scalar out, 1-d x
    return out


def test_gather_scatter_match_eager_with_duplicates_and_out_of_bounds():
    x64 = rng.normal(size=(5, 3))
    x64[2, 1] = np.nan  # min/max propagate NaN
    rows = np.array([[1], [4], [7], [1], [-1], [0], [1], [-6]], np.int32)  # 1 thrice, 7/-1/-6 out of bounds
    pairs = np.array([[[0, 2], [4, 0]], [[0, 2], [5, 1]], [[-1, 3], [2, 2]]])  # (0, 2) twice; (5,1), (-1,3) out
    u64 = rng.normal(size=(8, 3))
    ui = rng.integers(-9, 9, size=(8, 3))
    args = (x64.astype(np.float32), x64, rng.integers(-9, 9, size=(5, 3)), rows, pairs, np.zeros((2, 0), np.int64),
            u64.astype(np.float32), u64, ui, rng.normal(size=(3, 2)))
    assert_jit_matches_eager(indexing_cases, *args, tol=dict(rtol=0))
    # the last of duplicate "set" updates wins, for floats and int64 alike
    out = fnx.jit(indexing_cases)(*args)
    np.testing.assert_array_equal(np.asarray(out[3])[1], u64[6].astype(np.float32))
    np.testing.assert_array_equal(np.asarray(out[13])[1], ui[6])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(0, 3), st.integers(0, 12), st.sampled_from(MODES), st.booleans())
def test_scatter_and_gather_kernels_match_impl(n, width, batch, mode, as_int):
    x = rng.integers(-5, 5, size=(n, width)) if as_int else rng.normal(size=(n, width))
    indices = rng.integers(-2, n + 2, size=(batch, 1))  # duplicates and out-of-bounds
    updates = rng.integers(-5, 5, size=(batch, width)) if as_int else rng.normal(size=(batch, width))
    dims = np.array([n], np.int64)
    np.testing.assert_array_equal(ka.scatter(x, indices, updates, dims, SCATTER_MODES[mode]),
                                  indexing._scatter_impl(x, indices, updates, mode=mode))
    np.testing.assert_array_equal(ka.gather(x, indices, dims), indexing._gather_impl(x, indices))


# -- sort --------------------------------------------------------------------------------------------------

def sort_cases(a32, a64, keys, values):
    return [lax.sort(a32, 0), lax.sort(a64, 1),
            lax.sort((keys[0], keys[1], values), dimension=1, num_keys=2),  # ties in the first key
            lax.sort((keys[0], values), dimension=0),
            lax.sort((a64, lax.broadcasted_iota(np.int32, a64.shape, 1)), dimension=1)]  # argsort


def test_sort_matches_eager_with_nans_and_ties():
    a64 = rng.normal(size=(4, 7))
    a64[0, [1, 4]] = np.nan
    a64[2, 3] = np.nan
    a64[1, :3] = [0.0, -0.0, 0.0]
    keys = rng.integers(0, 3, size=(2, 4, 7))
    args = (a64.astype(np.float32), a64, keys, rng.normal(size=(4, 7)).astype(np.float32))
    assert_jit_matches_eager(sort_cases, *args, tol=dict(rtol=0))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 40), st.integers(1, 3), st.booleans())
def test_sort_kernels_match_lexsort(n, num_keys, with_nans):
    keys = [rng.integers(0, 3, size=(2, n)).astype(np.float64) for _ in range(num_keys)]
    if with_nans and n:
        keys[0][0, rng.integers(0, n, size=3)] = np.nan
    order = ka.identity_permutation(2, n, 1)
    for key in reversed(keys):
        order = ka.sort_permutation(key[:, :, None], order)
    expected = np.lexsort(keys[::-1], axis=1) if n else np.zeros((2, 0), np.int64)
    np.testing.assert_array_equal(order[:, :, 0], expected)
    np.testing.assert_array_equal(ka.take_along_middle(keys[0][:, :, None], order)[:, :, 0], sorting._sort_impl(
        *keys, dimension=1, is_stable=True, num_keys=num_keys)[0])


# -- linear algebra ----------------------------------------------------------------------------------------

def linalg_cases(a, b, spd, single):
    return [lax.inv_p.bind(a), lax.solve_p.bind(a, b), lax.det_p.bind(a), lax.cholesky_p.bind(spd),
            lax.inv_p.bind(single), lax.det_p.bind(single), lax.cholesky_p.bind(single @ single.T)]


def test_linalg_matches_eager_batched_and_not_positive_definite_gives_nan():
    a = rng.normal(size=(2, 3, 4, 4)) + 4 * np.eye(4)
    m = rng.normal(size=(2, 3, 4, 4))
    spd = m @ np.swapaxes(m, -1, -2) + np.eye(4)
    spd[1, 2] = -np.eye(4)  # not positive definite: NaNs for this matrix only
    spd[0, 1, 0, 3] = np.nan  # upper triangle: ignored (the factor reads the lower one)
    args = (a, rng.normal(size=(2, 3, 4, 2)), spd, (rng.normal(size=(3, 3)) + 3 * np.eye(3)).astype(np.float32))
    assert_jit_matches_eager(linalg_cases, *args, tol=dict(rtol=1e-4, atol=1e-5))
    factors = np.asarray(fnx.jit(linalg_cases)(*args)[3])
    assert np.isnan(factors[1, 2]).all() and not np.isnan(np.delete(factors.reshape(6, 4, 4), 5, 0)).any()


def test_singular_matrices_raise_like_numpy():
    singular = np.array([[[1.0, 2.0], [2.0, 4.0]]])
    for kernel, eager in ((ka.inv, lax.inv_p.bind), (lambda a: ka.solve(a, a), lambda a: lax.solve_p.bind(a, a))):
        with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
            kernel(singular)
        with pytest.raises(FnxTypeError, match="Singular matrix"):  # eager fnx wraps NumPy's LinAlgError
            eager(singular)
    np.testing.assert_allclose(ka.det(singular), 0.0, atol=1e-15)


# -- conv_general_dilated ----------------------------------------------------------------------------------

def conv_cases(x, k, x_nhwc, k_hwio, x1, k1, x3, k3, x32, k32, x4, k4):
    conv = lax.conv_general_dilated
    return [
        conv(x, k, (2, 2), "SAME"),
        conv(x, k, (1, 1), "VALID", rhs_dilation=(2, 1)),
        conv(x, k, (1, 2), ((2, -1), (0, 1)), lhs_dilation=(2, 1)),  # transposed-conv style, negative padding
        conv(x, k[:, :2], (1, 1), "SAME", feature_group_count=2),  # grouped: 4 features in 2 groups
        conv(x_nhwc, k_hwio, (2, 1), ((1, 1), (2, 0)), dimension_numbers=("NHWC", "HWIO", "NHWC")),
        conv(x_nhwc, k, (1, 1), "VALID", dimension_numbers=("NHWC", "OIHW", "NCHW")),
        conv(x1, k1, (2,), "SAME", rhs_dilation=(2,)),
        conv(x3, k3, (1, 2, 1), "SAME", dimension_numbers=("NCDHW", "OIDHW", "NCDHW")),
        conv(x32, k32, (1, 1), "SAME", feature_group_count=3),  # depthwise, float32
        conv(x4, k4, (1, 2, 1, 1), "SAME"),  # four spatial axes
    ]


def test_conv_matches_eager_all_params_layouts_and_ranks():
    x, k = rng.normal(size=(2, 4, 7, 6)), rng.normal(size=(6, 4, 3, 2))
    args = (x, k, np.transpose(x, (0, 2, 3, 1)), np.transpose(k, (2, 3, 1, 0)), rng.normal(size=(2, 3, 9)),
            rng.normal(size=(4, 3, 3)), rng.normal(size=(1, 2, 4, 5, 3)), rng.normal(size=(3, 2, 2, 3, 2)),
            rng.normal(size=(2, 3, 6, 6)).astype(np.float32), rng.normal(size=(6, 1, 3, 3)).astype(np.float32),
            rng.normal(size=(1, 2, 3, 4, 2, 3)), rng.normal(size=(2, 2, 2, 2, 1, 2)))
    assert_jit_matches_eager(conv_cases, *args)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.sampled_from([1, 2]), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2),
       st.integers(1, 2))
def test_conv_kernel_matches_impl(batch, groups, kernel, stride, dilation, out_per_group):
    x = rng.normal(size=(batch, 2 * groups, 6, 5))
    w = rng.normal(size=(out_per_group * groups, 2, kernel, 2))
    expected = convolution._conv_impl(
        x, w, window_strides=(stride, 1), padding=((0, 0),) * 2, lhs_dilation=(1, 1), rhs_dilation=(dilation, 1),
        dimension_numbers=(tuple(range(4)),) * 3, feature_group_count=groups)
    got = ka.conv(x.reshape(batch, 2 * groups, 30), w.reshape(*w.shape[:2], -1), np.array([6, 5]),
                  np.array([kernel, 2]), np.array([stride, 1]), np.array([dilation, 1]), groups)
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=1e-12, atol=1e-12)


# -- reduce_window -----------------------------------------------------------------------------------------

def pool_cases(x32, x64, xi):
    window, strides = (1, 1, 3, 3), (1, 1, 2, 2)
    ones = fnp.ones_like(x64)
    return [
        lax.reduce_window(x32, -np.inf, "max", window, strides, "SAME"),  # max-pool, padded with -inf
        lax.reduce_window(x64, 0.0, "sum", window, strides, "SAME")  # average pool over the real elements
        / lax.reduce_window(ones, 0.0, "sum", window, strides, "SAME"),
        lax.reduce_window(x64, np.inf, "min", (1, 2, 2, 2), (1, 1, 1, 3), ((0, 0), (1, 0), (0, 2), (1, -1)),
                          base_dilation=(1, 1, 2, 1), window_dilation=(1, 1, 1, 2)),
        lax.reduce_window(xi, 3, "sum", (2, 1, 2, 1), (1, 1, 1, 1), "VALID"),  # init joins every window
        lax.reduce_window(x64[0, 0, 0, 0], -1.0, "max", (), (), ()),  # rank 0: max(x, init)
    ]


def test_reduce_window_matches_eager_pooling_padding_dilation():
    x64 = rng.normal(size=(2, 3, 7, 6))
    x64[1, 2, 4, 4] = np.nan
    assert_jit_matches_eager(pool_cases, x64.astype(np.float32), x64, rng.integers(-9, 9, size=(2, 3, 5, 4)))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2)),
                min_size=1, max_size=3), st.sampled_from(["max", "min", "sum"]), st.booleans())
def test_reduce_window_kernel_matches_impl(axes, computation, integers):
    shape = tuple(a[0] + (a[1] - 1) * a[3] for a in axes)  # every window fits at least once
    x = rng.normal(size=shape)
    if integers:  # the kernel's max/min loop is branch-free: integers' extremes too, not only floats'
        x = np.round(x * 3).astype(np.int64)
    window, strides, dilation = (tuple(a[i] for a in axes) for i in (1, 2, 3))
    params = dict(computation=computation, window_dimensions=window, window_strides=strides,
                  padding=((0, 0),) * len(axes), base_dilation=(1,) * len(axes), window_dilation=dilation)
    init = x.dtype.type(1 if integers else 0.5)
    expected = convolution._reduce_window_impl(x, init, **params)
    got = ka.reduce_window(x.reshape(-1), np.array(shape), np.array(expected.shape), np.array(window),
                           np.array(strides), np.array(dilation), init, WINDOW_REDUCERS[computation])
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=1e-12)


# -- select_and_scatter_add / select_and_gather_add (the max/min pooling derivatives) ----------------------

def select_cases(x32, x64, ct32, ct64, t64):
    """Max and min pools with padding (init competing), base and window dilation, NaNs and ties."""
    scatter, gather = convolution.select_and_scatter_add_p.bind, convolution.select_and_gather_add_p.bind
    same = dict(window_dimensions=(1, 1, 3, 3), window_strides=(1, 1, 2, 2), padding=((0, 0), (0, 0), (1, 1), (1, 1)),
                base_dilation=(1, 1, 1, 1), window_dilation=(1, 1, 1, 1))
    dilated = dict(window_dimensions=(1, 2, 2, 2), window_strides=(1, 1, 1, 3), padding=((0, 0), (1, 0), (0, 2), (1, -1)),
                   base_dilation=(1, 1, 2, 1), window_dilation=(1, 1, 1, 2))
    init32, init64 = np.float32(-np.inf), np.float64(0.25)  # 0.25 wins some windows of x64
    return [
        scatter(ct32, x32, init32, computation="max", **same),
        gather(x32, np.float32(7.0), x32, init32, computation="max", **same),
        scatter(ct64, x64, init64, computation="min", **dilated),
        gather(t64, np.float64(-3.0), x64, init64, computation="min", **dilated),
        scatter(ct64[0, 0, 0, 0], x64[0, 0, 0, 0], np.float64(9.0), computation="max",  # rank 0: init wins
                **{k: () for k in same}),
    ]


def test_select_and_scatter_and_gather_match_eager():
    x64 = np.round(rng.normal(size=(2, 3, 7, 6)), 1)  # rounded: ties
    x64[1, 2, 4, 4] = x64[0, 1, 2, 3] = np.nan
    x32 = x64.astype(np.float32)
    same_windows = (2, 3, 4, 3)
    dilated_windows = convolution._reduce_window_eval(
        convolution._aval(x64), convolution._aval(np.float64(0)), computation="min", window_dimensions=(1, 2, 2, 2),
        window_strides=(1, 1, 1, 3), padding=((0, 0), (1, 0), (0, 2), (1, -1)), base_dilation=(1, 1, 2, 1),
        window_dilation=(1, 1, 1, 2)).shape
    args = (x32, x64, rng.normal(size=same_windows).astype(np.float32), rng.normal(size=dilated_windows),
            rng.normal(size=x64.shape))
    assert_jit_matches_eager(select_cases, *args)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2)),
                min_size=1, max_size=3), st.sampled_from(["max", "min"]), st.booleans(), st.booleans())
def test_select_kernels_match_impl(axes, computation, with_nan, init_wins):
    shape = tuple(a[0] + (a[1] - 1) * a[3] for a in axes)  # every window fits at least once
    x = np.round(rng.normal(size=shape), 1)  # ties
    if with_nan:
        x.reshape(-1)[rng.integers(x.size)] = np.nan
    init = np.float64(0.0 if init_wins else (-np.inf if computation == "max" else np.inf))
    window, strides, dilation = (tuple(a[i] for a in axes) for i in (1, 2, 3))
    params = dict(computation=computation, window_dimensions=window, window_strides=strides,
                  padding=((0, 0),) * len(axes), base_dilation=(1,) * len(axes), window_dilation=dilation)
    out_shape = convolution._reduce_window_impl(x, init, **params).shape
    source, tangent = rng.normal(size=out_shape), rng.normal(size=shape)
    shapes = (np.array(shape), np.array(out_shape), np.array(window), np.array(strides), np.array(dilation))
    op = WINDOW_REDUCERS[computation]
    got = ka.select_and_scatter_add(x.reshape(-1), source.reshape(-1), *shapes, init, op)
    np.testing.assert_array_equal(got.reshape(shape), convolution._select_and_scatter_add_impl(source, x, init, **params))
    got = ka.select_and_gather_add(x.reshape(-1), tangent.reshape(-1), 5.0, *shapes, init, op)
    expected = convolution._select_and_gather_add_impl(tangent, np.float64(5.0), x, init, **params)
    np.testing.assert_array_equal(got.reshape(out_shape), expected)


# -- the flat layout kernels behind the windowed rules -------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-2, 3), st.integers(-2, 3), st.integers(0, 2)),
                min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_transpose_and_dilate_pad_kernels_match_numpy(axes, random):
    shape = tuple(a[0] for a in axes)
    x = rng.normal(size=shape)
    perm = list(range(len(shape)))
    random.shuffle(perm)
    got = ka.transpose(x.reshape(-1), np.array(shape), np.array(perm))
    np.testing.assert_array_equal(got, np.transpose(x, perm).reshape(-1))
    config = [(lo, hi, i) for _, lo, hi, i in axes]
    if all(n + max(n - 1, 0) * i + lo + hi >= 0 for n, (lo, hi, i) in zip(shape, config)):
        expected = lax.pad(x, np.float64(-1.0), config)
        got = ka.dilate_pad(x.reshape(-1), np.array(shape), *(np.array([c[j] for c in config]) for j in range(3)),
                            -1.0)
        np.testing.assert_array_equal(got, np.asarray(expected).reshape(-1))
        back = ka.undilate_pad(got, np.array(shape), *(np.array([c[j] for c in config]) for j in range(3)))
        kept = np.ones(shape, bool)  # the elements that negative padding did not crop read back; the others are 0
        for axis, (n, (lo, hi, i)) in enumerate(zip(shape, config)):
            position = lo + np.arange(n) * (i + 1)
            inside = (position >= 0) & (position < n + max(n - 1, 0) * i + lo + hi)
            kept &= inside.reshape([-1 if a == axis else 1 for a in range(len(shape))])
        np.testing.assert_array_equal(back, np.where(kept, x, 0.0).reshape(-1))


# -- gradients through the rules (the derivative rules emit gathers, scatters, convs and windows) -----------

def embedding_loss(table, ids, targets):
    return fnp.sum((table[ids] - targets) ** 2)


def test_jit_of_grad_through_embedding_gather():
    table = rng.normal(size=(6, 3)).astype(np.float32)
    ids = np.array([[0, 5], [2, 0], [0, 0]])  # row 0 four times: its gradient accumulates
    args = (table, ids, rng.normal(size=(3, 2, 3)).astype(np.float32))
    assert_jit_matches_eager(fnx.grad(embedding_loss), *args)


def conv_pool_loss(params, images, labels):
    kernel, dense = params
    h = lax.conv_general_dilated(images, kernel, (1, 1), "VALID")
    h = lax.reduce_window(fnp.maximum(h, 0.0), -np.inf, "max", (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    logits = h.reshape(h.shape[0], -1) @ dense
    return -fnp.mean(fnp.sum(labels * (logits - fnp.log(fnp.sum(fnp.exp(logits), axis=1, keepdims=True))), axis=1))


def test_jit_of_grad_through_conv_and_max_pool():
    params = (rng.normal(size=(3, 1, 3, 3)).astype(np.float32), rng.normal(size=(27, 4)).astype(np.float32))
    images = rng.normal(size=(5, 1, 8, 8)).astype(np.float32)
    labels = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=5)]
    assert_jit_matches_eager(fnx.grad(conv_pool_loss), params, images, labels, tol=dict(rtol=1e-4, atol=1e-5))
