"""Numba kernels for the array primitives: gather/scatter, sort, batched linalg, convolution and pooling.

Generated code calls these as ``ka.name(...)``. Every kernel takes C-contiguous arrays of a fixed rank and
plain ints, so each compiles once per dtype (``cache=True``) whatever the shapes and params of the primitive:
the CPU rules (``rules_arrays.py``) bring operands to that normal form with transposes and reshapes.

* gather/scatter see the operand as rows ``(prod(x.shape[:k]), rest)`` and the indices as ``(batch, k)``.
* sort sees every operand as ``(rows, n)`` with the sorted axis last and reorders a permutation per row.
* linalg sees a stack of matrices ``(batch, n, n)``.
* conv sees an already dilated and padded ``(N, C, D, H, W)`` input and ``(O, C/G, KD, KH, KW)`` kernel.
* reduce_window sees an already dilated and padded operand, flattened, with its shape as an int64 array.
"""
from __future__ import annotations

import numba
import numpy as np

_OPTIONS = dict(cache=True, error_model="numpy", nogil=True)

SCATTER_MODES = {"set": 0, "add": 1, "mul": 2, "min": 3, "max": 4}
WINDOW_REDUCERS = {"max": 0, "min": 1, "sum": 2}


@numba.njit(**_OPTIONS)
def _minimum(a, b):
    """``np.minimum`` on scalars: NaN if either is NaN (ties keep ``a``)."""
    return b if (b != b or b < a) else a


@numba.njit(**_OPTIONS)
def _maximum(a, b):
    """``np.maximum`` on scalars: NaN if either is NaN (ties keep ``a``)."""
    return b if (b != b or b > a) else a


# -- gather and scatter --------------------------------------------------------------------------------------

@numba.njit(**_OPTIONS)
def _row(indices, b, dims, clamp):
    """The row of ``(prod(dims), rest)`` that index row ``b`` picks: clamped into range, or -1 when outside."""
    row = 0
    for j in range(dims.size):
        i = indices[b, j]
        if clamp:
            i = min(max(i, 0), dims[j] - 1)
        elif i < 0 or i >= dims[j]:
            return -1
        row = row * dims[j] + i
    return row


@numba.njit(**_OPTIONS)
def gather(x, indices, dims):
    """``out[b] = x[row(indices[b])]`` for rows ``x`` (N, R), int64 ``indices`` (B, k), ``dims`` (k,) with
    ``prod(dims) == N``; indices are clamped (an operand with no rows gives zeros)."""
    out = np.zeros((indices.shape[0], x.shape[1]), x.dtype)
    if x.shape[0] == 0:
        return out
    for b in range(indices.shape[0]):
        row = _row(indices, b, dims, True)
        for c in range(x.shape[1]):
            out[b, c] = x[row, c]
    return out


@numba.njit(**_OPTIONS)
def scatter(x, indices, updates, dims, mode):
    """A copy of rows ``x`` (N, R) with ``updates[b]`` (B, R) combined into row ``row(indices[b])``.

    ``mode`` is a ``SCATTER_MODES`` value. Updates apply in order, so for ``set`` the last of duplicates wins;
    index rows outside ``dims`` are dropped.
    """
    out = x.copy()
    for b in range(indices.shape[0]):
        row = _row(indices, b, dims, False)
        if row < 0:
            continue
        if mode == 0:
            for c in range(x.shape[1]):
                out[row, c] = updates[b, c]
        elif mode == 1:
            for c in range(x.shape[1]):
                out[row, c] += updates[b, c]
        elif mode == 2:
            for c in range(x.shape[1]):
                out[row, c] *= updates[b, c]
        elif mode == 3:
            for c in range(x.shape[1]):
                out[row, c] = _minimum(out[row, c], updates[b, c])
        else:
            for c in range(x.shape[1]):
                out[row, c] = _maximum(out[row, c], updates[b, c])
    return out


# -- sort ----------------------------------------------------------------------------------------------------

@numba.njit(**_OPTIONS)
def _less(a, b):
    """``a`` sorts before ``b``: the usual order with NaNs after everything."""
    return a < b or (a == a and b != b)


_RUN = 16  # runs this short are insertion-sorted before merging


@numba.njit(**_OPTIONS)
def _stable_argsort(v):
    """The stable permutation sorting the 1-d ``v`` (NaNs last): insertion-sorted runs, then bottom-up merges."""
    n = v.size
    order = np.arange(n)
    spare = np.empty(n, np.int64)
    for start in range(0, n, _RUN):
        end = min(start + _RUN, n)
        for i in range(start + 1, end):
            current = order[i]
            j = i - 1
            while j >= start and _less(v[current], v[order[j]]):
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = current
    width = _RUN
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            i, j = lo, mid
            for k in range(lo, hi):  # take from the right run only when strictly smaller: stable
                if j < hi and (i >= mid or _less(v[order[j]], v[order[i]])):
                    spare[k] = order[j]
                    j += 1
                else:
                    spare[k] = order[i]
                    i += 1
        order, spare = spare, order
        width *= 2
    return order


@numba.njit(**_OPTIONS)
def identity_permutation(rows, n):
    """``(rows, n)`` int64, every row ``0..n-1``."""
    out = np.empty((rows, n), np.int64)
    for r in range(rows):
        for j in range(n):
            out[r, j] = j
    return out


@numba.njit(**_OPTIONS)
def sort_permutation(keys, permutation):
    """Reorder each row of ``permutation`` (rows, n) stably by ``keys[r, permutation[r, j]]``.

    Applying this for the last key first and the primary key last gives a lexicographic sort (as np.lexsort).
    """
    out = np.empty_like(permutation)
    values = np.empty(keys.shape[1], keys.dtype)
    for r in range(keys.shape[0]):
        for j in range(keys.shape[1]):
            values[j] = keys[r, permutation[r, j]]
        order = _stable_argsort(values)
        for j in range(keys.shape[1]):
            out[r, j] = permutation[r, order[j]]
    return out


@numba.njit(**_OPTIONS)
def take_rows(x, permutation):
    """``out[r, j] = x[r, permutation[r, j]]`` for ``x`` and ``permutation`` of shape (rows, n)."""
    out = np.empty_like(x)
    for r in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[r, j] = x[r, permutation[r, j]]
    return out


# -- batched linear algebra ----------------------------------------------------------------------------------
#
# Numba's LAPACK wrappers refuse matrices holding NaN or infinity (NumPy's propagate them): such a matrix
# gives all-NaN results here. Singular matrices raise LinAlgError in inv and solve, as NumPy does.

@numba.njit(**_OPTIONS)
def inv(a):
    """Inverses of the (B, n, n) matrices ``a``."""
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        if a.shape[1] == 0:
            continue
        if np.all(np.isfinite(a[i])):
            out[i] = np.linalg.inv(a[i])
        else:
            out[i] = np.nan
    return out


@numba.njit(**_OPTIONS)
def solve(a, b):
    """``x`` with ``a[i] @ x[i] == b[i]`` for (B, n, n) ``a`` and (B, n, k) ``b``."""
    out = np.empty_like(b)
    for i in range(a.shape[0]):
        if a.shape[1] == 0 or b.shape[2] == 0:
            continue
        if np.all(np.isfinite(a[i])) and np.all(np.isfinite(b[i])):
            out[i] = np.linalg.solve(a[i], b[i])
        else:
            out[i] = np.nan
    return out


@numba.njit(**_OPTIONS)
def det(a):
    """Determinants (B,) of the (B, n, n) matrices ``a`` (1 for 0x0 matrices)."""
    out = np.ones(a.shape[0], a.dtype)
    for i in range(a.shape[0]):
        if a.shape[1] == 0:
            continue
        out[i] = np.linalg.det(a[i]) if np.all(np.isfinite(a[i])) else np.nan
    return out


@numba.njit(**_OPTIONS)
def cholesky(a):
    """Lower Cholesky factors of the (B, n, n) matrices ``a``, read from their lower triangles (as NumPy);
    all NaN for a matrix that is not positive definite."""
    out = np.zeros_like(a)
    for i in range(a.shape[0]):
        if a.shape[1] == 0:
            continue
        lower = np.tril(a[i])
        symmetric = lower + np.tril(a[i], -1).T
        try:
            out[i] = np.linalg.cholesky(symmetric)
        except Exception:  # LinAlgError: not positive definite (or not finite)
            out[i] = np.nan
    return out


# -- convolution ---------------------------------------------------------------------------------------------

_COLUMNS_LIMIT = 1 << 22  # elements of the im2col buffer: batches are processed in chunks that fit


@numba.njit(**_OPTIONS)
def _positions(size, taps, dilation, stride):
    span = (taps - 1) * dilation + 1 if taps > 0 else 0
    return (size - span) // stride + 1 if size >= span else 0


@numba.njit(**_OPTIONS)
def conv(x, w, sd, sh, sw, rd, rh, rw, groups):
    """Grouped cross-correlation of ``x`` (N, C, D, H, W) with ``w`` (O, C/groups, KD, KH, KW).

    ``x`` is already dilated and padded; ``s*`` are window strides and ``r*`` kernel dilations. Each group
    is one BLAS product ``w_g (O/G, K) @ columns (K, batch * positions)``, ``K = C/G * KD * KH * KW``, over
    chunks of the batch whose im2col columns fit ``_COLUMNS_LIMIT``.
    """
    n, c, d, h, wd = x.shape
    o, cg, kd, kh, kw = w.shape
    od, oh, ow = _positions(d, kd, rd, sd), _positions(h, kh, rh, sh), _positions(wd, kw, rw, sw)
    out = np.zeros((n, o, od, oh, ow), x.dtype)
    p, k, og = od * oh * ow, cg * kd * kh * kw, o // groups
    if n == 0 or o == 0 or p == 0 or k == 0:
        return out
    out3 = out.reshape((n, o, p))
    w3 = w.reshape((groups, og, k))
    chunk = max(1, min(n, _COLUMNS_LIMIT // (k * p)))
    buffer = np.empty(k * chunk * p, x.dtype)
    for g in range(groups):
        for n0 in range(0, n, chunk):
            nb = min(chunk, n - n0)
            columns = buffer[:k * nb * p].reshape((k, nb * p))
            _im2col(x, columns, n0, nb, g * cg, cg, kd, kh, kw, od, oh, ow, sd, sh, sw, rd, rh, rw)
            product = np.dot(w3[g], columns)
            for b in range(nb):
                for f in range(og):
                    for q in range(p):
                        out3[n0 + b, g * og + f, q] = product[f, b * p + q]
    return out


@numba.njit(**_OPTIONS)
def _im2col(x, columns, n0, nb, c0, cg, kd, kh, kw, od, oh, ow, sd, sh, sw, rd, rh, rw):
    """Fill ``columns`` (cg*kd*kh*kw, nb*od*oh*ow): row = one kernel tap, column = one output position."""
    p = od * oh * ow
    row = 0
    for ci in range(cg):
        for i in range(kd):
            for j in range(kh):
                for m in range(kw):
                    for b in range(nb):
                        image = x[n0 + b, c0 + ci]
                        col = b * p
                        for zd in range(od):
                            for zh in range(oh):
                                y, z = zd * sd + i * rd, zh * sh + j * rh
                                for zw in range(ow):
                                    columns[row, col] = image[y, z, zw * sw + m * rw]
                                    col += 1
                    row += 1


# -- reduce_window -------------------------------------------------------------------------------------------

@numba.njit(**_OPTIONS)
def _row_major_strides(shape):
    strides = np.ones(shape.size, np.int64)
    for i in range(shape.size - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    return strides


@numba.njit(**_OPTIONS)
def _tap_offsets(window, dilation, strides):
    """Flat offsets of every tap of a window from its first element, row-major over the window."""
    count = 1
    for k in window:
        count *= k
    offsets = np.zeros(count, np.int64)
    tap = np.zeros(window.size, np.int64)
    for t in range(count):
        for i in range(window.size):
            offsets[t] += tap[i] * dilation[i] * strides[i]
        for i in range(window.size - 1, -1, -1):  # next tap: odometer over the window
            tap[i] += 1
            if tap[i] < window[i]:
                break
            tap[i] = 0
    return offsets


@numba.njit(**_OPTIONS)
def reduce_window(x, shape, out_shape, window, window_strides, window_dilation, init, op):
    """Reduce every window of the (already dilated and padded) operand ``x``, flattened from ``shape``.

    ``op`` is a ``WINDOW_REDUCERS`` value; the result (flat, ``prod(out_shape)`` elements) is
    ``init ⊕ (⊕ over the window's taps)``, with max/min propagating NaN as NumPy does.
    """
    strides = _row_major_strides(shape)
    offsets = _tap_offsets(window, window_dilation, strides)
    step = window_strides * strides
    size = 1
    for m in out_shape:
        size *= m
    out = np.empty(size, x.dtype)
    position = np.zeros(out_shape.size, np.int64)
    base = 0
    for e in range(size):
        if op == 2:
            total = x[base + offsets[0]]
            for t in range(1, offsets.size):
                total += x[base + offsets[t]]
            out[e] = total + init
        else:
            acc = init
            for t in range(offsets.size):
                v = x[base + offsets[t]]
                acc = _maximum(acc, v) if op == 0 else _minimum(acc, v)
            out[e] = acc
        for i in range(out_shape.size - 1, -1, -1):  # next window: odometer over the output
            position[i] += 1
            base += step[i]
            if position[i] < out_shape[i]:
                break
            base -= step[i] * position[i]
            position[i] = 0
    return out
