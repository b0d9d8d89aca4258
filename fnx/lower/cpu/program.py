"""Lower a jaxpr to the Python source of a Numba module, without importing Numba.

The pipeline after tracing: simplify the whole program once (``fnx.lower.simplify``), then fuse and write
each (sub-)jaxpr (``codegen``, with the CPU rules registered by the ``rules_*`` modules). ``compile.py``
compiles the result. Nothing here imports Numba (a test checks it), so the background compile can send the
source to the compile worker before this process has imported Numba (~0.3-0.5 s of its GIL).
"""
from __future__ import annotations

from dataclasses import dataclass

from ...core.ir import ClosedJaxpr, Jaxpr
from . import rules_calls, rules_control_flow, rules_convolution, rules_elementwise  # noqa: F401  (register the
from . import rules_indexing, rules_linalg, rules_reductions, rules_sorting, rules_structural  # noqa: F401  CPU rules)
from . import rules_collectives, rules_debugging, rules_fft  # noqa: F401
from ..simplify import simplify
from .codegen import ModuleWriter, write_module


@dataclass
class Program:
    """A lowered program: the simplified jaxpr, the writer of its module (which names its functions and items),
    the module's source and the name of its entry function."""
    jaxpr: Jaxpr
    module: ModuleWriter
    source: str
    entry: str


def lower_program(closed: ClosedJaxpr, donated: frozenset = frozenset(), profiler=None) -> Program:
    """Simplify ``closed`` and write the module computing it (its consts passed as leading arguments).

    ``donated``: positions of inputs whose buffers the code may overwrite with outputs (``jit``'s donation);
    ``profiler``: times each item of the code (``fnx.lower.cpu.profile``).
    """
    jaxpr = simplify(closed.jaxpr)  # rewrite the whole program once, sub-jaxprs included (fnx.lower.simplify)
    module = ModuleWriter(profiler)
    source, entry = write_module(jaxpr, donated, module)  # fuse each (sub-)jaxpr (fnx.lower.fusion) and write it
    return Program(jaxpr, module, source, entry)


def lower(closed: ClosedJaxpr, donated: frozenset = frozenset()) -> tuple[str, str]:
    """The Python source of a Numba module computing ``closed``, and the name of its entry function.

    >>> import fnx, numpy as np
    >>> source, entry = lower(fnx.make_jaxpr(lambda x: x * 2.0)(np.ones(3)))
    >>> entry in source
    True
    """
    program = lower_program(closed, donated)
    return program.source, program.entry
