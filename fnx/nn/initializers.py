"""Parameter initializers: every name here is a *factory* that returns ``init(key, shape, dtype=float)``.

The one convention. Call the factory with its options (or none) to get an initializer, then call the
initializer with a ``fnx.random`` key, a shape and a dtype (``float`` means the configured default float):

>>> import fnx.random as fr
>>> from fnx.nn import initializers
>>> init = initializers.glorot_uniform()
>>> w = init(fr.key(0), (784, 30))           # a dense kernel: (fan_in, fan_out)
>>> b = initializers.zeros()(fr.key(1), (30,))

Fans. ``fan_in`` and ``fan_out`` are read from the shape: ``shape[in_axis]`` and ``shape[out_axis]`` times
the *receptive field*, the product of every other axis. The defaults ``in_axis=-2, out_axis=-1`` fit a dense
kernel of shape ``(in, out)`` and an HWIO convolution kernel. For an OIHW convolution kernel (the NCHW
layout of Theano and the books) pass ``in_axis=1, out_axis=0``: then ``fan_in = I*H*W`` and
``fan_out = O*H*W``. Shapes of rank 0 or 1 have ``fan_in = fan_out = size`` (rank 1) or 1 (rank 0).

Initializers are pure functions of the key built from fnx operations, so they run eagerly and trace
(under ``make_jaxpr``, ``jit`` or ``vmap`` over keys) alike; ``orthogonal`` uses a Householder QR written in
fnx operations for that reason.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from .. import lax
from .. import numpy as fnp
from .. import random
from ..core import dtypes
from ..core.errors import FnxTypeError

__all__ = ["compute_fans", "zeros", "ones", "constant", "normal", "uniform", "truncated_normal",
           "variance_scaling", "glorot_uniform", "glorot_normal", "xavier_uniform", "xavier_normal",
           "he_uniform", "he_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform", "lecun_normal",
           "orthogonal"]

Initializer = Callable[..., object]  # init(key, shape, dtype=float) -> array

# The standard deviation of a standard normal truncated to [-2, 2] (JAX's value of
# sqrt(1 - 4 exp(-2) / sqrt(2 pi) / erf(sqrt 2))); dividing by it restores unit variance.
_TRUNCATED_STD = 0.87962566103423978


def _shape(shape, op: str) -> tuple:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise FnxTypeError(f"{op}: shape must be a tuple of non-negative ints, got {shape!r}")
    return tuple(int(n) for n in shape)


def _float_dtype(dtype, op: str) -> np.dtype:
    dt = dtypes.canonicalize(dtype, op)
    if dt.kind != "f":
        raise FnxTypeError(f"{op}: needs a float dtype, got {dt}")
    return dt


def compute_fans(shape: Sequence[int], in_axis: int = -2, out_axis: int = -1) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` (see the module docstring for the convention).

    >>> compute_fans((784, 30))
    (784, 30)
    >>> compute_fans((16, 3, 5, 5), in_axis=1, out_axis=0)   # OIHW conv kernel
    (75, 400)
    """
    shape = _shape(shape, "compute_fans")
    if len(shape) < 2:
        size = math.prod(shape)
        return size, size
    ndim = len(shape)
    try:
        i, o = range(ndim)[in_axis], range(ndim)[out_axis]
    except IndexError:
        raise FnxTypeError(f"compute_fans: in_axis={in_axis} or out_axis={out_axis} out of range for shape "
                           f"{shape}") from None
    if i == o:
        raise FnxTypeError(f"compute_fans: in_axis and out_axis are the same axis ({i}) of shape {shape}")
    receptive = math.prod(n for k, n in enumerate(shape) if k not in (i, o))
    return shape[i] * receptive, shape[o] * receptive


# -- constants ----------------------------------------------------------------------------------------------

def constant(value) -> Initializer:
    """An initializer filling every element with ``value`` (any dtype; the key is ignored).

    >>> constant(0.1)(random.key(0), (2,))
    Array([0.1, 0.1], dtype=float64)
    """
    def init(key, shape, dtype=float):
        return fnp.full(_shape(shape, "constant"), value, dtype=dtypes.canonicalize(dtype, "constant"))
    return init


def zeros() -> Initializer:
    """An initializer of zeros: ``zeros()(key, (3,))`` -> ``[0., 0., 0.]``."""
    return constant(0)


def ones() -> Initializer:
    """An initializer of ones: ``ones()(key, (3,))`` -> ``[1., 1., 1.]``."""
    return constant(1)


# -- plain distributions ------------------------------------------------------------------------------------

def normal(stddev: float = 1e-2, mean: float = 0.0) -> Initializer:
    """An initializer drawing from a normal distribution ``N(mean, stddev**2)``.

    >>> w = normal(stddev=0.05)(random.key(0), (3, 4))
    """
    def init(key, shape, dtype=float):
        dt = _float_dtype(dtype, "normal")
        z = random.normal(key, _shape(shape, "normal"), dt)
        return z * dt.type(stddev) + dt.type(mean)
    return init


def uniform(minval: float = -5e-2, maxval: float = 5e-2) -> Initializer:
    """An initializer drawing uniformly from ``[minval, maxval)`` (default Keras's ``[-0.05, 0.05)``).

    >>> w = uniform(-0.1, 0.1)(random.key(0), (3, 4))
    """
    def init(key, shape, dtype=float):
        dt = _float_dtype(dtype, "uniform")
        return random.uniform(key, _shape(shape, "uniform"), dt, minval, maxval)
    return init


def truncated_normal(stddev: float = 1e-2, mean: float = 0.0, lower: float = -2.0,
                     upper: float = 2.0) -> Initializer:
    """An initializer drawing ``mean + stddev * z`` with ``z`` standard normal restricted to ``(lower, upper)``.

    ``stddev`` is the scale *before* truncation (as in Keras and TensorFlow), so the samples' standard
    deviation is smaller (about ``0.88 * stddev`` for the default bounds of two standard deviations).

    >>> w = truncated_normal(stddev=0.1)(random.key(0), (3, 4))   # every |w| < 0.2
    """
    def init(key, shape, dtype=float):
        dt = _float_dtype(dtype, "truncated_normal")
        z = random.truncated_normal(key, lower, upper, _shape(shape, "truncated_normal"), dt)
        return z * dt.type(stddev) + dt.type(mean)
    return init


# -- variance scaling: glorot, he, lecun ---------------------------------------------------------------------

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("uniform", "normal", "truncated_normal")


def variance_scaling(scale: float, mode: str, distribution: str, in_axis: int = -2,
                     out_axis: int = -1) -> Initializer:
    """An initializer with zero mean and variance ``scale / n``, ``n`` the fan chosen by ``mode``.

    ``mode``: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"`` (``(fan_in + fan_out) / 2``). ``distribution``:
    ``"uniform"`` (on ``[-sqrt(3 * scale / n), sqrt(3 * scale / n))``), ``"normal"``, or
    ``"truncated_normal"`` (cut at two standard deviations and rescaled so the variance is still
    ``scale / n``). The fans come from ``in_axis`` and ``out_axis`` (module docstring).

    >>> init = variance_scaling(2.0, "fan_in", "normal")    # he_normal
    >>> w = init(random.key(0), (100, 50))                   # std close to sqrt(2 / 100)
    """
    if mode not in _MODES:
        raise FnxTypeError(f"variance_scaling: mode must be one of {_MODES}, got {mode!r}")
    if distribution not in _DISTRIBUTIONS:
        raise FnxTypeError(f"variance_scaling: distribution must be one of {_DISTRIBUTIONS}, got {distribution!r}")

    def init(key, shape, dtype=float):
        shape = _shape(shape, "variance_scaling")
        dt = _float_dtype(dtype, "variance_scaling")
        fan_in, fan_out = compute_fans(shape, in_axis, out_axis)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = dt.type(scale / max(1.0, n))  # the factors are rounded in dt as JAX rounds them
        if distribution == "uniform":
            return random.uniform(key, shape, dt, -1.0, 1.0) * np.sqrt(dt.type(3) * variance)
        if distribution == "normal":
            return random.normal(key, shape, dt) * np.sqrt(variance)
        z = random.truncated_normal(key, -2.0, 2.0, shape, dt)
        return z * (np.sqrt(variance) / dt.type(_TRUNCATED_STD))
    return init


def glorot_uniform(in_axis: int = -2, out_axis: int = -1) -> Initializer:
    """Glorot & Bengio (2010): uniform on ``[-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    >>> w = glorot_uniform()(random.key(0), (784, 30))
    """
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis)


def glorot_normal(in_axis: int = -2, out_axis: int = -1, distribution: str = "truncated_normal") -> Initializer:
    """Glorot & Bengio (2010): zero mean, std ``sqrt(2 / (fan_in + fan_out))``.

    As in JAX (and Keras 2), the default draws a normal truncated at two standard deviations and rescaled to
    the same variance (no tails), the same numbers as ``jax.nn.initializers.glorot_normal`` for the same key;
    ``distribution="normal"`` draws a plain normal.

    >>> w = glorot_normal()(random.key(0), (784, 30))
    """
    return variance_scaling(1.0, "fan_avg", distribution, in_axis, out_axis)


def he_uniform(in_axis: int = -2, out_axis: int = -1) -> Initializer:
    """He et al. (2015), for ReLU layers: uniform on ``[-limit, limit)``, ``limit = sqrt(6 / fan_in)``.

    >>> w = he_uniform()(random.key(0), (784, 30))
    """
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis)


def he_normal(in_axis: int = -2, out_axis: int = -1, distribution: str = "truncated_normal") -> Initializer:
    """He et al. (2015), for ReLU layers: zero mean, std ``sqrt(2 / fan_in)``; truncated normal by default, as
    JAX's (``glorot_normal``).

    >>> w = he_normal(in_axis=1, out_axis=0)(random.key(0), (16, 3, 5, 5))   # OIHW conv kernel
    """
    return variance_scaling(2.0, "fan_in", distribution, in_axis, out_axis)


def lecun_uniform(in_axis: int = -2, out_axis: int = -1) -> Initializer:
    """LeCun et al. (1998): uniform on ``[-limit, limit)``, ``limit = sqrt(3 / fan_in)``.

    >>> w = lecun_uniform()(random.key(0), (784, 30))
    """
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis)


def lecun_normal(in_axis: int = -2, out_axis: int = -1, distribution: str = "truncated_normal") -> Initializer:
    """LeCun et al. (1998), the SELU initializer: zero mean, std ``sqrt(1 / fan_in)``; truncated normal by
    default, as JAX's (``glorot_normal``).

    >>> w = lecun_normal()(random.key(0), (784, 30))
    """
    return variance_scaling(1.0, "fan_in", distribution, in_axis, out_axis)


xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


# -- orthogonal --------------------------------------------------------------------------------------------

def _householder_q(a):
    """The ``(m, n)`` factor ``Q`` with orthonormal columns of the QR of ``a`` (m >= n), signed so that
    ``R`` has a non-negative diagonal (which makes ``Q`` of a Gaussian ``a`` uniformly distributed).

    Each step reflects column k onto ``e_k``; working on full-length vectors masked below row k keeps every
    operation a static-shape fnx operation, so this traces.
    """
    m, n = a.shape
    rows = lax.iota(np.int64, m)
    q = fnp.eye(m, dtype=a.dtype)
    signs = []
    for k in range(n):
        x = fnp.where(rows >= k, a[:, k], 0.0)
        x_k = x[k]
        sign = fnp.where(x_k < 0, -1.0, 1.0).astype(a.dtype)
        alpha = -sign * fnp.sqrt(fnp.sum(x * x))  # R[k, k]; the sign avoids cancellation in v
        v = x - fnp.where(rows == k, alpha, 0.0)
        v = v / fnp.sqrt(fnp.sum(v * v))
        a = a - 2.0 * fnp.outer(v, v @ a)
        q = q - 2.0 * fnp.outer(q @ v, v)
        signs.append(fnp.where(alpha < 0, -1.0, 1.0).astype(a.dtype))
    return q[:, :n] * fnp.stack(signs)


def orthogonal(scale: float = 1.0, column_axis: int = -1) -> Initializer:
    """Saxe et al. (2014): a (scaled) random orthogonal matrix, uniformly distributed.

    The weight is viewed as a matrix with ``shape[column_axis]`` columns and all other axes as rows. With at
    least as many rows as columns its columns are orthonormal (``W.T @ W = scale**2 * I``), otherwise its rows
    are. For an OIHW conv kernel pass ``column_axis=0``.

    >>> w = orthogonal()(random.key(0), (64, 32))   # w.T @ w == I (to rounding)
    """
    def init(key, shape, dtype=float):
        shape = _shape(shape, "orthogonal")
        dt = _float_dtype(dtype, "orthogonal")
        if len(shape) < 2:
            raise FnxTypeError(f"orthogonal: needs a shape of rank >= 2, got {shape}")
        try:
            col = range(len(shape))[column_axis]
        except IndexError:
            raise FnxTypeError(f"orthogonal: column_axis={column_axis} out of range for shape {shape}") from None
        n_cols = shape[col]
        n_rows = math.prod(shape) // n_cols if n_cols else 0
        tall = n_rows >= n_cols
        a = random.normal(key, (n_rows, n_cols) if tall else (n_cols, n_rows), dt)
        q = _householder_q(a)
        q = q if tall else q.T
        other = tuple(n for k, n in enumerate(shape) if k != col)
        w = fnp.moveaxis(fnp.reshape(q, other + (n_cols,)), -1, col)
        return w * dt.type(scale)
    return init
