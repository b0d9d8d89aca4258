"""The normal distribution ``N(loc, scale**2)``: ``fnx.scipy.stats.norm.logpdf(x, loc=0, scale=1)`` and friends.

>>> from fnx.scipy.stats import norm
>>> round(float(norm.pdf(0.0)), 6), float(norm.cdf(0.0)), float(norm.ppf(0.5))
(0.398942, 0.5, 0.0)
"""
from __future__ import annotations

import math

from ... import numpy as fnp
from .. import special

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _standardized(x, loc, scale):
    return fnp.divide(fnp.subtract(x, loc), scale)


def logpdf(x, loc=0.0, scale=1.0):
    """``log`` of the density at ``x``: ``-((x - loc) / scale)**2 / 2 - log(scale) - log(sqrt(2 pi))``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy.stats import norm
    >>> norm.logpdf(fnp.array([0.0, 1.0]), loc=0.0, scale=2.0)
    Array([-1.61208571, -1.73708571], dtype=float64)
    """
    z = _standardized(x, loc, scale)
    return -0.5 * z * z - fnp.log(fnp.astype_float(scale)) - _LOG_SQRT_2PI


def pdf(x, loc=0.0, scale=1.0):
    """The density at ``x``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy.stats import norm
    >>> norm.pdf(fnp.array([0.0, 1.0]))
    Array([0.39894228, 0.24197072], dtype=float64)
    """
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0.0, scale=1.0):
    """``P(X <= x)``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy.stats import norm
    >>> norm.cdf(fnp.array([0.0, 1.96]))
    Array([0.5      , 0.9750021], dtype=float64)
    """
    return special.ndtr(_standardized(x, loc, scale))


def logcdf(x, loc=0.0, scale=1.0):
    """``log P(X <= x)``, finite far in the lower tail."""
    return special.log_ndtr(_standardized(x, loc, scale))


def sf(x, loc=0.0, scale=1.0):
    """``P(X > x)`` (the survival function), accurate in the upper tail."""
    return special.ndtr(-_standardized(x, loc, scale))


def logsf(x, loc=0.0, scale=1.0):
    """``log P(X > x)``."""
    return special.log_ndtr(-_standardized(x, loc, scale))


def ppf(q, loc=0.0, scale=1.0):
    """The quantile function: the ``x`` with ``cdf(x) == q``.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy.stats import norm
    >>> norm.ppf(fnp.array([0.5, 0.975]))
    Array([0.        , 1.95996398], dtype=float64)
    """
    return fnp.add(fnp.multiply(special.ndtri(q), scale), loc)


def isf(q, loc=0.0, scale=1.0):
    """The inverse survival function: the ``x`` with ``sf(x) == q``."""
    return fnp.subtract(loc, fnp.multiply(special.ndtri(q), scale))
