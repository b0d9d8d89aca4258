"""NumPy indexing on fnx arrays: ``x[idx]``, ``x.at[idx].set(v)``, ``take`` and ``take_along_axis``.

``getitem`` applies the basic part of an index (ints, slices, None, Ellipsis) with static slices and the
advanced part (integer arrays, traced scalars, concrete boolean masks) with one ``gather`` on the leading
axes, then places the advanced axes where NumPy puts them. ``.at[idx]`` updates reuse ``getitem``: indexing
``iota`` arrays with the same ``idx`` yields, for every element of ``x[idx]``, its coordinates in ``x``, and
one ``scatter`` writes there.
"""
from __future__ import annotations

import numpy as np

from .. import lax
from ..core.array import Array
from ..core.errors import FnxIndexError, FnxTypeError
from ..core.tracing import Tracer, is_tracing
from ._util import as_array, broadcast_shapes, broadcast_to_shape, cast, is_weak


def _is_static_int(i) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def _concrete(i):
    """The NumPy value of a concrete index array, or None for a traced one."""
    if isinstance(i, Tracer):
        return None
    return i._value if isinstance(i, Array) else np.asarray(i)


_BASIC_TYPES = (int, slice, type(None), type(Ellipsis))


def _is_basic(index) -> bool:
    """True for an index of ints, slices, None and Ellipsis only (NumPy's basic indexing)."""
    if type(index) is tuple:
        return all(type(i) in _BASIC_TYPES for i in index)
    return type(index) in _BASIC_TYPES


def _is_array_index(i) -> bool:
    return isinstance(i, (np.ndarray, Array, Tracer))


def _is_scalar_mask(index) -> bool:
    """Whether ``index`` is one concrete boolean scalar: ``True``, ``np.True_`` or a 0-d boolean array."""
    if isinstance(index, (bool, np.bool_)):
        return True
    return _is_array_index(index) and index.dtype == np.bool_ and index.ndim == 0 and _concrete(index) is not None


def _expand_index(x, index) -> tuple:
    """The index as a tuple of x.ndim entries (plus Nones): Ellipsis expanded, boolean masks made integer arrays."""
    out = []
    for i in (index if isinstance(index, tuple) else (index,)):
        i = np.asarray(i) if isinstance(i, list) else i
        if _is_array_index(i):
            if i.dtype.kind not in "iub":
                raise FnxTypeError(f"getitem: index arrays must be integers or booleans, got dtype {i.dtype}")
            if i.dtype == np.bool_ and _concrete(i) is None:
                raise FnxTypeError(f"getitem: a boolean mask {i.aval} under tracing gives a result whose shape "
                                   "depends on the data; use fnx.numpy.where(mask, x, 0) instead")
            if i.dtype == np.bool_ and i.ndim == 0:
                raise FnxTypeError("getitem: a 0-d boolean index is supported alone, not with other index "
                                   "entries; use fnx.numpy.where")
        elif isinstance(i, (bool, np.bool_)):
            raise FnxTypeError("getitem: a scalar boolean index is supported alone, not with other index entries; "
                               "use fnx.numpy.where")
        elif not (i is None or i is Ellipsis or isinstance(i, slice) or _is_static_int(i)):
            raise FnxTypeError(f"getitem: unsupported index {i!r} of type {type(i).__name__}")
        out.append(i)
    ellipses = [k for k, i in enumerate(out) if i is Ellipsis]
    used = sum(_axes_used(i) for i in out)
    if len(ellipses) > 1 or used > x.ndim:
        raise FnxIndexError(f"getitem: index {index!r} does not fit an array of shape {x.shape}")
    fill = [slice(None)] * (x.ndim - used)
    if ellipses:
        out[ellipses[0]:ellipses[0] + 1] = fill
    else:
        out += fill
    return tuple(_masks_to_indices(x, out))


def _axes_used(i) -> int:
    """How many axes of the indexed array an index entry consumes."""
    if i is None or i is Ellipsis:
        return 0
    return i.ndim if _is_array_index(i) and i.dtype == np.bool_ else 1


def _masks_to_indices(x, index: list) -> list:
    """Replace each (concrete) boolean mask by the integer arrays of its True positions, checking its shape."""
    out, axis = [], 0
    for i in index:
        if _is_array_index(i) and i.dtype == np.bool_:
            mask = _concrete(i)
            covered = x.shape[axis:axis + mask.ndim]
            if mask.shape != covered and not (mask.size == 0 and mask.ndim == len(covered)):  # empty: as NumPy
                raise IndexError(f"boolean index of shape {mask.shape} does not match the indexed array's axes "
                                 f"{covered} starting at axis {axis}")
            out.extend(np.nonzero(mask))
        else:
            out.append(i)
        axis += _axes_used(i)
    return out


def _insert_new_axes(x, index: tuple):
    """Turn every None of the index into a real size-1 axis of x, indexed by a full slice."""
    if not any(i is None for i in index):
        return x, index
    shape, it = [], iter(x.shape)
    for i in index:
        shape.append(1 if i is None else next(it))
    return lax.reshape(x, shape), tuple(slice(None) if i is None else i for i in index)


def _basic(x, index: tuple, advanced: set):
    """Apply slices (and static ints not in ``advanced``) with static slicing; return (y, axes kept)."""
    starts, limits, strides, flips, drop = [], [], [], [], []
    for axis, (i, n) in enumerate(zip(index, x.shape)):
        if axis in advanced or not (isinstance(i, slice) or _is_static_int(i)):
            starts.append(0), limits.append(n), strides.append(1)
            continue
        if _is_static_int(i):
            i = _in_bounds(i, n, axis)
            starts.append(i), limits.append(i + 1), strides.append(1)
            drop.append(axis)
            continue
        lo, hi, step = i.indices(n)
        if step < 0:  # read the reversed axis forwards
            flips.append(axis)
            lo, hi, step = n - 1 - lo, n - 1 - hi, -step
        starts.append(lo), limits.append(max(lo, hi)), strides.append(step)
    if flips:
        x = lax.rev(x, flips)
    if starts != [0] * x.ndim or limits != list(x.shape) or strides != [1] * x.ndim:
        x = lax.slice(x, starts, limits, strides)
    return x, drop


def _in_bounds(i, n: int, axis: int) -> int:
    """A static index into an axis of size ``n``, negatives wrapped; out of bounds raises IndexError."""
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
    return int(i) % n


def _take_int(x, i: int):
    """``x[i]`` for a Python int ``i``, as the general path writes it (a static slice of the first axis, then a
    reshape without it) but without its index analysis: under ``grad`` this is every ``x[0]``."""
    shape = x.shape
    i = _in_bounds(i, shape[0], 0)
    if shape[0] != 1:
        rest = len(shape) - 1
        x = lax.slice_p.bind(x, start_indices=(i,) + (0,) * rest, limit_indices=(i + 1,) + shape[1:],
                             strides=(1,) * (rest + 1))
    return lax.reshape_p.bind(x, new_sizes=shape[1:])


def _normalize_index_array(i, n: int, axis: int):
    """An integer index array with negatives wrapped; concrete out-of-bounds indices raise IndexError."""
    value = _concrete(i)
    if value is not None:
        value = np.asarray(value, dtype=np.int64) if not isinstance(i, Array) else value.astype(np.int64)
        bad = (value < -n) | (value >= n)
        if bad.any():
            raise IndexError(f"index {value[bad].flat[0]} is out of bounds for axis {axis} with size {n}")
        return np.where(value < 0, value + n, value)
    i = cast(i, np.dtype("int64"))
    return lax.select(i < 0, i + np.int64(n), i)


def getitem(x, index):
    """``x[index]`` with NumPy's semantics (basic and advanced indexing, concrete boolean masks).

    >>> import fnx.numpy as fnp
    >>> x = fnp.arange(12).reshape(3, 4)
    >>> x[1:, [0, 3]]
    Array([[ 4,  7],
           [ 8, 11]], dtype=int64)
    """
    if type(x) is Array and not is_tracing() and _is_basic(index):  # eager slicing: a view, as in NumPy
        try:
            value = x._value[index]
            return Array._wrap(value if type(value) is np.ndarray else np.asarray(value))
        except IndexError:
            pass  # the general path below raises the error fnx documents
    if type(index) is int and type(x) is Tracer and x.ndim:
        return _take_int(x, index)
    x = as_array(x, "getitem")
    if _is_scalar_mask(index):  # NumPy: a new axis of length 1, or 0 where the mask is False
        y = lax.reshape(x, (1,) + x.shape)
        return y if _concrete(index) else lax.slice(y, (0,) * y.ndim, (0,) + x.shape)
    index = _expand_index(x, index)
    x, index = _insert_new_axes(x, index)
    arrays = [k for k, i in enumerate(index) if not (isinstance(i, slice) or _is_static_int(i))]
    advanced = set(arrays) | ({k for k, i in enumerate(index) if _is_static_int(i)} if arrays else set())
    y, drop = _basic(x, index, advanced)
    if not advanced:
        return y if not drop else lax.reshape(y, [n for a, n in enumerate(y.shape) if a not in drop])
    adv = sorted(advanced)
    idx = [_normalize_index_array(index[a], x.shape[a], a) for a in adv]
    bshape = broadcast_shapes("getitem", *[np.shape(i) if not hasattr(i, "aval") else i.shape for i in idx])
    rest = [a for a in range(y.ndim) if a not in advanced]
    y = lax.transpose(y, adv + rest) if adv + rest != list(range(y.ndim)) else y
    out = lax.gather(y, _stack_indices(idx, bshape))
    if adv == list(range(adv[0], adv[-1] + 1)) and adv[0] > 0:  # adjacent: NumPy keeps them in place
        nb, before = len(bshape), adv[0]
        perm = list(range(nb, nb + before)) + list(range(nb)) + list(range(nb + before, out.ndim))
        out = lax.transpose(out, perm)
    return out


class _IndexUpdateRef:
    """``x.at[idx]``: functional updates of the elements ``x[idx]``."""

    def __init__(self, x, index):
        self.x, self.index = x, index

    def get(self):
        """``x[idx]``."""
        return getitem(self.x, self.index)

    def _scatter(self, values, mode: str):
        x = as_array(self.x, f"at[].{mode}")
        indices = _update_indices(x, self.index)
        k = indices.shape[-1]
        target = indices.shape[:-1] + x.shape[k:]
        values = cast(values if is_weak(values) else as_array(values), x.dtype)
        from ._shape import broadcast_to
        updates = broadcast_to(values, target)
        return lax.scatter(x, indices, updates, mode)

    def set(self, values):
        """``x`` with ``x[idx] = values`` (with repeated indices, one of the values wins)."""
        return self._scatter(values, "set")

    def add(self, values):
        """``x`` with ``x[idx] += values``; repeated indices accumulate (the gradient of a gather)."""
        return self._scatter(values, "add")

    def multiply(self, values):
        """``x`` with ``x[idx] *= values``; repeated indices accumulate."""
        return self._scatter(values, "mul")

    mul = multiply

    def min(self, values):  # noqa: A003
        """``x`` with ``x[idx] = minimum(x[idx], values)``."""
        return self._scatter(values, "min")

    def max(self, values):  # noqa: A003
        """``x`` with ``x[idx] = maximum(x[idx], values)``."""
        return self._scatter(values, "max")


def _update_indices(x, index):
    """Coordinates in ``x`` of every element of ``x[index]``, shaped ``x[index].shape + (k,)``.

    Integer indices on the leading axes followed by full slices (embedding-style updates) are used
    directly; any other index is resolved by indexing ``iota`` arrays the same way.
    """
    parts = [np.asarray(p) if isinstance(p, list) else p for p in (index if isinstance(index, tuple) else (index,))]
    k = 0
    while k < len(parts) and (_is_static_int(parts[k]) or (_is_array_index(parts[k]) and parts[k].dtype.kind in "iu")):
        k += 1
    if 0 < k <= x.ndim and all(isinstance(p, slice) and p == slice(None) for p in parts[k:]):
        idx = [_normalize_index_array(np.asarray(p) if _is_static_int(p) else p, x.shape[a], a)
               for a, p in enumerate(parts[:k])]
        bshape = broadcast_shapes("at[]", *[np.shape(i) if not hasattr(i, "aval") else i.shape for i in idx])
        return _stack_indices(idx, bshape)
    if x.ndim == 0:  # a 0-d array has no axes to index: k = 0
        return np.zeros(getitem(x, index).shape + (0,), np.int64)
    from ._shape import stack
    return stack([getitem(lax.broadcasted_iota(np.int64, x.shape, d), index) for d in range(x.ndim)], axis=-1)


def _stack_indices(idx: list, bshape: tuple):
    """Index arrays broadcast to ``bshape`` and stacked on a new last axis (in NumPy when all are concrete)."""
    if all(_concrete(i) is not None for i in idx):
        return np.stack([np.broadcast_to(_concrete(i), bshape) for i in idx], axis=-1)
    from ._shape import stack
    return stack([broadcast_to_shape(as_array(i), bshape) for i in idx], axis=-1)


class IndexUpdateHelper:
    """The object behind ``x.at``: ``x.at[idx].set(v)``, ``.add``, ``.multiply``, ``.min``, ``.max``, ``.get``."""

    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x

    def __getitem__(self, index) -> _IndexUpdateRef:
        return _IndexUpdateRef(self.x, index)


def take(x, indices, axis: int | None = None, mode=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened array when None).

    >>> import fnx.numpy as fnp
    >>> fnp.take(fnp.array([10.0, 20.0, 30.0]), fnp.array([2, 0]))
    Array([30., 10.], dtype=float64)
    """
    x = as_array(x, "take")
    if axis is None:
        x, axis = lax.reshape(x, (x.size,)), 0
    from ._util import normalize_axis
    axis = normalize_axis("take", axis, x.ndim)
    if isinstance(indices, (list, tuple)):
        indices = np.asarray(indices)
    return getitem(x, (slice(None),) * axis + (indices,))


def take_along_axis(x, indices, axis: int | None):
    """``x[..., indices, ...]`` matched element by element along ``axis`` (NumPy's ``take_along_axis``).

    >>> import fnx.numpy as fnp
    >>> fnp.take_along_axis(fnp.array([[10, 30, 20]]), fnp.argsort(fnp.array([[10, 30, 20]]), axis=1), axis=1)
    Array([[10, 20, 30]], dtype=int64)
    """
    x = as_array(x, "take_along_axis")
    if axis is None:
        x, axis = lax.reshape(x, (x.size,)), 0
    indices = np.asarray(indices) if isinstance(indices, list) else indices
    if indices.ndim != x.ndim:
        raise FnxTypeError(f"take_along_axis: indices must have the rank of x ({x.ndim})")
    from ._util import normalize_axis
    axis = normalize_axis("take_along_axis", axis, x.ndim)
    index = tuple(indices if d == axis else np.arange(x.shape[d]).reshape([-1 if e == d else 1 for e in range(x.ndim)])
                  for d in range(x.ndim))
    return getitem(x, index)

