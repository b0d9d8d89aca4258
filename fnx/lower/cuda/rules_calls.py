"""CUDA rules of the call primitives (nested jit, custom derivatives): the held jaxpr's program, run inline."""
from __future__ import annotations

from ...core.ir import Eqn
from ...lax.calls import custom_jvp_call_p, custom_vjp_call_p, jit_p
from .rules import cuda_rules
from .steps import ProgramStep


def _call(key: str):
    def rule(eqn: Eqn, program) -> ProgramStep:
        sub = program.sub(eqn.params[key].jaxpr)
        return ProgramStep(eqn, sub.run, [(sub, 1)])
    return rule


cuda_rules[jit_p] = _call("jaxpr")
cuda_rules[custom_jvp_call_p] = cuda_rules[custom_vjp_call_p] = _call("fun_jaxpr")
