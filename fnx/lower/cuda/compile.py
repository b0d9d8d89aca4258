"""Running jitted functions and placing arrays on a GPU: the CUDA backend's entry points.

``run`` is what ``jit`` calls when a function's inputs live on a GPU (or ``jit(f, device=...)`` asks for one):
the traced jaxpr is simplified once (``fnx.lower.simplify``, as for the CPU) and planned as a ``Program`` per
device; its consts are copied to the device once; results stay on the device as fnx Arrays.
"""
from __future__ import annotations

import weakref

import numpy as np

from ...core.array import Device, DeviceArray
from ...core.dtypes import canonicalize
from ...core.ir import ClosedJaxpr, Jaxpr
from ..simplify import simplify
from . import host, rules_calls, rules_control_flow, rules_convolution, rules_indexing, rules_linalg  # noqa: F401
from . import rules_reductions, rules_sorting, rules_structural  # noqa: F401
from . import runtime  # noqa: I001  (the imports above register the CUDA rules and the host routing)
from .program import Program


class CudaExecutable:
    """A jaxpr's program on one device, with its consts there: ``call(leaves)`` returns device Arrays."""

    def __init__(self, jaxpr: Jaxpr, consts: list, device: Device):
        self.device = device
        self.program = Program(simplify(jaxpr))
        with runtime.on(device):
            self.consts = [runtime.to_device(np.asarray(c)) for c in consts]

    def call(self, leaves: list) -> list:
        with runtime.on(self.device):
            args = [buffer_on(x, v.aval, self.device) for x, v in zip(leaves, self.program.jaxpr.invars)]
            outs = self.program.run(self.consts + args)
            return [runtime.wrap(b if pooled else _copy(b), self.device, True)
                    for b, pooled in zip(outs, self.program.pooled)]


def _copy(buffer):
    """A new pooled buffer holding ``buffer`` (an input, or a view of one, returned as an output: the Array
    made from it must own its memory, which goes back to the pool when it dies)."""
    out = runtime.pool().take(buffer.shape, buffer.dtype)
    if buffer.size:
        out.copy_to_device(buffer)
    return out


def buffer_on(x, aval, device: Device):
    """The device buffer of an input: a device Array's own, or a copy of a host value in ``aval``'s dtype."""
    if isinstance(x, DeviceArray) and x.device == device:
        return x._buffer
    return runtime.to_device(np.asarray(x, aval.dtype))


# jaxpr -> {device: CudaExecutable}; weak, as jit's own codes
_executables: "weakref.WeakKeyDictionary[Jaxpr, dict]" = weakref.WeakKeyDictionary()


def run(closed: ClosedJaxpr, consts: list, leaves: list, device: Device) -> list:
    """``closed`` (consts hoisted into leading inputs, whose values are ``consts``) computed on ``device`` for
    the flat inputs ``leaves``; the outputs are device Arrays."""
    by_device = _executables.setdefault(closed.jaxpr, {})
    if device not in by_device:
        by_device[device] = CudaExecutable(closed.jaxpr, consts, device)
    return by_device[device].call(leaves)


def put(x, device: Device) -> DeviceArray:
    """``x`` (an Array, a NumPy array or a scalar) as a device Array on ``device``."""
    if isinstance(x, DeviceArray) and x.device == device:
        return x
    value = np.asarray(x)
    with runtime.on(device):
        return runtime.wrap(runtime.to_device(value.astype(canonicalize(value.dtype), copy=False)), device, True)
