"""CPU rules of the call primitives, which hold a jaxpr: nested jit and custom derivatives.

The jaxpr becomes a function of the generated module, called from the caller's code.
"""
from __future__ import annotations

from ...core.ir import Eqn
from ...lax.calls import custom_jvp_call_p, custom_vjp_call_p, jit_p
from .codegen import FunctionWriter, cpu_rules


def _call(w: FunctionWriter, eqn: Eqn, jaxpr, args: list) -> None:
    function = w.sub_function(jaxpr)
    result = w.temp()
    w.line(f"{result} = {function}({', '.join(args)})")
    for i, v in enumerate(eqn.outvars):
        w.assign(v, f"{result}[{i}]")


def _jit(w: FunctionWriter, eqn: Eqn) -> None:
    _call(w, eqn, eqn.params["jaxpr"], [w.atom(x) for x in eqn.invars])


def _custom_call(w: FunctionWriter, eqn: Eqn) -> None:
    _call(w, eqn, eqn.params["fun_jaxpr"], [w.atom(x) for x in eqn.invars])

cpu_rules[custom_jvp_call_p] = cpu_rules[custom_vjp_call_p] = _custom_call
cpu_rules[jit_p] = _jit
