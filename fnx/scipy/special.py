"""``fnx.scipy.special``: special functions as ``scipy.special`` names them, differentiable and jittable.

>>> import fnx.numpy as fnp
>>> from fnx.scipy import special
>>> float(special.xlogy(0.0, 0.0)), float(special.ndtr(0.0))
(0.0, 0.5)
"""
from __future__ import annotations

import math

import numpy as np

from .. import lax
from .. import numpy as fnp
from ..nn.activations import log_softmax, softmax  # noqa: F401  (SciPy's names for the same functions)

__all__ = ["betaln", "digamma", "entr", "erf", "erfc", "erfinv", "expit", "gammaln", "log_ndtr", "log_softmax",
           "logit", "logsumexp", "ndtr", "ndtri", "softmax", "xlog1py", "xlogy"]

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _float(x):
    """``x`` as a float array (integers and Python scalars go to the default float)."""
    return fnp.astype_float(x)


def _floats(*xs) -> list:
    """Operands of a binary function: arrays as float arrays, Python scalars kept (weakly typed)."""
    return [x if isinstance(x, (int, float)) and not isinstance(x, bool) else _float(x) for x in xs]


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """``log(sum(b * exp(a)))`` over ``axis`` without overflow; with ``return_sign``, ``(log|sum|, sign)``
    (``b`` may then be negative).

    >>> float(logsumexp(fnp.array([1000.0, 1000.0])))
    1000.6931471805599
    """
    if not return_sign:
        return fnp.logsumexp(a, axis=axis, keepdims=keepdims, b=b)
    a = _float(a)
    m = lax.stop_gradient(fnp.max(a, axis=axis, keepdims=True))
    m = fnp.where(fnp.isfinite(m), m, 0.0)
    terms = fnp.exp(a - m) if b is None else fnp.exp(a - m) * b
    total = fnp.sum(terms, axis=axis, keepdims=True)
    out = fnp.log(fnp.abs(total)) + m
    sign = fnp.sign(total)
    if not keepdims:
        out, sign = (fnp.squeeze(v, axis) if axis is not None else fnp.reshape(v, ()) for v in (out, sign))
    return out, sign


def erf(x):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t**2) dt``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import special
    >>> special.erf(fnp.array([0.0, 1.0]))
    Array([0.        , 0.84270079], dtype=float64)
    """
    return lax.erf(_float(x))


def erfc(x):
    """``1 - erf(x)``, accurate where ``erf(x)`` is close to 1."""
    return lax.erfc(_float(x))


def erfinv(x):
    """The inverse of ``erf`` on (-1, 1)."""
    return lax.erf_inv(_float(x))


def gammaln(x):
    """``log|Gamma(x)|``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import special
    >>> special.gammaln(fnp.array([1.0, 5.0, 0.5]))
    Array([0.        , 3.17805383, 0.57236494], dtype=float64)
    """
    return lax.lgamma(_float(x))


def digamma(x):
    """``d/dx log Gamma(x)``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import special
    >>> special.digamma(fnp.array([1.0, 2.0]))
    Array([-0.57721566,  0.42278434], dtype=float64)
    """
    return lax.digamma(_float(x))


def betaln(a, b):
    """``log|B(a, b)|`` = ``gammaln(a) + gammaln(b) - gammaln(a + b)``."""
    return gammaln(a) + gammaln(b) - gammaln(fnp.add(a, b))


def expit(x):
    """The logistic sigmoid ``1 / (1 + exp(-x))``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import special
    >>> special.expit(fnp.array([-1.0, 0.0, 1.0]))
    Array([0.26894142, 0.5       , 0.73105858], dtype=float64)
    """
    return lax.logistic(_float(x))


def logit(p):
    """``log(p / (1 - p))``, the inverse of ``expit``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import special
    >>> special.logit(fnp.array([0.25, 0.5]))
    Array([-1.09861229,  0.        ], dtype=float64)
    """
    p = _float(p)
    return fnp.log(p) - fnp.log1p(-p)


def xlogy(x, y):
    """``x * log(y)``, 0 where ``x == 0`` (even for ``y == 0``); its derivatives are 0 there too.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import special
    >>> special.xlogy(fnp.array([0.0, 2.0]), fnp.array([0.0, 3.0]))
    Array([0.        , 2.19722458], dtype=float64)
    """
    x, y = _floats(x, y)
    zero = fnp.equal(x, 0)
    return fnp.where(zero, 0.0, x * fnp.log(fnp.where(zero, 1.0, y)))


def xlog1py(x, y):
    """``x * log1p(y)``, 0 where ``x == 0`` (even for ``y == -1``)."""
    x, y = _floats(x, y)
    zero = fnp.equal(x, 0)
    return fnp.where(zero, 0.0, x * fnp.log1p(fnp.where(zero, 0.0, y)))


def entr(x):
    """The elementwise entropy ``-x log x`` (0 at 0, ``-inf`` for ``x < 0``)."""
    x = _float(x)
    negative = fnp.less(x, 0)
    return fnp.where(negative, -np.inf, -xlogy(x, fnp.where(negative, 1.0, x)))


def ndtr(x):
    """The standard normal CDF, ``erfc(-x / sqrt(2)) / 2``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import special
    >>> special.ndtr(fnp.array([0.0, 1.96]))
    Array([0.5      , 0.9750021], dtype=float64)
    """
    x = _float(x)
    return 0.5 * lax.erfc(-x / _SQRT2)


def ndtri(p):
    """The inverse of ``ndtr``: ``sqrt(2) * erfinv(2p - 1)`` (relative accuracy drops for ``p`` below ~1e-8).

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy import special
    >>> special.ndtri(fnp.array([0.5, 0.975]))
    Array([0.        , 1.95996398], dtype=float64)
    """
    p = _float(p)
    return _SQRT2 * lax.erf_inv(2.0 * p - 1.0)


def log_ndtr(x):
    """``log(ndtr(x))``, finite far in the lower tail (an asymptotic series below -20, where ``ndtr``
    underflows)."""
    x = _float(x)
    tail = fnp.less(x, -20.0)
    safe = fnp.where(tail, -20.0, x)
    upper = fnp.greater(safe, 0.0)
    above, below = fnp.where(upper, safe, 0.0), fnp.where(upper, 0.0, safe)  # each branch on its own half
    direct = fnp.where(upper, fnp.log1p(-0.5 * lax.erfc(above / _SQRT2)), fnp.log(0.5 * lax.erfc(-below / _SQRT2)))
    t = fnp.where(tail, x, -20.0)
    inv2 = 1.0 / (t * t)  # log Q(-t) ~ -t^2/2 - log(-t) - log sqrt(2 pi) + log(1 - 1/t^2 + 3/t^4 - 15/t^6)
    series = -0.5 * t * t - fnp.log(-t) - _LOG_SQRT_2PI + fnp.log1p(inv2 * (-1.0 + inv2 * (3.0 - 15.0 * inv2)))
    return fnp.where(tail, series, direct)
