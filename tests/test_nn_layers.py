"""The layers of fnx.nn (fnx/nn/layers.py, normalization.py, recurrent.py, combinators.py).

Each layer against an independent NumPy reference (loops for convolution and pooling, the LSTM/GRU equations
written out), eagerly and through make_jaxpr; derivatives against finite differences (tests/gradcheck.py);
per-example gradients of a small conv net under vmap; one jit check per family; the parameter counts the
books print; and clear errors for bad input.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from gradcheck import check_grads
from helpers import SEEDS, assert_same, check_against_numpy, eager_and_traced

SETTINGS = settings(max_examples=30, deadline=None)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _count(params) -> int:
    """Parameters in a pytree of arrays or shapes, counted independently of fnx.nn.count_params."""
    return sum(int(np.prod(leaf.shape)) for leaf in fnx.tree_leaves(params))


# -- NumPy references ------------------------------------------------------------------------------------

def _same_pads(sizes, spans, strides):
    """TensorFlow's SAME: output ceil(n / s); the odd padded element goes to the high side."""
    pads = []
    for n, span, s in zip(sizes, spans, strides):
        total = max((-(-n // s) - 1) * s + span - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _pairs(padding, sizes, spans, strides):
    """The (low, high) pairs a padding argument means (the spec of the layers' padding argument)."""
    if padding == "VALID":
        return [(0, 0)] * len(sizes)
    if padding == "SAME":
        return _same_pads(sizes, spans, strides)
    if isinstance(padding, int):
        return [(padding, padding)] * len(sizes)
    return [p if isinstance(p, tuple) else (p, p) for p in padding]


def np_conv2d(x, w, b, stride, padding, dilation):
    """Cross-correlation of x (N, C, H, W) with w (O, C / groups, kh, kw), a loop over output positions."""
    n, c, _, _ = x.shape
    o, cg, kh, kw = w.shape
    groups, og = c // cg, o // (c // cg)
    spans = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1]
    xp = np.pad(x, [(0, 0), (0, 0), *_pairs(padding, x.shape[2:], spans, stride)])
    oh, ow = [max((size - span) // s + 1, 0) for size, span, s in zip(xp.shape[2:], spans, stride)]
    y = np.zeros((n, o, oh, ow))
    for i, j, g in itertools.product(range(oh), range(ow), range(groups)):
        patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + spans[0]:dilation[0],
                   j * stride[1]:j * stride[1] + spans[1]:dilation[1]]
        y[:, g * og:(g + 1) * og, i, j] = np.einsum("nckl,ockl->no", patch, w[g * og:(g + 1) * og])
    return y if b is None else y + b[None, :, None, None]


def np_conv_transpose2d(x, w, b, stride, lows, dilation, out_size):
    """Each x[n, i, r, c] adds x * w[i, :, a, b] at output (r * s + a * d - low, c * s + b * d - low)."""
    n, _, h, wd = x.shape
    _, o, kh, kw = w.shape
    y = np.zeros((n, o, *out_size))
    for r, c, a, bb in itertools.product(range(h), range(wd), range(kh), range(kw)):
        i = r * stride[0] + a * dilation[0] - lows[0]
        j = c * stride[1] + bb * dilation[1] - lows[1]
        if 0 <= i < out_size[0] and 0 <= j < out_size[1]:
            y[:, :, i, j] += x[:, :, r, c] @ w[:, :, a, bb]
    return y + b[None, :, None, None]


def np_pool(x, kind, window, strides, padding, count_include_pad=False):
    """Max or mean over windows of x (N, C, H, W), a loop over output positions."""
    pads = _pairs(padding, x.shape[2:], window, strides)
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, [(0, 0), (0, 0), *pads], constant_values=fill)
    real = np.pad(np.ones(x.shape[2:]), pads)
    oh, ow = [(size - k) // s + 1 for size, k, s in zip(xp.shape[2:], window, strides)]
    y = np.zeros((*x.shape[:2], oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        rows = slice(i * strides[0], i * strides[0] + window[0])
        cols = slice(j * strides[1], j * strides[1] + window[1])
        patch = xp[:, :, rows, cols]
        if kind == "max":
            y[:, :, i, j] = patch.max(axis=(2, 3))
        else:
            y[:, :, i, j] = patch.sum(axis=(2, 3)) / (np.prod(window) if count_include_pad else real[rows, cols].sum())
    return y


def np_simple_rnn(p, h, x):
    h = np.tanh(x @ p["w_x"] + h @ p["w_h"] + p["b"])
    return h, h


def np_lstm(p, carry, x):
    """The LSTM equations, gate by gate (input, forget, candidate, output), peepholes if present."""
    h, c = carry
    H = h.shape[-1]
    z = x @ p["w_x"] + h @ p["w_h"] + p["b"]
    zi, zf, zg, zo = z[..., :H], z[..., H:2 * H], z[..., 2 * H:3 * H], z[..., 3 * H:]
    i = _sigmoid(zi + p.get("w_ci", 0) * c)
    f = _sigmoid(zf + p.get("w_cf", 0) * c)
    c_new = f * c + i * np.tanh(zg)
    o = _sigmoid(zo + p.get("w_co", 0) * c_new)
    h_new = o * np.tanh(c_new)
    return (h_new, c_new), h_new


def np_gru(p, h, x):
    """The GRU equations with the reset gate applied before the recurrent product."""
    H = h.shape[-1]
    W, U, b = p["w_x"], p["w_h"], p["b"]
    z = _sigmoid(x @ W[:, :H] + h @ U[:, :H] + b[:H])
    r = _sigmoid(x @ W[:, H:2 * H] + h @ U[:, H:2 * H] + b[H:2 * H])
    n = np.tanh(x @ W[:, 2 * H:] + (r * h) @ U[:, 2 * H:] + b[2 * H:])
    h_new = z * h + (1 - z) * n
    return h_new, h_new


def np_run(step, params, carry, xs, mask=None, reverse=False):
    """A Python loop over time of xs (B, T, F): padded steps keep the carry and output zeros."""
    T = xs.shape[1]
    mask = np.ones(xs.shape[:2], bool) if mask is None else mask
    ys = [None] * T
    for t in (reversed(range(T)) if reverse else range(T)):
        new, y = step(params, carry, xs[:, t])
        m = mask[:, t][:, None]
        carry = tuple(np.where(m, a, b) for a, b in zip(new, carry)) if isinstance(carry, tuple) \
            else np.where(m, new, carry)
        ys[t] = np.where(m, y, 0.0)
    return carry, np.stack(ys, axis=1)


def _cell_params(rng, in_features, hidden, gates, peepholes=False):
    p = {"w_x": rng.normal(size=(in_features, gates * hidden)) * 0.5,
         "w_h": rng.normal(size=(hidden, gates * hidden)) * 0.5, "b": rng.normal(size=gates * hidden) * 0.1}
    if peepholes:
        p.update({k: rng.normal(size=hidden) for k in ("w_ci", "w_cf", "w_co")})
    return p


CELLS = {"simple_rnn": (nn.simple_rnn, np_simple_rnn, 1), "lstm": (nn.lstm, np_lstm, 4),
         "gru": (nn.gru, np_gru, 3)}


# -- dense, embedding, flatten ---------------------------------------------------------------------------

@SETTINGS
@given(st.lists(st.integers(1, 3), max_size=2), st.integers(1, 5), st.integers(1, 5), st.booleans(), SEEDS)
def test_dense_matches_numpy(batch, n_in, n_out, use_bias, seed):
    rng = np.random.default_rng(seed)
    params = {"w": rng.normal(size=(n_in, n_out))}
    if use_bias:
        params["b"] = rng.normal(size=n_out)
    x = rng.normal(size=(*batch, n_in))
    check_against_numpy(nn.dense, lambda p, x: x @ p["w"] + p.get("b", 0.0), params, x, rtol=1e-12)


def test_dense_init_shapes_dtypes_and_glorot_range():
    params = nn.dense.init(fnx.random.key(0), 300, 200)
    w, b = np.asarray(params["w"]), np.asarray(params["b"])
    assert w.shape == (300, 200) and w.dtype == np.float64 and np.all(b == 0)
    limit = np.sqrt(6 / (300 + 200))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    assert abs(w.std() - limit / np.sqrt(3)) < 0.01 * limit
    p32 = nn.dense.init(fnx.random.key(0), 3, 2, use_bias=False, dtype=np.float32)
    assert list(p32) == ["w"] and p32["w"].dtype == np.float32
    assert nn.dense(p32, np.ones((4, 3), np.float32)).dtype == np.float32
    ones = nn.dense.init(fnx.random.key(0), 2, 2, w_init=nn.initializers.ones(), b_init=nn.initializers.constant(3))
    assert_same(nn.dense(ones, np.array([1.0, 2.0])), np.array([6.0, 6.0]))


def test_embedding_and_flatten_match_numpy():
    rng = np.random.default_rng(0)
    params = {"table": rng.normal(size=(7, 3))}
    ids = rng.integers(0, 7, size=(2, 5))
    check_against_numpy(nn.embedding, lambda p, i: p["table"][i], params, ids)
    x = rng.normal(size=(2, 3, 4, 5))
    check_against_numpy(nn.flatten, lambda x: x.reshape(2, 60), x)
    table = np.asarray(nn.embedding.init(fnx.random.key(1), 1000, 8)["table"])
    assert table.shape == (1000, 8) and np.abs(table).max() <= 0.05 and table.std() > 0.025


# -- convolution -----------------------------------------------------------------------------------------

PADDING_CHOICES = st.one_of(st.sampled_from(["SAME", "VALID"]), st.integers(0, 2),
                            st.tuples(st.integers(0, 2), st.integers(0, 2)),
                            st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                                      st.tuples(st.integers(0, 2), st.integers(0, 2))))


@SETTINGS
@given(st.sampled_from(["NCHW", "NHWC"]), st.integers(1, 2), st.tuples(st.integers(1, 3), st.integers(1, 3)),
       st.tuples(st.integers(1, 2), st.integers(1, 2)), st.tuples(st.integers(1, 2), st.integers(1, 2)),
       PADDING_CHOICES, st.booleans(), SEEDS)
def test_conv2d_matches_numpy_loops(layout, groups, kernel, stride, dilation, padding, use_bias, seed):
    rng = np.random.default_rng(seed)
    c, o = 2 * groups, 3 * groups
    x = rng.normal(size=(2, c, 6, 5))
    params = {"w": rng.normal(size=(o, c // groups, *kernel))}
    if use_bias:
        params["b"] = rng.normal(size=o)
    pad = list(padding) if isinstance(padding, tuple) else padding
    expected = np_conv2d(x, params["w"], params.get("b"), stride, pad, dilation)
    if layout == "NHWC":
        x, expected = x.transpose(0, 2, 3, 1), expected.transpose(0, 2, 3, 1)
    check_against_numpy(lambda p, x: nn.conv2d(p, x, stride, padding, dilation, layout), lambda p, x: expected,
                        params, x, rtol=1e-10, atol=1e-12)


def test_conv1d_matches_numpy_loops():
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 4, 9)), rng.normal(size=(6, 2, 3)), rng.normal(size=6)  # 2 groups
    expected = np_conv2d(x[:, :, None], w[:, :, None], b, (1, 2), [(0, 0), (1, 1)], (1, 2))[:, :, 0]
    check_against_numpy(lambda p, x: nn.conv1d(p, x, stride=2, padding=1, dilation=2), lambda p, x: expected,
                        {"w": w, "b": b}, x, rtol=1e-10)
    check_against_numpy(lambda p, x: nn.conv1d(p, x, 2, (1, 1), 2, layout="NWC"),
                        lambda p, x: expected.transpose(0, 2, 1), {"w": w, "b": b}, x.transpose(0, 2, 1), rtol=1e-10)


def test_conv_init_shapes_and_fans():
    """OIHW kernels with fan_in = I * kh * kw and fan_out = O * kh * kw (Glorot limit), grouped kernels."""
    params = nn.conv2d.init(fnx.random.key(0), 16, 32, (3, 5), groups=4)
    w = np.asarray(params["w"])
    assert w.shape == (32, 4, 3, 5) and params["b"].shape == (32,)
    limit = np.sqrt(6 / (4 * 15 + 32 * 15))
    assert limit * 0.9 < np.abs(w).max() <= limit
    assert nn.conv1d.init(fnx.random.key(0), 3, 8, 5)["w"].shape == (8, 3, 5)
    assert nn.conv_transpose2d.init(fnx.random.key(0), 8, 3, 4)["w"].shape == (8, 3, 4, 4)


@settings(max_examples=20, deadline=None)
@given(st.tuples(st.integers(1, 3), st.integers(1, 3)), st.tuples(st.integers(1, 3), st.integers(1, 2)),
       st.tuples(st.integers(1, 2), st.integers(1, 2)), st.sampled_from(["SAME", "VALID", 1, "pairs"]), SEEDS)
def test_conv_transpose2d_matches_scatter_loop(kernel, stride, dilation, padding, seed):
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(2, 3, 4, 3)), rng.normal(size=(3, 2, *kernel)), rng.normal(size=2)
    spans = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    full = [(n - 1) * s + span for n, s, span in zip(x.shape[2:], stride, spans)]
    if padding == "SAME":  # exactly n * stride: a kernel longer than the stride is cropped, low side first
        lows = [max(span - s, 0) // 2 for span, s in zip(spans, stride)]
        out = [n * s for n, s in zip(x.shape[2:], stride)]
    else:
        pairs = {"VALID": [(0, 0)] * 2, 1: [(1, 1)] * 2, "pairs": [(0, 2), (1, 0)]}[padding]
        padding = pairs if padding == "pairs" else padding
        lows, out = [lo for lo, _ in pairs], [f - lo - hi for f, (lo, hi) in zip(full, pairs)]
    expected = np_conv_transpose2d(x, w, b, stride, lows, dilation, out)
    check_against_numpy(lambda p, x: nn.conv_transpose2d(p, x, stride, padding, dilation), lambda p, x: expected,
                        {"w": w, "b": b}, x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("padding, size, output_padding", [("SAME", 8, 0), ("VALID", 9, 0), ("VALID", 10, 1),
                                                           (1, 8, 1)])
def test_conv_transpose2d_is_the_adjoint_of_conv2d(padding, size, output_padding):
    """<conv2d(z), y> == <z, conv_transpose2d(y)> with the same kernel, stride and padding (layout NHWC too)."""
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 3, 3, 3))  # conv2d: 3 -> 4 channels; its transpose: 4 -> 3
    z = rng.normal(size=(2, 3, size, size))
    forward = np.asarray(nn.conv2d({"w": w}, z, 2, padding))
    y = rng.normal(size=forward.shape)
    back = np.asarray(nn.conv_transpose2d({"w": w}, y, 2, padding, output_padding=output_padding))
    assert back.shape == z.shape
    np.testing.assert_allclose(np.sum(forward * y), np.sum(z * back), rtol=1e-10)
    nhwc = nn.conv_transpose2d({"w": w}, y.transpose(0, 2, 3, 1), 2, padding, output_padding=output_padding,
                               layout="NHWC")
    np.testing.assert_allclose(np.asarray(nhwc), back.transpose(0, 2, 3, 1), rtol=1e-12)


# -- pooling ---------------------------------------------------------------------------------------------

@SETTINGS
@given(st.sampled_from(["max", "avg"]), st.tuples(st.integers(1, 3), st.integers(1, 3)),
       st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
       st.sampled_from(["SAME", "VALID", 1, ((0, 1), (1, 0))]), st.booleans(), st.booleans(), SEEDS)
def test_pools_match_numpy_loops(kind, window, strides, padding, include_pad, nhwc, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 3, 6, 5))
    largest_pad = padding if isinstance(padding, int) else 1 if isinstance(padding, tuple) else 0
    if min(window) <= largest_pad:
        padding = "VALID"  # every window must see at least one real element
    expected = np_pool(x, kind, window, strides or window, padding if not isinstance(padding, tuple) else list(padding),
                       include_pad)
    assert np.isfinite(expected).all()
    kwargs = {"count_include_pad": include_pad} if kind == "avg" else {}
    pool = nn.max_pool if kind == "max" else nn.avg_pool
    if nhwc:
        x, expected, kwargs["layout"] = x.transpose(0, 2, 3, 1), expected.transpose(0, 2, 3, 1), "NHWC"
    check_against_numpy(lambda x: pool(x, window, strides, padding, **kwargs), lambda x: expected, x, rtol=1e-12)


def test_global_pools_and_1d_pools():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 5))
    check_against_numpy(nn.global_max_pool, lambda x: x.max(axis=(2, 3)), x)
    check_against_numpy(nn.global_avg_pool, lambda x: x.mean(axis=(2, 3)), x, rtol=1e-12)
    check_against_numpy(lambda x: nn.global_avg_pool(x, layout="NHWC"), lambda x: x.mean(axis=(1, 2)), x, rtol=1e-12)
    s = rng.normal(size=(2, 3, 7))
    check_against_numpy(lambda s: nn.max_pool(s, 2), lambda s: s[:, :, :6].reshape(2, 3, 3, 2).max(-1), s)


# -- dropout ---------------------------------------------------------------------------------------------

def test_dropout_inverted_and_naive():
    key, x = fnx.random.key(3), np.arange(1.0, 2001.0)
    eager, traced = eager_and_traced(lambda k, x: nn.dropout(k, x, 0.25), key, x)
    assert_same(traced, eager)
    kept = eager != 0
    np.testing.assert_allclose(eager[kept], x[kept] / 0.75, rtol=1e-15)
    assert abs(kept.mean() - 0.75) < 0.04
    naive = np.asarray(nn.dropout(key, x, 0.25, mode="naive"))
    assert_same(naive, np.where(kept, x, 0.0))  # same key, same mask, no scaling
    assert_same(np.asarray(nn.dropout(None, x, 0.25, train=False)), x)
    assert_same(np.asarray(nn.dropout(None, x, 0.25, train=False, mode="naive")), x * 0.75)
    assert_same(np.asarray(nn.dropout(key, x, 0.0)), x)
    assert nn.dropout(key, np.ones(4, np.float32), 0.5).dtype == np.float32


# -- normalization ---------------------------------------------------------------------------------------

def np_batch_norm(x, gamma, beta, mean, var, eps, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("shape, axis", [((8, 3), 1), ((4, 3, 5, 2), 1), ((4, 5, 2, 3), -1)])
def test_batch_norm_train_and_eval(shape, axis):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape) * 3 + 1
    params = {"gamma": rng.normal(size=3), "beta": rng.normal(size=3)}
    state = {"mean": rng.normal(size=3), "var": rng.uniform(0.5, 2, size=3)}
    others = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    mean, var = x.mean(axis=others), x.var(axis=others)

    def expected_train(p, s, x):
        y = np_batch_norm(x, p["gamma"], p["beta"], mean, var, 1e-3, axis)
        return y, {"mean": 0.9 * s["mean"] + 0.1 * mean, "var": 0.9 * s["var"] + 0.1 * var}

    check_against_numpy(lambda p, s, x: nn.batch_norm(p, s, x, True, 0.9, axis=axis), expected_train,
                        params, state, x, rtol=1e-12)
    check_against_numpy(lambda p, s, x: nn.batch_norm(p, s, x, False, axis=axis),
                        lambda p, s, x: (np_batch_norm(x, p["gamma"], p["beta"], s["mean"], s["var"], 1e-3, axis), s),
                        params, state, x, rtol=1e-12)


def test_batch_norm_init_and_running_statistics_converge():
    params, state = nn.batch_norm.init(fnx.random.key(0), 2)
    assert_same([params, state], [{"gamma": np.ones(2), "beta": np.zeros(2)}, {"mean": np.zeros(2), "var": np.ones(2)}])
    x = np.array([[1.0, 10.0], [3.0, 14.0]])
    for _ in range(200):
        _, state = nn.batch_norm(params, state, x, momentum=0.9)
    assert_same(state, {"mean": np.array([2.0, 12.0]), "var": np.array([1.0, 4.0])}, rtol=1e-8)


def test_layer_norm_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 5))
    for features in (5, (4, 5)):
        shape = (features,) if isinstance(features, int) else features
        params = {"gamma": rng.normal(size=shape), "beta": rng.normal(size=shape)}
        axes = tuple(range(4 - len(shape), 4))

        def expected(p, x):
            mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
            return (x - mu) / np.sqrt(var + 1e-5) * p["gamma"] + p["beta"]
        check_against_numpy(nn.layer_norm, expected, params, x, rtol=1e-10)
        assert nn.layer_norm.init(None, features)["gamma"].shape == shape


# -- recurrent -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, peepholes", [("simple_rnn", False), ("lstm", False), ("lstm", True), ("gru", False)])
def test_cells_match_their_equations(name, peepholes):
    cell, reference, gates = CELLS[name]
    rng = np.random.default_rng(0)
    params = _cell_params(rng, 3, 4, gates, peepholes)
    h = rng.normal(size=(2, 4))
    carry = (h, rng.normal(size=(2, 4))) if name == "lstm" else h
    x = rng.normal(size=(2, 3))
    check_against_numpy(cell, reference, params, carry, x, rtol=1e-12)


@pytest.mark.parametrize("name, peepholes", [("simple_rnn", False), ("lstm", False), ("lstm", True), ("gru", False)])
def test_cell_init_shapes_and_keras_param_counts(name, peepholes):
    cell, _, gates = CELLS[name]
    kwargs = {"peepholes": True} if peepholes else {}
    params = cell.init(fnx.random.key(0), 10, 6, **kwargs)
    assert _count(params) == gates * (6 * (10 + 6) + 6) + (3 * 6 if peepholes else 0)
    block = np.asarray(params["w_h"])[:, :6]
    np.testing.assert_allclose(block.T @ block, np.eye(6), atol=1e-12)  # orthogonal recurrent weights
    carry = cell.initial_carry(params, (2,))
    assert_same(carry, (np.zeros((2, 6)),) * 2 if name == "lstm" else np.zeros((2, 6)))
    if name == "lstm":
        np.testing.assert_array_equal(np.asarray(params["b"]), np.repeat([0.0, 1.0, 0.0, 0.0], 6))


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["simple_rnn", "lstm", "gru"]), st.booleans(), st.booleans(), st.booleans(), st.booleans(),
       SEEDS)
def test_rnn_matches_a_python_loop(name, reverse, time_major, masked, given_carry, seed):
    cell, reference, gates = CELLS[name]
    rng = np.random.default_rng(seed)
    params = _cell_params(rng, 3, 4, gates, peepholes=name == "lstm")
    xs = rng.normal(size=(2, 5, 3))
    mask = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1]], bool) if masked else None
    carry = rng.normal(size=(2, 4))
    carry = (carry, rng.normal(size=(2, 4))) if name == "lstm" else carry
    if not given_carry:
        carry = (np.zeros((2, 4)),) * 2 if name == "lstm" else np.zeros((2, 4))
    expected = np_run(reference, params, carry, xs, mask, reverse)
    args_xs, args_mask = (xs.transpose(1, 0, 2), None if mask is None else mask.T) if time_major else (xs, mask)
    if time_major:
        expected = (expected[0], expected[1].transpose(1, 0, 2))

    def run(p, xs, carry):
        return nn.rnn(cell, p, xs, carry if given_carry else None, args_mask, reverse, time_major)
    check_against_numpy(run, lambda p, xs, carry: expected, params, args_xs, carry, rtol=1e-12)


def test_rnn_unbatched_and_cell_kwargs():
    rng = np.random.default_rng(0)
    params = _cell_params(rng, 3, 4, 4)
    xs = rng.normal(size=(6, 3))
    (h, c), ys = nn.rnn(nn.lstm, params, xs, gate_activation=nn.hard_sigmoid)
    carry = (np.zeros(4), np.zeros(4))
    for t in range(6):
        z = xs[t] @ params["w_x"] + carry[0] @ params["w_h"] + params["b"]
        i, f, g, o = np.split(z, 4)
        gate = np.asarray(nn.hard_sigmoid(np.stack([i, f, o])))
        c_new = gate[1] * carry[1] + gate[0] * np.tanh(g)
        carry = (gate[2] * np.tanh(c_new), c_new)
        np.testing.assert_allclose(np.asarray(ys[t]), carry[0], rtol=1e-12)
    assert_same([h, c], list(carry), rtol=1e-12)


def test_bidirectional_matches_two_runs_and_merges():
    rng = np.random.default_rng(0)
    params = {"forward": _cell_params(rng, 3, 4, 4), "backward": _cell_params(rng, 3, 4, 4)}
    xs = rng.normal(size=(2, 5, 3))
    mask = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]], bool)  # Keras-style pre-padding
    zeros = (np.zeros((2, 4)),) * 2
    fwd_carry, fwd_ys = np_run(np_lstm, params["forward"], zeros, xs, mask)
    bwd_carry, bwd_ys = np_run(np_lstm, params["backward"], zeros, xs, mask, reverse=True)
    check_against_numpy(lambda p, xs: nn.bidirectional(nn.lstm, p, xs, mask=mask),
                        lambda p, xs: ((fwd_carry, bwd_carry), np.concatenate([fwd_ys, bwd_ys], -1)),
                        params, xs, rtol=1e-12)
    _, ys = nn.bidirectional(nn.lstm, params, xs, mask=mask, merge="sum")
    np.testing.assert_allclose(np.asarray(ys), fwd_ys + bwd_ys, rtol=1e-12)
    _, (f, b) = nn.bidirectional(nn.lstm, params, xs, mask=mask, merge=None)
    np.testing.assert_allclose(np.asarray(b), bwd_ys, rtol=1e-12)
    assert sorted(nn.bidirectional.init(fnx.random.key(0), nn.gru, 3, 4)) == ["backward", "forward"]


# -- gradients against finite differences ----------------------------------------------------------------

def test_grads_dense_embedding_dropout():
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    check_grads(lambda w, b, x: nn.dense({"w": w, "b": b}, x), [w, b, x])
    ids = np.array([[0, 2, 2], [1, 0, 4]])
    check_grads(lambda t: nn.embedding({"table": t}, ids), [rng.normal(size=(5, 3))])
    key = fnx.random.key(0)
    check_grads(lambda x: nn.dropout(key, x, 0.5), [x])


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_grads_conv_and_transpose(layout):
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 4, 5, 5)), rng.normal(size=(4, 2, 3, 2)), rng.normal(size=4)
    if layout == "NHWC":
        x = x.transpose(0, 2, 3, 1)
    check_grads(lambda w, b, x: nn.conv2d({"w": w, "b": b}, x, (2, 1), "SAME", (1, 2), layout), [w, b, x])
    check_grads(lambda w, b, x: nn.conv_transpose2d({"w": w, "b": b}, x, 2, "SAME", layout=layout),
                [rng.normal(size=(4, 3, 3, 3)), rng.normal(size=3), x])
    check_grads(lambda w, x: nn.conv1d({"w": w}, x, 2, 1), [rng.normal(size=(3, 2, 3)), rng.normal(size=(2, 2, 7))])


def test_grads_pools():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 2, 5, 4))
    check_grads(lambda x: nn.max_pool(x, 2, 1, "SAME"), [x])
    check_grads(lambda x: nn.avg_pool(x, (3, 2), (2, 1), "SAME"), [x])
    check_grads(lambda x: nn.global_max_pool(x) + nn.global_avg_pool(x), [x])


def test_grads_normalization():
    rng = np.random.default_rng(3)
    x, g, b = rng.normal(size=(4, 3, 2, 2)), rng.normal(size=3), rng.normal(size=3)
    state = {"mean": np.zeros(3), "var": np.ones(3)}
    check_grads(lambda g, b, x: nn.batch_norm({"gamma": g, "beta": b}, state, x)[0], [g, b, x])
    check_grads(lambda g, b, x: nn.batch_norm({"gamma": g, "beta": b}, state, x, train=False)[0], [g, b, x])
    check_grads(lambda g, b, x: nn.layer_norm({"gamma": g, "beta": b}, x), [rng.normal(size=2), rng.normal(size=2), x])


@pytest.mark.parametrize("name", ["simple_rnn", "lstm", "gru"])
def test_grads_through_rnn_with_mask(name):
    cell, _, gates = CELLS[name]
    rng = np.random.default_rng(4)
    params = _cell_params(rng, 3, 2, gates, peepholes=name == "lstm")
    keys = sorted(params)
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)

    def f(xs, *leaves):
        carry, ys = nn.rnn(cell, dict(zip(keys, leaves)), xs, mask=mask, reverse=name == "gru")
        return fnp.sum(ys, axis=1) + (carry[0] if name == "lstm" else carry)
    check_grads(f, [rng.normal(size=(2, 4, 3))] + [params[k] for k in keys])


def test_grads_bidirectional():
    rng = np.random.default_rng(5)
    fw, bw = _cell_params(rng, 3, 2, 3), _cell_params(rng, 3, 2, 3)

    def f(xs, w_f, w_b):
        params = {"forward": {**fw, "w_x": w_f}, "backward": {**bw, "w_x": w_b}}
        return nn.bidirectional(nn.gru, params, xs)[1]
    check_grads(f, [rng.normal(size=(2, 3, 3)), fw["w_x"], bw["w_x"]])


# -- vmap: per-example gradients through a small conv net ------------------------------------------------

def test_per_example_gradients_of_a_conv_net_under_vmap():
    key = fnx.random.key(0)
    init, apply = nn.serial(nn.layer(nn.conv2d, 2, 3, 3, padding="SAME"), nn.relu, nn.layer(nn.max_pool, window=2),
                            nn.layer(nn.conv2d, 3, 4, 2), nn.tanh, nn.flatten, nn.layer(nn.dense, 16, 2))
    params = init(key)
    rng = np.random.default_rng(0)
    xs, targets = rng.normal(size=(3, 2, 6, 6)), rng.normal(size=(3, 2))

    def loss(params, x, target):  # one example: (C, H, W)
        return fnp.sum((apply(params, fnp.expand_dims(x, 0))[0] - target) ** 2)

    per_example = fnx.vmap(fnx.grad(loss), in_axes=(None, 0, 0))(params, xs, targets)
    looped = [fnx.grad(loss)(params, x, t) for x, t in zip(xs, targets)]
    expected = fnx.tree_map(lambda *gs: np.stack([np.asarray(g) for g in gs]), *looped)
    assert_same(fnx.tree_map(np.asarray, per_example), expected, rtol=1e-10, atol=1e-12)
    batch_grad = fnx.grad(lambda p: sum(loss(p, x, t) for x, t in zip(xs, targets)))(params)
    assert_same(fnx.tree_map(lambda g: np.asarray(g).sum(0), per_example), fnx.tree_map(np.asarray, batch_grad),
                rtol=1e-10, atol=1e-12)


def test_vmap_of_rnn_over_sequences_equals_the_batched_call():
    rng = np.random.default_rng(1)
    params = _cell_params(rng, 3, 4, 3)
    xs = rng.normal(size=(2, 5, 3))
    carry, ys = fnx.vmap(lambda x: nn.rnn(nn.gru, params, x))(xs)
    expected_carry, expected_ys = nn.rnn(nn.gru, params, xs)
    assert_same([np.asarray(carry), np.asarray(ys)], [np.asarray(expected_carry), np.asarray(expected_ys)],
                rtol=1e-12)


# -- serial ----------------------------------------------------------------------------------------------

def test_serial_composes_layers_and_routes_keyword_arguments():
    key = fnx.random.key(0)
    model = nn.serial(nn.layer(nn.conv2d, 1, 2, 3, padding="SAME", use_bias=False), nn.relu, nn.flatten,
                      nn.serial(nn.layer(nn.dense, 32, 3), nn.layer(nn.dropout, rate=0.5)))
    params = model.init(key)
    assert "b" not in params[0] and params[1] == () and len(params[3]) == 2
    x = np.random.default_rng(0).normal(size=(2, 1, 4, 4))
    manual = nn.dense(params[3][0], nn.flatten(nn.relu(nn.conv2d(params[0], x, padding="SAME"))))
    assert_same(np.asarray(model.apply(params, x)), np.asarray(manual))
    eager, traced = eager_and_traced(lambda p, x, k: model.apply(p, x, k), params, x, fnx.random.key(1))
    assert_same(traced, eager)
    kept = eager != 0
    np.testing.assert_allclose(eager[kept], 2 * np.asarray(manual)[kept], rtol=1e-12)
    assert not kept.all()


# -- parameter counts printed in the books ---------------------------------------------------------------

def test_buduma_784_30_30_10_has_24790_parameters():
    init, _ = nn.serial(nn.layer(nn.dense, 784, 30), nn.sigmoid, nn.layer(nn.dense, 30, 30), nn.sigmoid,
                        nn.layer(nn.dense, 30, 10), nn.softmax)
    params = init(fnx.random.key(0))
    assert _count(params) == 24790 == nn.count_params(params)


# -- jit: one small check per family ---------------------------------------------------------------------

def test_jit_dense_and_normalization():
    """dense -> batch_norm (training, new running statistics) -> layer_norm, in one compiled function."""
    rng = np.random.default_rng(0)
    bn_params, bn_state = nn.batch_norm.init(None, 4)
    params = {"dense": {"w": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}, "bn": bn_params,
              "ln": {"gamma": rng.normal(size=4), "beta": rng.normal(size=4)}}
    x = rng.normal(size=(5, 3))

    def f(p, state, x):
        y, state = nn.batch_norm(p["bn"], state, nn.dense(p["dense"], x))
        return nn.layer_norm(p["ln"], y), state
    assert_same(fnx.tree_map(np.asarray, fnx.jit(f)(params, bn_state, x)),
                fnx.tree_map(np.asarray, f(params, bn_state, x)), rtol=1e-10)


def test_jit_conv_and_pools():
    rng = np.random.default_rng(0)
    params, x = {"w": rng.normal(size=(2, 1, 3, 3)), "b": rng.normal(size=2)}, rng.normal(size=(1, 1, 5, 5))

    def f(p, x):
        return nn.avg_pool(nn.max_pool(nn.conv2d(p, x, padding="SAME"), 2, 1), 2, padding="SAME")
    assert_same(np.asarray(fnx.jit(f)(params, x)), np.asarray(f(params, x)), rtol=1e-10)


def test_jit_lstm_runner():
    rng = np.random.default_rng(0)
    params, xs = _cell_params(rng, 2, 3, 4), rng.normal(size=(2, 4, 2))
    f = lambda p, xs: nn.rnn(nn.lstm, p, xs)  # noqa: E731
    assert_same(fnx.tree_map(np.asarray, fnx.jit(f)(params, xs)), fnx.tree_map(np.asarray, f(params, xs)),
                rtol=1e-10)


# -- errors ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: nn.dense({"w": np.ones((3, 2))}, np.ones((4, 5))), "dense: x of shape (4, 5)"),
    (lambda: nn.conv2d({"w": np.ones((4, 3, 3, 3))}, np.ones((1, 2, 5, 5))), "conv2d: x (1, 2, 5, 5)"),
    (lambda: nn.conv2d({"w": np.ones((4, 3, 3, 3))}, np.ones((1, 3, 5))), "conv2d: needs a 4-d input"),
    (lambda: nn.conv2d({"w": np.ones((4, 3, 3, 3))}, np.ones((1, 3, 5, 5)), padding="FULL"), "conv2d: padding"),
    (lambda: nn.conv2d({"w": np.ones((4, 3, 3, 3))}, np.ones((1, 3, 5, 5)), stride=0), "conv2d: stride"),
    (lambda: nn.conv2d.init(fnx.random.key(0), 3, 4, 3, groups=2), "conv2d.init: groups=2"),
    (lambda: nn.max_pool(np.ones((1, 3, 5, 5)), 2, layout="NHW"), "max_pool: layout 'NHW'"),
    (lambda: nn.dropout(fnx.random.key(0), np.ones(3), 1.0), "dropout: rate"),
    (lambda: nn.dropout(fnx.random.key(0), np.ones(3), 0.5, mode="scaled"), "dropout: mode"),
    (lambda: nn.embedding({"table": np.ones((3, 2))}, np.array([0.0, 1.0])), "embedding: ids must be integers"),
    (lambda: nn.batch_norm({"gamma": np.ones(3), "beta": np.ones(3)}, {}, np.ones((2, 4))), "batch_norm: x of shape"),
    (lambda: nn.layer_norm({"gamma": np.ones(3), "beta": np.ones(3)}, np.ones((2, 4))), "layer_norm: x of shape"),
    (lambda: nn.lstm(_cell_params(np.random.default_rng(0), 3, 2, 4), (np.zeros(2),) * 2, np.ones(4)), "lstm: x"),
    (lambda: nn.rnn(nn.gru, _cell_params(np.random.default_rng(0), 3, 2, 3), np.ones((2, 4, 3)),
                    mask=np.ones((4, 2))), "rnn: mask of shape (4, 2)"),
    (lambda: nn.rnn(lambda p, c, x: (c, x), {}, np.ones((2, 4, 3))), "rnn: this cell has no initial_carry"),
    (lambda: nn.bidirectional(nn.gru, {}, np.ones((2, 4, 3)), merge="max"), "bidirectional: merge"),
    (lambda: nn.layer(nn.batch_norm, 3), "layer: batch_norm takes"),
    (lambda: nn.layer(nn.max_pool, 2), "layer: max_pool has no parameters"),
    (lambda: nn.serial(nn.relu).apply([(), ()], np.ones(2)), "serial: params must be a tuple"),
])
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(FnxTypeError) as info:
        call()
    assert message in str(info.value)


DROPOUT = fnx.jit(lambda key, x: nn.dropout(key, x, 0.5))


def test_jit_dropout_draws_the_same_mask_as_eager():
    """The threefry generator compiles too: the jitted dropout equals the eager one for the same key."""
    x = np.arange(1.0, 21.0).reshape(4, 5)
    for seed in (0, 1):
        key = fnx.random.key(seed)
        assert_same(np.asarray(DROPOUT(key, x)), np.asarray(nn.dropout(key, x, 0.5)))
