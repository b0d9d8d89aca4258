"""Primitives and their rule tables.

A primitive is a named operation of the IR. Every rule about it lives in a table keyed by the primitive:
here the shape rule (``abstract_eval_rules``) and the eager NumPy implementation (``impl_rules``); the
transforms and backends keep their own tables the same way. ``def_primitive`` is also the public way to add
a user-defined primitive.
"""
from __future__ import annotations

import inspect
import os
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .array import Array
from .avals import ShapedArray
from .errors import ConcretizationError, FnxLinAlgError, FnxTypeError, check_size

# ------------------------------------------------------------------------------------------ rule tables

@dataclass(frozen=True)
class RuleSite:
    """Where one rule of a primitive was registered, and where its code is (``fnx.rules_of``)."""
    table: str
    registered: str  # "path/file.py:line" of the module-level statement that registered it
    code: str  # "path/file.py:line" of the rule function's definition ("" for a mark with no code)

    def __str__(self) -> str:
        code = f"  (code at {self.code})" if self.code and self.code != self.registered else ""
        return f"{self.table:<16} {self.registered}{code}"


rule_tables: dict[str, "RuleTable"] = {}  # every table of rules, by the name of what its rules do


class RuleTable(dict):
    """A table of rules keyed by primitive, one per transform or backend (``jvp``, ``CPU lowering``, ...).

    It remembers where each rule was registered: the module-level statement (of fnx, or of the user's program)
    that led to the registration, whatever helper it went through (a decorator, a table row). ``fnx.rules_of``
    reads it back; the registry test checks that every primitive has an entry in every table.
    """

    def __init__(self, name: str):
        super().__init__()
        self.name, self.sites = name, {}
        rule_tables[name] = self

    def __setitem__(self, prim: "Primitive", rule) -> None:
        super().__setitem__(prim, rule)
        self.sites[prim] = RuleSite(self.name, _registering_statement(), _code_site(rule))

    def update(self, rules: dict) -> None:  # dict.update would bypass __setitem__
        for prim, rule in dict(rules).items():
            self[prim] = rule

    def mark(self, *prims: "Primitive") -> None:
        """Register the primitives with no rule (a table of marks, such as "not differentiable")."""
        for prim in prims:
            self[prim] = None


def _short(filename: str, line: int) -> str:
    """A source position relative to the folder holding the fnx package (its absolute path otherwise)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.abspath(filename)
    return f"{os.path.relpath(path, root) if path.startswith(root + os.sep) else path}:{line}"


def _registering_statement() -> str:
    """The innermost module-level statement on the call stack: the line of fnx (or of the user's program)
    that a registration came from, through any helpers."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_name != "<module>":
        frame = frame.f_back
    frame = frame or sys._getframe(2)
    return _short(frame.f_code.co_filename, frame.f_lineno)


def _code_site(rule) -> str:
    code = getattr(inspect.unwrap(rule), "__code__", None) if callable(rule) else None
    return _short(code.co_filename, code.co_firstlineno) if code is not None else ""


def rules_of(name: str) -> list[RuleSite]:
    """Every registered rule of the primitive ``name``, with the file and line that registered it, from the
    rule tables themselves (the tables of modules not imported yet, such as a backend's, are not searched).

    >>> from fnx.core.primitive import rules_of
    >>> print(rules_of("tanh")[0])  # doctest: +ELLIPSIS
    abstract eval    fnx/lax/elementwise.py:...
    """
    if name not in primitives:
        raise KeyError(f"no primitive named {name!r}")
    prim = primitives[name]
    return [table.sites[prim] for table in rule_tables.values() if prim in table.sites]


primitives: dict[str, "Primitive"] = {}
abstract_eval_rules = RuleTable("abstract eval")
impl_rules = RuleTable("impl")
# primitives that act beyond their result (MPI collectives): dead-code elimination keeps them
effectful: set["Primitive"] = set()


class Primitive:
    """A named IR operation. ``multiple_results`` primitives return a list of outputs. An ``extension`` is one
    added from outside fnx's own operations (``fnx.extend``, a user's ``def_primitive``): it has only the rules
    its author gave, so the registry test, which checks that fnx's own have all of theirs, leaves it out."""

    __slots__ = ("name", "multiple_results", "extension")

    def __init__(self, name: str, multiple_results: bool = False, extension: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        self.extension = extension

    def bind(self, *args, **params):
        """Apply the primitive: computed now on concrete inputs, recorded into the innermost active trace otherwise.
        Returns its result, or the list of them for a ``multiple_results`` primitive (as JAX's ``bind`` does)."""
        return bind(self, args, params) if self.multiple_results else bind1(self, args, params)

    def __repr__(self) -> str:
        return self.name


def def_primitive(name: str, abstract_eval: Callable, impl: Callable, multiple_results: bool = False,
                  extension: bool = False) -> Primitive:
    """Create and register a primitive.

    ``abstract_eval(*avals, **params)`` returns the output ShapedArray (a list of them when
    ``multiple_results``); it must depend on nothing else, since its results are remembered.
    ``impl(*numpy_values, **params)`` computes it with NumPy. ``extension``: not one of fnx's own operations
    (``Primitive.extension``; ``fnx.extend`` marks its primitives so).

    >>> import numpy as np
    >>> from fnx.core.avals import ShapedArray
    >>> cube_p = def_primitive("cube", lambda x: x, lambda x: x ** 3)
    """
    if name in primitives:
        raise ValueError(f"a primitive named {name!r} is already registered")
    prim = Primitive(name, multiple_results, extension)
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
    for aval in out:
        check_size(prim.name, aval.shape, aval.dtype)
    if key is not None and all(map(_plain, params.values())):
        if len(_abstract_eval_cache) >= _ABSTRACT_EVAL_CACHE_SIZE:
            _abstract_eval_cache.clear()
        _abstract_eval_cache[key] = tuple(out)
    return out


def impl_outputs(prim: Primitive, values: Sequence, params: dict) -> list:
    """The NumPy implementation of ``prim`` on ``values``, always as the list of its outputs."""
    out = impl_rules[prim](*values, **params)
    return list(out) if prim.multiple_results else [out]


# ---------------------------------------------------------------------------------------------- bind

_trace_stack: list = []  # the active JaxprTraces, innermost last (see fnx.core.tracing)


def bind(prim: Primitive, args: Sequence, params: dict) -> list:
    """Apply ``prim``: record it in the innermost active trace, or compute it now with NumPy. Always the list of
    its outputs (``bind1`` returns the one output of a single-result primitive)."""
    if _trace_stack:
        return _trace_stack[-1].process(prim, args, params)
    out = _compute(prim, args, params)
    return [_wrap_result(v, args) for v in out] if prim.multiple_results else [_wrap_result(out, args)]


def bind1(prim: Primitive, args: Sequence, params: dict):
    """``bind`` for a primitive with one output: that output."""
    if _trace_stack:
        return _trace_stack[-1].process(prim, args, params)[0]
    return _wrap_result(_compute(prim, args, params), args)


def _compute(prim: Primitive, args: Sequence, params: dict):
    """The NumPy implementation on concrete inputs, its errors naming the primitive and the operands."""
    vals = [x._value if type(x) is Array else x for x in args]
    try:
        return impl_rules[prim](*vals, **params)
    except (ValueError, TypeError, IndexError, ArithmeticError) as e:
        if isinstance(e, (FnxTypeError, ConcretizationError)):
            raise
        operands = ", ".join(str(ShapedArray(np.shape(v), np.asarray(v).dtype)) for v in vals)
        error = FnxLinAlgError if isinstance(e, np.linalg.LinAlgError) else FnxTypeError
        raise error(f"{prim.name}: {e} (operands {operands})") from e


def _wrap_result(value, args) -> Array:
    if type(value) is not np.ndarray:
        return Array._wrap(np.asarray(value))
    if value.base is not None and any(type(x) is np.ndarray for x in args):
        value = value.copy()  # possibly a view of the caller's mutable array: take our own copy
    return Array._wrap(value)
