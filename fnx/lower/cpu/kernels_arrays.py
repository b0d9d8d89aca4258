"""Numba kernels for the array primitives: gather/scatter, sort, batched linalg, convolution and pooling.

Generated code calls these as ``ka.name(...)``. Every kernel takes C-contiguous arrays of a fixed rank, plain
ints and int64 arrays of shapes, so each compiles once per dtype (``cache=True``) whatever the shapes and
params of the primitive. The CPU rules (``rules_arrays.py``) bring operands to that normal form with reshapes
and the flat layout kernels below.

* gather/scatter see the operand as rows ``(prod(x.shape[:k]), rest)`` and the indices as ``(batch, k)``.
* sort sees every operand as ``(outer, n, inner)``, sorting along the middle axis (a free reshape).
* linalg sees a stack of matrices ``(batch, n, n)``.
* conv sees an already dilated and padded ``(N, C, spatial...)`` input and ``(O, C/G, spatial...)`` kernel
  with their spatial axes flattened, the spatial shapes as int64 arrays.
* reduce_window sees an already dilated and padded operand, flattened, with its shape as an int64 array.
* transpose and dilate_pad work on flattened arrays of any rank (shape and params as int64 arrays): they
  compile once per dtype, where NumPy's N-d transposes and strided slice assignments compile slowly in Numba
  for every rank and layout.
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
    if x.shape[0] == 0:
        return np.zeros((indices.shape[0], x.shape[1]), x.dtype)
    out = np.empty((indices.shape[0], x.shape[1]), x.dtype)
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
def identity_permutation(outer, n, inner):
    """``(outer, n, inner)`` int64 holding its index along axis 1."""
    out = np.empty((outer, n, inner), np.int64)
    for a in range(outer):
        for j in range(n):
            out[a, j, :] = j
    return out


@numba.njit(**_OPTIONS)
def sort_permutation(keys, permutation):
    """Reorder ``permutation`` (A, n, B) stably along axis 1 by ``keys[a, permutation[a, j, b], b]``.

    Applying this for the last key first and the primary key last gives a lexicographic sort (as np.lexsort).
    """
    outer, n, inner = keys.shape
    out = np.empty(keys.shape, np.int64)
    values = np.empty(n, keys.dtype)
    for a in range(outer):
        for b in range(inner):
            for j in range(n):
                values[j] = keys[a, permutation[a, j, b], b]
            order = _stable_argsort(values)
            for j in range(n):
                out[a, j, b] = permutation[a, order[j], b]
    return out


@numba.njit(**_OPTIONS)
def take_along_middle(x, permutation):
    """``out[a, j, b] = x[a, permutation[a, j, b], b]`` for ``x`` and ``permutation`` of shape (A, n, B)."""
    out = np.empty_like(x)
    for a in range(x.shape[0]):
        for j in range(x.shape[1]):
            for b in range(x.shape[2]):
                out[a, j, b] = x[a, permutation[a, j, b], b]
    return out


# -- batched linear algebra ----------------------------------------------------------------------------------
#
# Plain loops rather than Numba's LAPACK wrappers: those take many seconds to compile per dtype (and again in
# every generated function that links them) and refuse NaN or infinite input, which NumPy propagates. The
# algorithms are LAPACK's unblocked ones (LU with partial pivoting, the first largest pivot as idamax picks
# it; Cholesky from the lower triangle), so results agree with NumPy to rounding; they are slower than LAPACK
# for matrices much larger than 100 x 100.

@numba.njit(**_OPTIONS)
def _lu(m, pivots):
    """Factor the (n, n) ``m`` in place into unit-lower L and upper U with rows swapped as ``pivots`` says;
    return (singular, sign of the permutation)."""
    n = m.shape[0]
    singular, sign = False, 1
    for j in range(n):
        p, best = j, abs(m[j, j])
        for i in range(j + 1, n):
            if abs(m[i, j]) > best:
                p, best = i, abs(m[i, j])
        pivots[j] = p
        if p != j:
            sign = -sign
            for c in range(n):
                m[j, c], m[p, c] = m[p, c], m[j, c]
        pivot = m[j, j]
        if pivot == 0:
            singular = True
            continue
        for i in range(j + 1, n):
            factor = m[i, j] / pivot
            m[i, j] = factor
            for c in range(j + 1, n):
                m[i, c] -= factor * m[j, c]
    return singular, sign


@numba.njit(**_OPTIONS)
def _lu_solve(lu, pivots, b):
    """Overwrite ``b`` (n, k) with the solution of ``A x = b``, ``lu`` and ``pivots`` from ``_lu(A)``."""
    n, k = b.shape
    for j in range(n):
        p = pivots[j]
        if p != j:
            for c in range(k):
                b[j, c], b[p, c] = b[p, c], b[j, c]
    for i in range(n):
        for r in range(i):
            for c in range(k):
                b[i, c] -= lu[i, r] * b[r, c]
    for i in range(n - 1, -1, -1):
        for r in range(i + 1, n):
            for c in range(k):
                b[i, c] -= lu[i, r] * b[r, c]
        for c in range(k):
            b[i, c] /= lu[i, i]


@numba.njit(**_OPTIONS)
def solve(a, b):
    """``x`` with ``a[i] @ x[i] == b[i]`` for (B, n, n) ``a`` and (B, n, k) ``b``; LinAlgError if singular."""
    out = b.copy()
    pivots = np.empty(a.shape[1], np.int64)
    for i in range(a.shape[0]):
        lu = a[i].copy()
        if _lu(lu, pivots)[0]:
            raise np.linalg.LinAlgError("Singular matrix")
        _lu_solve(lu, pivots, out[i])
    return out


@numba.njit(**_OPTIONS)
def inv(a):
    """Inverses of the (B, n, n) matrices ``a``; LinAlgError if one is singular."""
    identity = np.zeros(a.shape, a.dtype)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            identity[i, j, j] = 1
    return solve(a, identity)


@numba.njit(**_OPTIONS)
def det(a):
    """Determinants (B,) of the (B, n, n) matrices ``a`` (1 for 0x0 matrices)."""
    out = np.empty(a.shape[0], a.dtype)
    pivots = np.empty(a.shape[1], np.int64)
    for i in range(a.shape[0]):
        lu = a[i].copy()
        product = lu.dtype.type(_lu(lu, pivots)[1])
        for j in range(a.shape[1]):
            product *= lu[j, j]
        out[i] = product
    return out


@numba.njit(**_OPTIONS)
def cholesky(a):
    """Lower Cholesky factors of the (B, n, n) matrices ``a``, read from their lower triangles (as NumPy);
    all NaN for a matrix that is not positive definite (a pivot that is not > 0, as LAPACK's potrf)."""
    out = np.zeros_like(a)
    n = a.shape[1]
    for i in range(a.shape[0]):
        low = out[i]
        for j in range(n):
            pivot = a[i, j, j]
            for k in range(j):
                pivot -= low[j, k] * low[j, k]
            if not pivot > 0:
                low[:, :] = np.nan
                break
            low[j, j] = np.sqrt(pivot)
            for r in range(j + 1, n):
                value = a[i, r, j]
                for k in range(j):
                    value -= low[r, k] * low[j, k]
                low[r, j] = value / low[j, j]
    return out


# -- layout: transposes, dilation and padding of flattened arrays of any rank ---------------------------------

@numba.njit(**_OPTIONS)
def _row_major_strides(shape):
    strides = np.ones(shape.size, np.int64)
    for i in range(shape.size - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    return strides


@numba.njit(**_OPTIONS)
def transpose(x, shape, permutation):
    """The flat C-order elements of ``np.transpose(x.reshape(shape), permutation)``."""
    strides = _row_major_strides(shape)
    step = np.empty(shape.size, np.int64)
    count = np.empty(shape.size, np.int64)
    for i in range(shape.size):
        step[i], count[i] = strides[permutation[i]], shape[permutation[i]]
    out = np.empty(x.size, x.dtype)
    position = np.zeros(shape.size, np.int64)
    source = 0
    for e in range(x.size):
        out[e] = x[source]
        for i in range(shape.size - 1, -1, -1):  # next output element: odometer over the output
            position[i] += 1
            source += step[i]
            if position[i] < count[i]:
                break
            source -= step[i] * position[i]
            position[i] = 0
    return out


@numba.njit(**_OPTIONS)
def dilate_pad(x, shape, low, high, interior, fill):
    """The flat C-order elements of ``x.reshape(shape)`` with ``interior[i]`` holes between neighbours along
    axis i, then ``low[i]``/``high[i]`` elements added (or removed, when negative) at its ends, as lax.pad;
    new elements hold ``fill``."""
    rank = shape.size
    out_shape = np.empty(rank, np.int64)
    for i in range(rank):
        inner = shape[i] + max(shape[i] - 1, 0) * interior[i]
        out_shape[i] = inner + low[i] + high[i]
    out_strides = _row_major_strides(out_shape)
    size = 1
    for n in out_shape:
        size *= n
    out = np.full(size, fill, x.dtype)
    position = np.zeros(rank, np.int64)
    for e in range(x.size):
        target, inside = 0, True
        for i in range(rank):
            p = low[i] + position[i] * (interior[i] + 1)
            inside = inside and 0 <= p < out_shape[i]
            target += p * out_strides[i]
        if inside:
            out[target] = x[e]
        for i in range(rank - 1, -1, -1):
            position[i] += 1
            if position[i] < shape[i]:
                break
            position[i] = 0
    return out


# -- convolution ---------------------------------------------------------------------------------------------

_COLUMNS_LIMIT = 1 << 22  # elements of the im2col buffer: batches are processed in chunks that fit


@numba.njit(**_OPTIONS)
def _offsets(counts, steps, strides):
    """Flat offsets of the points ``sum(i * steps * strides)`` over the grid ``counts``, row-major.

    The taps of a window (steps = dilation) or the window positions (steps = window strides) of an array
    with row-major ``strides``.
    """
    total = 1
    for k in counts:
        total *= k
    offsets = np.zeros(total, np.int64)
    point = np.zeros(counts.size, np.int64)
    for t in range(total):
        for i in range(counts.size):
            offsets[t] += point[i] * steps[i] * strides[i]
        for i in range(counts.size - 1, -1, -1):  # next point: odometer over the grid
            point[i] += 1
            if point[i] < counts[i]:
                break
            point[i] = 0
    return offsets


@numba.njit(**_OPTIONS)
def conv(x, w, spatial, kernel, window_strides, dilation, groups):
    """Grouped cross-correlation of ``x`` (N, C, S) with ``w`` (O, C/groups, T), spatial axes flattened.

    ``x`` is already dilated and padded to the spatial shape ``spatial``; ``w`` has the spatial shape
    ``kernel`` with taps ``dilation`` apart. Returns (N, O, P), P the window positions (row-major). Each group
    is one BLAS product ``w_g (O/G, K) @ columns (K, batch * P)``, ``K = C/G * T``, over chunks of the batch
    whose im2col columns fit ``_COLUMNS_LIMIT``.
    """
    n = x.shape[0]
    o, cg, taps = w.shape
    strides = _row_major_strides(spatial)
    positions = np.empty(spatial.size, np.int64)
    for i in range(spatial.size):
        span = (kernel[i] - 1) * dilation[i] + 1
        positions[i] = (spatial[i] - span) // window_strides[i] + 1 if spatial[i] >= span else 0
    tap_offsets = _offsets(kernel, dilation, strides)
    position_offsets = _offsets(positions, window_strides, strides)
    p, k, og = position_offsets.size, cg * taps, o // groups
    out = np.zeros((n, o, p), x.dtype)
    if n == 0 or o == 0 or p == 0 or k == 0:
        return out
    chunk = max(1, min(n, _COLUMNS_LIMIT // (k * p)))
    buffer = np.empty(k * chunk * p, x.dtype)
    for g in range(groups):
        weights = w[g * og:(g + 1) * og].reshape((og, k))
        for n0 in range(0, n, chunk):
            nb = min(chunk, n - n0)
            columns = buffer[:k * nb * p].reshape((k, nb * p))
            for ci in range(cg):  # im2col: row = (feature, tap), column = (image, position)
                for t in range(taps):
                    row = ci * taps + t
                    for b in range(nb):
                        image = x[n0 + b, g * cg + ci]
                        for q in range(p):
                            columns[row, b * p + q] = image[tap_offsets[t] + position_offsets[q]]
            product = np.dot(weights, columns)
            for b in range(nb):  # element loops: a slice assignment costs Numba seconds to compile
                for f in range(og):
                    for q in range(p):
                        out[n0 + b, g * og + f, q] = product[f, b * p + q]
    return out


# -- reduce_window -------------------------------------------------------------------------------------------

@numba.njit(**_OPTIONS)
def reduce_window(x, shape, out_shape, window, window_strides, window_dilation, init, op):
    """Reduce every window of the (already dilated and padded) operand ``x``, flattened from ``shape``.

    ``op`` is a ``WINDOW_REDUCERS`` value; the result (flat, ``prod(out_shape)`` elements) is
    ``init ⊕ (⊕ over the window's taps)``, with max/min propagating NaN as NumPy does.
    """
    strides = _row_major_strides(shape)
    offsets = _offsets(window, window_dilation, strides)
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
