"""CPU rule of the debugging primitive (fnx/lax/debugging.py): a call back into Python from compiled code.

``debug_callback`` becomes ``with numba.objmode(): hc.call(key, operands...)`` at its place among the
function's statements, so callbacks run in program order, once per iteration inside a loop body. The key
reaches the Python callback through ``host_callbacks``' table.
"""
from __future__ import annotations

from ...core.ir import Eqn
from ...lax.debugging import debug_callback_p
from . import host_callbacks
from .codegen import FunctionWriter, cpu_rules


def _debug_callback(w: FunctionWriter, eqn: Eqn) -> None:
    key = host_callbacks.register(eqn.params["callback"], [x.aval for x in eqn.invars])
    w.line("with numba.objmode():")
    w.line(f"    hc.call({', '.join([str(key)] + [w.atom(x) for x in eqn.invars])})")


cpu_rules[debug_callback_p] = _debug_callback
