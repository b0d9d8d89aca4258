"""The CUDA backend's rule tables: a rule per primitive that has CUDA code, a mark per primitive that runs on
the host (``host.py``). The registry test checks that every primitive is in one of them."""
from __future__ import annotations

from ...core.primitive import Primitive, RuleTable

# prim -> rule. Elementwise primitives: expr(eqn, operand element expressions) -> the element's expression
# (rules_elementwise). Others: rule(eqn, plan) -> a Step (program.py) computing the equation on the device.
cuda_rules = RuleTable("CUDA lowering")
# primitives computed by the CPU backend: inputs copied to the host, outputs back to the device (host.py)
host_routed = RuleTable("CUDA host routing")


def cuda_rule(prim: Primitive):
    """Decorator: register the function as the CUDA rule of ``prim``."""
    def register(f):
        cuda_rules[prim] = f
        return f
    return register
