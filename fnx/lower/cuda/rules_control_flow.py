"""CUDA rules of the control-flow primitives, driven from the host around the device kernels of their bodies.

scan runs its body's program once per step, passing each step's slice of the xs as a view and copying each
step's ys into the stacked outputs (device to device); while_loop reads its predicate back to the host once
per iteration (a 1-element transfer and a synchronization, the price of a data-dependent loop); cond reads its
index back once. Carries stay on the device throughout. A step's carries and ys that are memory of the body's
own go back to the pool once the next step has replaced them (or once copied), so a loop allocates nothing
after its first steps.
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


def recycle(body, old: list, new: list, first: int) -> None:
    """Give back the carries ``old`` (outputs of ``body``'s previous run) that ``new`` (its outputs of this run,
    whose carry inputs started at position ``first``) no longer needs: memory of the body's own that no new
    carry may share."""
    shared = set().union(*[body.aliases[j] for j in range(len(new))])
    for k, buffer in enumerate(old):
        if body.pooled[k] and first + k not in shared and all(buffer is not b for b in new):
            runtime.pool().give_back(buffer)


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
            for j, (y, out) in enumerate(zip(ys, outs[nk:])):
                if out.size:
                    row(y, i).copy_to_device(out)
                if body.pooled[nk + j]:
                    runtime.pool().give_back(out)
            if step:  # (the first step's carries are the caller's)
                recycle(body, carry, outs[:nk], nc)
            carry = outs[:nk]
        return carry + ys
    return ProgramStep(eqn, run, [(body, length)])


@cuda_rule(while_p)
def _while(eqn: Eqn, program) -> ProgramStep:
    p = eqn.params
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    test, body = program.sub(p["cond_jaxpr"].jaxpr), program.sub(p["body_jaxpr"].jaxpr)

    def run(values: list) -> list:
        test_consts, body_consts, carry = values[:cn], values[cn:cn + bn], values[cn + bn:]
        first = True
        while host_scalar(test.run(test_consts + carry)[0]):
            new = body.run(body_consts + carry)
            if not first:
                recycle(body, carry, new, bn)
            carry, first = new, False
        return carry
    return ProgramStep(eqn, run, [(test, 1), (body, 1)])  # per iteration; their number is known at run time


@cuda_rule(cond_p)
def _cond(eqn: Eqn, program) -> ProgramStep:
    branches = [program.sub(b.jaxpr) for b in eqn.params["branches"]]

    def run(values: list) -> list:
        chosen = min(max(int(host_scalar(values[0])), 0), len(branches) - 1)  # clamped, as the primitive does
        return branches[chosen].run(values[1:])
    return ProgramStep(eqn, run, [(b, 1) for b in branches], one_of=True)
