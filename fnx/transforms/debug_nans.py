"""The ``debug_nans`` and ``debug_infs`` settings: a jitted function whose result holds a NaN (or an inf) is
run again eagerly, one equation at a time, to name the first equation that produced one.

As JAX's ``jax_debug_nans``: the compiled code runs at full speed, its outputs are checked after each call, and
only when one holds an invalid value is the program evaluated again on the same inputs with the primitives'
NumPy implementations (``eval_jaxpr_numpy``), checking every equation's outputs, inside loop bodies, branches and
nested jitted functions too (``core.tracing.numpy_equations``). The first equation whose outputs hold a NaN (or
an inf) while its inputs held none is the culprit: the error names its primitive, its operands' and results'
types, the loop or call it sits in, and the user's line that made it (``Eqn.source``). With neither setting on,
jit's call paths are as they were: the check is installed on them when a setting changes
(``config._on_debug_change``).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..config import config
from ..core.errors import source_line
from ..core.ir import ClosedJaxpr, Eqn
from ..core.tracing import eval_jaxpr_numpy, impl_eqn, numpy_equations
from ..lax.calls import jit_p
from ..lax.debugging import debug_callback_p


class InvalidValueError(FloatingPointError):
    """A jitted function produced a NaN or inf while ``debug_nans`` or ``debug_infs`` was on; the message names
    the first equation that produced it and the user's line (``FloatingPointError``, as JAX raises)."""


def enabled() -> bool:
    """Whether jitted calls check their outputs (``debug_nans`` or ``debug_infs`` is on)."""
    return config.debug_nans or config.debug_infs


def _invalid(values: Sequence) -> str:
    """"NaN" or "inf" if a float value holds one that a setting asks about, else ''."""
    for v in values:
        v = np.asarray(v)
        if v.dtype.kind not in "fc":
            continue
        if config.debug_nans and np.isnan(v).any():
            return "NaN"
        if config.debug_infs and np.isinf(v).any():
            return "inf"
    return ""


def checked(call: Callable, closed: ClosedJaxpr, consts: list, where: str) -> Callable:
    """``call`` (of the flat inputs after ``consts``), raising ``InvalidValueError`` when its outputs hold an
    invalid value: ``closed`` (consts hoisted) is then run again on ``consts`` and the inputs to find why."""
    def run(*values):
        return check(call(*values), closed, [*consts, *values], where)
    return run


def check(outs: list, closed: ClosedJaxpr, args: list, where: str) -> list:
    """``outs``, the outputs of ``closed`` on ``args``, if they hold no invalid value; else the error saying why."""
    kind = _invalid(outs)
    if kind:
        raise explain(where, closed, args, kind)
    return outs


class _Found(Exception):
    """The first equation producing an invalid value, and the equations holding it (innermost first)."""

    def __init__(self, eqn: Eqn, values: list, outs: list, kind: str):
        super().__init__(kind)
        self.eqn, self.values, self.outs, self.kind, self.within = eqn, values, outs, kind, []


def _checking_apply(eqn: Eqn, values: list) -> list:
    if eqn.primitive is debug_callback_p:  # the first run printed already
        return []
    try:  # a nested jit runs its jaxpr here, not its compiled code, to be looked into too
        outs = eval_jaxpr_numpy(eqn.params["jaxpr"], *values) if eqn.primitive is jit_p else impl_eqn(eqn, values)
    except _Found as found:
        found.within.append(eqn)
        raise
    kind = _invalid(outs)
    if kind and not _invalid(values):
        raise _Found(eqn, values, outs, kind)
    return outs


def explain(where: str, closed: ClosedJaxpr, args: list, kind: str) -> InvalidValueError:
    """The error for ``closed`` (const-free), whose compiled result on ``args`` held a ``kind`` value."""
    head = f"{where}: its result holds {kind} (debug_{kind.lower()}s is on)"
    try:
        with numpy_equations(_checking_apply), np.errstate(all="ignore"):
            eval_jaxpr_numpy(closed, *args)
    except _Found as found:
        return InvalidValueError(f"{head}. Run again eagerly one equation at a time, the first to produce "
                                 f"{found.kind} is\n  {_equation(found)}")
    if _invalid(args):
        return InvalidValueError(f"{head}: its inputs already held {_invalid(args)}")
    return InvalidValueError(f"{head}, but run again eagerly one equation at a time it produced none (the "
                             "compiled code rounds differently, or the inputs were donated and overwritten)")


def _equation(found: _Found) -> str:
    eqn = found.eqn
    operands = ", ".join(str(x.aval) for x in eqn.invars)
    results = ", ".join(str(v.aval) for v in eqn.outvars)
    text = f"{eqn.primitive.name} of {operands} -> {results}"
    for outer in found.within:
        text += f"\n  in {outer.primitive.name}" + (f", at {source_line(outer.source)}" if outer.source else "")
    return text + (f"\n  made at {source_line(eqn.source)}" if eqn.source else
                   "\n  (made by fnx: no line of the user's was recorded for it)")
