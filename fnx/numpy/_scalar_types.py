"""Dtype names that are also callable, as NumPy's and JAX's are: ``fnp.float32(x)`` is ``x`` as a float32 fnx
array, while ``fnp.float32`` still works wherever a dtype is expected (``np.dtype(fnp.float32)``,
``x.dtype == fnp.float32``, ``fnp.zeros(3, fnp.int32)``)."""
from __future__ import annotations

import numpy as np


class _ScalarTypeMeta(type):
    """The class of the callable dtype names: compares, hashes and reads its attributes as its dtype."""

    dtype: np.dtype

    def __eq__(cls, other) -> bool:
        try:
            return cls.dtype == np.dtype(other)
        except (TypeError, ValueError):  # np.dtype(a dict) is a ValueError
            return NotImplemented

    def __hash__(cls) -> int:
        return hash(cls.dtype)

    def __getattr__(cls, name: str):
        return getattr(cls.dtype, name)

    def __instancecheck__(cls, value) -> bool:
        return getattr(value, "dtype", None) == cls.dtype and getattr(value, "shape", None) == ()

    def __repr__(cls) -> str:
        return f"fnx.numpy.{cls.__name__}"


def scalar_type(name: str) -> type:
    """The callable dtype name ``name``: ``scalar_type("int32")(3)`` -> ``Array(3, dtype=int32)``."""
    dtype = np.dtype(name.rstrip("_"))

    def __new__(cls, value=0):
        from ._creation import asarray
        return asarray(value, dtype=dtype)

    doc = f"The dtype {dtype}; called, ``x`` as an fnx array of dtype {dtype}."
    return _ScalarTypeMeta(name, (), {"dtype": dtype, "__new__": __new__, "__doc__": doc,
                                      "__module__": "fnx.numpy"})
