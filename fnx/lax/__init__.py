"""fnx.lax: the explicit primitives that fnx.numpy and the layers are built from.

Each function binds one primitive (see the ``*_p`` objects in the submodules). Operands must already share a
dtype; Python scalars take the dtype of the array operand.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..core import dtypes
from ..core.primitive import Primitive
from . import elementwise as _ew
from .elementwise import binary_primitives, integer_pow_p, unary_primitives
from .indexing import gather_p, scatter_p
from .linalg import cholesky_p, det_p, dot_general_p, inv_p, solve_p
from .precision import Precision, check_precision  # noqa: F401
from .reductions import (argmax_p, argmin_p, cummax_p, cummin_p, cumprod_p, cumsum_p, reduce_and_p, reduce_max_p,
                         reduce_min_p, reduce_or_p, reduce_prod_p, reduce_sum_p)
from .structural import (bitcast_convert_type_p, broadcast_in_dim_p, concatenate_p, convert_element_type_p,
                         dynamic_slice_p, dynamic_update_slice_p, iota_p, pad_p, reshape_p, rev_p, select_n_p,
                         slice_p, stop_gradient_p, transpose_p)


def _dtype_of(x):
    return None if isinstance(x, dtypes.WEAK_TYPES) and not isinstance(x, np.generic) else np.dtype(x.dtype)


def _typed(*xs) -> list:
    """Give Python scalars the dtype of the array operands."""
    strong = [d for d in map(_dtype_of, xs) if d is not None]
    dtype = dtypes.result_type(*(strong or [type(x) for x in xs]))
    return [dtype.type(x) if _dtype_of(x) is None else x for x in xs]


def _unary(p: Primitive):
    def f(x):
        return p.bind(*_typed(x))
    f.__name__, f.__doc__ = p.name, f"Elementwise ``{p.name}`` (the ``{p.name}`` primitive)."
    return f


def _binary(p: Primitive):
    def f(x, y):
        return p.bind(*_typed(x, y))
    f.__name__, f.__doc__ = p.name, f"Elementwise ``{p.name}`` of two operands of one dtype and shape."
    return f


for _name, _p in unary_primitives.items():
    globals()[_name if _name != "not" else "bitwise_not"] = _unary(_p)
for _name, _p in binary_primitives.items():
    globals()[{"and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor"}.get(_name, _name)] = _binary(_p)
sigmoid = globals()["logistic"]
shift_right_logical = globals()["shift_right"]


def stop_gradient(x):
    """``x`` itself, through which no derivative flows (``fnx.stop_gradient`` takes pytrees)."""
    return stop_gradient_p.bind(x)


def integer_pow(x, y: int):
    """``x ** y`` for a Python int ``y``."""
    return integer_pow_p.bind(x, y=int(y))


def convert_element_type(x, new_dtype):
    """Cast ``x`` to ``new_dtype`` (C-style: floats truncate toward zero when cast to integers)."""
    return convert_element_type_p.bind(x, new_dtype=dtypes.canonicalize(new_dtype, "convert_element_type"))


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
    x, padding_value = _typed(x, padding_value)
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


def select_n(which, *cases):
    """``cases[which]`` elementwise; a bool ``which`` picks ``cases[1]`` where True."""
    return select_n_p.bind(which, *_typed(*cases))


def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` else ``on_false``."""
    return select_n(pred, on_false, on_true)


def dynamic_slice(x, start_indices: Sequence, slice_sizes: Sequence[int]):
    """``x[start:start+size]`` per axis with traced starts, clamped so the window stays inside ``x``."""
    return dynamic_slice_p.bind(x, *[_index_scalar(s) for s in start_indices], slice_sizes=tuple(slice_sizes))


def dynamic_update_slice(x, update, start_indices: Sequence):
    """``x`` with ``update`` written at ``start_indices`` (clamped to stay inside ``x``)."""
    return dynamic_update_slice_p.bind(x, update, *[_index_scalar(s) for s in start_indices])


def dynamic_index_in_dim(x, index, axis: int = 0, keepdims: bool = True):
    """The slice ``index`` of ``x`` along ``axis``."""
    starts = [0] * x.ndim
    starts[axis] = index
    sizes = list(x.shape)
    sizes[axis] = 1
    out = dynamic_slice(x, starts, sizes)
    return out if keepdims else reshape(out, x.shape[:axis] + x.shape[axis + 1:])


def _index_scalar(s):
    return np.int64(s) if isinstance(s, (int, np.integer)) else s


def _reducer(p: Primitive):
    def f(x, axes: Sequence[int]):
        return p.bind(x, axes=tuple(axes))
    f.__name__, f.__doc__ = p.name, f"``{p.name}`` of ``x`` over ``axes``."
    return f


reduce_sum, reduce_prod, reduce_max, reduce_min, reduce_and, reduce_or = map(
    _reducer, (reduce_sum_p, reduce_prod_p, reduce_max_p, reduce_min_p, reduce_and_p, reduce_or_p))


def argmax(x, axis: int, index_dtype="int64"):
    """Index of the first maximum along ``axis``."""
    return argmax_p.bind(x, axis=int(axis), index_dtype=dtypes.canonicalize(index_dtype, "argmax"))


def argmin(x, axis: int, index_dtype="int64"):
    """Index of the first minimum along ``axis``."""
    return argmin_p.bind(x, axis=int(axis), index_dtype=dtypes.canonicalize(index_dtype, "argmin"))


def _cumulative(p: Primitive):
    def f(x, axis: int = 0, reverse: bool = False):
        return p.bind(x, axis=int(axis), reverse=bool(reverse))
    f.__name__, f.__doc__ = p.name, f"``{p.name}`` of ``x`` along ``axis`` (from the end when ``reverse``)."
    return f


cumsum, cumprod, cummax, cummin = map(_cumulative, (cumsum_p, cumprod_p, cummax_p, cummin_p))


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """Generalized dot: ``dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))``.

    Output axes: batch, then lhs free axes, then rhs free axes. ``precision``: see ``Precision``.
    """
    check_precision(precision, "dot_general")
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    out = dot_general_p.bind(lhs, rhs, dimension_numbers=dn)
    return out if preferred_element_type is None else convert_element_type(out, preferred_element_type)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """Vector/matrix product of rank-1 or rank-2 operands."""
    return dot_general(lhs, rhs, (((lhs.ndim - 1,), (0,)), ((), ())), precision, preferred_element_type)


def gather(operand, indices):
    """``operand[indices[..., 0], ..., indices[..., k-1]]`` (see fnx.lax.indexing); out-of-bounds indices clamp."""
    return gather_p.bind(operand, indices)


def scatter(operand, indices, updates, mode: str = "set"):
    """Write (or add/mul/min/max) ``updates`` at ``indices`` of the leading axes; out-of-bounds ones are dropped."""
    return scatter_p.bind(operand, indices, updates, mode=mode)


def scatter_add(operand, indices, updates):
    """``scatter`` with ``mode="add"``: duplicates accumulate."""
    return scatter(operand, indices, updates, "add")


from .control_flow import cond, fori_loop, scan, switch, while_loop  # noqa: E402
from .convolution import conv, conv_general_dilated, reduce_window  # noqa: E402
from .sorting import sort, sort_key_val, sort_p  # noqa: E402
from .scans import associative_scan  # noqa: E402


def __getattr__(name: str):
    """``lax.map``, looked up here rather than bound as a global, which would hide the builtin ``map`` from the
    functions of this module."""
    if name == "map":
        from .scans import map as lax_map
        return lax_map
    raise AttributeError(f"module 'fnx.lax' has no attribute {name!r}")
