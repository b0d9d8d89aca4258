"""``fnx.scipy``: the SciPy functions JAX programs reach for (``jax.scipy``'s names and signatures), written
with fnx operations, so they run eagerly and under ``jit``, ``grad`` and ``vmap``.

- ``fnx.scipy.special``: logsumexp, softmax, log_softmax, erf, erfc, erfinv, gammaln, digamma, betaln,
  expit, logit, xlogy, xlog1py, entr, ndtr, ndtri, log_ndtr;
- ``fnx.scipy.stats``: ``norm`` and ``multivariate_normal`` (logpdf, pdf, ...);
- ``fnx.scipy.linalg``: cholesky(lower=), cho_factor, cho_solve, solve_triangular, solve, inv, det.

>>> import fnx, fnx.scipy as fsp
>>> float(fsp.special.logsumexp(fnx.numpy.array([0.0, 0.0])))   # log 2
0.6931471805599453
"""
from . import linalg, special, stats  # noqa: F401

__all__ = ["linalg", "special", "stats"]
