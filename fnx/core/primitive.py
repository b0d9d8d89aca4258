"""Primitives and their rule tables.

A primitive is a named operation of the IR. Every rule about it lives in a table keyed by the primitive:
here the shape rule (``abstract_eval_rules``) and the eager NumPy implementation (``impl_rules``); the
transforms and backends keep their own tables the same way. ``def_primitive`` is also the public way to add
a user-defined primitive.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .array import Array
from .avals import ShapedArray
from .errors import ConcretizationError, FnxTypeError

primitives: dict[str, "Primitive"] = {}
abstract_eval_rules: dict["Primitive", Callable] = {}
impl_rules: dict["Primitive", Callable] = {}
# primitives that act beyond their result (MPI collectives): dead-code elimination keeps them
effectful: set["Primitive"] = set()


class Primitive:
    """A named IR operation. ``multiple_results`` primitives return a list of outputs."""

    __slots__ = ("name", "multiple_results")

    def __init__(self, name: str, multiple_results: bool = False):
        self.name = name
        self.multiple_results = multiple_results

    def bind(self, *args, **params):
        """Apply the primitive: computed now on concrete inputs, recorded into the innermost active trace otherwise."""
        return bind(self, args, params)

    def __repr__(self) -> str:
        return self.name


def def_primitive(name: str, abstract_eval: Callable, impl: Callable, multiple_results: bool = False) -> Primitive:
    """Create and register a primitive.

    ``abstract_eval(*avals, **params)`` returns the output ShapedArray (a list of them when
    ``multiple_results``); it must depend on nothing else, since its results are remembered.
    ``impl(*numpy_values, **params)`` computes it with NumPy.

    >>> import numpy as np
    >>> from fnx.core.avals import ShapedArray
    >>> cube_p = def_primitive("cube", lambda x: x, lambda x: x ** 3)
    """
    if name in primitives:
        raise ValueError(f"a primitive named {name!r} is already registered")
    prim = Primitive(name, multiple_results)
    primitives[name] = prim
    abstract_eval_rules[prim] = abstract_eval
    impl_rules[prim] = impl
    return prim


_PLAIN_TYPES = frozenset({int, float, bool, str, type(None)} | {type(np.dtype(c)) for c in "?bhilqBHILQefd"})
_abstract_eval_cache: dict = {}
_ABSTRACT_EVAL_CACHE_SIZE = 4096


def _plain(value) -> bool:
    """A param value that is safe and cheap as a cache key: scalars, dtypes, strings, tuples of those."""
    if type(value) is tuple:
        for v in value:
            if type(v) not in _PLAIN_TYPES and not _plain(v):
                return False
        return True
    return type(value) in _PLAIN_TYPES


def abstract_eval(prim: Primitive, avals, params: dict) -> list:
    """The output avals of ``prim`` applied to ``avals``, always as a list.

    Rules are pure functions of avals and params, so results are remembered: eager ``grad`` traces the same
    few signatures thousands of times. Only keys whose params are plain values are stored (never jaxprs or
    functions, so that the cache keeps no program alive), hence only those are ever found.
    """
    # with each param's type: 1, 1.0 and True are equal keys, and a rule may decide by a value's type
    key = (prim, *avals, *[(k, type(v), v) for k, v in params.items()]) if params else (prim, *avals)
    try:
        cached = _abstract_eval_cache.get(key)
    except TypeError:  # an unhashable param
        cached = key = None
    if cached is not None:
        return list(cached)
    out = abstract_eval_rules[prim](*avals, **params)
    out = list(out) if prim.multiple_results else [out]
    if key is not None and all(map(_plain, params.values())):
        if len(_abstract_eval_cache) >= _ABSTRACT_EVAL_CACHE_SIZE:
            _abstract_eval_cache.clear()
        _abstract_eval_cache[key] = tuple(out)
    return out


# ---------------------------------------------------------------------------------------------- bind

_trace_stack: list = []  # the active JaxprTraces, innermost last (see fnx.core.tracing)


def bind(prim: Primitive, args: Sequence, params: dict):
    """Apply ``prim``: record it in the innermost active trace, or compute it now with NumPy."""
    if _trace_stack:
        return _trace_stack[-1].process(prim, args, params)
    vals = [x._value if type(x) is Array else x for x in args]
    try:
        out = impl_rules[prim](*vals, **params)
    except (ValueError, TypeError, IndexError, ArithmeticError) as e:
        if isinstance(e, (FnxTypeError, ConcretizationError)):
            raise
        operands = ", ".join(str(ShapedArray(np.shape(v), np.asarray(v).dtype)) for v in vals)
        raise FnxTypeError(f"{prim.name}: {e} (operands {operands})") from e
    if prim.multiple_results:
        return [_wrap_result(v, args) for v in out]
    return _wrap_result(out, args)


def _wrap_result(value, args) -> Array:
    if type(value) is not np.ndarray:
        return Array._wrap(np.asarray(value))
    if value.base is not None and any(type(x) is np.ndarray for x in args):
        value = value.copy()  # possibly a view of the caller's mutable array: take our own copy
    return Array._wrap(value)
