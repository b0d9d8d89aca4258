"""CPU rules of the collectives (fnx/lax/collectives.py): calls of ``kernels_collectives`` in generated code.

Each collective writes into a new array, and a rank-0 value travels as an array of one element. Generating
such code binds the kernels' C names to this process's world first (``kernels_collectives.bind``), so the
machine code, compiled here or in the compile worker, reaches MPI when this process loads it.
"""
from __future__ import annotations

from types import ModuleType

from ...core.ir import Eqn
from ...lax.collectives import all_gather_p, all_reduce_p, bcast_p, reduce_scatter_p
from .codegen import FunctionWriter, cpu_rules


def _code(w: FunctionWriter, value: int) -> str:
    return w.module.constant(f"np.int32({value})")


def _operand(w: FunctionWriter, x) -> str:
    """``x`` as a C-contiguous array (a one-element array for a rank-0 value)."""
    if x.aval.shape:
        return w.contiguous(x)
    return w.full((1,), w.atom(x), x.aval.dtype)


def _kernels() -> ModuleType:
    """``kernels_collectives``, its names bound to this process's world. Imported here, not with the CPU
    rules: its C functions take 0.1-0.2 s to load, which a program without collectives should not pay."""
    from ...distributed.world import current  # fnx.distributed builds on the lowering, not the reverse
    from . import kernels_collectives
    kernels_collectives.bind(current())
    return kernels_collectives


def _result(w: FunctionWriter, v, out: str) -> None:
    if v.aval.shape:
        w.assign_contiguous(v, out)
    else:
        w.assign(v, f"{out}[0]")


def _write(w: FunctionWriter, eqn: Eqn, call: str, with_op: bool = False) -> None:
    """``out = new array; kc.<call>(operand, out, dtype code[, op code])``; ``eqn``'s output is ``out``."""
    kc = _kernels()
    codes = [kc.DTYPE_CODES[eqn.invars[0].aval.dtype]] + ([kc.OP_CODES[eqn.params["op"]]] if with_op else [])
    x, v = eqn.invars[0], eqn.outvars[0]
    operand, out = _operand(w, x), w.temp()
    w.line(f"{out} = {w.empty(v.aval.shape or (1,), v.aval.dtype)}")
    w.line(f"kc.{call}({', '.join([operand, out] + [_code(w, c) for c in codes])})")
    _result(w, v, out)


def _all_reduce(w: FunctionWriter, eqn: Eqn) -> None:
    _write(w, eqn, "all_reduce", with_op=True)


def _all_gather(w: FunctionWriter, eqn: Eqn) -> None:
    _write(w, eqn, "all_gather")


def _reduce_scatter(w: FunctionWriter, eqn: Eqn) -> None:
    _write(w, eqn, "reduce_scatter")


def _bcast(w: FunctionWriter, eqn: Eqn) -> None:
    """In place, on a copy of the operand."""
    kc = _kernels()
    x, v = eqn.invars[0], eqn.outvars[0]
    out = w.temp()
    w.line(f"{out} = k.copy({_operand(w, x)})")
    w.line(f"kc.bcast({out}, {_code(w, kc.DTYPE_CODES[x.aval.dtype])}, {_code(w, eqn.params['root'])})")
    _result(w, v, out)


cpu_rules[all_reduce_p], cpu_rules[all_gather_p] = _all_reduce, _all_gather
cpu_rules[reduce_scatter_p], cpu_rules[bcast_p] = _reduce_scatter, _bcast
