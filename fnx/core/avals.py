"""Abstract values: what tracing knows of an array (its shape and dtype), never its contents."""
from __future__ import annotations

import numpy as np

from .dtypes import short_name


class ShapedArray:
    """The abstract value of an array: ``ShapedArray((3, 4), float32)`` prints as ``f32[3,4]``.

    A plain value class (not a tuple), so that pytrees of avals have avals as their leaves. ``weak_type``: a
    value from a Python scalar argument (of a jitted, differentiated or vmapped function), whose dtype yields to
    the arrays it meets, as the scalar itself would (JAX's weak types). It is a promotion hint, not part of the
    type: avals that differ only in it are equal, so jaxprs compare and loop carries match as before.
    """

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape: tuple, dtype: np.dtype, weak_type: bool = False):
        self.shape, self.dtype, self.weak_type = tuple(shape), np.dtype(dtype), weak_type

    def __eq__(self, other) -> bool:
        return isinstance(other, ShapedArray) and self.shape == other.shape and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __str__(self) -> str:
        return f"{short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        return f"ShapedArray({self})"


def aval_of(value) -> ShapedArray:
    """The abstract value of a concrete NumPy value."""
    return ShapedArray(np.shape(value), np.asarray(value).dtype)
