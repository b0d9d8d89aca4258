"""``fnx.scipy.stats``: distributions as modules of functions, as ``jax.scipy.stats`` has them
(``norm.logpdf(x, loc, scale)``, ``multivariate_normal.logpdf(x, mean, cov)``)."""
from . import multivariate_normal, norm  # noqa: F401

__all__ = ["multivariate_normal", "norm"]
