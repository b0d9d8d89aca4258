"""Abstract values: what tracing knows of an array (its shape and dtype), never its contents."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .dtypes import short_name


class ShapedArray(NamedTuple):
    """The abstract value of an array: ``ShapedArray((3, 4), float32)`` prints as ``f32[3,4]``."""

    shape: tuple
    dtype: np.dtype

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
