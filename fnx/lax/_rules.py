"""Shape and dtype checks shared by the lax primitives' abstract-eval rules, and operand typing for the lax functions."""
from __future__ import annotations

import numpy as np

from ..core import dtypes
from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.primitive import Primitive


def describe(avals) -> str:
    return ", ".join(str(a) for a in avals)


def require_dtype_kind(name: str, aval: ShapedArray, kinds: str, what: str) -> None:
    if aval.dtype.kind not in kinds:
        raise FnxTypeError(f"{name}: needs {what} operands, got {aval}")


def same_dtype(name: str, avals) -> np.dtype:
    dtypes = {a.dtype for a in avals}
    if len(dtypes) != 1:
        raise FnxTypeError(f"{name}: operands must have one dtype, got {describe(avals)}")
    return avals[0].dtype


def elementwise_shape(name: str, avals) -> tuple:
    """Operands of an elementwise primitive have one shape, except that rank-0 operands broadcast."""
    shapes = {a.shape for a in avals if a.shape != ()}
    if len(shapes) > 1:
        raise FnxTypeError(f"{name}: operands must have equal shapes (or be scalars), got {describe(avals)}")
    return shapes.pop() if shapes else ()


def normalize_axes(name: str, axes, ndim: int) -> tuple:
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise FnxTypeError(f"{name}: axis {a} is out of range for an array of rank {ndim}")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise FnxTypeError(f"{name}: repeated axis in {tuple(axes)}")
    return tuple(out)


def _dtype_of(x):
    return None if isinstance(x, dtypes.WEAK_TYPES) and not isinstance(x, np.generic) else np.dtype(x.dtype)


def typed(*xs) -> list:
    """The operands with Python scalars given the dtype of the array operands (of each other, if none is one)."""
    strong = [d for d in map(_dtype_of, xs) if d is not None]
    dtype = dtypes.result_type(*(strong or [type(x) for x in xs]))
    if dtype.kind != "c" and any(type(x) is complex for x in xs):
        raise FnxTypeError(f"lax: a Python complex cannot take the dtype {dtype} of the array operand (lax does not "
                           "promote: cast the array, or use fnx.numpy)")
    return [dtype.type(x) if _dtype_of(x) is None else x for x in xs]


def public_names(namespace: dict, exclude: frozenset = frozenset()) -> list:
    """The names a lax module gives ``fnx.lax`` (its ``__all__``): its primitives and the functions it defines,
    but not what it imports or ``exclude``."""
    module = namespace["__name__"]
    return [name for name, value in namespace.items() if not name.startswith("_") and name not in exclude and
            (isinstance(value, Primitive) or getattr(value, "__module__", None) == module and callable(value))]
