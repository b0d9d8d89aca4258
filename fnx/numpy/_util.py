"""Shared plumbing of fnx.numpy: turning arguments into operands, NumPy-2 promotion and broadcasting."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.array import Array
from ..core.errors import FnxAxisError, FnxTypeError, check_size
from ..core.tracing import Tracer, is_tracing

ArrayLike = object  # Array | Tracer | np.ndarray | Python scalar | nested lists of those


_WEAK = (bool, int, float, complex)
_OPERANDS = (Array, Tracer, np.ndarray, bool, int, float, complex)


def is_weak(x) -> bool:
    """True for Python scalars (bool, int, float, complex), whose dtype yields to the arrays they meet."""
    return type(x) in _WEAK


def to_operand(x, op: str = "fnx.numpy"):
    """An Array/Tracer, NumPy array or Python scalar as it is; a list or tuple as an array."""
    if type(x) in _OPERANDS or isinstance(x, (Array, Tracer, np.ndarray, np.generic)) or is_weak(x):
        return x
    if isinstance(x, (list, tuple)):
        from ._creation import asarray
        return asarray(x)
    raise FnxTypeError(f"{op}: expected an array or a scalar, got {type(x).__name__}")


def dtype_key(x):
    """The promotion key of an operand: its dtype, or its Python type for a weak scalar (a Python scalar, or a
    tracer of a Python scalar argument: ``ShapedArray.weak_type``)."""
    if type(x) in _WEAK:
        return type(x)
    if type(x) is Tracer and x.aval.weak_type:
        return dtypes.weak_key(x.aval.dtype)
    return x.dtype


def shape_of(x) -> tuple:
    return () if type(x) in _WEAK else tuple(x.shape)


def cast(x, dtype: np.dtype):
    """``x`` as ``dtype``: scalars become NumPy scalars, arrays are converted only when needed."""
    if type(x) in _WEAK:
        return dtype.type(x)
    if x.dtype == dtype:
        return x
    return lax.convert_element_type_p.bind(x, new_dtype=dtype)


def common_dtype(op: str, *xs) -> np.dtype:
    """The promoted dtype of operands (NumPy 2 rules); an unsupported result is an error naming ``op``."""
    try:
        return dtypes.result_type(*map(dtype_key, xs))
    except FnxTypeError as e:
        raise FnxTypeError(f"{op}: {str(e).splitlines()[0]}") from None


def promote(op: str, *xs, dtype: np.dtype | None = None) -> list:
    """Bring operands to their common dtype (NumPy 2 rules) or to ``dtype``; under tracing also to one shape.

    Eagerly, a Python scalar next to an array is left for NumPy, whose NEP 50 rules then agree with ours.
    """
    xs = [x if type(x) in _OPERANDS else to_operand(x, op) for x in xs]
    target = dtype or common_dtype(op, *xs)
    if is_tracing():
        return broadcast_operands(op, [cast(x, target) for x in xs])
    if any(type(x) not in _WEAK for x in xs):
        return [x if type(x) in _WEAK else cast(x, target) for x in xs]
    return [cast(x, target) for x in xs]


def broadcast_shapes(op: str, *shapes) -> tuple:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        _check_broadcast_size(op, shapes)
        raise FnxTypeError(f"{op}: shapes {', '.join(map(str, shapes))} cannot be broadcast together") from None


def _check_broadcast_size(op: str, shapes) -> None:
    """If ``shapes`` broadcast together but to a shape too large for NumPy, raise ``ArraySizeError``."""
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    sides = [{n for n in column if n != 1} for column in zip(*padded)]
    if all(len(side) <= 1 for side in sides):
        check_size(op, [max(side, default=1) for side in sides], None)


def broadcast_to_shape(x, shape: tuple):
    """Broadcast one operand to ``shape`` with NumPy's rules (leading axes added, size-1 axes stretched)."""
    xshape = shape_of(x)
    if xshape == tuple(shape):
        return x
    lead = len(shape) - len(xshape)
    return lax.broadcast_in_dim(x, shape, range(lead, len(shape)))


def broadcast_operands(op: str, xs: Sequence) -> list:
    """Operands of an elementwise op, broadcast to one shape (rank-0 operands may stay scalars)."""
    shapes = [shape_of(x) for x in xs]
    if len({s for s in shapes if s}) <= 1:
        return list(xs)
    out_shape = broadcast_shapes(op, *shapes)
    return [x if shape_of(x) == () else broadcast_to_shape(x, out_shape) for x in xs]


def normalize_axis(op: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise FnxAxisError(f"{op}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim if ndim else 0


def normalize_axes(op: str, axis, ndim: int) -> tuple:
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = tuple(sorted(normalize_axis(op, int(a), ndim) for a in axes))
    if len(set(out)) != len(out):
        raise FnxTypeError(f"{op}: repeated axis in {axis}")
    return out


def as_array(x, op: str = "fnx.numpy"):
    """An operand as an array (Array or Tracer), never a bare scalar."""
    x = to_operand(x, op)
    if isinstance(x, (Array, Tracer)):
        return x
    if is_weak(x):
        return Array._wrap(np.asarray(x, dtype=dtypes.dtype_of_scalar(x)))
    dtypes.canonicalize(x.dtype, op)
    return Array(x)
