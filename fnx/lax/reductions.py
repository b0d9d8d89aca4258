"""Reductions over axes, arg-reductions and cumulative scans along one axis."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..core import dtypes
from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.primitive import Primitive, def_primitive
from ._rules import normalize_axes, public_names

_REDUCERS = {"reduce_sum": (np.add, "biufc"), "reduce_prod": (np.multiply, "biufc"),
             "reduce_max": (np.maximum, "biuf"), "reduce_min": (np.minimum, "biuf"),
             "reduce_and": (np.logical_and, "b"), "reduce_or": (np.logical_or, "b")}
_ORDERED = ("reduce_max", "reduce_min", "argmax", "argmin", "cummax", "cummin")


def _no_order(name: str, x) -> FnxTypeError:
    return FnxTypeError(f"{name}: complex numbers have no order, got {x} (compare their abs or real parts)")


def _reduce_rule(name: str, kinds: str):
    def abstract_eval(x, *, axes):
        if x.dtype.kind == "c" and name in _ORDERED:
            raise _no_order(name, x)
        if x.dtype.kind not in kinds:
            raise FnxTypeError(f"{name}: does not take {x}")
        axes = normalize_axes(name, axes, x.ndim)
        if name in ("reduce_max", "reduce_min") and any(x.shape[a] == 0 for a in axes):
            raise FnxTypeError(f"{name}: zero-size axis {axes} of {x} has no identity")
        return ShapedArray(tuple(n for i, n in enumerate(x.shape) if i not in axes), x.dtype)
    return abstract_eval


_WIDER = {np.dtype("float32"): np.dtype("float64"), np.dtype("complex64"): np.dtype("complex128")}
_WIDENED = ("reduce_sum", "reduce_prod", "cumsum", "cumprod")


def accumulator_dtype(name: str, dtype: np.dtype) -> np.dtype:
    """The dtype in which the reduction or running scan ``name`` accumulates values of ``dtype``: float64
    (complex128) for float32 (complex64) sums and products, so that their error stays near float32's rounding
    at any size (docs/failures.md, "Float reductions"); ``dtype`` otherwise.

    >>> accumulator_dtype("reduce_sum", np.dtype("float32"))
    dtype('float64')
    """
    return _WIDER.get(dtype, dtype) if name in _WIDENED else dtype


def _reduce_impl(name: str, ufunc):
    # ufunc.reduce is what np.sum/np.max... call, without their Python dispatch layer (a third of an eager
    # reduction of a small array)
    ordered = name in _ORDERED

    def impl(x, *, axes):
        x = np.asarray(x)
        if ordered and x.dtype.kind == "c":  # NumPy would order them lexicographically
            raise _no_order(name, ShapedArray(x.shape, x.dtype))
        out = ufunc.reduce(x, axis=tuple(axes), dtype=accumulator_dtype(name, x.dtype))
        return np.asarray(out).astype(x.dtype, copy=False)
    return impl


reduce_primitives = {name: def_primitive(name, _reduce_rule(name, kinds), _reduce_impl(name, fn))
                     for name, (fn, kinds) in _REDUCERS.items()}
reduce_sum_p, reduce_prod_p, reduce_max_p, reduce_min_p, reduce_and_p, reduce_or_p = reduce_primitives.values()


def _argreduce_rule(name: str):
    def abstract_eval(x, *, axis, index_dtype):
        if x.dtype.kind == "c":
            raise _no_order(name, x)
        (axis,) = normalize_axes(name, (axis,), x.ndim)
        if x.shape[axis] == 0:
            raise FnxTypeError(f"{name}: the axis {axis} of {x} is empty")
        return ShapedArray(x.shape[:axis] + x.shape[axis + 1:], index_dtype)
    return abstract_eval


def _argreduce_impl(name: str, fn):
    def impl(x, *, axis, index_dtype):
        x = np.asarray(x)
        if x.dtype.kind == "c":
            raise _no_order(name, ShapedArray(x.shape, x.dtype))
        return fn(x, axis=axis).astype(index_dtype)
    return impl


argmax_p = def_primitive("argmax", _argreduce_rule("argmax"), _argreduce_impl("argmax", np.argmax))
argmin_p = def_primitive("argmin", _argreduce_rule("argmin"), _argreduce_impl("argmin", np.argmin))

_CUMULATIVE = {"cumsum": np.add.accumulate, "cumprod": np.multiply.accumulate, "cummax": np.maximum.accumulate,
               "cummin": np.minimum.accumulate}


def _cumulative_rule(name: str):
    def abstract_eval(x, *, axis, reverse):
        normalize_axes(name, (axis,), x.ndim)
        if x.dtype.kind == "b":
            raise FnxTypeError(f"{name}: does not take bool operands; cast to an integer first")
        if x.dtype.kind == "c" and name in _ORDERED:
            raise _no_order(name, x)
        return x
    return abstract_eval


def _cumulative_impl(name: str, fn):
    def impl(x, *, axis, reverse):
        x = np.asarray(x)
        if x.dtype.kind == "c" and name in _ORDERED:
            raise _no_order(name, ShapedArray(x.shape, x.dtype))
        acc = accumulator_dtype(name, x.dtype)
        if reverse:
            return np.flip(fn(np.flip(x, axis), axis=axis, dtype=acc), axis).astype(x.dtype, copy=False)
        return fn(x, axis=axis, dtype=acc).astype(x.dtype, copy=False)
    return impl


cumulative_primitives = {name: def_primitive(name, _cumulative_rule(name), _cumulative_impl(name, fn))
                         for name, fn in _CUMULATIVE.items()}
cumsum_p, cumprod_p, cummax_p, cummin_p = cumulative_primitives.values()


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


__all__ = public_names(globals())
