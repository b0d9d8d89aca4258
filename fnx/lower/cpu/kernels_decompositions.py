"""Numba kernels of the decomposition primitives eigh, svd, qr and slogdet, on stacks of matrices (B, m, n)
of any float or complex dtype (eigenvalues, singular values and log-determinants in the real dtype of the
same precision).

Generated code calls these as ``kd.name(...)``. Each kernel loops over the stack and calls Numba's
``np.linalg`` implementation of one matrix, which calls LAPACK through SciPy's ``cython_lapack`` (the wiring
of ``_scipy_blas.py``): the routines NumPy calls too (``syevd``, ``gesdd``, ``geqrf`` + ``orgqr``,
``getrf``), so results agree with NumPy's to rounding, signs of singular vectors included. Unlike the
unblocked inv/solve/det/cholesky of ``kernels_arrays.py``, these are blocked LAPACK: a Jacobi or Householder
loop in Numba would be slower and far longer to get right.

What Numba's implementations refuse is handled here, as the primitives' NumPy impls do: a matrix holding a
NaN or an infinity gives NaN results (Numba raises), and empty matrices give empty results (or the identity
for the square factors of ``full_matrices``; sign 1 and log 0 for a 0x0 determinant). Numba's ``qr`` has only
the reduced form: the complete ``q`` of an (m, n) matrix with m > n is the ``q`` of the matrix padded with
zero columns to (m, m), whose extra Householder reflectors are the identity.
"""
from __future__ import annotations

import numba
import numpy as np

from . import disk_cache  # noqa: F401  (first: it keeps this module's Numba caches in fnx's cache folder)
from .array_ir import assign, full
from .options import NUMBA_OPTIONS

_INLINE = dict(NUMBA_OPTIONS, inline="always")


@numba.njit(**_INLINE)
def _finite(m):
    """True if the matrix ``m`` holds no NaN or infinity."""
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if not np.isfinite(m[i, j]):
                return False
    return True


@numba.njit(**_INLINE)
def _identities(shape, dtype):
    """A new stack of ``shape`` (B, r, c) with ones on every matrix's diagonal and zeros elsewhere."""
    x = full(shape, 0, dtype)
    for b in range(shape[0]):
        for i in range(min(shape[1], shape[2])):
            x[b, i, i] = 1
    return x


@numba.njit(**NUMBA_OPTIONS)
def eigh(a):
    """Eigenvalues (B, n) ascending and eigenvectors (B, n, n) of the (B, n, n) symmetric (Hermitian) matrices
    ``a``, read from their lower triangles."""
    batch, n = a.shape[0], a.shape[1]
    w = full((batch, n), np.nan, a.real.dtype)
    v = full((batch, n, n), np.nan, a.dtype)
    for b in range(batch if n > 0 else 0):
        if _finite(a[b]):
            values, vectors = np.linalg.eigh(a[b])
            assign(w[b], values)
            assign(v[b], vectors)
    return w, v


@numba.njit(**NUMBA_OPTIONS)
def svd(a, full_matrices):
    """``(s, u, vt)`` of the (B, m, n) matrices ``a``: s (B, k) descending, u (B, m, k|m), vt (B, k|n, n)."""
    batch, m, n = a.shape
    k = min(m, n)
    u = full((batch, m, m if full_matrices else k), np.nan, a.dtype)
    vt = full((batch, n if full_matrices else k, n), np.nan, a.dtype)
    s = full((batch, k), np.nan, a.real.dtype)
    if k == 0:
        return s, _identities(u.shape, a.dtype), _identities(vt.shape, a.dtype)
    for b in range(batch):
        if _finite(a[b]):
            left, values, right = np.linalg.svd(a[b], full_matrices)
            assign(s[b], values)
            assign(u[b], left)
            assign(vt[b], right)
    return s, u, vt


@numba.njit(**NUMBA_OPTIONS)
def qr(a, full_matrices):
    """``(q, r)`` of the (B, m, n) matrices ``a``: q (B, m, k|m), r (B, k|m, n), k = min(m, n)."""
    batch, m, n = a.shape
    k = m if full_matrices else min(m, n)
    q = full((batch, m, k), np.nan, a.dtype)
    r = full((batch, k, n), np.nan, a.dtype)
    if min(m, n) == 0:
        return _identities(q.shape, a.dtype), full(r.shape, 0, a.dtype)
    padded = full((m, max(n, k)), 0, a.dtype)
    for b in range(batch):
        if _finite(a[b]):
            assign(padded[:, :n], a[b])
            factor, triangle = np.linalg.qr(padded)
            assign(q[b], factor)
            assign(r[b], triangle[:, :n])
    return q, r


@numba.njit(**NUMBA_OPTIONS)
def slogdet(a):
    """Signs (B,) and logs of the absolute determinants (B,) of the (B, n, n) matrices ``a``."""
    batch = a.shape[0]
    sign = full(batch, 1 if a.shape[1] == 0 else np.nan, a.dtype)
    logdet = full(batch, 0 if a.shape[1] == 0 else np.nan, a.real.dtype)
    for b in range(batch if a.shape[1] > 0 else 0):
        if _finite(a[b]):
            sign[b], logdet[b] = np.linalg.slogdet(a[b])
    return sign, logdet
