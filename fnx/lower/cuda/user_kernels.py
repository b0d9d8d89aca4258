"""The CUDA kernels of user-defined primitives (``fnx.extend.def_primitive(..., cuda_kernel=...)``).

A user's kernel is a Python function ``kernel(out, *operands, *params)`` written for ``numba.cuda``: every array
is a flat 1-d device array (C order; a rank-0 operand is a 1-element array, read as ``x[0]``) and the
primitive's static parameters follow as scalars, in the order of their names. fnx compiles it with
``numba.cuda.jit`` at its first launch, with the name ``cuda`` bound to ``numba.cuda`` in its globals, so that
the module defining it need not import numba.cuda (~1 s, and absent without the ``cuda`` extra); it launches it on a 1-d grid that may be smaller than ``out``: the kernel covers ``out.size`` with
a grid-stride loop (``for i in range(cuda.grid(1), out.size, cuda.gridsize(1))``).
"""
from __future__ import annotations

import types
from typing import Callable

from ...core.primitive import Primitive
from .rules import cuda_rules


def register(prim: Primitive, kernel: Callable) -> None:
    """Make ``kernel`` ``prim``'s CUDA rule: a step launching it on the equation's device buffers."""
    compiled = []  # the numba.cuda dispatcher, made at the first plan that needs it

    def rule(eqn, plan):
        from .steps import KernelStep
        if not compiled:
            compiled.append(kernel if hasattr(kernel, "configure") else _compile(kernel))
        params = tuple(eqn.params[name] for name in sorted(eqn.params))
        return KernelStep(list(eqn.invars), eqn.outvars[0], compiled[0], params)

    cuda_rules[prim] = rule


def _compile(kernel: Callable):
    from numba import cuda  # the simulator's stand-in module under NUMBA_ENABLE_CUDASIM=1
    scope = {**kernel.__globals__, "cuda": cuda}
    bound = types.FunctionType(kernel.__code__, scope, kernel.__name__, kernel.__defaults__, kernel.__closure__)
    return cuda.jit(bound)
