"""The IR: variables, literals, equations and jaxprs, with a printer and a type checker.

A jaxpr is a list of equations, each binding one primitive to input atoms (variables or literals) and
producing output variables. It prints like JAX's::

    { lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence, Union

import numpy as np

from .avals import ShapedArray
from .primitive import Primitive, RuleTable, abstract_eval, effectful


class Var:
    """A variable of the IR: it has an abstract value and is named only when printed."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var({self.aval})"


class Literal:
    """A scalar constant written inline in the IR, e.g. ``2.0:f32[]``."""

    __slots__ = ("val", "aval")

    def __init__(self, val, aval: ShapedArray):
        self.val = np.asarray(val, dtype=aval.dtype)
        self.aval = aval

    def __repr__(self) -> str:
        return f"Literal({self.val.item()!r}:{self.aval})"


Atom = Union[Var, Literal]


@dataclass(slots=True)
class Eqn:
    """One equation ``outvars = primitive[params] invars``; ``source`` is where in the user's code it was made,
    when a trace recorded it (``core.errors.user_frame``; ``source_line`` reads it), for ``debug_nans``' errors."""

    primitive: Primitive
    invars: list
    outvars: list
    params: dict = field(default_factory=dict)
    source: tuple | None = field(default=None, compare=False, repr=False)


@dataclass(eq=False)  # compared and hashed by identity: jaxprs are params of primitives and cache keys
class Jaxpr:
    """A typed, closed-form program: constvars and invars in, outvars out."""

    constvars: list
    invars: list
    eqns: list
    outvars: list

    @property
    def in_avals(self) -> list:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list:
        return [v.aval for v in self.outvars]

    def __str__(self) -> str:
        return pp_jaxpr(self, _Names(), indent=0)


@dataclass(eq=False)
class ClosedJaxpr:
    """A jaxpr together with the values of its constvars."""

    jaxpr: Jaxpr
    consts: list

    in_avals = property(lambda self: self.jaxpr.in_avals)
    out_avals = property(lambda self: self.jaxpr.out_avals)
    eqns = property(lambda self: self.jaxpr.eqns)

    def __str__(self) -> str:
        return str(self.jaxpr)

    __repr__ = __str__


def hoist_consts(closed: ClosedJaxpr, before: Sequence[ShapedArray] = (),
                 after: Sequence[ShapedArray] = ()) -> ClosedJaxpr:
    """The same computation with its constvars as leading inputs, and no consts.

    Primitives that hold a jaxpr (scan, cond, custom_vjp...) pass its consts as ordinary operands this way.
    ``before``/``after`` add unused inputs around them (``cond`` gives every branch all branches' consts).
    """
    j = closed.jaxpr
    invars = [Var(a) for a in before] + list(j.constvars) + [Var(a) for a in after] + list(j.invars)
    return ClosedJaxpr(Jaxpr([], invars, j.eqns, j.outvars), [])


def map_sub_jaxprs(eqn: Eqn, f: Callable[[Jaxpr], Jaxpr]) -> Eqn:
    """``eqn`` with every jaxpr it holds (a loop body, a cond's branches, a called function) replaced by ``f`` of
    it; ``eqn`` itself if it holds none. Passes over whole programs recurse with it."""
    params = {}
    for k, v in eqn.params.items():
        if isinstance(v, ClosedJaxpr):
            params[k] = ClosedJaxpr(f(v.jaxpr), v.consts)
        elif isinstance(v, tuple) and v and all(isinstance(b, ClosedJaxpr) for b in v):
            params[k] = tuple(ClosedJaxpr(f(b.jaxpr), b.consts) for b in v)
    return Eqn(eqn.primitive, eqn.invars, eqn.outvars, {**eqn.params, **params}, eqn.source) if params else eqn


def has_effects(eqn: Eqn) -> bool:
    """Whether ``eqn`` is ``effectful`` (a collective), or holds a jaxpr with an effectful equation (a loop body
    that calls one): dead-code elimination keeps it even when nothing uses its outputs."""
    if eqn.primitive in effectful:
        return True
    return any(has_effects(e) for j in _sub_jaxprs(eqn.params) for e in j.eqns)


# prim -> rule(eqn, used) -> an equation computing at least the outputs marked in ``used`` (a scan drops the
# stacked outputs nobody uses, and the code of its body that computed them)
dce_rules = RuleTable("dead code")


def dce(jaxpr: Jaxpr) -> Jaxpr:
    """The jaxpr without the equations whose outputs nothing uses (but ``effectful`` ones), also inside the
    jaxprs its equations hold; a primitive's ``dce_rules`` entry may drop its own unused outputs too."""
    live = {id(v) for v in jaxpr.outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        used = [id(v) in live for v in eqn.outvars]
        if not any(used) and not has_effects(eqn):
            continue
        rule = dce_rules.get(eqn.primitive)
        eqn = rule(eqn, used) if rule is not None else map_sub_jaxprs(eqn, dce)
        kept.append(eqn)
        live.update(id(x) for x in eqn.invars if isinstance(x, Var))
    return Jaxpr(jaxpr.constvars, jaxpr.invars, kept[::-1], jaxpr.outvars)


# ---------------------------------------------------------------------------------------------- printer

class _Names:
    """Hands out the names a, b, ..., z, ba, bb, ... in order of first appearance."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}

    def __call__(self, atom: Atom) -> str:
        if isinstance(atom, Literal):
            return _pp_literal(atom)
        if id(atom) not in self.names:
            self.names[id(atom)] = _nth_name(len(self.names))
        return self.names[id(atom)]


def _nth_name(n: int) -> str:
    letters = ""
    while True:
        letters = chr(ord("a") + n % 26) + letters
        n //= 26
        if n == 0:
            return letters


def _pp_literal(lit: Literal) -> str:
    v = lit.val.item()
    return f"{v!r}:{lit.aval}" if not isinstance(v, bool) else f"{v}:{lit.aval}"


def _pp_binder(v: Var, names: _Names) -> str:
    return f"{names(v)}:{v.aval}"


def _pp_param(value: Any, names: _Names, indent: int) -> str:
    if isinstance(value, ClosedJaxpr):
        value = value.jaxpr
    if isinstance(value, Jaxpr):
        return pp_jaxpr(value, names, indent + 4)
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, (tuple, list)) and any(isinstance(v, (Jaxpr, ClosedJaxpr)) for v in value):
        return "(\n" + "".join(" " * (indent + 8) + _pp_param(v, names, indent + 4) + "\n" for v in value) \
            + " " * (indent + 6) + ")"
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return repr(value)


def _pp_eqn(eqn: Eqn, names: _Names, indent: int) -> str:
    lhs = " ".join(_pp_binder(v, names) for v in eqn.outvars)
    params = ", ".join(f"{k}={_pp_param(v, names, indent)}" for k, v in eqn.params.items())
    rhs = eqn.primitive.name + (f"[{params}]" if params else "")
    args = " ".join(names(x) for x in eqn.invars)
    return f"{lhs + ' = ' if lhs else ''}{rhs} {args}".rstrip()  # no outputs: an effect (debug_callback)


def pp_jaxpr(jaxpr: Jaxpr, names: _Names, indent: int) -> str:
    """Print a jaxpr; one line when it has at most one short equation, one equation a line otherwise."""
    consts = " ".join(_pp_binder(v, names) for v in jaxpr.constvars)
    ins = " ".join(_pp_binder(v, names) for v in jaxpr.invars)
    head = f"{{ lambda {consts}; {ins}. let"
    eqns = [_pp_eqn(e, names, indent) for e in jaxpr.eqns]
    outs = "(" + ", ".join(names(v) for v in jaxpr.outvars) + ("," if len(jaxpr.outvars) == 1 else "") + ")"
    if len(eqns) <= 1 and "\n" not in "".join(eqns) and len(head + "".join(eqns) + outs) < 100:
        return f"{head} {eqns[0] if eqns else ''} in {outs} }}".replace("let  in", "let in")
    pad = " " * (indent + 4)
    body = "".join(f"\n{pad}{e}" for e in eqns)
    return f"{head}{body}\n{' ' * (indent + 2)}in {outs} }}"


# ---------------------------------------------------------------------------------------------- checker

class JaxprTypeError(TypeError):
    """A jaxpr is ill-formed: a variable used before it is defined, or an equation whose types do not match."""


def check_jaxpr(jaxpr: Jaxpr) -> None:
    """Check that every variable is defined once before use and every equation's output types are what its
    primitive's abstract-eval rule says. Raises JaxprTypeError.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.check_jaxpr(fnx.make_jaxpr(fnp.sin)(1.0).jaxpr)  # well typed: no error
    """
    defined: set[int] = set()

    def define(v: Var) -> None:
        if id(v) in defined:
            raise JaxprTypeError(f"variable {v} defined twice")
        defined.add(id(v))

    def read(x: Atom) -> ShapedArray:
        if isinstance(x, Var) and id(x) not in defined:
            raise JaxprTypeError(f"variable {x} used before it is defined")
        return x.aval

    for v in jaxpr.constvars + jaxpr.invars:
        define(v)
    for eqn in jaxpr.eqns:
        in_avals = [read(x) for x in eqn.invars]
        for sub in _sub_jaxprs(eqn.params):
            check_jaxpr(sub)
        out_avals = abstract_eval(eqn.primitive, in_avals, eqn.params)
        if out_avals != [v.aval for v in eqn.outvars]:
            raise JaxprTypeError(f"equation {eqn.primitive.name}: declared outputs "
                                 f"{[str(v.aval) for v in eqn.outvars]} but the rule gives {[str(a) for a in out_avals]}")
        for v in eqn.outvars:
            define(v)
    for x in jaxpr.outvars:
        read(x)


def _sub_jaxprs(params: dict):
    for value in params.values():
        for v in (value if isinstance(value, (tuple, list)) else (value,)):
            if isinstance(v, ClosedJaxpr):
                yield v.jaxpr
            elif isinstance(v, Jaxpr):
                yield v
