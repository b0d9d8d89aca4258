"""Helpers shared by the dataset modules: keys from seeds, float dtypes, random draws as NumPy arrays."""
from __future__ import annotations

import numpy as np

from .. import random as fr
from ..config import config
from ..core.errors import FnxTypeError

_F64 = np.dtype("float64")


def as_key(key_or_seed, op: str):
    """An fnx.random key from an int seed or a key (a uint32 array of shape (2,))."""
    if isinstance(key_or_seed, (int, np.integer)) and not isinstance(key_or_seed, bool):
        return fr.key(int(key_or_seed))
    if key_or_seed is None:
        raise FnxTypeError(f"{op}: needs a key or an int seed to draw random numbers, got None")
    k = np.asarray(key_or_seed)
    if k.shape != (2,) or k.dtype != np.uint32:
        raise FnxTypeError(f"{op}: expected an int seed or a key (uint32 array of shape (2,), from "
                           f"fnx.random.key), got {k.dtype}{list(k.shape)}")
    return k


def float_dtype(dtype, op: str) -> np.dtype:
    """``dtype`` as a float dtype; None means fnx's default float (``fnx.config.default_float``)."""
    dt = config.default_float if dtype is None else np.dtype(dtype)
    if dt.kind != "f":
        raise FnxTypeError(f"{op}: dtype must be a float dtype, got {dt}")
    return dt


def normal(key, shape: tuple) -> np.ndarray:
    """Standard normal float64 samples of ``shape`` from an fnx.random key, as a NumPy array."""
    return np.asarray(fr.normal(key, shape, dtype=_F64))


def uniform(key, shape: tuple, low: float, high: float) -> np.ndarray:
    """Uniform float64 samples in [low, high) of ``shape`` from an fnx.random key, as a NumPy array."""
    return np.asarray(fr.uniform(key, shape, dtype=_F64, minval=low, maxval=high))


def permutation(key, n: int) -> np.ndarray:
    """A random permutation of ``range(n)`` (int64) from an fnx.random key, as a NumPy array."""
    return np.asarray(fr.permutation(key, n))
