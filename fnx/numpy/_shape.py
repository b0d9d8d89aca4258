"""Shape manipulation: reshape, transpose, joining, splitting, flipping, tiling, padding."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.errors import FnxTypeError, FnxValueError
from ..core.tracing import Tracer
from ._util import as_array, broadcast_shapes, broadcast_to_shape, cast, normalize_axes, normalize_axis


def reshape(x, shape, order: str = "C", *, copy: bool | None = None):
    """``x`` with a new shape of the same size; one entry may be -1. ``copy`` is the standard's, and means
    nothing here: fnx arrays are immutable, so a view and a copy cannot be told apart.

    >>> import fnx.numpy as fnp
    >>> fnp.reshape(fnp.arange(6), (2, -1)).shape
    (2, 3)
    """
    x = as_array(x, "reshape")
    if order not in ("C", "F"):
        raise FnxTypeError(f"reshape: order must be 'C' or 'F', got {order!r}")
    shape = _int_tuple(shape)
    if shape.count(-1) > 1 or min(shape, default=0) < -1:
        raise FnxTypeError(f"reshape: the new shape {shape} may hold one -1 and no other negative size "
                           f"(array of shape {x.shape})")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        if known == 0 or x.size % known:
            raise FnxTypeError(f"reshape: cannot reshape an array of shape {x.shape} into {shape}")
        shape = tuple(x.size // known if s == -1 else s for s in shape)
    if order == "F":
        return transpose(lax.reshape(transpose(x), shape[::-1]))
    return x if shape == x.shape else lax.reshape(x, shape)


def _int_tuple(v) -> tuple:
    """An int (Python or NumPy) or a sequence of them as a tuple of Python ints."""
    return (int(v),) if isinstance(v, (int, np.integer)) else tuple(int(n) for n in v)


def ravel(x, order: str = "C"):
    """``x`` flattened to one dimension.

    >>> import fnx.numpy as fnp
    >>> fnp.ravel(fnp.array([[1, 2], [3, 4]]))
    Array([1, 2, 3, 4], dtype=int64)
    """
    return reshape(x, (-1,), order)


def transpose(x, axes: Sequence[int] | None = None):
    """``x`` with its axes permuted (reversed when ``axes`` is None).

    >>> import fnx.numpy as fnp
    >>> fnp.transpose(fnp.ones((2, 3, 4))).shape
    (4, 3, 2)
    >>> fnp.transpose(fnp.ones((2, 3, 4)), (1, 0, 2)).shape
    (3, 2, 4)
    """
    x = as_array(x, "transpose")
    perm = tuple(range(x.ndim))[::-1] if axes is None else tuple(normalize_axis("transpose", a, x.ndim) for a in axes)
    return x if perm == tuple(range(x.ndim)) else lax.transpose(x, perm)


def permute_dims(x, axes: Sequence[int]):
    """Array API name of ``transpose``."""
    return transpose(x, axes)


def matrix_transpose(x):
    """Swap the last two axes."""
    x = as_array(x, "matrix_transpose")
    if x.ndim < 2:
        raise FnxTypeError(f"matrix_transpose: needs at least 2 dimensions, got shape {x.shape}")
    return swapaxes(x, -1, -2)


def swapaxes(x, axis1: int, axis2: int):
    """``x`` with two axes exchanged.

    >>> import fnx.numpy as fnp
    >>> fnp.swapaxes(fnp.ones((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    x = as_array(x, "swapaxes")
    perm = list(range(x.ndim))
    a, b = normalize_axis("swapaxes", axis1, x.ndim), normalize_axis("swapaxes", axis2, x.ndim)
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def moveaxis(x, source, destination):
    """``x`` with axes moved from ``source`` to ``destination`` (ints or sequences).

    >>> import fnx.numpy as fnp
    >>> fnp.moveaxis(fnp.ones((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    x = as_array(x, "moveaxis")
    src = [normalize_axis("moveaxis", a, x.ndim) for a in np.atleast_1d(source)]
    dst = [normalize_axis("moveaxis", a, x.ndim) for a in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise FnxTypeError("moveaxis: source and destination must have the same number of axes")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def expand_dims(x, axis):
    """``x`` with new size-1 axes inserted at ``axis`` (an int or a sequence).

    >>> import fnx.numpy as fnp
    >>> fnp.expand_dims(fnp.ones((2, 3)), axis=(0, 2)).shape
    (1, 2, 1, 3)
    """
    x = as_array(x, "expand_dims")
    axes = normalize_axes("expand_dims", axis, x.ndim + len(np.atleast_1d(axis)))
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return lax.reshape(x, shape)


def squeeze(x, axis=None):
    """``x`` without its size-1 axes (or only those in ``axis``).

    >>> import fnx.numpy as fnp
    >>> fnp.squeeze(fnp.ones((1, 3, 1))).shape
    (3,)
    """
    x = as_array(x, "squeeze")
    axes = tuple(i for i, n in enumerate(x.shape) if n == 1) if axis is None else normalize_axes("squeeze", axis, x.ndim)
    if any(x.shape[a] != 1 for a in axes):
        raise FnxValueError(f"squeeze: cannot squeeze axes {axes} of shape {x.shape}: their size is not 1")
    return reshape(x, [n for i, n in enumerate(x.shape) if i not in axes])


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` with NumPy's rules.

    >>> import fnx.numpy as fnp
    >>> fnp.broadcast_to(fnp.array([1.0, 2.0]), (2, 2))
    Array([[1., 2.],
           [1., 2.]], dtype=float64)
    """
    x = as_array(x, "broadcast_to")
    shape = _int_tuple(shape)
    if broadcast_shapes("broadcast_to", x.shape, shape) != shape:
        raise FnxTypeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return broadcast_to_shape(x, shape)


def broadcast_arrays(*xs) -> list:
    """The arrays broadcast to their common shape."""
    xs = [as_array(x, "broadcast_arrays") for x in xs]
    shape = broadcast_shapes("broadcast_arrays", *[x.shape for x in xs])
    return [broadcast_to_shape(x, shape) for x in xs]


def _common(op: str, xs) -> list:
    xs = [as_array(x, op) for x in xs]
    if not xs:
        raise FnxTypeError(f"{op}: needs at least one array")
    dtype = dtypes.result_type(*[x.dtype for x in xs])
    return [cast(x, dtype) for x in xs]


def concatenate(arrays: Sequence, axis: int | None = 0, dtype=None):
    """Join arrays along an existing axis (``axis=None`` flattens them first).

    >>> import fnx.numpy as fnp
    >>> fnp.concatenate([fnp.zeros(2), fnp.ones(1)])
    Array([0., 0., 1.], dtype=float64)
    """
    xs = _common("concatenate", arrays)
    if axis is None:
        xs, axis = [ravel(x) for x in xs], 0
    if xs[0].ndim == 0:
        raise FnxTypeError("concatenate: zero-dimensional arrays cannot be concatenated")
    out = lax.concatenate(xs, normalize_axis("concatenate", axis, xs[0].ndim)) if len(xs) > 1 else xs[0]
    return out if dtype is None else cast(out, dtypes.canonicalize(dtype, "concatenate"))


concat = concatenate


def stack(arrays: Sequence, axis: int = 0):
    """Join arrays of one shape along a new axis.

    >>> import fnx.numpy as fnp
    >>> fnp.stack([fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])], axis=1)
    Array([[1., 3.],
           [2., 4.]], dtype=float64)
    """
    xs = _common("stack", arrays)
    if len({x.shape for x in xs}) != 1:
        raise FnxTypeError(f"stack: all arrays must have one shape, got {[x.shape for x in xs]}")
    axis = normalize_axis("stack", axis, xs[0].ndim + 1)
    return concatenate([expand_dims(x, axis) for x in xs], axis)


def atleast_1d(*xs):
    """Arrays with at least one dimension."""
    out = [reshape(x, (1,)) if as_array(x).ndim == 0 else as_array(x) for x in xs]
    return out[0] if len(out) == 1 else out


def atleast_2d(*xs):
    """Arrays with at least two dimensions (1-d ``n`` becomes ``1 x n``).

    >>> import fnx.numpy as fnp
    >>> fnp.atleast_2d(fnp.array([1.0, 2.0])).shape
    (1, 2)
    """
    out = [as_array(x) for x in xs]
    out = [x.reshape((1,) * (2 - x.ndim) + x.shape) if x.ndim < 2 else x for x in out]
    return out[0] if len(out) == 1 else out


def atleast_3d(*xs):
    """Arrays with at least three dimensions (as NumPy: ``n`` -> ``1 x n x 1``, ``m x n`` -> ``m x n x 1``)."""
    out = []
    for x in map(as_array, xs):
        shape = {0: (1, 1, 1), 1: (1,) + x.shape + (1,), 2: x.shape + (1,)}.get(x.ndim, x.shape)
        out.append(reshape(x, shape))
    return out[0] if len(out) == 1 else out


def hstack(arrays: Sequence):
    """Join along the second axis (the first for 1-d arrays).

    >>> import fnx.numpy as fnp
    >>> fnp.hstack([fnp.array([1.0, 2.0]), fnp.array([3.0])])
    Array([1., 2., 3.], dtype=float64)
    """
    xs = atleast_1d(*arrays) if len(arrays) > 1 else [atleast_1d(*arrays)]
    return concatenate(xs, 0 if xs[0].ndim == 1 else 1)


def vstack(arrays: Sequence):
    """Join along the first axis, treating 1-d arrays as rows.

    >>> import fnx.numpy as fnp
    >>> fnp.vstack([fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])])
    Array([[1., 2.],
           [3., 4.]], dtype=float64)
    """
    xs = atleast_2d(*arrays) if len(arrays) > 1 else [atleast_2d(*arrays)]
    return concatenate(xs, 0)


row_stack = vstack


def dstack(arrays: Sequence):
    """Join along the third axis."""
    xs = atleast_3d(*arrays) if len(arrays) > 1 else [atleast_3d(*arrays)]
    return concatenate(xs, 2)


def column_stack(arrays: Sequence):
    """Join 1-d arrays as columns of a matrix (2-d arrays as they are).

    >>> import fnx.numpy as fnp
    >>> fnp.column_stack([fnp.array([1, 2]), fnp.array([3, 4])])
    Array([[1, 3],
           [2, 4]], dtype=int64)
    """
    xs = [as_array(x) for x in arrays]
    return concatenate([x.reshape((-1, 1)) if x.ndim < 2 else x for x in xs], 1)


def _split_points(op: str, n: int, indices_or_sections, exact: bool) -> list:
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or (exact and n % sections):
            raise FnxTypeError(f"{op}: an axis of size {n} cannot be split into {sections} equal sections")
        size, extra = divmod(n, sections)
        sizes = [size + 1] * extra + [size] * (sections - extra)
        return list(np.cumsum([0] + sizes))
    return [0] + [min(max(int(i) if i >= 0 else n + int(i), 0), n) for i in indices_or_sections] + [n]


def _split(op: str, x, indices_or_sections, axis: int, exact: bool) -> list:
    x = as_array(x, op)
    axis = normalize_axis(op, axis, x.ndim)
    points = _split_points(op, x.shape[axis], indices_or_sections, exact)
    out = []
    for lo, hi in zip(points[:-1], points[1:]):
        start, limit = [0] * x.ndim, list(x.shape)
        start[axis], limit[axis] = int(lo), int(max(lo, hi))
        out.append(lax.slice(x, start, limit))
    return out


def split(x, indices_or_sections, axis: int = 0) -> list:
    """Split into equal sections, or at the given indices.

    >>> import fnx.numpy as fnp
    >>> fnp.split(fnp.arange(6), 3)
    [Array([0, 1], dtype=int64), Array([2, 3], dtype=int64), Array([4, 5], dtype=int64)]
    >>> fnp.split(fnp.arange(6), [1, 4])
    [Array([0], dtype=int64), Array([1, 2, 3], dtype=int64), Array([4, 5], dtype=int64)]
    """
    return _split("split", x, indices_or_sections, axis, exact=True)


def unstack(x, /, *, axis: int = 0) -> tuple:
    """The slices of ``x`` along ``axis``, that axis removed: the inverse of ``stack``.

    >>> import fnx.numpy as fnp
    >>> fnp.unstack(fnp.array([[1, 2], [3, 4]]), axis=1)
    (Array([1, 3], dtype=int64), Array([2, 4], dtype=int64))
    """
    x = as_array(x, "unstack")
    if x.ndim == 0:
        raise FnxTypeError("unstack: needs an array of at least 1 dimension, got a 0-d array")
    axis = normalize_axis("unstack", axis, x.ndim)
    rest = x.shape[:axis] + x.shape[axis + 1:]
    parts = _split("unstack", x, range(1, x.shape[axis]), axis, exact=True) if x.shape[axis] else []
    return tuple(lax.reshape(part, rest) for part in parts)


def array_split(x, indices_or_sections, axis: int = 0) -> list:
    """Split into nearly equal sections (the first ones one longer), or at the given indices."""
    return _split("array_split", x, indices_or_sections, axis, exact=False)


def hsplit(x, indices_or_sections) -> list:
    """``split`` along the second axis (the first for 1-d); ``x`` needs at least 1 dimension."""
    x = as_array(x, "hsplit")
    if x.ndim < 1:
        raise FnxTypeError(f"hsplit: needs an array of at least 1 dimension, got shape {x.shape}")
    return _split("hsplit", x, indices_or_sections, 1 if x.ndim > 1 else 0, exact=True)


def vsplit(x, indices_or_sections) -> list:
    """``split`` along the first axis; ``x`` needs at least 2 dimensions."""
    x = as_array(x, "vsplit")
    if x.ndim < 2:
        raise FnxTypeError(f"vsplit: needs an array of at least 2 dimensions, got shape {x.shape}")
    return _split("vsplit", x, indices_or_sections, 0, exact=True)


def flip(x, axis=None):
    """``x`` reversed along ``axis`` (all axes when None).

    >>> import fnx.numpy as fnp
    >>> fnp.flip(fnp.array([[1, 2], [3, 4]]), axis=1)
    Array([[2, 1],
           [4, 3]], dtype=int64)
    """
    x = as_array(x, "flip")
    return lax.rev(x, normalize_axes("flip", axis, x.ndim))


def fliplr(x):
    """Reverse the second axis."""
    return flip(x, 1)


def flipud(x):
    """Reverse the first axis."""
    return flip(x, 0)


def roll(x, shift, axis=None):
    """Elements shifted cyclically by ``shift`` along ``axis`` (of the flattened array when None).

    >>> import fnx.numpy as fnp
    >>> fnp.roll(fnp.arange(5), 2)
    Array([3, 4, 0, 1, 2], dtype=int64)
    """
    x = as_array(x, "roll")
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), x.shape)
    shifts, axes = np.broadcast_arrays(np.atleast_1d(shift), np.atleast_1d(axis))
    for s, a in zip(shifts, axes):
        a = normalize_axis("roll", int(a), x.ndim)
        n = x.shape[a]
        if n == 0:
            continue
        s = int(s) % n
        if s:
            first, second = _split("roll", x, [n - s], a, exact=False)
            x = lax.concatenate([second, first], a)
    return x


def tile(x, reps):
    """``x`` repeated ``reps`` times along each axis (``reps``: an int or one count per axis, all >= 0).

    >>> import fnx.numpy as fnp
    >>> fnp.tile(fnp.arange(2), (2, 2)).shape
    (2, 4)
    """
    x = as_array(x, "tile")
    reps = _int_tuple(reps)
    if min(reps, default=0) < 0:
        raise FnxTypeError(f"tile: repetition counts must be non-negative, got {reps}")
    nd = max(len(reps), x.ndim)
    reps = (1,) * (nd - len(reps)) + reps
    x = reshape(x, (1,) * (nd - x.ndim) + x.shape)
    expanded = lax.broadcast_in_dim(x, tuple(v for r, n in zip(reps, x.shape) for v in (r, n)),
                                    tuple(range(1, 2 * nd, 2)))
    return reshape(expanded, tuple(r * n for r, n in zip(reps, x.shape)))


def repeat(x, repeats, axis: int | None = None):
    """Each element repeated along ``axis`` (the flattened ``x`` when None).

    ``repeats`` is one count for all elements or a concrete count per element, all >= 0.

    >>> import fnx.numpy as fnp
    >>> fnp.repeat(fnp.arange(3), [2, 0, 1])
    Array([0, 0, 2], dtype=int64)
    """
    x = as_array(x, "repeat")
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis("repeat", axis, x.ndim)
    if isinstance(repeats, Tracer):
        raise FnxTypeError("repeat: repeat counts must be concrete (the output size depends on them)")
    counts, n = np.asarray(repeats, dtype=np.int64), x.shape[axis]
    if counts.ndim > 1 or counts.size not in (1, n) or (counts < 0).any():
        raise FnxTypeError(f"repeat: needs one count, or one per element ({n} along axis {axis}), "
                           f"all non-negative; got {repeats}")
    if counts.size == 1:
        k = int(counts.reshape(()))
        shape = x.shape[:axis + 1] + (k,) + x.shape[axis + 1:]
        expanded = lax.broadcast_in_dim(x, shape, tuple(i for i in range(len(shape)) if i != axis + 1))
        return reshape(expanded, x.shape[:axis] + (n * k,) + x.shape[axis + 1:])
    from ._indexing import take
    return take(x, np.repeat(np.arange(n), counts), axis=axis)


def pad(x, pad_width, mode: str = "constant", constant_values=0):
    """``x`` padded on each side of each axis; modes "constant", "edge", "reflect", "symmetric", "wrap".

    ``pad_width`` and ``constant_values`` take NumPy's forms, broadcast to one ``(before, after)`` pair per
    axis: ``n``, ``(before, after)``, ``((before, after),)``, ``((n0,), (n1,))`` or one pair per axis.

    >>> import fnx.numpy as fnp
    >>> fnp.pad(fnp.ones(2), (1, 2), constant_values=(7, 9))
    Array([7., 1., 1., 9., 9.], dtype=float64)
    """
    x = as_array(x, "pad")
    widths = [(int(lo), int(hi)) for lo, hi in _pairs("pad_width", pad_width, x.ndim)]
    if any(w < 0 for pair in widths for w in pair):
        raise FnxTypeError(f"pad: widths must be non-negative, got {pad_width}")
    if mode == "constant":
        return _pad_constant(x, widths, constant_values)
    from ._indexing import take
    for axis, (lo, hi) in enumerate(widths):
        x = take(x, _pad_indices(mode, x.shape[axis], lo, hi), axis=axis)
    return x


def _pairs(what: str, v, ndim: int) -> np.ndarray:
    """Concrete ``v`` broadcast to one ``(before, after)`` pair per axis, shape ``(ndim, 2)`` (NumPy's rule)."""
    try:
        return np.broadcast_to(np.asarray(v), (ndim, 2))
    except ValueError:
        raise FnxTypeError(f"pad: {what} {v} does not give one (before, after) pair per axis "
                           f"of a {ndim}-d array") from None


def _pad_constant(x, widths: list, constant_values):
    """``x`` padded with one value (possibly traced), or with one per axis and side, axis after axis as NumPy."""
    if np.ndim(constant_values) == 0:
        return lax.pad(x, cast(as_array(constant_values, "pad"), x.dtype), [(lo, hi, 0) for lo, hi in widths])
    values = _pairs("constant_values", constant_values, x.ndim)
    for axis, (lo, hi) in enumerate(widths):
        for side, width in enumerate((lo, hi)):
            config = [(0, 0, 0)] * x.ndim
            config[axis] = (width, 0, 0) if side == 0 else (0, width, 0)
            x = lax.pad(x, cast(as_array(values[axis, side], "pad"), x.dtype), config)
    return x


def _pad_indices(mode: str, n: int, lo: int, hi: int) -> np.ndarray:
    i = np.arange(-lo, n + hi)
    if mode == "edge":
        return np.clip(i, 0, n - 1)
    if mode == "wrap":
        return i % n
    if mode in ("reflect", "symmetric"):
        period = 2 * n - 2 if mode == "reflect" else 2 * n
        if period <= 0:
            return np.zeros_like(i)
        j = i % period
        return np.where(j < n, j, period - j - (0 if mode == "reflect" else 1))
    raise FnxTypeError(f"pad: mode {mode!r} is not supported (constant, edge, reflect, symmetric, wrap)")


def diagonal(x, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The ``offset`` diagonal of the matrices on ``axis1``/``axis2``, as the last axis of the result.

    >>> import fnx.numpy as fnp
    >>> fnp.diagonal(fnp.arange(6).reshape(2, 3), 1)
    Array([1, 5], dtype=int64)
    """
    x = as_array(x, "diagonal")
    a1, a2 = normalize_axis("diagonal", axis1, x.ndim), normalize_axis("diagonal", axis2, x.ndim)
    if a1 == a2:
        raise FnxTypeError(f"diagonal: axis1 and axis2 must differ, got {axis1} and {axis2} for shape {x.shape}")
    x = moveaxis(x, (a1, a2), (-2, -1))
    n, m = x.shape[-2:]
    rows = np.arange(max(0, -offset), min(n, m - offset))  # empty when the diagonal misses the matrix
    return x[..., rows, rows + offset]
