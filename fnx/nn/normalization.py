"""Normalization layers: ``batch_norm`` (running statistics passed in and returned) and ``layer_norm``.

Batch normalization keeps running estimates of each channel's mean and variance for evaluation. Nothing is
hidden: they live in a ``state`` dict that the caller passes in and gets back, next to the trainable
``params``::

    params, state = nn.batch_norm.init(key, 32)
    y, state = nn.batch_norm(params, state, x, train=True)    # batch statistics; state updated
    y, _ = nn.batch_norm(params, state, x, train=False)       # running statistics; state unchanged
"""
from __future__ import annotations

from typing import Sequence

from .. import numpy as fnp
from ..core.errors import FnxTypeError
from .layers import Params, with_init


def _batch_norm_init(key, num_features: int, *, dtype=float) -> tuple[Params, Params]:
    """``(params, state)`` of ``batch_norm``: params ``{"gamma": ones, "beta": zeros}`` and state
    ``{"mean": zeros, "var": ones}``, each of shape (num_features,). ``key`` is unused (kept for uniformity).

    >>> params, state = batch_norm.init(None, 3)
    >>> state["var"]
    Array([1., 1., 1.], dtype=float64)
    """
    ones, zeros = fnp.ones(num_features, dtype=dtype), fnp.zeros(num_features, dtype=dtype)
    return {"gamma": ones, "beta": zeros}, {"mean": zeros, "var": ones}


def _feature_axis(op: str, x, axis: int, features: int) -> int:
    if not -x.ndim <= axis < x.ndim or x.shape[axis] != features:
        raise FnxTypeError(f"{op}: x of shape {tuple(x.shape)} should have the {features} features of the "
                           f"parameters on axis {axis}")
    return axis % x.ndim


@with_init(_batch_norm_init)
def batch_norm(params: Params, state: Params, x, train: bool = True, momentum: float = 0.99, eps: float = 1e-3,
               axis: int = 1) -> tuple:
    """Normalize each feature of x over the batch (and spatial axes), then scale by ``gamma`` and shift by ``beta``.

    ``axis`` is the feature axis: 1 suits both (N, features) and NCHW images (use -1 for NHWC); the
    statistics are taken over every other axis. With ``train=True`` x is normalized by its own mean and
    (biased) variance and the running statistics move toward them,
    ``running = momentum * running + (1 - momentum) * batch`` (Keras's convention: ``momentum`` is the weight
    of the old value); with ``train=False`` the running statistics normalize x and ``state`` comes back
    unchanged. Returns ``(y, new_state)``; y has the shape of x.

    >>> params, state = batch_norm.init(None, 2)
    >>> y, state = batch_norm(params, state, fnp.array([[0.0, 1.0], [2.0, 3.0]]))
    >>> y
    Array([[-0.99950037, -0.99950037],
           [ 0.99950037,  0.99950037]], dtype=float64)
    """
    gamma, beta = params["gamma"], params["beta"]
    axis = _feature_axis("batch_norm", x, axis, gamma.shape[0])
    shape = tuple(gamma.shape[0] if i == axis else 1 for i in range(x.ndim))
    if train:
        others = tuple(i for i in range(x.ndim) if i != axis)
        mean = fnp.mean(x, axis=others)
        var = fnp.mean(fnp.square(x - fnp.reshape(mean, shape)), axis=others)
        state = {"mean": momentum * state["mean"] + (1 - momentum) * mean,
                 "var": momentum * state["var"] + (1 - momentum) * var}
    else:
        mean, var = state["mean"], state["var"]
    scale = gamma / fnp.sqrt(var + eps)
    return (x - fnp.reshape(mean, shape)) * fnp.reshape(scale, shape) + fnp.reshape(beta, shape), state


def _layer_norm_init(key, features: int | Sequence[int], *, dtype=float) -> Params:
    """Parameters of ``layer_norm``: ``{"gamma": ones, "beta": zeros}`` of shape ``features`` (an int or the
    shape of the normalized trailing axes). ``key`` is unused.

    >>> layer_norm.init(None, 4)["gamma"].shape
    (4,)
    """
    shape = (features,) if isinstance(features, int) else tuple(features)
    return {"gamma": fnp.ones(shape, dtype=dtype), "beta": fnp.zeros(shape, dtype=dtype)}


@with_init(_layer_norm_init)
def layer_norm(params: Params, x, eps: float = 1e-5):
    """Normalize each example over its trailing feature axes (those of ``gamma``), then scale and shift.

    For ``gamma`` of shape (d,), each x[..., :] is shifted to mean 0 and scaled to variance 1 (biased), then
    ``y = normalized * gamma + beta``. The same in training and evaluation: there are no running statistics.

    >>> params = layer_norm.init(None, 2)
    >>> layer_norm(params, fnp.array([[1.0, 3.0]]))
    Array([[-0.999995,  0.999995]], dtype=float64)
    """
    gamma, beta = params["gamma"], params["beta"]
    k = gamma.ndim
    if x.ndim < k or tuple(x.shape[x.ndim - k:]) != tuple(gamma.shape):
        raise FnxTypeError(f"layer_norm: x of shape {tuple(x.shape)} should end with the feature shape "
                           f"{tuple(gamma.shape)} of the parameters")
    axes = tuple(range(x.ndim - k, x.ndim))
    centered = x - fnp.mean(x, axis=axes, keepdims=True)
    var = fnp.mean(fnp.square(centered), axis=axes, keepdims=True)
    return centered / fnp.sqrt(var + eps) * gamma + beta


__all__ = ["batch_norm", "layer_norm"]
