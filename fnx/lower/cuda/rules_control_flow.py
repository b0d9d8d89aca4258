"""CUDA rules of the control-flow primitives, driven from the host around the device kernels of their bodies.

scan runs its body's program once per step, passing each step's slice of the xs as a view and copying each
step's ys into the stacked outputs (device to device); while_loop reads its predicate back to the host once
per iteration (a 1-element transfer and a synchronization, the price of a data-dependent loop); cond reads its
index back once. Carries stay on the device throughout.
"""
from __future__ import annotations

from ...core.ir import Eqn
from ...lax.control_flow import cond_p, scan_p, while_p
from . import runtime
from .rules import cuda_rule
from .steps import ProgramStep


def row(stacked, i: int):
    """Row ``i`` of a stacked device buffer, as a view of the row's shape (a 0-d one for a 1-d buffer)."""
    return stacked[i:i + 1].reshape(tuple(stacked.shape[1:]))


def host_scalar(buffer):
    """The value of a rank-0 device buffer on the host (a transfer that waits for the device)."""
    return buffer.copy_to_host().reshape(())[()]


@cuda_rule(scan_p)
def _scan(eqn: Eqn, program) -> ProgramStep:
    p = eqn.params
    nc, nk, length = p["num_consts"], p["num_carry"], p["length"]
    body = program.sub(p["jaxpr"].jaxpr)
    stacked = eqn.outvars[nk:]

    def run(values: list) -> list:
        consts, carry, xs = values[:nc], values[nc:nc + nk], values[nc + nk:]
        ys = [runtime.pool().take(v.aval.shape, v.aval.dtype) for v in stacked]
        for step in range(length):
            i = length - 1 - step if p["reverse"] else step
            outs = body.run(consts + carry + [row(x, i) for x in xs])
            carry = outs[:nk]
            for y, out in zip(ys, outs[nk:]):
                if out.size:
                    row(y, i).copy_to_device(out)
        return carry + ys
    return ProgramStep(eqn, run, [(body, length)])


@cuda_rule(while_p)
def _while(eqn: Eqn, program) -> ProgramStep:
    p = eqn.params
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    test, body = program.sub(p["cond_jaxpr"].jaxpr), program.sub(p["body_jaxpr"].jaxpr)

    def run(values: list) -> list:
        test_consts, body_consts, carry = values[:cn], values[cn:cn + bn], values[cn + bn:]
        while host_scalar(test.run(test_consts + carry)[0]):
            carry = body.run(body_consts + carry)
        return carry
    return ProgramStep(eqn, run, [(test, 1), (body, 1)])  # per iteration; their number is known at run time


@cuda_rule(cond_p)
def _cond(eqn: Eqn, program) -> ProgramStep:
    branches = [program.sub(b.jaxpr) for b in eqn.params["branches"]]

    def run(values: list) -> list:
        chosen = min(max(int(host_scalar(values[0])), 0), len(branches) - 1)  # clamped, as the primitive does
        return branches[chosen].run(values[1:])
    return ProgramStep(eqn, run, [(b, 1) for b in branches], one_of=True)
