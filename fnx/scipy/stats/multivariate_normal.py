"""The multivariate normal distribution: ``fnx.scipy.stats.multivariate_normal.logpdf(x, mean, cov)``.

>>> import fnx.numpy as fnp
>>> from fnx.scipy.stats import multivariate_normal
>>> round(float(multivariate_normal.pdf(fnp.zeros(2), fnp.zeros(2), fnp.eye(2))), 6)   # 1 / (2 pi)
0.159155
"""
from __future__ import annotations

import math

from ... import numpy as fnp
from ...core.errors import FnxTypeError
from .. import linalg

__all__ = ["logpdf", "pdf"]


def logpdf(x, mean, cov, allow_singular: bool = False):
    """The log density at ``x`` (shape ``(..., n)``; the leading axes are points) of ``N(mean, cov)``,
    ``mean`` of shape ``(n,)`` and ``cov`` ``(n, n)`` positive definite (a scalar ``cov`` means ``cov * I``).

    Computed from the Cholesky factor ``L`` of ``cov``: ``-|L^-1 (x - mean)|**2 / 2 - sum(log diag L) -
    n log(2 pi) / 2``. As in JAX, ``allow_singular`` must be False.

    >>> import fnx.numpy as fnp
    >>> from fnx.scipy.stats import multivariate_normal
    >>> multivariate_normal.logpdf(fnp.array([0.0, 0.0]), fnp.zeros(2), fnp.eye(2))
    Array(-1.8378770664093453, dtype=float64)
    """
    if allow_singular:
        raise FnxTypeError("multivariate_normal.logpdf: allow_singular=True is not supported (as in JAX)")
    x, mean, cov = (fnp.astype_float(v) for v in (x, mean, cov))
    n = x.shape[-1] if x.ndim else 1
    cov = cov * fnp.eye(n, dtype=cov.dtype) if cov.ndim == 0 else cov
    if mean.shape[-1:] not in ((n,), ()) or cov.shape != (n, n):
        raise FnxTypeError(f"multivariate_normal.logpdf: x of shape {x.shape} needs mean of shape ({n},) and "
                           f"cov of shape ({n}, {n}), got {mean.shape} and {cov.shape}")
    factor = linalg.cholesky(cov, lower=True)
    deviations = fnp.reshape(fnp.subtract(x, mean), (-1, n))  # one row per point
    z = linalg.solve_triangular(factor, deviations.T, lower=True)  # (n, points)
    log_det = fnp.sum(fnp.log(fnp.diagonal(factor)))
    out = -0.5 * fnp.sum(z * z, axis=0) - log_det - 0.5 * n * math.log(2.0 * math.pi)
    return fnp.reshape(out, x.shape[:-1])


def pdf(x, mean, cov, allow_singular: bool = False):
    """The density at ``x`` (``exp(logpdf(...))``)."""
    return fnp.exp(logpdf(x, mean, cov, allow_singular))
