"""Layers as pure functions: ``y = layer(params, x, ...)``, with ``layer.init(key, ...) -> params``.

A layer's parameters are a dict of arrays (``{"w": ..., "b": ...}``); nothing is hidden in objects, so the
parameters of a network are a pytree that ``fnx.grad``, ``fnx.vmap``, ``fnx.jit`` and the optimizers handle
as they are. Every layer function carries the function that makes its parameters as the attribute ``init``
(attached with ``with_init``, one line per layer)::

    params = nn.dense.init(key, 784, 30)      # {"w": (784, 30), "b": (30,)}
    y = nn.dense(params, x)                   # x: (batch, 784) -> y: (batch, 30)

Layers without parameters (pooling, ``flatten``) are plain functions of ``x``; ``dropout`` takes a key.

Conventions (those of Theano and the books, with the other common one as an option):

* images are NCHW (batch, channels, height, width) by default, ``layout="NHWC"`` for channels-last; 1-d
  signals are NCW (``layout="NWC"``);
* convolution kernels are stored OIHW (out channels, in channels / groups, height, width) whatever the data
  layout, so parameters do not depend on it; transposed-convolution kernels are IOHW;
* convolutions are cross-correlations (no kernel flip), like every deep-learning library;
* dense weights are (in_features, out_features) and the layer computes ``x @ w + b``.

Default initializers follow Keras: Glorot-uniform weights (fans from the kernel's in and out axes) and zero
biases; every ``init`` takes ``w_init=``/``b_init=`` initializers from ``fnx.nn.initializers``.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .. import lax
from .. import numpy as fnp
from .. import random
from ..core.errors import FnxTypeError
from . import initializers

Params = dict
Padding = str | int | Sequence[int] | Sequence[tuple[int, int]]


def with_init(init: Callable, **attributes: Any) -> Callable:
    """Decorator attaching ``init`` (and any other ``attributes``) to a layer function.

    >>> def _scale_init(key, n):
    ...     return {"s": fnp.ones(n)}
    >>> @with_init(_scale_init)
    ... def scale(params, x):
    ...     return x * params["s"]
    >>> scale(scale.init(None, 3), fnp.arange(3.0))
    Array([0., 1., 2.], dtype=float64)
    """
    def attach(layer: Callable) -> Callable:
        layer.init = init
        for name, value in attributes.items():
            setattr(layer, name, value)
        return layer
    return attach


def _weight_and_bias(key, w_shape: tuple, b_shape: tuple, use_bias: bool, w_init, b_init, dtype) -> Params:
    """``{"w": w_init(k1, w_shape, dtype), "b": b_init(k2, b_shape, dtype)}`` (no ``"b"`` unless ``use_bias``).

    ``b_init`` defaults to zeros; ``key`` is split between the two.

    >>> params = _weight_and_bias(random.key(0), (3, 2), (2,), True, initializers.ones(), None, float)
    >>> params["b"]
    Array([0., 0.], dtype=float64)
    """
    w_key, b_key = random.split(key)
    params = {"w": w_init(w_key, w_shape, dtype)}
    if use_bias:
        params["b"] = (b_init or initializers.zeros())(b_key, b_shape, dtype)
    return params


def _ints(op: str, what: str, value, count: int) -> tuple:
    """An int or ``count`` ints as a tuple of ``count`` positive ints."""
    values = (value,) * count if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != count or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in values):
        raise FnxTypeError(f"{op}: {what} must be a positive int or {count} positive ints, got {value!r}")
    return tuple(int(v) for v in values)


def _padding(op: str, padding: Padding, count: int):
    """``padding`` as "SAME"/"VALID" or ``count`` (low, high) pairs.

    An int ``p`` means (p, p) on every axis and ``count`` ints one (p, p) per axis, except that with one
    spatial axis two ints are its (low, high) pair.
    """
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID"):
            raise FnxTypeError(f"{op}: padding must be 'SAME', 'VALID', an int or (low, high) pairs, got {padding!r}")
        return padding.upper()
    if isinstance(padding, (int, np.integer)):
        return ((int(padding), int(padding)),) * count
    padding = tuple(padding)
    if count == 1 and len(padding) == 2 and all(isinstance(p, (int, np.integer)) for p in padding):
        return ((int(padding[0]), int(padding[1])),)  # one axis: a (low, high) pair
    if len(padding) == count and all(isinstance(p, (int, np.integer)) for p in padding):
        return tuple((int(p), int(p)) for p in padding)
    if len(padding) == count and all(len(p) == 2 for p in padding):
        return tuple((int(lo), int(hi)) for lo, hi in padding)
    raise FnxTypeError(f"{op}: padding must be 'SAME', 'VALID', an int, {count} ints or {count} (low, high) "
                       f"pairs, got {padding!r}")


def _layout(op: str, layout: str | None, ndim: int) -> str:
    """A data layout string with ``N``, ``C`` and one letter per spatial axis; None means N, C, spatial."""
    if layout is None and 3 <= ndim <= 5:
        return "NC" + "DHW"[5 - ndim:]
    if layout is None:
        raise FnxTypeError(f"{op}: needs an input with 1 to 3 spatial axes (N, C, spatial...) or an explicit "
                           f"layout, got {ndim} axes")
    if len(layout) != ndim or len(set(layout)) != ndim or not {"N", "C"} <= set(layout):
        raise FnxTypeError(f"{op}: layout {layout!r} must name each of the {ndim} axes of the input once, "
                           f"including 'N' and 'C'")
    return layout


def _spatial(layout: str) -> str:
    return "".join(c for c in layout if c not in "NC")


def _channel_shape(layout: str, channels: int) -> tuple:
    """The shape that broadcasts a per-channel vector along the ``C`` axis of ``layout``."""
    return tuple(channels if c == "C" else 1 for c in layout)


# -- dense -----------------------------------------------------------------------------------------------

def _dense_init(key, in_features: int, out_features: int, *, use_bias: bool = True, w_init=None, b_init=None,
                dtype=float) -> Params:
    """Parameters of ``dense``: ``{"w": (in_features, out_features), "b": (out_features,)}``.

    >>> params = dense.init(random.key(0), 784, 30)
    >>> params["w"].shape, params["b"].shape
    ((784, 30), (30,))
    """
    return _weight_and_bias(key, (in_features, out_features), (out_features,), use_bias,
                            w_init or initializers.glorot_uniform(), b_init, dtype)


@with_init(_dense_init)
def dense(params: Params, x):
    """A fully connected layer: ``x @ w + b``, x of shape (..., in_features) -> (..., out_features).

    >>> params = dense.init(random.key(0), 3, 2)
    >>> dense(params, fnp.ones((5, 3))).shape
    (5, 2)
    """
    w = params["w"]
    if x.ndim < 1 or x.shape[-1] != w.shape[0]:
        raise FnxTypeError(f"dense: x of shape {tuple(x.shape)} should end with the {w.shape[0]} input features "
                           f"of w {tuple(w.shape)}")
    y = fnp.matmul(x, w)
    return y + params["b"] if "b" in params else y


# -- convolution -----------------------------------------------------------------------------------------

def _conv_init(nspatial: int):
    def init(key, in_channels: int, out_channels: int, kernel_size: int | Sequence[int], *, groups: int = 1,
             use_bias: bool = True, w_init=None, b_init=None, dtype=float) -> Params:
        """Parameters of a convolution: ``{"w": (out, in / groups, *kernel_size), "b": (out,)}``.

        >>> params = conv2d.init(random.key(0), 3, 32, 3)
        >>> params["w"].shape, params["b"].shape
        ((32, 3, 3, 3), (32,))
        """
        op = f"conv{nspatial}d.init"
        kernel = _ints(op, "kernel_size", kernel_size, nspatial)
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise FnxTypeError(f"{op}: groups={groups} must divide in_channels={in_channels} and "
                               f"out_channels={out_channels}")
        w_init_oihw = w_init or initializers.glorot_uniform(in_axis=1, out_axis=0)  # fan_in = I * kh * kw
        return _weight_and_bias(key, (out_channels, in_channels // groups, *kernel), (out_channels,), use_bias,
                                w_init_oihw, b_init, dtype)
    return init


def _conv(op: str, nspatial: int, params: Params, x, stride, padding, dilation, layout: str):
    """The convolution shared by conv1d and conv2d; the group count comes from the kernel's shape."""
    w = params["w"]
    layout = _layout(op, layout, nspatial + 2)
    if x.ndim != nspatial + 2 or w.ndim != nspatial + 2:
        raise FnxTypeError(f"{op}: needs a {nspatial + 2}-d input ({layout}) and kernel (OI{_spatial(layout)}), "
                           f"got x {tuple(x.shape)} and w {tuple(w.shape)}")
    channels = x.shape[layout.index("C")]
    groups, rest = divmod(channels, w.shape[1])
    if rest or groups == 0 or w.shape[0] % groups:
        raise FnxTypeError(f"{op}: x {tuple(x.shape)} ({layout}) has {channels} channels, which the kernel "
                           f"w {tuple(w.shape)} (OI{_spatial(layout)}) cannot split into groups of {w.shape[1]}")
    y = lax.conv_general_dilated(x, w, _ints(op, "stride", stride, nspatial), _padding(op, padding, nspatial),
                                 rhs_dilation=_ints(op, "dilation", dilation, nspatial),
                                 dimension_numbers=(layout, "OI" + _spatial(layout), layout),
                                 feature_group_count=groups)
    return y + fnp.reshape(params["b"], _channel_shape(layout, w.shape[0])) if "b" in params else y


@with_init(_conv_init(1))
def conv1d(params: Params, x, stride: int | Sequence[int] = 1, padding: Padding = "VALID",
           dilation: int | Sequence[int] = 1, layout: str = "NCW"):
    """1-d convolution of x (batch, channels, width) with ``w`` (out, in / groups, kernel) plus ``b``.

    ``padding`` is "VALID" (none), "SAME" (output width ``ceil(width / stride)``), an int or a (low, high)
    pair; ``dilation`` spaces the kernel taps; ``layout="NWC"`` takes channels-last input and gives
    channels-last output. The number of groups is ``channels // w.shape[1]``.

    >>> params = conv1d.init(random.key(0), 2, 4, 3)
    >>> conv1d(params, fnp.ones((1, 2, 10)), padding="SAME").shape
    (1, 4, 10)
    """
    return _conv("conv1d", 1, params, x, stride, padding, dilation, layout)


@with_init(_conv_init(2))
def conv2d(params: Params, x, stride: int | Sequence[int] = 1, padding: Padding = "VALID",
           dilation: int | Sequence[int] = 1, layout: str = "NCHW"):
    """2-d convolution (cross-correlation) of x (N, C, H, W) with ``w`` (O, C / groups, kh, kw) plus ``b``.

    ``stride`` and ``dilation`` are ints or (h, w) pairs; ``padding`` is "VALID" (output
    ``floor((H - span) / stride) + 1`` with ``span = (kh - 1) * dilation + 1``), "SAME" (output
    ``ceil(H / stride)``, the odd element padded at the bottom/right), an int, an (h, w) pair or
    ((top, bottom), (left, right)). ``layout="NHWC"`` takes and returns channels-last arrays (the kernel stays
    OIHW). Grouped (and depthwise) convolution follows from the kernel: groups = C // w.shape[1].

    >>> params = conv2d.init(random.key(0), 3, 32, 3)
    >>> conv2d(params, fnp.ones((2, 3, 28, 28))).shape
    (2, 32, 26, 26)
    """
    return _conv("conv2d", 2, params, x, stride, padding, dilation, layout)


def _conv_transpose2d_init(key, in_channels: int, out_channels: int, kernel_size: int | Sequence[int], *,
                           use_bias: bool = True, w_init=None, b_init=None, dtype=float) -> Params:
    """Parameters of ``conv_transpose2d``: ``{"w": (in_channels, out_channels, kh, kw), "b": (out_channels,)}``.

    >>> conv_transpose2d.init(random.key(0), 8, 3, 4)["w"].shape
    (8, 3, 4, 4)
    """
    kernel = _ints("conv_transpose2d.init", "kernel_size", kernel_size, 2)
    return _weight_and_bias(key, (in_channels, out_channels, *kernel), (out_channels,), use_bias,
                            w_init or initializers.glorot_uniform(in_axis=0, out_axis=1), b_init, dtype)


def _transpose_padding(op: str, padding: Padding, spans, strides, output_padding) -> tuple:
    """The (low, high) padding of the dilated convolution that computes a transposed convolution.

    ``padding`` is that of the forward convolution being transposed: it crops the full transposed output
    (size ``(n - 1) * stride + span``) by ``low`` and ``high``. "SAME" crops to exactly ``n * stride``.
    """
    pairs = _padding(op, padding, len(spans))
    if pairs == "VALID":
        pairs = ((0, 0),) * len(spans)
    result = []
    for i, (span, s, extra) in enumerate(zip(spans, strides, output_padding)):
        if pairs == "SAME":
            total = max(span - s, 0)
            lo, hi = total // 2, total - total // 2
            extra += s - span + total  # > 0 only when the kernel is shorter than the stride
        else:
            lo, hi = pairs[i]
        result.append((span - 1 - lo, span - 1 - hi + extra))
    return tuple(result)


@with_init(_conv_transpose2d_init)
def conv_transpose2d(params: Params, x, stride: int | Sequence[int] = 1, padding: Padding = "VALID",
                     dilation: int | Sequence[int] = 1, output_padding: int | Sequence[int] = 0,
                     layout: str = "NCHW"):
    """Transposed convolution ("deconvolution"): the adjoint of ``conv2d`` with the same kernel and settings.

    x (N, in_channels, H, W) and ``w`` (in_channels, out_channels, kh, kw) give (N, out_channels, H', W') with
    ``H' = (H - 1) * stride + (kh - 1) * dilation + 1 - low - high + output_padding``, where ``padding``
    (low, high) is the padding of the convolution being transposed ("VALID": none; "SAME": ``H' = H *
    stride``). Each input element adds ``x * w`` into an output window placed every ``stride`` elements.
    Computed as a convolution of the stride-dilated input with the flipped kernel.

    >>> params = conv_transpose2d.init(random.key(0), 8, 3, 4)
    >>> conv_transpose2d(params, fnp.ones((1, 8, 5, 5)), stride=2, padding="SAME").shape
    (1, 3, 10, 10)
    """
    op = "conv_transpose2d"
    w = params["w"]
    layout = _layout(op, layout, 4)
    if x.ndim != 4 or w.ndim != 4 or x.shape[layout.index("C")] != w.shape[0]:
        raise FnxTypeError(f"{op}: x {tuple(x.shape)} ({layout}) needs as many channels as the kernel "
                           f"w {tuple(w.shape)} (IOHW) has input channels")
    strides, dilation = _ints(op, "stride", stride, 2), _ints(op, "dilation", dilation, 2)
    extra = (output_padding,) * 2 if isinstance(output_padding, (int, np.integer)) else tuple(output_padding)
    spans = [(k - 1) * d + 1 for k, d in zip(w.shape[2:], dilation)]
    pads = _transpose_padding(op, padding, spans, strides, extra)
    flipped = fnp.flip(fnp.swapaxes(w, 0, 1), axis=(2, 3))  # (out, in, kh, kw), taps reversed
    y = lax.conv_general_dilated(x, flipped, (1, 1), pads, lhs_dilation=strides, rhs_dilation=dilation,
                                 dimension_numbers=(layout, "OI" + _spatial(layout), layout))
    return y + fnp.reshape(params["b"], _channel_shape(layout, w.shape[1])) if "b" in params else y


# -- pooling ---------------------------------------------------------------------------------------------

def _pool_settings(op: str, x, window, strides, padding, layout) -> tuple:
    """``reduce_window``'s window, strides and padding for every axis of x (1, 1 and (0, 0) on the N and C
    axes), and the list of spatial axes."""
    layout = _layout(op, layout, x.ndim)
    spatial = [i for i, c in enumerate(layout) if c not in "NC"]
    window = _ints(op, "window", window, len(spatial))
    strides = window if strides is None else _ints(op, "strides", strides, len(spatial))
    pads = _padding(op, padding, len(spatial))

    def every_axis(values, fill) -> tuple:
        per_spatial = dict(zip(spatial, values))
        return tuple(per_spatial.get(i, fill) for i in range(x.ndim))
    pads = pads if isinstance(pads, str) else every_axis(pads, (0, 0))
    return every_axis(window, 1), every_axis(strides, 1), pads, spatial


def max_pool(x, window: int | Sequence[int], strides: int | Sequence[int] | None = None,
             padding: Padding = "VALID", layout: str | None = None):
    """The maximum of each ``window`` over the spatial axes of x (N, C, spatial...), padding with -inf.

    ``strides`` defaults to ``window`` (non-overlapping windows, as in Keras); ``padding`` is as in
    ``conv2d``; ``layout`` names the axes ("NCHW" by default for 4-d input, "NHWC", "NCW", ...).

    >>> max_pool(fnp.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0]
    Array([[ 5.,  7.],
           [13., 15.]], dtype=float64)
    """
    window, strides, padding, _ = _pool_settings("max_pool", x, window, strides, padding, layout)
    lowest = -np.inf if np.dtype(x.dtype).kind == "f" else np.iinfo(x.dtype).min
    return lax.reduce_window(x, lowest, "max", window, strides, padding)


def avg_pool(x, window: int | Sequence[int], strides: int | Sequence[int] | None = None,
             padding: Padding = "VALID", layout: str | None = None, count_include_pad: bool = False):
    """The mean of each ``window`` over the spatial axes of x (N, C, spatial...); see ``max_pool``.

    Padded elements are left out of each mean (as in Keras) unless ``count_include_pad`` (as in PyTorch's
    default), which divides every window sum by the full window size.

    >>> avg_pool(fnp.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0]
    Array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float64)
    """
    window, strides, padding, spatial = _pool_settings("avg_pool", x, window, strides, padding, layout)
    sums = lax.reduce_window(x, 0, "sum", window, strides, padding)
    if count_include_pad or padding == "VALID":
        return sums / float(np.prod(window))
    ones = np.ones([n if i in spatial else 1 for i, n in enumerate(x.shape)], np.dtype(sums.dtype))
    return sums / lax.reduce_window(ones, 0, "sum", window, strides, padding)  # elements per window


def _global_pool(op: str, pool: Callable, x, layout: str | None):
    layout = _layout(op, layout, x.ndim)
    spatial = [x.shape[i] for i, c in enumerate(layout) if c not in "NC"]
    pooled = pool(x, spatial, layout=layout)
    return fnp.reshape(pooled, (x.shape[layout.index("N")], x.shape[layout.index("C")]))


def global_max_pool(x, layout: str | None = None):
    """The maximum over all spatial axes: x (N, C, spatial...) -> (N, C) (``layout`` as in ``max_pool``).

    >>> global_max_pool(fnp.arange(8.0).reshape(1, 2, 2, 2))
    Array([[3., 7.]], dtype=float64)
    """
    return _global_pool("global_max_pool", max_pool, x, layout)


def global_avg_pool(x, layout: str | None = None):
    """The mean over all spatial axes: x (N, C, spatial...) -> (N, C) (``layout`` as in ``max_pool``).

    >>> global_avg_pool(fnp.arange(8.0).reshape(1, 2, 2, 2))
    Array([[1.5, 5.5]], dtype=float64)
    """
    return _global_pool("global_avg_pool", avg_pool, x, layout)


def flatten(x):
    """Keep the leading (batch) axis and flatten the rest: (N, d1, d2, ...) -> (N, d1 * d2 * ...).

    The order is row-major over the remaining axes, so NCHW and NHWC inputs flatten in different orders.

    >>> flatten(fnp.ones((2, 3, 4, 5))).shape
    (2, 60)
    """
    if x.ndim < 1:
        raise FnxTypeError("flatten: needs an input with a leading batch axis, got a scalar")
    return fnp.reshape(x, (x.shape[0], -1))


# -- dropout ---------------------------------------------------------------------------------------------

def dropout(key, x, rate: float, train: bool = True, mode: str = "inverted"):
    """Zero each element of x with probability ``rate`` (drawn from ``key``) while training.

    Two conventions keep the expected activation the same in training and evaluation:

    * ``mode="inverted"`` (the default, Keras/PyTorch): in training the kept elements are scaled by
      ``1 / (1 - rate)``; in evaluation x passes unchanged.
    * ``mode="naive"`` (Theano tutorials and the books, Srivastava et al. 2014): in training kept elements
      are not scaled; in evaluation every element is scaled by ``1 - rate`` (the keep probability).

    ``train`` is a Python bool; in evaluation ``key`` is not used (it may be None).

    >>> y = dropout(random.key(0), fnp.ones(6), 0.5)      # elements are 0 or 2
    >>> dropout(None, fnp.ones(3), 0.5, train=False, mode="naive")
    Array([0.5, 0.5, 0.5], dtype=float64)
    """
    if mode not in ("inverted", "naive"):
        raise FnxTypeError(f"dropout: mode must be 'inverted' or 'naive', got {mode!r}")
    if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise FnxTypeError(f"dropout: rate must be a Python number in [0, 1), got {rate!r}")
    if not train:
        return x if mode == "inverted" else x * (1.0 - rate)
    if rate == 0:
        return x
    kept = fnp.where(random.bernoulli(key, 1.0 - rate, x.shape), x, 0)
    return kept / (1.0 - rate) if mode == "inverted" else kept


# -- embedding -------------------------------------------------------------------------------------------

def _embedding_init(key, num_embeddings: int, features: int, *, w_init=None, dtype=float) -> Params:
    """Parameters of ``embedding``: ``{"table": (num_embeddings, features)}``, uniform in [-0.05, 0.05] (Keras).

    >>> embedding.init(random.key(0), 100001, 100)["table"].shape
    (100001, 100)
    """
    return {"table": (w_init or initializers.uniform())(key, (num_embeddings, features), dtype)}


@with_init(_embedding_init)
def embedding(params: Params, ids):
    """Look up the rows of ``table`` for integer ``ids`` of any shape: ids (...) -> (..., features).

    >>> params = {"table": fnp.arange(6.0).reshape(3, 2)}
    >>> embedding(params, fnp.array([2, 0]))
    Array([[4., 5.],
           [0., 1.]], dtype=float64)
    """
    if np.dtype(ids.dtype).kind not in "iu":
        raise FnxTypeError(f"embedding: ids must be integers, got {ids.dtype}{list(ids.shape)}")
    return fnp.take(params["table"], ids, axis=0)


__all__ = ["avg_pool", "conv1d", "conv2d", "conv_transpose2d", "dense", "dropout", "embedding", "flatten",
           "global_avg_pool", "global_max_pool", "max_pool", "with_init"]
