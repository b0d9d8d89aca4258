"""Derivatives and batching of ``conv_general_dilated`` and ``reduce_window``
(fnx/transforms/autodiff/rules_convolution.py, fnx/transforms/batching/rules_convolution.py).

Derivatives: jvp against central finite differences and jvp/vjp consistency (``<v, J u>`` both ways), eagerly
and through ``make_jaxpr``, over hypothesis-generated strides, paddings, dilations, feature groups and layouts;
pooling gradients against NumPy loops; second derivatives; a LeNet-style network. Batching: vmap against a
Python loop with batched lhs, rhs, both, or a batched ``init_value``, at various in/out axes; per-example
gradients of a small conv net.
"""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError
from gradcheck import check_grads
from helpers import SEEDS, assert_same, check_vmap, eager_and_traced

SETTINGS = settings(max_examples=30, deadline=None)
B = 3  # vmap batch size


def _stack(rng, x, axis):
    """``B`` random arrays shaped like ``x``, stacked along ``axis`` (``x`` itself when axis is None)."""
    if axis is None:
        return x
    return np.stack([rng.normal(size=np.shape(x)).astype(np.asarray(x).dtype) for _ in range(B)], axis=axis)


def _assume_nonempty_output(f, *args):
    """Discard (hypothesis ``assume``) a drawn case whose padding crops away the whole input, or whose output is
    empty."""
    try:
        out = f(*args)
    except FnxTypeError:
        assume(False)
    assume(np.size(out) > 0)


# -- conv cases --------------------------------------------------------------------------------------------

PADDINGS = st.one_of(st.sampled_from(["VALID", "SAME", "SAME_LOWER"]), st.just("pairs"))


@st.composite
def conv_cases(draw):
    """A random convolution: ``(f, lhs, rhs)`` with ``f(lhs, rhs)`` non-empty, in random layouts."""
    nsp = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 2))
    batch, c, o = draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    spatial = [draw(st.integers(1, 5)) for _ in range(nsp)]
    kernel = [draw(st.integers(1, 3)) for _ in range(nsp)]
    strides = [draw(st.integers(1, 3)) for _ in range(nsp)]
    lhs_dilation = [draw(st.integers(1, 2)) for _ in range(nsp)]
    rhs_dilation = [draw(st.integers(1, 2)) for _ in range(nsp)]
    padding = draw(PADDINGS)
    if padding == "pairs":
        padding = [(draw(st.integers(-1, 3)), draw(st.integers(-1, 3))) for _ in range(nsp)]
    perms = tuple(tuple(draw(st.permutations(range(nsp + 2)))) for _ in range(3))
    rng = np.random.default_rng(draw(SEEDS))
    # canonical (N, C, spatial) / (O, C/G, kernel) arrays, laid out so that transposing by the perm undoes it
    lhs = np.transpose(rng.normal(size=(batch, c, *spatial)), np.argsort(perms[0]))
    rhs = np.transpose(rng.normal(size=(o, c // groups, *kernel)), np.argsort(perms[1]))

    def f(x, w):
        return lax.conv_general_dilated(x, w, strides, padding, lhs_dilation, rhs_dilation, perms, groups)
    _assume_nonempty_output(f, lhs, rhs)
    return f, lhs, rhs


@SETTINGS
@given(conv_cases())
def test_conv_grads(case):
    f, lhs, rhs = case
    check_grads(f, [lhs, rhs])


@settings(max_examples=10, deadline=None)
@given(conv_cases(), st.booleans())
def test_conv_grads_one_operand(case, wrt_lhs):
    """Only one operand differentiated: the other's tangent is a symbolic zero."""
    f, lhs, rhs = case
    if wrt_lhs:
        check_grads(f, [lhs], [rhs])
    else:
        check_grads(lambda w, x: f(x, w), [rhs], [lhs])


def _numpy_conv_nchw(x, w, stride):
    """Reference VALID cross-correlation with loops, (N, C, H, W) x (O, C, kh, kw)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, o, oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
        out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out


def test_conv_vjp_matches_numpy_transpose():
    """The cotangents equal the transposed loops of a plain strided convolution, written with NumPy."""
    rng = np.random.default_rng(0)
    x, w, ct = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=(2, 4, 3, 3))
    np.testing.assert_allclose(_numpy_conv_nchw(x, w, 2), np.asarray(lax.conv(x, w, (2, 2), "VALID")), rtol=1e-12)
    ct_x, ct_w = np.zeros_like(x), np.zeros_like(w)
    for i, j in itertools.product(range(3), range(3)):
        ct_x[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 2] += np.einsum("no,ochw->nchw", ct[:, :, i, j], w)
        ct_w += np.einsum("no,nchw->ochw", ct[:, :, i, j], x[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 2])
    got = fnx.vjp(lambda a, b: lax.conv(a, b, (2, 2), "VALID"), x, w)[1](ct)
    assert_same(list(got), [ct_x, ct_w], rtol=1e-12)


def test_conv_grads_string_layouts_and_depthwise():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 6, 5, 4)), rng.normal(size=(3, 2, 1, 8))  # NHWC, HWIO, 4 groups of 1 feature
    check_grads(lambda a, b: lax.conv_general_dilated(a, b, (2, 1), "SAME", (1, 2), (2, 1),
                                                      ("NHWC", "HWIO", "NCHW"), feature_group_count=4), [x, w])


def test_conv_transposed_grads():
    """lhs_dilation (a transposed convolution) together with strides, padding and a 3-d kernel."""
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(1, 2, 3, 2, 3)), rng.normal(size=(2, 2, 2, 3, 2))
    check_grads(lambda a, b: lax.conv_general_dilated(a, b, (1, 2, 1), [(1, 2), (2, 0), (0, -1)], (2, 3, 2)),
                [x, w])


def test_conv_empty_output_grads_are_zero():
    x, w = np.ones((1, 1, 2)), np.ones((1, 1, 3))
    ct_x, ct_w = fnx.grad(lambda a, b: fnp.sum(lax.conv(a, b, (1,), "VALID")), argnums=(0, 1))(x, w)
    assert_same([ct_x, ct_w], [np.zeros_like(x), np.zeros_like(w)])


def test_conv_second_derivative():
    """d/dw of (d/dx of sum(conv(x, w)^2)) . u, against finite differences of the first derivative."""
    rng = np.random.default_rng(3)
    x, w, u = rng.normal(size=(1, 2, 5)), rng.normal(size=(2, 2, 3)), rng.normal(size=(1, 2, 5))

    def grad_x_along_u(w_):
        g = fnx.grad(lambda a: fnp.sum(lax.conv_general_dilated(a, w_, (2,), "SAME", (1,), (2,)) ** 2))(x)
        return fnp.sum(g * u)
    check_grads(grad_x_along_u, [w])


def test_conv_float32_gradients_stay_float32():
    x, w = np.ones((1, 1, 4, 4), np.float32), np.ones((2, 1, 3, 3), np.float32)
    gx, gw = fnx.grad(lambda a, b: fnp.sum(lax.conv(a, b, (1, 1), "SAME")), argnums=(0, 1))(x, w)
    assert gx.dtype == np.float32 and gw.dtype == np.float32


# -- reduce_window cases -----------------------------------------------------------------------------------

@st.composite
def pooling_cases(draw, computations=("max", "min", "sum")):
    """A random ``reduce_window`` ``(f, x, init)``: distinct values 0.1 apart (no ties for finite differences)."""
    ndim = draw(st.integers(1, 3))
    shape = [draw(st.integers(1, 4)) for _ in range(ndim)]
    windows = [draw(st.integers(1, 3)) for _ in range(ndim)]
    strides = [draw(st.integers(1, 3)) for _ in range(ndim)]
    base_dilation = [draw(st.integers(1, 2)) for _ in range(ndim)]
    window_dilation = [draw(st.integers(1, 2)) for _ in range(ndim)]
    padding = draw(PADDINGS)
    if padding == "pairs":
        padding = [(draw(st.integers(-1, 2)), draw(st.integers(-1, 2))) for _ in range(ndim)]
    computation = draw(st.sampled_from(computations))
    rng = np.random.default_rng(draw(SEEDS))
    size = int(np.prod(shape))
    x = (rng.permutation(size).reshape(shape) - size // 2) * 0.1
    init = np.float64(draw(st.integers(-3, 3)) * 0.1 + 0.05)  # never equal to an element of x

    def f(a, i):
        return lax.reduce_window(a, i, computation, windows, strides, padding, base_dilation, window_dilation)
    _assume_nonempty_output(f, x, init)
    return f, x, init


@SETTINGS
@given(pooling_cases())
def test_reduce_window_grads(case):
    f, x, init = case
    check_grads(f, [x, init])


@settings(max_examples=10, deadline=None)
@given(pooling_cases())
def test_reduce_window_grads_operand_only(case):
    f, x, init = case
    check_grads(f, [x], [init])


def _window_starts(shape, window, stride):
    return itertools.product(*[range(0, n - k + 1, s) for n, k, s in zip(shape, window, stride)])


def test_max_pool_gradient_matches_numpy():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 6, 7))
    window, stride = (1, 1, 3, 2), (1, 1, 2, 2)
    expected = np.zeros_like(x)
    for start in _window_starts(x.shape, window, stride):
        block = tuple(slice(s, s + k) for s, k in zip(start, window))
        expected[block][np.unravel_index(np.argmax(x[block]), window)] += 1.0
    got = fnx.grad(lambda a: fnp.sum(lax.reduce_window(a, -np.inf, "max", window, stride, "VALID")))(x)
    assert_same(got, expected)


def test_avg_pool_gradient_matches_numpy():
    """SAME padding: every element gets 1/9 for each 3x3 window that covers it."""
    x = np.random.default_rng(5).normal(size=(5, 4))
    counts = np.zeros((7, 6))
    for i, j in itertools.product(range(5), range(4)):
        counts[i:i + 3, j:j + 3] += 1.0
    expected = counts[1:6, 1:5] / 9.0
    got = fnx.grad(lambda a: fnp.sum(lax.reduce_window(a, 0.0, "sum", (3, 3), (1, 1), "SAME") / 9.0))(x)
    assert_same(got, expected, rtol=1e-12)


def test_max_pool_ties_go_to_the_first_element():
    x = np.array([[1.0, 3.0, 3.0, 2.0]])
    grad = fnx.grad(lambda a: fnp.sum(lax.reduce_window(a, -np.inf, "max", (1, 4), (1, 1), "VALID")))(x)
    assert_same(grad, np.array([[0.0, 1.0, 0.0, 0.0]]))


def test_init_value_receives_the_derivative_where_it_wins():
    """max(init, window): padding taps hold init, so windows over padding or small values differentiate init."""
    x = np.array([-2.0, 5.0, -1.0])

    def f(a, init):
        return lax.reduce_window(a, init, "max", (2,), (1,), [(1, 1)])  # windows [p, -2], [-2, 5], [5, -1], [-1, p]
    ct = np.array([1.0, 10.0, 100.0, 1000.0])
    ct_x, ct_init = fnx.vjp(f, x, 0.0)[1](ct)
    assert_same(list((ct_x, ct_init)), [np.array([0.0, 110.0, 0.0]), np.float64(1001.0)])


def test_reduce_window_sum_second_derivative():
    x = np.random.default_rng(6).normal(size=(4, 5))
    check_grads(lambda a: fnp.sum(lax.reduce_window(a * a, 0.0, "sum", (2, 3), (1, 2), "SAME", (1, 2)) ** 2),
                [x])
    check_grads(lambda a: fnx.grad(lambda b: fnp.sum(lax.reduce_window(b * b, 0.0, "sum", (2, 2), (1, 1),
                                                                       "VALID") ** 2))(a), [x])


def test_reduce_window_empty_output_grads_are_zero():
    x = np.ones((2, 1))
    gx, gi = fnx.grad(lambda a, i: fnp.sum(lax.reduce_window(a, i, "max", (1, 2), (1, 1), "VALID")),
                      argnums=(0, 1))(x, 0.0)
    assert_same([gx, gi], [np.zeros((2, 1)), np.float64(0.0)])


def _pool_vjp(f):
    """``(x, init, ct) -> cotangents of (x, init)``: select_and_scatter_add and the init's share."""
    return lambda a, i, c: fnx.vjp(f, a, i)[1](c)


def _pool_jvp(f):
    """``(x, init, tx, ti) -> tangent``: select_and_gather_add."""
    return lambda a, i, ta, ti: fnx.jvp(f, (a, i), (ta, ti))[1]


@settings(max_examples=15, deadline=None)
@given(pooling_cases(computations=("max", "min")), SEEDS)
def test_max_min_pool_second_derivatives(case, seed):
    """The selection primitives are linear in the (co)tangents and locally constant in the operand."""
    f, x, init = case
    rng = np.random.default_rng(seed)
    ct = rng.normal(size=np.shape(f(x, init)))
    check_grads(_pool_vjp(f), [x, init, ct])
    check_grads(_pool_jvp(f), [x, init, rng.normal(size=x.shape), np.float64(rng.normal())])


@settings(max_examples=15, deadline=None)
@given(pooling_cases(computations=("max", "min")), st.sampled_from([0, None]), st.sampled_from([0, None]), SEEDS)
def test_max_min_pool_derivatives_vmap(case, x_axis, init_axis, seed):
    """Batched cotangents always; the operand and init batched or not (a batched init goes per example)."""
    f, x, init = case
    rng = np.random.default_rng(seed)
    xs = _stack(rng, x, x_axis)
    inits = np.round(rng.normal(size=B), 1) + 0.05 if init_axis == 0 else init
    cts = rng.normal(size=(B,) + np.shape(f(x, init)))
    check_vmap(_pool_vjp(f), [xs, inits, cts], (x_axis, init_axis, 0))
    check_vmap(_pool_jvp(f), [xs, inits, rng.normal(size=(B,) + x.shape), np.float64(0.5)],
               (x_axis, init_axis, 0, None))


def test_max_pool_derivatives_with_nans_and_ties():
    """The first NaN of a window is its max (as argmax); among equal values the first one gets the derivative."""
    x = np.array([[1.0, np.nan, 2.0, np.nan, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0, 0.0, 0.0]])
    (ct_x,) = fnx.vjp(lambda a: lax.reduce_window(a, -np.inf, "max", (2, 2), (1, 2), "VALID"), x)[1](
        np.array([[10.0, 100.0, 1000.0]]))
    assert_same(ct_x, np.array([[0.0, 10.0, 0.0, 100.0, 1000.0, 0.0], [0.0] * 6]))


# -- vmap --------------------------------------------------------------------------------------------------

AXES = st.sampled_from([0, 1, -1, None])


@SETTINGS
@given(conv_cases(), AXES, AXES, st.integers(0, 3), SEEDS)
def test_conv_vmap(case, lhs_axis, rhs_axis, out_axis, seed):
    assume(lhs_axis is not None or rhs_axis is not None)
    f, lhs, rhs = case
    rng = np.random.default_rng(seed)
    out_rank = np.ndim(lhs) + 1
    check_vmap(f, [_stack(rng, lhs, lhs_axis), _stack(rng, rhs, rhs_axis)], (lhs_axis, rhs_axis),
               out_axis % out_rank)


@SETTINGS
@given(pooling_cases(), AXES, st.sampled_from([0, None]), SEEDS)
def test_reduce_window_vmap(case, x_axis, init_axis, seed):
    assume(x_axis is not None or init_axis is not None)
    f, x, init = case
    rng = np.random.default_rng(seed)
    xs = _stack(rng, x, x_axis)
    inits = np.round(rng.normal(size=B), 1) if init_axis == 0 else init
    check_vmap(f, [xs, inits], (x_axis, init_axis))


def test_reduce_window_vmap_integer_batched_init():
    x = np.arange(12, dtype=np.int32).reshape(3, 4) - 6
    inits = np.array([-100, 0, 3], np.int32)
    for computation in ("max", "min", "sum"):
        check_vmap(lambda a, i: lax.reduce_window(a, i, computation, (2,), (1,), [(1, 2)]), [x, inits], (0, 0))


# -- networks ----------------------------------------------------------------------------------------------

def _max_pool(x):
    return lax.reduce_window(x, -np.inf, "max", (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


def _lenet_loss(w, b, dense_w, dense_b, x, target):
    """conv 5x5 with 20 channels, relu, 2x2 max-pool, dense; squared error."""
    h = lax.conv(x, w, (1, 1), "VALID") + fnp.reshape(b, (1, -1, 1, 1))
    h = _max_pool(fnp.maximum(h, 0.0))
    logits = fnp.dot(fnp.reshape(h, (x.shape[0], -1)), dense_w) + dense_b
    return fnp.sum((logits - target) ** 2)


def test_lenet_gradients():
    rng = np.random.default_rng(7)
    params = [rng.normal(size=(20, 1, 5, 5)) * 0.3, rng.normal(size=20) * 0.1,
              rng.normal(size=(20 * 4 * 4, 10)) * 0.1, rng.normal(size=10) * 0.1]
    x, target = rng.normal(size=(2, 1, 12, 12)), rng.normal(size=(2, 10))
    check_grads(_lenet_loss, params, [x, target], rtol=1e-5, atol=1e-7)


def _small_net_loss(params, x, target):
    """One example (1, 6, 6): conv 3x3 with 3 channels, relu, 2x2 max-pool, dense to 2 outputs."""
    w, dense_w = params
    h = _max_pool(fnp.maximum(lax.conv(fnp.reshape(x, (1, 1, 6, 6)), w, (1, 1), "SAME"), 0.0))
    return fnp.sum((fnp.dot(fnp.reshape(h, (-1,)), dense_w) - target) ** 2)


def test_per_example_gradients_with_vmap_of_grad():
    rng = np.random.default_rng(8)
    params = (rng.normal(size=(3, 1, 3, 3)), rng.normal(size=(27, 2)))
    xs, targets = rng.normal(size=(B, 6, 6)), rng.normal(size=(B, 2))
    per_example = fnx.vmap(fnx.grad(_small_net_loss), in_axes=(None, 0, 0))
    eager, traced = eager_and_traced(per_example, params, xs, targets)
    expected = [np.stack(g) for g in zip(*[fnx.grad(_small_net_loss)(params, xs[i], targets[i]) for i in range(B)])]
    assert_same(list(eager), expected, rtol=1e-12, atol=1e-14)
    assert_same(list(traced), expected, rtol=1e-12, atol=1e-14)
