"""CPU rules of the indexing primitives: gather and scatter."""
from __future__ import annotations

import math

import numpy as np

from ...core.ir import Eqn
from ...lax.indexing import gather_p, scatter_p
from .codegen import FunctionWriter, cpu_rule
from .op_codes import SCATTER_MODES
from .operands import as_shape, int_arg, ints, reshaped_result, zeros_if_empty


# -- gather and scatter: operand rows (prod(x.shape[:k]), rest), indices (batch, k) -------------------------

def _indexing_operands(w: FunctionWriter, x, indices) -> tuple[str, str, str, int]:
    """Operand rows, int64 index rows, dims of the indexed axes, and the batch size."""
    k = indices.aval.shape[-1]
    dims = x.aval.shape[:k]
    rows = (math.prod(dims), math.prod(x.aval.shape[k:]))
    batch = math.prod(indices.aval.shape[:-1])
    if k == 0:
        index_rows = f"np.zeros(({batch}, 0), np.int64)"
    else:
        index_rows = as_shape(w, indices, (batch, k))
        if indices.aval.dtype != np.int64:
            index_rows += ".astype(np.int64)"
    return as_shape(w, x, rows), index_rows, ints(w, dims), batch


@cpu_rule(gather_p)
def _gather(w: FunctionWriter, eqn: Eqn) -> None:
    x, indices = eqn.invars
    if zeros_if_empty(w, eqn.outvars[0]):
        return
    rows, index_rows, dims, _ = _indexing_operands(w, x, indices)
    reshaped_result(w, eqn.outvars[0], f"ka.gather({rows}, {index_rows}, {dims})")


@cpu_rule(scatter_p)
def _scatter(w: FunctionWriter, eqn: Eqn) -> None:
    x, indices, updates = eqn.invars
    if zeros_if_empty(w, eqn.outvars[0]):
        return
    rows, index_rows, dims, batch = _indexing_operands(w, x, indices)
    update_rows = as_shape(w, updates, (batch, math.prod(x.aval.shape[indices.aval.shape[-1]:])))
    mode = int_arg(w, SCATTER_MODES[eqn.params["mode"]])
    reshaped_result(w, eqn.outvars[0], f"ka.scatter({rows}, {index_rows}, {update_rows}, {dims}, {mode})")
