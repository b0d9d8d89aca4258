"""Sorting, searching and set functions: sort, argsort, searchsorted, unique, nonzero, isin and friends.

Everything that reorders is built on the multi-operand ``sort`` primitive (fnx.lax.sorting): an argsort sorts
``(x, iota)`` by ``x`` and keeps the reordered iota. Sorts are stable and put NaNs last, as NumPy's do.

``unique`` and ``nonzero`` return arrays whose length depends on the *values* of the input. Under tracing
those values are unknown, so these functions are traceable only when given ``size=``: the result is then cut
or padded to ``size`` entries (padding with ``fill_value``). Without ``size=`` they work on concrete arrays.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.errors import FnxTypeError
from ..core.tracing import Tracer
from ..lax.sorting import sort_p
from ._creation import arange, zeros
from ._elementwise import astype, isnan, minimum, where
from ._reductions import any as _any
from ._reductions import cumsum
from ._reductions import sum as _sum
from ._shape import moveaxis, ravel, stack
from ._util import as_array, cast, dtype_key, normalize_axis, to_operand

_INDEX = np.dtype("int64")


# -- sorting -----------------------------------------------------------------------------------------------

def _along_axis(x, axis, name: str):
    """``x`` as an array and the axis to work along (the flattened array when ``axis`` is None)."""
    x = as_array(x, name)
    if axis is None:
        return lax.reshape(x, (x.size,)), 0
    return x, normalize_axis(name, axis, x.ndim)


def _sorted(operands: list, axis: int, num_keys: int, descending: bool) -> list:
    """``operands`` sorted by their first ``num_keys`` along ``axis``, stably, ascending or descending.

    Descending order reverses the operands, sorts ascending and reverses back: equal keys then keep their
    original order, as the Array API asks of a stable descending sort.
    """
    if descending:
        operands = [lax.rev(op, (axis,)) for op in operands]
    out = sort_p.bind(*operands, dimension=axis, is_stable=True, num_keys=num_keys)
    return [lax.rev(op, (axis,)) for op in out] if descending else out


def _no_structured_order(name: str, order) -> None:
    if order is not None:
        raise FnxTypeError(f"{name}: order= sorts structured arrays, which fnx does not have")


def sort(x, axis: int | None = -1, kind=None, order=None, stable: bool = True, descending: bool = False):
    """``x`` sorted along ``axis`` (the flattened array when None); NaNs last, or first when ``descending``.

    The sort is always stable; ``kind`` is accepted for NumPy compatibility and ignored.

    >>> import fnx.numpy as fnp
    >>> fnp.sort(fnp.array([3, 1, 2]), descending=True)
    Array([3, 2, 1], dtype=int64)
    """
    _no_structured_order("sort", order)
    x, axis = _along_axis(x, axis, "sort")
    return _sorted([x], axis, 1, descending)[0]


def argsort(x, axis: int | None = -1, kind=None, order=None, stable: bool = True, descending: bool = False):
    """The int64 indices that sort ``x`` along ``axis`` (stable: equal elements keep their order).

    >>> import fnx.numpy as fnp
    >>> fnp.argsort(fnp.array([2, 1, 2, 1]), descending=True)
    Array([0, 2, 1, 3], dtype=int64)
    """
    _no_structured_order("argsort", order)
    x, axis = _along_axis(x, axis, "argsort")
    iota = lax.broadcasted_iota(_INDEX, x.shape, axis)
    return _sorted([x, iota], axis, 1, descending)[1]


def lexsort(keys, axis: int = -1):
    """The int64 indices that sort by several keys of one shape: the *last* key is the primary one.

    ``keys`` is a sequence of arrays (or a 2-D array whose rows are the keys).

    >>> import fnx.numpy as fnp
    >>> fnp.lexsort([fnp.array([1, 2, 0]), fnp.array([5, 4, 5])])  # by the second key, ties by the first
    Array([1, 2, 0], dtype=int64)
    """
    keys = [as_array(k, "lexsort") for k in keys]
    if not keys:
        raise FnxTypeError("lexsort: needs at least one key")
    if len({k.shape for k in keys}) != 1:
        raise FnxTypeError(f"lexsort: keys must have one shape, got shapes {', '.join(str(k.shape) for k in keys)}")
    axis = normalize_axis("lexsort", axis, keys[0].ndim)
    iota = lax.broadcasted_iota(_INDEX, keys[0].shape, axis)
    return sort_p.bind(*keys[::-1], iota, dimension=axis, is_stable=True, num_keys=len(keys))[-1]


def _check_kth(name: str, kth, n: int) -> None:
    for k in np.ravel(kth):
        if not -n <= int(k) < n:
            raise FnxTypeError(f"{name}: kth={int(k)} is out of bounds for an axis of length {n}")


def partition(x, kth, axis: int | None = -1):
    """``x`` with the element at position ``kth`` where a sort would put it, smaller ones before, larger after.

    fnx returns the fully sorted array, which is one valid partition.

    >>> import fnx.numpy as fnp
    >>> fnp.partition(fnp.array([3, 1, 4, 1, 5]), 2)[2]
    Array(3, dtype=int64)
    """
    x, axis = _along_axis(x, axis, "partition")
    _check_kth("partition", kth, x.shape[axis])
    return sort(x, axis)


def argpartition(x, kth, axis: int | None = -1):
    """Indices that partition ``x`` around position ``kth`` (fnx returns the full stable argsort)."""
    x, axis = _along_axis(x, axis, "argpartition")
    _check_kth("argpartition", kth, x.shape[axis])
    return argsort(x, axis)


# -- searching ---------------------------------------------------------------------------------------------

def _less(a, b):
    """``a < b`` in sort order, where NaN comes after every number."""
    if a.dtype.kind != "f":
        return a < b
    return (a < b) | (isnan(b) & ~isnan(a))


def searchsorted(a, v, side: str = "left", sorter=None):
    """Where to insert ``v`` into the sorted 1-D ``a`` to keep it sorted: int64 indices of ``v``'s shape.

    ``side="left"`` gives the first suitable position (the number of elements of ``a`` below ``v``),
    ``side="right"`` the last one. ``sorter`` are indices that sort ``a`` (as from ``argsort``).

    >>> import fnx.numpy as fnp
    >>> fnp.searchsorted(fnp.array([1, 2, 2, 3]), fnp.array([2, 5]), side="right")
    Array([3, 4], dtype=int64)
    """
    if side not in ("left", "right"):
        raise FnxTypeError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    a = as_array(a, "searchsorted")
    if a.ndim != 1:
        raise FnxTypeError(f"searchsorted: a must be 1-D, got shape {a.shape}")
    if sorter is not None:
        from ._indexing import take
        a = take(a, sorter)
    v = to_operand(v, "searchsorted")
    common = dtypes.result_type(dtype_key(a), dtype_key(v))
    a, v = cast(a, common), as_array(cast(v, common))
    return _count_before(a, v, side)


def _count_before(a, v, side: str):
    """For every element of ``v``, how many elements of the sorted ``a`` sort before it (or with it, "right").

    A branch-free binary search: ``count`` grows by steps n/2, n/4, ..., 1 (rounded to powers of two),
    taking a step whenever the element it would then pass still sorts before ``v``. It needs
    ``log2(len(a))`` gathers instead of one comparison per pair.
    """
    n = a.shape[0]
    count = zeros(v.shape, _INDEX)
    for k in reversed(range(n.bit_length())):
        candidate = count + (1 << k)
        last = lax.gather(a, lax.reshape(minimum(candidate, n) - 1, v.shape + (1,)))
        before = _less(last, v) if side == "left" else ~_less(v, last)
        count = where((candidate <= n) & before, candidate, count)
    return count


def isin(element, test_elements, assume_unique: bool = False, invert: bool = False):
    """True where an element of ``element`` equals some element of ``test_elements`` (False for NaN).

    ``assume_unique`` is accepted for NumPy compatibility and ignored.

    >>> import fnx.numpy as fnp
    >>> fnp.isin(fnp.array([1, 2, 3]), [3, 1])
    Array([ True, False,  True], dtype=bool)
    """
    element, test = to_operand(element, "isin"), to_operand(test_elements, "isin")
    common = dtypes.result_type(dtype_key(element), dtype_key(test))
    element, test = as_array(cast(element, common)), ravel(as_array(cast(test, common)))
    if test.size == 0:
        found = zeros(element.shape, bool)
    else:
        test = sort(test)
        position = minimum(_count_before(test, element, "left"), test.size - 1)
        found = lax.gather(test, lax.reshape(position, element.shape + (1,))) == element
    return ~found if invert else found


# -- results whose size depends on the data ----------------------------------------------------------------

def _static_size(count, name: str) -> int:
    """The concrete value of a result length computed from the data; under tracing, an error asking for size=."""
    value = count.val if isinstance(count, Tracer) else count
    if value is None:
        raise FnxTypeError(f"{name}: the length of the result depends on the values of the input, which are "
                           "unknown under tracing; pass size=N to get N entries (padded with fill_value)")
    return int(value)


def _check_size(name: str, size) -> int:
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 0:
        raise FnxTypeError(f"{name}: size must be a non-negative int, got {size!r}")
    return int(size)


def nonzero(x, size: int | None = None, fill_value=None) -> tuple:
    """The indices of the nonzero elements of ``x``: one int64 array per axis, in row-major order.

    With ``size=N`` (needed under tracing) each array has exactly N entries: extra ones are dropped, missing
    ones are ``fill_value`` (0 by default; a tuple gives one value per axis).

    >>> import fnx.numpy as fnp
    >>> fnp.nonzero(fnp.array([[0, 5], [7, 0]]))
    (Array([0, 1], dtype=int64), Array([1, 0], dtype=int64))
    """
    return _nonzero(as_array(x, "nonzero"), size, fill_value, "nonzero")


def _nonzero(x, size, fill_value, name: str) -> tuple:
    if x.ndim == 0:
        raise FnxTypeError(f"{name}: a 0-d array has no axes to index; use {name}(atleast_1d(x))")
    flat = astype(lax.reshape(x, (x.size,)), bool)
    count = _sum(flat)
    size = _static_size(count, name) if size is None else _check_size(name, size)
    slot = where(flat, cumsum(flat) - 1, size)  # the output slot of each nonzero element; zeros go out of range
    positions = lax.scatter(zeros(size, _INDEX), lax.reshape(slot, (x.size, 1)), lax.iota(_INDEX, x.size))
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (0 if fill_value is None else fill_value,) * x.ndim
    if len(fills) != x.ndim:
        raise FnxTypeError(f"{name}: fill_value needs one value per axis ({x.ndim}), got {fill_value!r}")
    valid = arange(size) < count
    return tuple(where(valid, c, f) for c, f in zip(_unravel(positions, x.shape), fills))


def _unravel(flat_index, shape: tuple) -> list:
    """Row-major coordinates of flat indices into ``shape`` (axes of length 0 give coordinate 0)."""
    coords = []
    for n in reversed(shape):
        coords.append(flat_index % max(n, 1))
        flat_index = flat_index // max(n, 1)
    return coords[::-1]


def argwhere(x, size: int | None = None, fill_value=None):
    """The indices of the nonzero elements of ``x`` as rows: shape ``(count, x.ndim)``; see ``nonzero``.

    >>> import fnx.numpy as fnp
    >>> fnp.argwhere(fnp.array([[0, 1], [2, 0]]))
    Array([[0, 1],
           [1, 0]], dtype=int64)
    """
    x = as_array(x, "argwhere")
    if x.ndim == 0:  # NumPy: one empty row if x is nonzero, none otherwise
        return argwhere(lax.reshape(x, (1,)), size, fill_value)[:, :0]
    return stack(_nonzero(x, size, fill_value, "argwhere"), axis=-1)


def flatnonzero(x, size: int | None = None, fill_value=None):
    """The indices of the nonzero elements of the flattened ``x``; see ``nonzero``."""
    return _nonzero(ravel(x), size, fill_value, "flatnonzero")[0]


class _UniqueAll(NamedTuple):
    """The Array API's ``unique_all`` result (fnx.numpy keeps these result types private, as NumPy does)."""

    values: object
    indices: object
    inverse_indices: object
    counts: object


def _sorted_rows(x, axis):
    """The elements of ``x`` (or its slices along ``axis``) as the rows of a 2-D array, sorted
    lexicographically and stably (one sort key per column), and the permutation that sorted them."""
    if axis is None:
        rows = lax.reshape(x, (x.size, 1))
    else:
        rows = lax.reshape(moveaxis(x, axis, 0), (x.shape[axis], x.size // max(x.shape[axis], 1)))
    n, m = rows.shape
    iota = lax.iota(_INDEX, n)
    # with no columns (m == 0) all rows are equal; the iota is then the (harmless) sort key
    perm = sort_p.bind(*[rows[:, j] for j in range(m)], iota, dimension=0, is_stable=True, num_keys=max(m, 1))[-1]
    return lax.gather(rows, lax.reshape(perm, (n, 1))), perm


def _unique(x, axis, size, fill_value, equal_nan: bool, name: str,
            indices: bool = True, inverse: bool = True, counts: bool = True) -> _UniqueAll:
    """The sorted unique elements of ``x`` (or slices along ``axis``) and, when asked, their first indices,
    the inverse and the counts (None when not asked).

    After sorting, a new group starts at every row that differs from the one before; ``group`` numbers
    them. A scatter-min of the sorted positions by group finds each group's first row (``n`` marks an
    empty padding slot), which gives the unique value and, through ``perm``, its index in ``x``.
    """
    x = as_array(x, name)
    axis = None if axis is None else normalize_axis(name, axis, x.ndim)
    rows, perm = _sorted_rows(x, axis)
    n = rows.shape[0]
    starts = lax.pad(_any(_differ(rows[1:], rows[:-1], equal_nan), axis=1), True, [(min(n, 1), 0, 0)])
    group = lax.reshape(cumsum(starts) - 1, (n, 1))
    size = _static_size(_sum(starts), name) if size is None else _check_size(name, size)
    first = lax.scatter(lax.broadcast(np.int64(n), (size,)), group, lax.iota(_INDEX, n), "min")
    valid = first < n
    values = _unique_values(x, axis, lax.gather(rows, lax.reshape(first, (size, 1))), valid, fill_value, name)
    first_index = where(valid, lax.gather(perm, lax.reshape(first, (size, 1))), 0) if indices else None
    inverse_indices = _inverse(x, axis, perm, group) if inverse else None
    count = lax.scatter(zeros(size, _INDEX), group, lax.broadcast(np.int64(1), (n,)), "add") if counts else None
    return _UniqueAll(values, first_index, inverse_indices, count)


def _inverse(x, axis, perm, group):
    """For every element (row) of ``x``, the number of its unique group: the groups scattered back by ``perm``."""
    n = perm.shape[0]
    inverse = lax.scatter(zeros(n, _INDEX), lax.reshape(perm, (n, 1)), lax.reshape(group, (n,)))
    return lax.reshape(inverse, x.shape) if axis is None else inverse


def _unique_values(x, axis, rows, valid, fill_value, name: str):
    """The unique rows, padding slots filled, back in the layout of ``x``."""
    size = rows.shape[0]
    if fill_value is None:  # the smallest unique value (a whole row with axis=)
        fill = rows[0] if size else x.dtype.type(0)
    else:
        fill = cast(to_operand(fill_value, name), x.dtype)
    values = where(valid[:, None], rows, fill)
    if axis is None:
        return lax.reshape(values, (size,))
    return moveaxis(lax.reshape(values, (size,) + x.shape[:axis] + x.shape[axis + 1:]), 0, axis)


def _differ(a, b, equal_nan: bool):
    """``a != b`` elementwise, except that two NaNs count as equal when ``equal_nan``."""
    if equal_nan and a.dtype.kind == "f":
        return (a != b) & ~(isnan(a) & isnan(b))
    return a != b


def unique(x, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis: int | None = None, *, equal_nan: bool = True, size: int | None = None, fill_value=None):
    """The sorted unique elements of ``x`` (flattened), or the unique slices along ``axis``.

    Optionally also returns, in this order: the index of each unique element's first occurrence, the
    index of each element's unique value (shaped like ``x``; like ``x.shape[axis]`` with ``axis``), and
    the count of each unique value. ``equal_nan`` collapses all NaNs into one.

    Under tracing pass ``size=N``: results then have N entries, padded with ``fill_value`` (by default the
    smallest unique value; indices pad with 0, counts with 0).

    >>> import fnx.numpy as fnp
    >>> fnp.unique(fnp.array([3, 1, 3, 2]), return_counts=True)
    (Array([1, 2, 3], dtype=int64), Array([1, 1, 2], dtype=int64))
    """
    u = _unique(x, axis, size, fill_value, equal_nan, "unique", return_index, return_inverse, return_counts)
    wanted = [part for part in u if part is not None]
    return wanted[0] if len(wanted) == 1 else tuple(wanted)


class _UniqueCounts(NamedTuple):
    values: object
    counts: object


class _UniqueInverse(NamedTuple):
    values: object
    inverse_indices: object


def unique_values(x, *, size: int | None = None, fill_value=None):
    """Array API: the sorted unique elements of ``x``; every NaN is distinct."""
    return _unique(x, None, size, fill_value, False, "unique_values", False, False, False).values


def unique_counts(x, *, size: int | None = None, fill_value=None) -> _UniqueCounts:
    """Array API: ``(values, counts)`` of the unique elements of ``x``; every NaN is distinct."""
    u = _unique(x, None, size, fill_value, False, "unique_counts", indices=False, inverse=False)
    return _UniqueCounts(u.values, u.counts)


def unique_inverse(x, *, size: int | None = None, fill_value=None) -> _UniqueInverse:
    """Array API: ``(values, inverse_indices)``, with ``values[inverse_indices] == x``; every NaN is distinct."""
    u = _unique(x, None, size, fill_value, False, "unique_inverse", indices=False, counts=False)
    return _UniqueInverse(u.values, u.inverse_indices)


def unique_all(x, *, size: int | None = None, fill_value=None) -> _UniqueAll:
    """Array API: ``(values, indices, inverse_indices, counts)`` of the unique elements; every NaN is distinct."""
    return _unique(x, None, size, fill_value, False, "unique_all")
