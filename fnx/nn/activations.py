"""Activation functions: elementwise nonlinearities, softmax and friends, and ``one_hot``.

Every function takes an array (or anything ``fnx.numpy.asarray`` accepts), works eagerly and under every
transform, and returns floats (integer inputs compute in the default float). Derivatives at kinks take the
right-hand branch's convention documented per function (e.g. ``relu'(0) = 0``).

>>> import fnx.numpy as fnp
>>> from fnx import nn
>>> nn.relu(fnp.array([-1.0, 0.0, 2.0]))
Array([0., 0., 2.], dtype=float64)
>>> nn.softmax(fnp.array([[1.0, 2.0, 3.0]]))
Array([[0.09003057, 0.24472847, 0.66524096]], dtype=float64)
"""
from __future__ import annotations

import math

import numpy as np

from .. import lax
from .. import numpy as fnp
from ..core import dtypes
from ..core.errors import FnxTypeError
from ..numpy import logsumexp

__all__ = ["sigmoid", "hard_sigmoid", "tanh", "hard_tanh", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu",
           "softplus", "softsign", "swish", "silu", "softmax", "log_softmax", "logsumexp", "one_hot"]

# Klambauer et al. (2017), "Self-normalizing neural networks": the fixed point constants of SELU.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

# Theano's ultra_fast_sigmoid (UltraFastScalarSigmoid): a piecewise approximation of tanh(x/2).
_UFS_KNEE, _UFS_END = 1.7, 3.0
_UFS_AT_KNEE, _UFS_SLOPE, _UFS_TOP = 0.935409070603099, 0.0458812946797165, 0.99505475368673


def _float(x):
    """``x`` as an array of floats (bool and integer inputs go to the default float)."""
    return fnp.astype_float(fnp.asarray(x))


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow.

    >>> sigmoid(fnp.array([-1.0, 0.0, 1.0]))
    Array([0.26894142, 0.5       , 0.73105858], dtype=float64)
    """
    return fnp.sigmoid(_float(x))


def _ultra_fast_sigmoid(x):
    """Theano's ``ultra_fast_sigmoid``: with ``a = |x| / 2``, ``z = 1.5 a / (1 + a)`` below 1.7, a line up
    to 3, then the constant 0.99505...; ``z`` takes the sign of ``x`` and the result is ``(z + 1) / 2``."""
    a = fnp.abs(x) * 0.5
    z = fnp.where(a < _UFS_KNEE, 1.5 * a / (1.0 + a),
                  fnp.where(a < _UFS_END, _UFS_AT_KNEE + _UFS_SLOPE * (a - _UFS_KNEE), _UFS_TOP))
    return 0.5 * (fnp.where(x < 0, -z, z) + 1.0)


def hard_sigmoid(x, variant: str = "keras"):
    """A piecewise-linear (cheap) sigmoid, in one of two named variants.

    * ``"keras"``: ``clip(0.2 * x + 0.5, 0, 1)`` (Keras's ``hard_sigmoid``, the LSTM gate default).
    * ``"theano"``: Theano's ``T.nnet.ultra_fast_sigmoid`` (rational near 0, linear, then constant; within
      0.028 of the sigmoid, with a 0.0045 step down at ``|x| = 3.4``; see Ketkar 2017, listing 4-4).

    >>> hard_sigmoid(fnp.array([-1.0, 0.0, 1.0]))
    Array([0.3, 0.5, 0.7], dtype=float64)
    >>> hard_sigmoid(fnp.array([-1.0, 0.0, 1.0]), variant="theano")
    Array([0.25, 0.5 , 0.75], dtype=float64)
    """
    x = _float(x)
    if variant == "keras":
        return fnp.clip(0.2 * x + 0.5, 0.0, 1.0)
    if variant == "theano":
        return _ultra_fast_sigmoid(x)
    raise FnxTypeError(f"hard_sigmoid: variant must be 'keras' or 'theano', got {variant!r}")


def tanh(x):
    """The hyperbolic tangent.

    >>> tanh(fnp.array([0.0, 1.0]))
    Array([0.        , 0.76159416], dtype=float64)
    """
    return fnp.tanh(_float(x))


def hard_tanh(x, min_val: float = -1.0, max_val: float = 1.0):
    """``clip(x, min_val, max_val)``: the identity inside the band, constant outside.

    >>> hard_tanh(fnp.array([-3.0, 0.5, 3.0]))
    Array([-1. ,  0.5,  1. ], dtype=float64)
    """
    return fnp.clip(_float(x), min_val, max_val)


def relu(x):
    """``max(x, 0)``; its derivative at 0 is taken to be 0.

    >>> relu(fnp.array([-1.0, 0.0, 2.0]))
    Array([0., 0., 2.], dtype=float64)
    """
    x = _float(x)
    return fnp.where(x > 0, x, 0.0)


def relu6(x):
    """``min(max(x, 0), 6)``; derivative 0 at both kinks.

    >>> relu6(fnp.array([-1.0, 3.0, 9.0]))
    Array([0., 3., 6.], dtype=float64)
    """
    x = _float(x)
    return fnp.where(x > 0, fnp.where(x < 6, x, 6.0), 0.0)


def leaky_relu(x, negative_slope: float = 0.01):
    """``x`` for ``x > 0`` else ``negative_slope * x``.

    >>> leaky_relu(fnp.array([-10.0, 2.0]), 0.1)
    Array([-1.,  2.], dtype=float64)
    """
    x = _float(x)
    return fnp.where(x > 0, x, negative_slope * x)


def elu(x, alpha: float = 1.0):
    """``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)`` (Clevert et al., 2016).

    >>> elu(fnp.array([-1.0, 2.0]))
    Array([-0.63212056,  2.        ], dtype=float64)
    """
    x = _float(x)
    # exp of the clamped value: the unused branch must not overflow (an inf there would poison gradients)
    return fnp.where(x > 0, x, alpha * fnp.expm1(fnp.minimum(x, 0.0)))


def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507).

    >>> selu(fnp.array([1.0]))
    Array([1.05070099], dtype=float64)
    """
    return _SELU_SCALE * elu(_float(x), _SELU_ALPHA)


def gelu(x, approximate: bool = False):
    """The Gaussian error linear unit ``x * Phi(x)`` (Hendrycks & Gimpel, 2016).

    ``approximate=False`` uses the exact ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``; ``approximate=True`` the
    tanh form ``(1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2`` (as in BERT/GPT-2).

    >>> gelu(fnp.array([1.0]))
    Array([0.84134475], dtype=float64)
    """
    x = _float(x)
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + fnp.tanh(inner))
    return 0.5 * x * (1.0 + lax.erf(x * (1.0 / math.sqrt(2.0))))


def softplus(x):
    """``log(1 + exp(x))``, computed without overflow (``logaddexp(x, 0)``).

    >>> softplus(fnp.array([0.0, 1000.0]))
    Array([6.93147181e-01, 1.00000000e+03], dtype=float64)
    """
    return fnp.logaddexp(_float(x), 0.0)


def softsign(x):
    """``x / (1 + |x|)``.

    >>> softsign(fnp.array([-1.0, 3.0]))
    Array([-0.5 ,  0.75], dtype=float64)
    """
    x = _float(x)
    return x / (1.0 + fnp.abs(x))


def swish(x, beta: float = 1.0):
    """``x * sigmoid(beta * x)`` (Ramachandran et al., 2017); ``beta = 1`` is SiLU.

    >>> swish(fnp.array([0.0, 1.0]))
    Array([0.        , 0.73105858], dtype=float64)
    """
    x = _float(x)
    return x * fnp.sigmoid(beta * x)


def silu(x):
    """The sigmoid linear unit ``x * sigmoid(x)`` (``swish`` with ``beta = 1``).

    >>> silu(fnp.array([1.0]))
    Array([0.73105858], dtype=float64)
    """
    return swish(x)


def _stable_shift(x, axis: int):
    """``x`` minus its maximum along ``axis`` (kept), for overflow-free exponentials. The maximum is a
    constant for differentiation: softmax does not change when a constant is subtracted."""
    m = lax.stop_gradient(fnp.max(x, axis=axis, keepdims=True))
    return x - fnp.where(fnp.isfinite(m), m, 0.0)


def softmax(x, axis: int = -1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (default the last, i.e. row-wise for ``(batch, classes)``).

    >>> softmax(fnp.array([[-1.0, 0.0, 1.0]]))
    Array([[0.09003057, 0.24472847, 0.66524096]], dtype=float64)
    """
    x = _float(x)
    e = fnp.exp(_stable_shift(x, axis))
    return e / fnp.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis: int = -1):
    """``log(softmax(x))`` along ``axis``, computed as ``x - logsumexp(x)`` (finite for large logits).

    >>> log_softmax(fnp.array([0.0, 1000.0]))
    Array([-1000.,     0.], dtype=float64)
    """
    x = _float(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def one_hot(labels, num_classes: int, dtype=float, axis: int = -1):
    """Integer ``labels`` of shape ``s`` as indicator vectors: shape ``s + (num_classes,)`` (class axis at
    ``axis``). Labels outside ``[0, num_classes)`` give all-zero vectors.

    >>> one_hot(fnp.array([0, 2]), 3)
    Array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float64)
    """
    labels = fnp.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise FnxTypeError(f"one_hot: labels must be integers, got {labels.dtype} of shape {tuple(labels.shape)}")
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) or num_classes < 0:
        raise FnxTypeError(f"one_hot: num_classes must be a non-negative Python int, got {num_classes!r}")
    dtype = dtypes.canonicalize(dtype, "one_hot")
    out_ndim = labels.ndim + 1
    if not -out_ndim <= axis < out_ndim:
        raise FnxTypeError(f"one_hot: axis {axis} out of range for a result of rank {out_ndim}")
    axis %= out_ndim
    classes = lax.broadcasted_iota(labels.dtype, (1,) * labels.ndim + (int(num_classes),), labels.ndim)
    hot = fnp.astype(fnp.expand_dims(labels, -1) == classes, dtype)
    return hot if axis == out_ndim - 1 else fnp.moveaxis(hot, -1, axis)
