"""Numba kernels for the array primitives: gather/scatter, sort, batched linalg, convolution and pooling.

Generated code calls these as ``ka.name(...)``. Every kernel takes C-contiguous arrays of a fixed rank, plain
ints and int64 arrays of shapes, so each compiles once per dtype (``cache=True``) whatever the shapes and
params of the primitive. The CPU rules (``rules_*.py``, with ``operands.py``) bring operands to that normal
form with reshapes and the flat layout kernels below.

* gather/scatter see the operand as rows ``(prod(x.shape[:k]), rest)`` and the indices as ``(batch, k)``.
* sort sees every operand as ``(outer, n, inner)``, sorting along the middle axis (a free reshape).
* linalg sees a stack of matrices ``(batch, n, n)``.
* conv sees an already dilated and padded ``(N, C, spatial...)`` input and ``(O, C/G, spatial...)`` kernel
  with their spatial axes flattened, the spatial shapes as int64 arrays.
* reduce_window and the max/min pooling derivatives (select_and_scatter_add, select_and_gather_add) see an
  already dilated and padded operand, flattened, with its shape as an int64 array.
* transpose, dilate_pad and undilate_pad work on flattened arrays of any rank (shape and params as int64
  arrays): they compile once per dtype, where NumPy's N-d transposes and strided slice assignments compile
  slowly in Numba for every rank and layout.

Generated code calls these kernels by symbol (``kernel_calls``): a kernel compiles once per install and dtype,
not again in every program. A kernel's size still shows in an install's first programs, and kernels calling
one another link it in (Numba links callees as LLVM IR): kernels stay small, and specialised variants are
added only where they pay for themselves.
"""
from __future__ import annotations

import numba
import numpy as np

from .array_ir import assign, copy, empty, full, reshape
from .blas import gemm
from .options import NUMBA_OPTIONS

# The private helpers are inlined into the kernels calling them (in Numba's IR): compiled as functions of their
# own, each cost ~0.2 s more in a cold process (its own typing, LLVM module and cache entry), and LLVM
# inlined most of them anyway. Except the window bookkeeping (``_offsets``, ``_window_rows``), which runs once
# per call and which conv, reduce_window and the pooling derivatives inlined seven times: as cached functions
# of their own, those kernels compile ~0.4 s faster together.
_INLINE = dict(NUMBA_OPTIONS, inline="always")


@numba.njit(**_INLINE)
def _extreme(a, b, op):
    """``np.maximum`` (op 0) or ``np.minimum`` (op 1) on scalars: NaN if either is NaN, ties keep ``a``. One
    loop serves both (the kernel compiles faster). The conditions are joined with ``&`` and ``|``, not
    ``and``/``or``: without branches the loop vectorizes, and LeNet's max pooling took 0.9 ms instead of 3.8 ms
    (with branches that random data mispredicts)."""
    return b if (b != b) | ((op == 0) & (b > a)) | ((op != 0) & (b < a)) else a


# -- gather and scatter --------------------------------------------------------------------------------------

@numba.njit(**_INLINE)
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


@numba.njit(**NUMBA_OPTIONS)
def gather(x, indices, dims):
    """``out[b] = x[row(indices[b])]`` for rows ``x`` (N, R), int64 ``indices`` (B, k), ``dims`` (k,) with
    ``prod(dims) == N``; indices are clamped (an operand with no rows gives zeros)."""
    if x.shape[0] == 0:
        return full((indices.shape[0], x.shape[1]), 0, x.dtype)
    out = empty((indices.shape[0], x.shape[1]), x.dtype)
    for b in range(indices.shape[0]):
        row = _row(indices, b, dims, True)
        for c in range(x.shape[1]):
            out[b, c] = x[row, c]
    return out


@numba.njit(**NUMBA_OPTIONS)
def scatter(x, indices, updates, dims, mode):
    """A copy of rows ``x`` (N, R) with ``updates[b]`` (B, R) combined into row ``row(indices[b])``.

    ``mode`` is a ``SCATTER_MODES`` value. Updates apply in order, so for ``set`` the last of duplicates wins;
    index rows outside ``dims`` are dropped.
    """
    out = copy(x)
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
        else:  # min (3) or max (4)
            for c in range(x.shape[1]):
                out[row, c] = _extreme(out[row, c], updates[b, c], 4 - mode)
    return out


# -- sort ----------------------------------------------------------------------------------------------------

@numba.njit(**_INLINE)
def _less(a, b):
    """``a`` sorts before ``b``: the usual order with NaNs after everything."""
    return a < b or (a == a and b != b)


_RUN = 16  # runs this short are insertion-sorted before merging


@numba.njit(**_INLINE)
def _stable_argsort(v):
    """The stable permutation sorting the 1-d ``v`` (NaNs last): insertion-sorted runs, then bottom-up merges."""
    n = v.size
    order = np.arange(n)
    spare = empty(n, np.int64)
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


@numba.njit(**NUMBA_OPTIONS)
def identity_permutation(outer, n, inner):
    """``(outer, n, inner)`` int64 holding its index along axis 1."""
    out = empty((outer, n, inner), np.int64)
    for a in range(outer):
        for j in range(n):
            out[a, j, :] = j
    return out


@numba.njit(**NUMBA_OPTIONS)
def sort_permutation(keys, permutation):
    """Reorder ``permutation`` (A, n, B) stably along axis 1 by ``keys[a, permutation[a, j, b], b]``.

    Applying this for the last key first and the primary key last gives a lexicographic sort (as np.lexsort).
    """
    outer, n, inner = keys.shape
    out = empty(keys.shape, np.int64)
    values = empty(n, keys.dtype)
    for a in range(outer):
        for b in range(inner):
            for j in range(n):
                values[j] = keys[a, permutation[a, j, b], b]
            order = _stable_argsort(values)
            for j in range(n):
                out[a, j, b] = permutation[a, order[j], b]
    return out


@numba.njit(**NUMBA_OPTIONS)
def take_along_middle(x, permutation):
    """``out[a, j, b] = x[a, permutation[a, j, b], b]`` for ``x`` and ``permutation`` of shape (A, n, B)."""
    out = empty(x.shape, x.dtype)
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

@numba.njit(**_INLINE)
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


@numba.njit(**_INLINE)
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


@numba.njit(**NUMBA_OPTIONS)
def solve(a, b):
    """``x`` with ``a[i] @ x[i] == b[i]`` for (B, n, n) ``a`` and (B, n, k) ``b``; LinAlgError if singular."""
    out = copy(b)
    pivots = empty(a.shape[1], np.int64)
    for i in range(a.shape[0]):
        lu = copy(a[i])
        if _lu(lu, pivots)[0]:
            raise np.linalg.LinAlgError("Singular matrix")
        _lu_solve(lu, pivots, out[i])
    return out


@numba.njit(**NUMBA_OPTIONS)
def inv(a):
    """Inverses of the (B, n, n) matrices ``a``; LinAlgError if one is singular."""
    identity = full(a.shape, 0, a.dtype)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            identity[i, j, j] = 1
    return solve(a, identity)


@numba.njit(**NUMBA_OPTIONS)
def det(a):
    """Determinants (B,) of the (B, n, n) matrices ``a`` (1 for 0x0 matrices)."""
    out = empty(a.shape[0], a.dtype)
    pivots = empty(a.shape[1], np.int64)
    for i in range(a.shape[0]):
        lu = copy(a[i])
        product = lu.dtype.type(_lu(lu, pivots)[1])
        for j in range(a.shape[1]):
            product *= lu[j, j]
        out[i] = product
    return out


@numba.njit(**NUMBA_OPTIONS)
def cholesky(a):
    """Lower Cholesky factors ``L`` (``a = L Lᴴ``) of the (B, n, n) real or complex matrices ``a``, read from
    their lower triangles (as NumPy; a diagonal's imaginary part is ignored, as LAPACK's potrf does); all NaN
    for a matrix that is not positive definite (a pivot that is not > 0, as potrf)."""
    out = full(a.shape, 0, a.dtype)
    n = a.shape[1]
    for i in range(a.shape[0]):
        low = out[i]
        for j in range(n):
            pivot = a[i, j, j].real
            for k in range(j):
                pivot -= (low[j, k] * np.conj(low[j, k])).real
            if not pivot > 0:
                low[:, :] = np.nan
                break
            low[j, j] = np.sqrt(pivot)
            for r in range(j + 1, n):
                value = a[i, r, j]
                for k in range(j):
                    value -= low[r, k] * np.conj(low[j, k])
                low[r, j] = value / low[j, j]
    return out


# -- layout: transposes, dilation and padding of flattened arrays of any rank ---------------------------------

@numba.njit(**_INLINE)
def _row_major_strides(shape):
    strides = full(shape.size, 1, np.int64)
    for i in range(shape.size - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    return strides


@numba.njit(**NUMBA_OPTIONS)
def _offsets(counts, steps, strides):
    """Flat offsets ``sum(i * steps * strides)`` of the points of the grid ``counts``, row-major.

    The taps of a window (steps = dilation) or the window positions (steps = window strides) of an array
    with row-major ``strides``. Built one axis at a time: every offset so far expands, in place from the
    back, into ``counts[i]`` consecutive ones.
    """
    total = 1
    for k in counts:
        total *= k
    offsets = full(total, 0, np.int64)
    if total == 0:
        return offsets
    size = 1
    for i in range(counts.size):
        step = steps[i] * strides[i]
        for a in range(size - 1, -1, -1):
            base = offsets[a]
            for j in range(counts[i]):
                offsets[a * counts[i] + j] = base + j * step
        size *= counts[i]
    return offsets


@numba.njit(**_INLINE)
def _copy_run(source, start, step, target, at, count):
    """``target[at:at + count] = source[start::step][:count]``; a unit step gets its own loop, which
    vectorizes."""
    if step == 1:
        for j in range(count):
            target[at + j] = source[start + j]
    else:
        for j in range(count):
            target[at + j] = source[start + j * step]


@numba.njit(**NUMBA_OPTIONS)
def place_block(out, x, offset):
    """Copy ``x`` (A, n, B) into ``out[:, offset:offset + n, :]`` of ``out`` (A, N, B): one operand of a
    concatenation along the middle axis."""
    for a in range(x.shape[0]):
        for i in range(x.shape[1]):
            for b in range(x.shape[2]):
                out[a, offset + i, b] = x[a, i, b]


@numba.njit(**NUMBA_OPTIONS)
def transpose(x, shape, permutation):
    """The flat C-order elements of ``np.transpose(x.reshape(shape), permutation)``.

    Rows of the result's last axis are copied in an inner loop with one source step (contiguous when the
    last axis stays last); an odometer over the other axes moves between rows. The CPU rules merge axes
    that stay adjacent first (``operands.transposed``), so most transposes have rank 2 or 3.
    """
    rank = shape.size
    out = empty(x.size, x.dtype)
    if x.size == 0 or rank == 0:
        assign(out, x)
        return out
    strides = _row_major_strides(shape)
    step = empty(rank, np.int64)
    count = empty(rank, np.int64)
    for i in range(rank):
        step[i], count[i] = strides[permutation[i]], shape[permutation[i]]
    run, run_step = count[rank - 1], step[rank - 1]
    position = full(rank, 0, np.int64)
    source = 0
    for start in range(0, x.size, run):
        _copy_run(x, source, run_step, out, start, run)
        for i in range(rank - 2, -1, -1):  # next row: odometer over the other axes
            position[i] += 1
            source += step[i]
            if position[i] < count[i]:
                break
            source -= step[i] * position[i]
            position[i] = 0
    return out


@numba.njit(**_INLINE)
def _padded_targets(shape, low, high, interior):
    """Where each element of an array of ``shape`` lands when dilated and padded as ``lax.pad`` does: its flat
    index in the result (-1 when negative padding cropped it), and the result's shape."""
    rank = shape.size
    out_shape = empty(rank, np.int64)
    for i in range(rank):
        out_shape[i] = shape[i] + max(shape[i] - 1, 0) * interior[i] + low[i] + high[i]
    out_strides = _row_major_strides(out_shape)
    size = 1
    for n in shape:
        size *= n
    targets = empty(size, np.int64)
    position = full(rank, 0, np.int64)
    for e in range(size):
        target, inside = 0, True
        for i in range(rank):
            p = low[i] + position[i] * (interior[i] + 1)
            inside = inside and 0 <= p < out_shape[i]
            target += p * out_strides[i]
        targets[e] = target if inside else -1
        for i in range(rank - 1, -1, -1):
            position[i] += 1
            if position[i] < shape[i]:
                break
            position[i] = 0
    return targets, out_shape


@numba.njit(**NUMBA_OPTIONS)
def dilate_pad(x, shape, low, high, interior, fill):
    """The flat C-order elements of ``x.reshape(shape)`` with ``interior[i]`` holes between neighbours along
    axis i, then ``low[i]``/``high[i]`` elements added (or removed, when negative) at its ends, as lax.pad;
    new elements hold ``fill``."""
    targets, out_shape = _padded_targets(shape, low, high, interior)
    size = 1
    for n in out_shape:
        size *= n
    out = full(size, fill, x.dtype)
    for e in range(x.size):
        if targets[e] >= 0:
            out[targets[e]] = x[e]
    return out


@numba.njit(**NUMBA_OPTIONS)
def undilate_pad(padded, shape, low, high, interior):
    """The inverse of ``dilate_pad``: the elements of an array of ``shape`` read back from ``padded`` (flat),
    zero where negative padding had cropped them. It is also the transpose of ``dilate_pad``."""
    targets, _ = _padded_targets(shape, low, high, interior)
    out = full(targets.size, 0, padded.dtype)
    for e in range(targets.size):
        if targets[e] >= 0:
            out[e] = padded[targets[e]]
    return out


# -- convolution ---------------------------------------------------------------------------------------------
#
# im2col + one BLAS product per image and feature group, written straight into the output. The patch matrix
# is built in whichever layout copies longer runs: rows (feature, tap) x columns (position) when the window
# positions' last axis is longer than the window's (a forward convolution), else rows (position) x columns
# (feature, tap) (a weight gradient, whose "window" is the cotangent). Each run is a row of the image along
# its last axis, read with a fixed step.

@numba.njit(**_INLINE)
def _patches_by_tap(image, tap_offsets, position_rows, run, step, patches):
    """``patches[(c, t), q] = image[c, tap_offsets[t] + offset of position q]`` (K, P)."""
    taps = tap_offsets.size
    for c in range(image.shape[0]):
        for t in range(taps):
            row = patches[c * taps + t]
            for r in range(position_rows.size):
                source = tap_offsets[t] + position_rows[r]
                for j in range(run):
                    row[r * run + j] = image[c, source + j * step]


@numba.njit(**_INLINE)
def _patches_by_position(image, position_offsets, tap_rows, run, step, patches):
    """``patches[q, (c, t)] = image[c, position_offsets[q] + offset of tap t]`` (P, K)."""
    taps = tap_rows.size * run
    for q in range(position_offsets.size):
        row = patches[q]
        for c in range(image.shape[0]):
            for r in range(tap_rows.size):
                source = position_offsets[q] + tap_rows[r]
                target = c * taps + r * run
                for j in range(run):
                    row[target + j] = image[c, source + j * step]


@numba.njit(**NUMBA_OPTIONS)
def conv(x, w, spatial, kernel, window_strides, dilation, groups):
    """Grouped cross-correlation of ``x`` (N, C, S) with ``w`` (O, C/groups, T), spatial axes flattened.

    ``x`` is already dilated and padded to the spatial shape ``spatial`` (at least one axis); ``w`` has the
    spatial shape ``kernel`` with taps ``dilation`` apart. Returns (N, O, P), P the window positions
    (row-major): for each image and group, ``w_g (O/G, K) @ patches (K, P)``, ``K = C/G * T``.
    """
    n = x.shape[0]
    o, cg, taps = w.shape
    strides = _row_major_strides(spatial)
    positions = empty(spatial.size, np.int64)
    for i in range(spatial.size):
        span = (kernel[i] - 1) * dilation[i] + 1
        positions[i] = (spatial[i] - span) // window_strides[i] + 1 if spatial[i] >= span else 0
    p, k, og = 1, cg * taps, o // groups
    for m in positions:
        p *= m
    if n == 0 or o == 0 or p == 0 or k == 0:
        return full((n, o, p), 0, x.dtype)
    out = empty((n, o, p), x.dtype)
    last = spatial.size - 1
    tap_run, tap_step = kernel[last], dilation[last]
    position_run, position_step = positions[last], window_strides[last]
    taps_shape = copy(kernel)  # writable, as positions: one signature of _offsets, compiled once
    tap_offsets = _offsets(taps_shape, dilation, strides)
    position_offsets = _offsets(positions, window_strides, strides)
    tap_rows = _offsets(taps_shape[:last], dilation[:last], strides[:last])
    position_rows = _offsets(positions[:last], window_strides[:last], strides[:last])
    by_position = tap_run > position_run
    patches = empty((p, k) if by_position else (k, p), x.dtype)
    for b in range(n):
        for g in range(groups):
            image = x[b, g * cg:(g + 1) * cg]
            if by_position:
                _patches_by_position(image, position_offsets, tap_rows, tap_run, tap_step, patches)
            else:
                _patches_by_tap(image, tap_offsets, position_rows, position_run, position_step, patches)
            gemm(reshape(w[g * og:(g + 1) * og], (og, k)), patches, False, by_position,
                 reshape(out[b, g * og:(g + 1) * og], (og, p)), 1.0, 0.0)
    return out


# -- reduce_window and the max/min pooling derivatives -------------------------------------------------------
#
# Each sees the operand already dilated and padded (flat, with its shape). The windows are taken a row at a
# time (a row: the windows along the last axis, ``step`` elements apart); for each tap an inner loop runs
# along the row, so the loops are regular and the bookkeeping is per row, not per window.

@numba.njit(**NUMBA_OPTIONS)
def _window_rows(shape, out_shape, window, window_strides, window_dilation):
    """The flat offsets of the first window of every row (row-major over ``out_shape[:-1]``), of the taps of a
    window, and the step between neighbouring windows of a row."""
    strides = _row_major_strides(shape)
    last = shape.size - 1
    rows = _offsets(copy(out_shape[:last]), window_strides[:last], strides[:last])  # writable, as conv's
    return rows, _offsets(copy(window), window_dilation, strides), window_strides[last]


@numba.njit(**NUMBA_OPTIONS)
def reduce_window(x, shape, out_shape, window, window_strides, window_dilation, init, op):
    """Reduce every window of the (already dilated and padded) operand ``x``, flattened from ``shape``.

    ``op`` is a ``WINDOW_REDUCERS`` value; the result (flat, ``prod(out_shape)`` elements) is
    ``init ⊕ (⊕ over the window's taps)``, with max/min propagating NaN as NumPy does.
    """
    rows, taps, step = _window_rows(shape, out_shape, window, window_strides, window_dilation)
    run = out_shape[out_shape.size - 1]
    out = empty(rows.size * run, x.dtype)
    for r in range(rows.size):
        acc = out[r * run:(r + 1) * run]
        for j in range(run):
            acc[j] = x[rows[r] + taps[0] + j * step] if op == 2 else init
        for t in range(1 if op == 2 else 0, taps.size):
            base = rows[r] + taps[t]
            if op != 2:
                for j in range(run):
                    acc[j] = _extreme(acc[j], x[base + j * step], op)
            else:
                for j in range(run):
                    acc[j] += x[base + j * step]
        if op == 2:
            for j in range(run):
                acc[j] += init
    return out


@numba.njit(**_INLINE)
def _may_hold_nan(x, init):
    count = 0
    for i in range(x.size):  # a count, with no early exit, vectorizes
        count += x[i] != x[i]
    return count > 0 or init != init


@numba.njit(**_INLINE)
def _choose_row(x, row, step, taps, init, sign, nan, chosen):
    """For each window ``j`` of the row at ``row`` (windows ``step`` apart) of a max (``sign`` 1) / min (``sign``
    -1) ``reduce_window``: ``chosen[j]`` = the flat index of the tap receiving its derivative, the first holding
    the extreme, or -1 when ``init`` (competing after every tap) is beyond them. When ``nan`` says that ``x`` or
    ``init`` may hold NaNs, they count as beyond everything, as in np.argmax and np.argmin: the first NaN tap is
    chosen, else a NaN ``init``.

    One loop serves max and min (the min is the max of ``-x``: negation is exact): the four variants, each
    inlined, took the two selection kernels 2.2 s to compile, 0.8 s now. The NaN-aware loop is a loop of its
    own: the NaN test in the comparison of the NaN-free loop made it 5x slower.
    """
    bound = sign * init
    if nan:
        for j in range(chosen.size):
            start = row + j * step
            c, best = 0, sign * x[start + taps[0]]
            for t in range(1, taps.size):
                value = sign * x[start + taps[t]]
                if value > best or (value != value and best == best):
                    c, best = t, value
            beyond = bound > best or (bound != bound and best == best)
            chosen[j] = -1 if beyond else start + taps[c]
    else:
        for j in range(chosen.size):
            start = row + j * step
            c, best = 0, sign * x[start + taps[0]]
            for t in range(1, taps.size):
                value = sign * x[start + taps[t]]
                if value > best:
                    c, best = t, value
            chosen[j] = -1 if bound > best else start + taps[c]


@numba.njit(**_INLINE)
def _choose_rows(x, shape, out_shape, window, window_strides, window_dilation, init, op):
    """What the selection kernels loop over: the rows of windows, the taps, the step along a row, the sign
    making the reduction a max and whether NaNs may occur (``_choose_row``), and a buffer for the chosen taps
    of one row."""
    rows, taps, step = _window_rows(shape, out_shape, window, window_strides, window_dilation)
    sign = x.dtype.type(1 if op == 0 else -1)
    return rows, taps, step, sign, _may_hold_nan(x, init), empty(out_shape[out_shape.size - 1], np.int64)


@numba.njit(**NUMBA_OPTIONS)
def select_and_scatter_add(x, source, shape, out_shape, window, window_strides, window_dilation, init, op):
    """The derivative of a max (op 0) / min (op 1) ``reduce_window`` of ``x`` with respect to ``x`` (already
    dilated and padded with ``init``, flat, of ``shape``): ``source`` (one value per window, ``out_shape``)
    added at each window's chosen tap (see ``_choose_row``); nothing where ``init`` was chosen."""
    rows, taps, step, sign, nan, chosen = _choose_rows(x, shape, out_shape, window, window_strides, window_dilation,
                                                       init, op)
    out = full(x.size, 0, source.dtype)
    for r in range(rows.size):
        _choose_row(x, rows[r], step, taps, init, sign, nan, chosen)
        for j in range(chosen.size):
            if chosen[j] >= 0:
                out[chosen[j]] += source[r * chosen.size + j]
    return out


@numba.njit(**NUMBA_OPTIONS)
def select_and_gather_add(x, tangent, tangent_init, shape, out_shape, window, window_strides, window_dilation,
                          init, op):
    """For every window of ``x`` (as in ``select_and_scatter_add``), ``tangent`` (laid out as ``x``) at its
    chosen tap, or ``tangent_init`` where ``init`` was chosen: the jvp of a max/min ``reduce_window``."""
    rows, taps, step, sign, nan, chosen = _choose_rows(x, shape, out_shape, window, window_strides, window_dilation,
                                                       init, op)
    out = empty(rows.size * chosen.size, tangent.dtype)
    for r in range(rows.size):
        _choose_row(x, rows[r], step, taps, init, sign, nan, chosen)
        for j in range(chosen.size):
            out[r * chosen.size + j] = tangent[chosen[j]] if chosen[j] >= 0 else tangent_init
    return out
