"""The dtypes fnx supports and NumPy-2 type promotion (NEP 50: Python scalars are *weak*).

A Python ``bool``, ``int``, ``float`` or ``complex`` takes the dtype of the array it meets; alone, a float takes
the configured default float (``fnx.config.default_float``), a complex the complex dtype of that float, and an
int takes int64. A complex scalar meeting a float32 array gives complex64, meeting integers the default
complex (NumPy 2 and JAX agree on these; docs/complex.md).
"""
from __future__ import annotations

import numpy as np

from ..config import config
from .errors import FnxTypeError

SUPPORTED_DTYPES = tuple(np.dtype(d) for d in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
    "complex64", "complex128"))
_SUPPORTED = frozenset(SUPPORTED_DTYPES)
WEAK_TYPES = (bool, int, float, complex)
DEFAULT_INT = np.dtype("int64")

_SHORT = {"bool": "bool", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8",
          "uint16": "u16", "uint32": "u32", "uint64": "u64", "float32": "f32", "float64": "f64",
          "complex64": "c64", "complex128": "c128"}


def short_name(dtype: np.dtype) -> str:
    """The short name used in printed jaxprs: ``f32``, ``i64``, ``bool``..."""
    return _SHORT[dtype.name]


def canonicalize(dtype, op: str = "fnx") -> np.dtype:
    """Return ``np.dtype(dtype)`` if fnx supports it; otherwise raise an error naming the dtype and ``op``.

    Python ``float`` means the configured default float, ``complex`` its complex dtype, ``int`` means int64.
    """
    if dtype is float:
        return config.default_float
    if dtype is int:
        return DEFAULT_INT
    if dtype is complex:
        return to_complex(config.default_float)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise FnxTypeError(f"{op}: {dtype!r} is not a dtype") from None
    if not dt.isnative:  # big-endian data (FITS, network files): computed with in native order, as NumPy does
        dt = dt.newbyteorder("=")
    if dt not in _SUPPORTED:
        raise FnxTypeError(f"{op}: dtype {dt} is not supported; fnx supports "
                           + ", ".join(d.name for d in SUPPORTED_DTYPES))
    return dt


def to_inexact(dtype: np.dtype) -> np.dtype:
    """The dtype an op like ``sin`` or ``/`` computes in: floats and complexes stay, bools and ints go to the
    default float."""
    return dtype if dtype.kind in "fc" else config.default_float


def to_complex(dtype: np.dtype) -> np.dtype:
    """The complex dtype holding ``dtype``'s values: complex64 for float32, else complex128 (default float32:
    complex64 for bools and integers)."""
    return np.result_type(to_inexact(dtype), np.complex64)


def to_real(dtype: np.dtype) -> np.dtype:
    """The real dtype of a complex one's parts (float32 for complex64); other dtypes unchanged."""
    return np.dtype(f"float{dtype.itemsize * 4}") if dtype.kind == "c" else dtype


def dtype_of_scalar(x) -> np.dtype:
    """The dtype a lone Python scalar becomes."""
    return result_type(type(x))


def weak_key(dtype: np.dtype) -> type:
    """The promotion key of a weakly typed value of ``dtype``: the Python scalar type it came from."""
    return {"b": bool, "i": int, "u": int, "f": float, "c": complex}[dtype.kind]


def _promote(keys: tuple) -> np.dtype:
    strong = [k for k in keys if isinstance(k, np.dtype)]
    result = np.result_type(*strong) if strong else None
    for weak in (k for k in keys if not isinstance(k, np.dtype)):
        if weak is float and (result is None or result.kind in "biu"):
            result = config.default_float
        elif weak is complex and (result is None or result.kind != "c"):
            result = to_complex(result if result is not None else config.default_float)
        elif weak is int and (result is None or result.kind == "b"):
            result = DEFAULT_INT
        elif weak is bool and result is None:
            result = np.dtype(bool)
    if result not in _SUPPORTED:
        raise FnxTypeError(f"dtype {result} is not supported; fnx supports "
                           + ", ".join(d.name for d in SUPPORTED_DTYPES))
    return result


_promotion_cache: dict[tuple, np.dtype] = {}
config._on_change.append(_promotion_cache.clear)


def result_type(*keys) -> np.dtype:
    """Promote dtypes (strong) and Python scalar types ``bool``/``int``/``float``/``complex`` (weak) as NumPy 2
    does.

    >>> result_type(np.dtype("float32"), float)
    dtype('float32')
    >>> result_type(np.dtype("int8"), np.dtype("uint8"))
    dtype('int16')
    >>> result_type(np.dtype("float32"), complex)
    dtype('complex64')
    """
    try:
        return _promotion_cache[keys]
    except KeyError:
        result = _promotion_cache[keys] = _promote(keys)
        return result


def finfo(dtype) -> np.finfo:
    """Machine limits of a float dtype (``fnx.numpy.finfo``); for a complex dtype, those of its parts' float
    (as NumPy and the Array API give them)."""
    return np.finfo(canonicalize(dtype, "finfo"))


def iinfo(dtype) -> np.iinfo:
    """Machine limits of an integer dtype (``fnx.numpy.iinfo``)."""
    return np.iinfo(canonicalize(dtype, "iinfo"))
