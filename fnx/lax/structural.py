"""Primitives that move, cast, select or create data without arithmetic."""
from __future__ import annotations

import builtins
from typing import Sequence

import numpy as np

from ..core import dtypes
from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.primitive import def_primitive
from ._rules import describe, normalize_axes, public_names, same_dtype, typed


def _bitcast_eval(x, *, new_dtype):
    if x.dtype.itemsize != new_dtype.itemsize:
        raise FnxTypeError(f"bitcast_convert_type: {x.dtype} and {new_dtype} differ in size")
    return ShapedArray(x.shape, new_dtype)


bitcast_convert_type_p = def_primitive(
    "bitcast_convert_type", _bitcast_eval, lambda x, *, new_dtype: np.asarray(x).view(new_dtype))


# -- shapes ------------------------------------------------------------------------------------------------

def _broadcast_in_dim_eval(x, *, shape, broadcast_dimensions):
    ok = len(broadcast_dimensions) == x.ndim and all(
        0 <= d < len(shape) and x.shape[i] in (1, shape[d]) for i, d in enumerate(broadcast_dimensions)) \
        and list(broadcast_dimensions) == sorted(set(broadcast_dimensions))
    if not ok:
        raise FnxTypeError(f"broadcast_in_dim: cannot broadcast {x} to shape {shape} "
                           f"with broadcast_dimensions={broadcast_dimensions}")
    return ShapedArray(tuple(shape), x.dtype)


def _broadcast_in_dim_impl(x, *, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


broadcast_in_dim_p = def_primitive("broadcast_in_dim", _broadcast_in_dim_eval, _broadcast_in_dim_impl)


def _reshape_eval(x, *, new_sizes):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size or any(s < 0 for s in new_sizes):
        raise FnxTypeError(f"reshape: cannot reshape {x} (size {x.size}) into shape {tuple(new_sizes)}")
    return ShapedArray(tuple(new_sizes), x.dtype)


reshape_p = def_primitive("reshape", _reshape_eval, lambda x, *, new_sizes: np.reshape(x, new_sizes))


def _transpose_eval(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise FnxTypeError(f"transpose: {permutation} is not a permutation of the axes of {x}")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype)


transpose_p = def_primitive("transpose", _transpose_eval, lambda x, *, permutation: np.transpose(x, permutation))


def _rev_eval(x, *, dimensions):
    normalize_axes("rev", dimensions, x.ndim)
    return x


rev_p = def_primitive("rev", _rev_eval, lambda x, *, dimensions: np.flip(x, dimensions))


def _slice_eval(x, *, start_indices, limit_indices, strides):
    if not (len(start_indices) == len(limit_indices) == len(strides) == x.ndim) or any(
            not 0 <= lo <= hi <= n or s < 1 for lo, hi, s, n in zip(start_indices, limit_indices, strides, x.shape)):
        raise FnxTypeError(f"slice: start {start_indices}, limit {limit_indices}, strides {strides} do not fit {x}")
    shape = tuple(-(-(hi - lo) // s) for lo, hi, s in zip(start_indices, limit_indices, strides))
    return ShapedArray(shape, x.dtype)


def _slice_impl(x, *, start_indices, limit_indices, strides):
    return np.asarray(x)[tuple(builtins.slice(lo, hi, s) for lo, hi, s in zip(start_indices, limit_indices, strides))]


slice_p = def_primitive("slice", _slice_eval, _slice_impl)


def _pad_eval(x, padding_value, *, padding_config):
    same_dtype("pad", [x, padding_value])
    if padding_value.shape != () or len(padding_config) != x.ndim:
        raise FnxTypeError(f"pad: needs a scalar padding value and one (low, high, interior) per axis of {x}, "
                           f"got {padding_value} and {padding_config}")
    shape = tuple(lo + hi + n + max(n - 1, 0) * interior for n, (lo, hi, interior) in zip(x.shape, padding_config))
    if any(s < 0 for s in shape) or any(c[2] < 0 for c in padding_config):
        raise FnxTypeError(f"pad: padding {padding_config} of {x} gives negative size")
    return ShapedArray(shape, x.dtype)


def _pad_impl(x, padding_value, *, padding_config):
    x = np.asarray(x)
    interior_shape = [n + max(n - 1, 0) * i for n, (_, _, i) in zip(x.shape, padding_config)]
    full = np.full([s + max(lo, 0) + max(hi, 0) for s, (lo, hi, _) in zip(interior_shape, padding_config)],
                   padding_value, dtype=x.dtype)
    full[tuple(builtins.slice(max(lo, 0), max(lo, 0) + s, i + 1)
               for s, (lo, _, i) in zip(interior_shape, padding_config))] = x
    crop = tuple(builtins.slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi, _) in zip(full.shape, padding_config))
    return full[crop]


pad_p = def_primitive("pad", _pad_eval, _pad_impl)


def _concatenate_eval(*xs, dimension):
    dtype = same_dtype("concatenate", xs)
    ndim = xs[0].ndim
    if not 0 <= dimension < ndim or any(
            x.ndim != ndim or x.shape[:dimension] + x.shape[dimension + 1:] !=
            xs[0].shape[:dimension] + xs[0].shape[dimension + 1:] for x in xs):
        raise FnxTypeError(f"concatenate: shapes {describe(xs)} do not match except along axis {dimension}")
    shape = list(xs[0].shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(tuple(shape), dtype)


concatenate_p = def_primitive("concatenate", _concatenate_eval,
                              lambda *xs, dimension: np.concatenate(xs, axis=dimension))


def _iota_eval(*, dtype, shape, dimension):
    if any(n < 0 for n in shape):
        raise FnxTypeError(f"iota: shape {tuple(shape)} has a negative size")
    return ShapedArray(tuple(shape), dtype)


def _iota_impl(*, dtype, shape, dimension):
    ramp = np.arange(shape[dimension], dtype=dtype).reshape([-1 if i == dimension else 1 for i in range(len(shape))])
    return np.broadcast_to(ramp, shape)


iota_p = def_primitive("iota", _iota_eval, _iota_impl)


def _dynamic_slice_eval(x, *starts, slice_sizes):
    if len(starts) != x.ndim or len(slice_sizes) != x.ndim or any(s.shape != () or s.dtype.kind not in "iu"
                                                                  for s in starts):
        raise FnxTypeError(f"dynamic_slice: needs one scalar integer start and one size per axis of {x}")
    if any(not 0 <= s <= n for s, n in zip(slice_sizes, x.shape)):
        raise FnxTypeError(f"dynamic_slice: slice sizes {slice_sizes} do not fit {x}")
    return ShapedArray(tuple(slice_sizes), x.dtype)


def clamp_starts(starts, sizes, shape) -> tuple:
    """Start indices clamped so that the window lies inside the array (as XLA and JAX do)."""
    return tuple(int(min(max(int(s), 0), n - k)) for s, k, n in zip(starts, sizes, shape))


def _dynamic_slice_impl(x, *starts, slice_sizes):
    x = np.asarray(x)
    starts = clamp_starts(starts, slice_sizes, x.shape)
    return x[tuple(builtins.slice(s, s + k) for s, k in zip(starts, slice_sizes))]


dynamic_slice_p = def_primitive("dynamic_slice", _dynamic_slice_eval, _dynamic_slice_impl)


def _dynamic_update_slice_eval(x, update, *starts):
    same_dtype("dynamic_update_slice", [x, update])
    if update.ndim != x.ndim or len(starts) != x.ndim or any(u > n for u, n in zip(update.shape, x.shape)):
        raise FnxTypeError(f"dynamic_update_slice: update {update} does not fit in {x}")
    return x


def _dynamic_update_slice_impl(x, update, *starts):
    out = np.array(x)
    update = np.asarray(update)
    starts = clamp_starts(starts, update.shape, out.shape)
    out[tuple(builtins.slice(s, s + k) for s, k in zip(starts, update.shape))] = update
    return out


dynamic_update_slice_p = def_primitive("dynamic_update_slice", _dynamic_update_slice_eval,
                                       _dynamic_update_slice_impl)




def bitcast_convert_type(x, new_dtype):
    """Reinterpret the bits of ``x`` as ``new_dtype`` of the same size."""
    return bitcast_convert_type_p.bind(x, new_dtype=dtypes.canonicalize(new_dtype, "bitcast_convert_type"))


def broadcast_in_dim(x, shape: Sequence[int], broadcast_dimensions: Sequence[int]):
    """Broadcast ``x`` to ``shape``; axis i of x becomes axis ``broadcast_dimensions[i]`` of the result."""
    return broadcast_in_dim_p.bind(x, shape=tuple(shape), broadcast_dimensions=tuple(broadcast_dimensions))


def broadcast(x, sizes: Sequence[int]):
    """Add leading axes of ``sizes`` to ``x``."""
    shape = tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)
    return broadcast_in_dim(x, tuple(sizes) + shape, range(len(sizes), len(sizes) + len(shape)))


def reshape(x, new_sizes: Sequence[int]):
    """Reshape ``x`` (row-major) to ``new_sizes``."""
    return reshape_p.bind(x, new_sizes=tuple(int(n) for n in new_sizes))


def transpose(x, permutation: Sequence[int]):
    """Permute the axes of ``x``."""
    return transpose_p.bind(x, permutation=tuple(permutation))


def rev(x, dimensions: Sequence[int]):
    """Reverse ``x`` along ``dimensions``."""
    return rev_p.bind(x, dimensions=tuple(dimensions))


def slice(x, start_indices: Sequence[int], limit_indices: Sequence[int], strides: Sequence[int] | None = None):
    """The static slice ``x[start:limit:stride]`` on every axis."""
    strides = tuple(strides) if strides is not None else (1,) * len(start_indices)
    return slice_p.bind(x, start_indices=tuple(start_indices), limit_indices=tuple(limit_indices), strides=strides)


def pad(x, padding_value, padding_config: Sequence[tuple[int, int, int]]):
    """Pad ``x`` with ``(low, high, interior)`` elements of ``padding_value`` per axis (negative low/high crop)."""
    x, padding_value = typed(x, padding_value)
    return pad_p.bind(x, padding_value, padding_config=tuple(tuple(int(v) for v in c) for c in padding_config))


def concatenate(operands: Sequence, dimension: int):
    """Join arrays of one dtype along ``dimension``."""
    return concatenate_p.bind(*operands, dimension=int(dimension))


def iota(dtype, size: int):
    """``[0, 1, ..., size-1]`` of ``dtype``."""
    return broadcasted_iota(dtype, (size,), 0)


def broadcasted_iota(dtype, shape: Sequence[int], dimension: int):
    """An array of ``shape`` whose value is the index along ``dimension``."""
    return iota_p.bind(dtype=dtypes.canonicalize(dtype, "iota"), shape=tuple(shape), dimension=int(dimension))


def dynamic_slice(x, start_indices: Sequence, slice_sizes: Sequence[int], *, allow_negative_indices: bool = True):
    """``x[start:start+size]`` per axis with traced starts, clamped so the window stays inside ``x``; a negative
    start counts from the end (as JAX's, unless ``allow_negative_indices`` is False: then it clamps to 0).

    >>> import fnx.numpy as fnp
    >>> dynamic_slice(fnp.arange(6.0).reshape(2, 3), (0, -2), (2, 2))
    Array([[1., 2.],
           [4., 5.]], dtype=float64)
    """
    starts = _starts(start_indices, np.shape(x), allow_negative_indices)
    return dynamic_slice_p.bind(x, *starts, slice_sizes=tuple(slice_sizes))


def dynamic_update_slice(x, update, start_indices: Sequence, *, allow_negative_indices: bool = True):
    """``x`` with ``update`` written at ``start_indices`` (clamped to stay inside ``x``; negative ones count from
    the end unless ``allow_negative_indices`` is False), as JAX's."""
    return dynamic_update_slice_p.bind(x, update, *_starts(start_indices, np.shape(x), allow_negative_indices))


def dynamic_slice_in_dim(x, start_index, slice_size: int = 1, axis: int = 0, *, allow_negative_indices: bool = True):
    """``dynamic_slice`` along one ``axis``: ``slice_size`` entries from ``start_index``, the other axes whole
    (JAX's ``lax.dynamic_slice_in_dim``).

    >>> import fnx.numpy as fnp
    >>> dynamic_slice_in_dim(fnp.arange(10.0), 8, 3)  # the window is moved back inside: starts at 7
    Array([7., 8., 9.], dtype=float64)
    """
    axis = _one_axis(x, axis, "dynamic_slice_in_dim")
    starts = [0] * np.ndim(x)
    starts[axis] = start_index
    sizes = list(np.shape(x))
    sizes[axis] = slice_size
    return dynamic_slice(x, starts, sizes, allow_negative_indices=allow_negative_indices)


def dynamic_index_in_dim(x, index, axis: int = 0, keepdims: bool = True, *, allow_negative_indices: bool = True):
    """The slice ``index`` of ``x`` along ``axis``, that axis kept with size 1 or dropped (``keepdims``)."""
    axis = _one_axis(x, axis, "dynamic_index_in_dim")
    out = dynamic_slice_in_dim(x, index, 1, axis, allow_negative_indices=allow_negative_indices)
    return out if keepdims else reshape(out, np.shape(x)[:axis] + np.shape(x)[axis + 1:])


def dynamic_update_slice_in_dim(x, update, start_index, axis: int, *, allow_negative_indices: bool = True):
    """``x`` with ``update`` written from ``start_index`` along ``axis`` (from 0 on the other axes), as JAX's.

    >>> import fnx.numpy as fnp
    >>> dynamic_update_slice_in_dim(fnp.zeros(5), fnp.ones(2), -1, 0)  # from 4, moved back inside: from 3
    Array([0., 0., 0., 1., 1.], dtype=float64)
    """
    axis = _one_axis(x, axis, "dynamic_update_slice_in_dim")
    starts = [0] * np.ndim(x)
    starts[axis] = start_index
    return dynamic_update_slice(x, update, starts, allow_negative_indices=allow_negative_indices)


def _one_axis(x, axis: int, op: str) -> int:
    return normalize_axes(op, (axis,), np.ndim(x))[0]


def _starts(start_indices: Sequence, shape: tuple, allow_negative: bool) -> list:
    """The start indices as index scalars, the negative ones counted from the end of their axis if allowed."""
    if len(start_indices) != len(shape):
        raise FnxTypeError(f"dynamic_slice: {len(start_indices)} start indices for an array of shape {shape}")
    return [_from_end(s, n) if allow_negative else _index_scalar(s) for s, n in zip(start_indices, shape)]


def _from_end(s, n: int):
    from .elementwise import add, lt, select
    if isinstance(s, (int, np.integer)):
        return np.int64(s + n if s < 0 else s)
    if np.dtype(getattr(s, "dtype", np.int64)).kind == "u":
        return s
    return select(lt(s, 0), add(s, n), s)


def _index_scalar(s):
    return np.int64(s) if isinstance(s, (int, np.integer)) else s


__all__ = public_names(globals())
