"""CPU rule of ``sort``: every operand as (outer, n, inner), sorted along the middle axis."""
from __future__ import annotations

import math

from ...core.ir import Eqn
from ...lax.sorting import sort_p
from .codegen import FunctionWriter, cpu_rule
from .operands import as_shape, int_arg, reshaped_result


@cpu_rule(sort_p)
def _sort(w: FunctionWriter, eqn: Eqn) -> None:
    p = eqn.params
    shape, axis = eqn.invars[0].aval.shape, p["dimension"]
    blocks = (math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:]))
    names = []
    for x in eqn.invars:
        names.append(w.temp())
        w.line(f"{names[-1]} = {as_shape(w, x, blocks)}")
    order = w.temp()
    w.line(f"{order} = ka.identity_permutation({', '.join(int_arg(w, n) for n in blocks)})")
    for key in reversed(names[:p["num_keys"]]):  # least significant key first: each pass is stable
        w.line(f"{order} = ka.sort_permutation({key}, {order})")
    for name, v in zip(names, eqn.outvars):
        reshaped_result(w, v, f"ka.take_along_middle({name}, {order})")
