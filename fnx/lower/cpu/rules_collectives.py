"""CPU rules of the collectives (fnx/lax/collectives.py): calls of ``kernels_collectives`` in generated code.

Each collective writes into a new array, and a rank-0 value travels as an array of one element. Generating
such code binds the kernels' C names to this process's world first (``kernels_collectives.bind``), so the
machine code, compiled here or in the compile worker, reaches MPI when this process loads it.
"""
from __future__ import annotations

from ...core.ir import Eqn
from ...lax.collectives import all_gather_p, all_reduce_p, bcast_p, reduce_scatter_p
from . import kernels_collectives
from .codegen import FunctionWriter, cpu_rules
from .kernels_collectives import DTYPE_CODES, OP_CODES


def _code(w: FunctionWriter, value: int) -> str:
    return w.module.constant(f"np.int32({value})")


def _operand(w: FunctionWriter, x) -> str:
    """``x`` as a C-contiguous array (a one-element array for a rank-0 value)."""
    if x.aval.shape:
        return w.contiguous(x)
    return w.full((1,), w.atom(x), x.aval.dtype)


def _bind() -> None:
    from ...distributed.world import current  # fnx.distributed builds on the lowering, not the reverse
    kernels_collectives.bind(current())


def _result(w: FunctionWriter, v, out: str) -> None:
    if v.aval.shape:
        w.assign_contiguous(v, out)
    else:
        w.assign(v, f"{out}[0]")


def _write(w: FunctionWriter, eqn: Eqn, call: str, *codes: int) -> None:
    """``out = new array; kc.<call>(operand, out, codes...)``; ``eqn``'s output is ``out``."""
    _bind()
    x, v = eqn.invars[0], eqn.outvars[0]
    operand, out = _operand(w, x), w.temp()
    w.line(f"{out} = {w.empty(v.aval.shape or (1,), v.aval.dtype)}")
    w.line(f"kc.{call}({', '.join([operand, out] + [_code(w, c) for c in codes])})")
    _result(w, v, out)


def _all_reduce(w: FunctionWriter, eqn: Eqn) -> None:
    _write(w, eqn, "all_reduce", DTYPE_CODES[eqn.invars[0].aval.dtype], OP_CODES[eqn.params["op"]])


def _all_gather(w: FunctionWriter, eqn: Eqn) -> None:
    _write(w, eqn, "all_gather", DTYPE_CODES[eqn.invars[0].aval.dtype])


def _reduce_scatter(w: FunctionWriter, eqn: Eqn) -> None:
    _write(w, eqn, "reduce_scatter", DTYPE_CODES[eqn.invars[0].aval.dtype])


def _bcast(w: FunctionWriter, eqn: Eqn) -> None:
    """In place, on a copy of the operand."""
    _bind()
    x, v = eqn.invars[0], eqn.outvars[0]
    out = w.temp()
    w.line(f"{out} = k.copy({_operand(w, x)})")
    w.line(f"kc.bcast({out}, {_code(w, DTYPE_CODES[x.aval.dtype])}, {_code(w, eqn.params['root'])})")
    _result(w, v, out)


cpu_rules[all_reduce_p], cpu_rules[all_gather_p] = _all_reduce, _all_gather
cpu_rules[reduce_scatter_p], cpu_rules[bcast_p] = _reduce_scatter, _bcast
