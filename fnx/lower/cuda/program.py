"""A jaxpr as a CUDA program: the host-side plan of kernel launches that computes it on the device.

The jaxpr comes simplified (``fnx.lower.simplify``, as for the CPU); ``fnx.lower.fusion`` groups its equations
into the same clusters the CPU backend writes as loop nests, and each item becomes a step (``steps.py``): a
cluster its kernels, an equation its primitive's CUDA rule (``cuda_rules``), or the CPU backend's code on the
host (``host.py``). Running the program walks the steps, keeping every value in a device buffer; a buffer a
step took from the pool goes back to it right after its last use (a value's *roots*, the buffers it may be a
view of, stay alive as long as it does).
"""
from __future__ import annotations

import numpy as np

from ...core.ir import Jaxpr, Literal, Var
from ...lax.structural import broadcast_in_dim_p
from ..fusion import REDUCTIONS, Cluster, fuse
from . import runtime
from .rules import cuda_rules
from .rules_elementwise import cuda_exprs
from .steps import ClusterStep, HostStep, Step


class Program:
    """The steps computing ``jaxpr``; ``run(buffers)`` maps the device buffers of its constvars and invars to
    those of its outvars. ``pooled[j]``: output j is memory nobody else sees (it may return to the pool when
    its Array dies); ``aliases[j]``: the inputs whose memory output j may share."""

    def __init__(self, jaxpr: Jaxpr):
        self.jaxpr = jaxpr
        self._programs: dict[int, Program] = {}  # sub-programs, by id of their jaxpr
        self._literals: dict[int, object] = {}  # literal operands of steps, as device buffers
        self.steps = [self._step(item) for item in fuse(jaxpr)]
        self._releases, self.pooled, self.aliases = _liveness(jaxpr, self.steps)

    def _step(self, item) -> Step:
        if _complex(item):  # no CUDA kernel takes complexes (docs/complex.md): the CPU code runs them on the host
            eqns = item.eqns if isinstance(item, Cluster) else [item]
            return HostStep(eqns, item.outputs if isinstance(item, Cluster) else item.outvars)
        if isinstance(item, Cluster):
            supported = all(e.primitive in cuda_exprs or e.primitive in REDUCTIONS or e.primitive is broadcast_in_dim_p
                            for e in item.eqns)
            return ClusterStep(item) if supported else HostStep(item.eqns, item.outputs)
        rule = cuda_rules.get(item.primitive)
        if item.primitive in cuda_exprs:  # an elementwise equation fusion leaves alone (rank 0, stop_gradient)
            return ClusterStep(Cluster(item.outvars[0].aval.shape, [item], list(item.outvars)))
        if rule is None:  # routed to the host (host.py)
            return HostStep([item], item.outvars)
        return rule(item, self)

    def sub(self, jaxpr: Jaxpr) -> "Program":
        """The program of a jaxpr an equation holds (made once)."""
        if id(jaxpr) not in self._programs:
            self._programs[id(jaxpr)] = Program(jaxpr)
        return self._programs[id(jaxpr)]

    def _read(self, env: dict, x):
        if isinstance(x, Literal):
            if id(x) not in self._literals:
                self._literals[id(x)] = runtime.to_device(np.asarray(x.val, x.aval.dtype))
            return self._literals[id(x)]
        return env[id(x)]

    def run(self, buffers: list) -> list:
        env = {id(v): b for v, b in zip(self.jaxpr.constvars + self.jaxpr.invars, buffers)}
        for step, release in zip(self.steps, self._releases):
            outs = step.run([self._read(env, x) for x in step.inputs])
            env.update(zip(map(id, step.outputs), outs))
            for v in release:
                runtime.pool().give_back(env.pop(id(v)))
        return [self._read(env, v) for v in self.jaxpr.outvars]


def _complex(item) -> bool:
    """Whether a cluster or an equation reads or makes a complex value."""
    eqns = item.eqns if isinstance(item, Cluster) else [item]
    return any(v.aval.dtype.kind == "c" for e in eqns for v in e.invars + e.outvars)


def _liveness(jaxpr: Jaxpr, steps: list) -> tuple[list, list, list]:
    """Per step, the fresh values whose buffers can go back to the pool after it; per output, whether it is
    memory of its own (fresh, returned once, no other output a view of it), and the positions of the inputs
    (constvars, then invars) whose memory it may share."""
    inputs = jaxpr.constvars + jaxpr.invars
    roots: dict[int, set] = {id(v): {id(v)} for v in inputs}  # value -> the buffers it may be a view of
    made: dict[int, Var] = {}  # the fresh values, by id
    last: dict[int, int] = {}
    for n, step in enumerate(steps):
        for x in step.inputs:
            for r in roots.get(id(x), ()):
                last[r] = n
        inherited = set().union(*[roots.get(id(x), set()) for x in step.inputs if isinstance(x, Var)])
        for v in step.outputs:
            if step.fresh:
                roots[id(v)], made[id(v)], last[id(v)] = {id(v)}, v, n
            else:
                roots[id(v)] = inherited
    end = len(steps)
    outs = [v for v in jaxpr.outvars if isinstance(v, Var)]
    for v in outs:
        for r in roots.get(id(v), ()):
            last[r] = end
    releases = [[] for _ in steps]
    for r, v in made.items():
        if last[r] < end:
            releases[last[r]].append(v)
    pooled = [isinstance(v, Var) and id(v) in made and sum(u is v for u in outs) == 1
              and not any(id(v) in roots.get(id(u), ()) for u in outs if u is not v) for v in jaxpr.outvars]
    aliases = [{i for i, x in enumerate(inputs) if id(x) in roots.get(id(v), ())} for v in jaxpr.outvars]
    return releases, pooled, aliases
