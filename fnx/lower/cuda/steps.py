"""The steps of a CUDA program (``program.py``): each computes some equations' outputs from its inputs' device
buffers, launching kernels from the host.

A step's ``run(values)`` takes the device buffers of ``inputs`` (C-contiguous, of the vars' shapes) and returns
those of ``outputs``. ``fresh`` says that the outputs are buffers the step took from the pool for them alone
(not views of its inputs), so the program may give them back once nothing reads them.
"""
from __future__ import annotations

import math

import numpy as np

from ...core.ir import ClosedJaxpr, Jaxpr, Var
from ..fusion import REDUCTIONS, Cluster
from . import runtime
from .kernel_writer import map_kernel, reduction_kernel, second_pass_source
from .runtime import MAX_BLOCKS, THREADS, blocks_for, compile_kernel, pool


def flat(buffer):
    """A 1-d view of a C-contiguous device buffer (kernels index every argument by one position)."""
    return buffer if len(buffer.shape) == 1 else buffer.reshape(buffer.size)


def size_of(v) -> int:
    return math.prod(v.aval.shape)


def _vars(atoms) -> list:
    return list({id(x): x for x in atoms if isinstance(x, Var)}.values())


class Step:
    """Base of the steps: ``inputs``, ``outputs``, ``fresh`` and ``run``; ``launches`` and ``flops`` (kernel
    launches and arithmetic per run) are for cost estimates (``benchmarks/gpu_estimate.py``)."""

    inputs: list
    outputs: list
    fresh = True
    launches = 1
    flops = 0

    def run(self, values: list) -> list:
        raise NotImplementedError


class ClusterStep(Step):
    """A fused cluster: one map kernel writing its elementwise outputs, one reduction kernel per reduction
    (plus a second pass when the reduced range is split over several blocks)."""

    def __init__(self, cluster: Cluster):
        self.cluster, self.outputs = cluster, list(cluster.outputs)
        reduced = {id(e.outvars[0]) for e in cluster.eqns if e.primitive in REDUCTIONS}
        self.mapped = [v for v in self.outputs if id(v) not in reduced]
        self.map = map_kernel(cluster, self.mapped) if self.mapped else None
        self.reductions = [(eqn, reduction_kernel(cluster, eqn, THREADS)) for eqn in cluster.eqns
                           if eqn.primitive in REDUCTIONS]
        used = (self.map[1] if self.map else []) + [x for _, (_, ins) in self.reductions for x in ins]
        self.inputs = _vars(used)
        self.launches = bool(self.map) + 2 * len(self.reductions)  # at most: a reduction's second pass
        self.size = math.prod(cluster.shape)
        self.flops = self.size * len(cluster.eqns)

    def run(self, values: list) -> list:
        env = {id(x): flat(b) for x, b in zip(self.inputs, values)}
        outs = {id(v): pool().take(v.aval.shape, v.aval.dtype) for v in self.outputs}
        n = self.size
        if self.map is not None and n:
            source, ins = self.map
            kernel = compile_kernel(source, "k")
            kernel[blocks_for(n), THREADS](n, *[flat(outs[id(v)]) for v in self.mapped], *[env[id(x)] for x in ins])
        for eqn, (source, ins) in self.reductions:
            _reduce(eqn, compile_kernel(source, "k"), flat(outs[id(eqn.outvars[0])]), n, [env[id(x)] for x in ins])
        return [outs[id(v)] for v in self.outputs]


def _reduce(eqn, kernel, out, n: int, args: list) -> None:
    """Launch a reduction kernel: one block per kept position (grid-strided), the reduced range split over
    ``parts`` blocks when there are few kept positions, and the second pass that combines the parts."""
    kept = size_of(eqn.outvars[0])
    if kept == 0:
        return
    total = n // kept if n else 0
    parts = max(1, min(math.ceil(total / THREADS), MAX_BLOCKS // kept))
    grid = min(kept, MAX_BLOCKS)
    if parts == 1:
        kernel[(grid, 1), THREADS](kept, 1, out, *args)
        return
    partial = pool().take((kept * parts,), out.dtype)
    kernel[(grid, parts), THREADS](kept, parts, partial, *args)
    dtype = np.dtype(out.dtype)
    second = compile_kernel(second_pass_source(eqn.primitive.name, dtype, THREADS), "k")
    second[grid, THREADS](kept, parts, out, partial)
    pool().give_back(partial)


class IndexStep(Step):
    """One output computed by a map kernel from index arithmetic: ``out[i] = <expr of the output position>``
    (the structural index kernels, gather, the direct convolution and reduce_window). ``source`` defines
    ``k(n, o0, a0, ...)``."""

    def __init__(self, inputs: list, output: Var, source: str):
        self.inputs, self.outputs, self.source = list(inputs), [output], source
        self.size = size_of(output)

    def run(self, values: list) -> list:
        out_var, n = self.outputs[0], self.size
        out = pool().take(out_var.aval.shape, out_var.aval.dtype)
        if n:
            compile_kernel(self.source, "k")[blocks_for(n), THREADS](n, flat(out), *map(flat, values))
        return [out]


class ViewStep(Step):
    """An output that is its input under another shape or a dtype of the same size (a reshape or a bitcast of
    a C-contiguous buffer): no kernel."""

    fresh, launches = False, 0

    def __init__(self, x: Var, output: Var):
        self.inputs, self.outputs = [x], [output]

    def run(self, values: list) -> list:
        out, buffer = self.outputs[0].aval, values[0]
        if buffer.dtype != out.dtype:
            buffer = buffer.view(out.dtype)
        return [buffer.reshape(tuple(out.shape))]


class HostStep(Step):
    """Equations computed on the host by the CPU backend: inputs copied to the host, the CPU code (compiled
    once, at the first run), outputs copied to new device buffers. It costs two transfers and a device
    synchronization: the routing of the primitives without a CUDA rule (``host.py``)."""

    launches = 0

    def __init__(self, eqns: list, outputs: list):
        made = {id(v) for e in eqns for v in e.outvars}
        self.inputs = _vars(x for e in eqns for x in e.invars if id(x) not in made)
        self.outputs, self.eqns, self._executable = list(outputs), eqns, None

    def run(self, values: list) -> list:
        if self._executable is None:
            from ..cpu.compile import compile_jaxpr
            self._executable = compile_jaxpr(ClosedJaxpr(Jaxpr([], self.inputs, self.eqns, self.outputs), []))
        outs = self._executable.call(*[np.asarray(b.copy_to_host()) for b in values])
        return [runtime.to_device(np.asarray(o, v.aval.dtype)) for o, v in zip(outs, self.outputs)]


class ProgramStep(Step):
    """Equations holding jaxprs (calls, loops, branches), run by the rule's ``run(values)`` on the host around
    the sub-programs' kernels. Their outputs may be inputs or views of them: never given back early. Its
    inputs are the equation's operands, literals included (the program passes them as device buffers)."""

    fresh, launches = False, 0

    def __init__(self, eqn, run, parts: list, one_of: bool = False):
        self.inputs, self.outputs, self.run = list(eqn.invars), list(eqn.outvars), run
        self.parts, self.one_of = parts, one_of  # (sub-program, runs per run); one_of: a branch is chosen


class KernelStep(Step):
    """One output computed by a user's kernel (``fnx.extend``, ``user_kernels.py``): launched as
    ``kernel[blocks, THREADS](out, *operands, *params)`` on flat views, a grid-stride loop inside."""

    def __init__(self, inputs: list, output: Var, kernel, params: tuple):
        self.inputs, self.outputs, self.kernel, self.params = list(inputs), [output], kernel, params
        self.size = size_of(output)

    def run(self, values: list) -> list:
        out_var = self.outputs[0]
        out = pool().take(out_var.aval.shape, out_var.aval.dtype)
        self.kernel[blocks_for(max(self.size, 1)), THREADS](flat(out), *map(flat, values), *self.params)
        return [out]
