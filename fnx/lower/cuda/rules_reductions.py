"""CUDA rules of the reductions. Sums, products, maxima and minima over axes are clusters (``fnx.lower.fusion``)
whose kernels ``kernel_writer.reduction_kernel`` writes (a block tree reduction in shared memory, and a second
pass); what reaches a rule here reduces no axis, and is its operand. The arg-reductions, cumulative
reductions and all/any run on the host (``host.py``)."""
from __future__ import annotations

from ...core.ir import Eqn
from ..fusion import REDUCTIONS
from .rules import cuda_rules
from .steps import ViewStep


def _no_axes(eqn: Eqn, program) -> ViewStep:
    return ViewStep(eqn.invars[0], eqn.outvars[0])


cuda_rules.update({prim: _no_axes for prim in REDUCTIONS})
