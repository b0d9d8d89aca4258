"""CPU rules of the control-flow primitives: scan, cond and while.

Each body or branch becomes a function of the generated module; loops and branches become Python loops and
branches around calls to it, all inside the one compiled function. Loop carries and branch results are made
C-contiguous so that their Numba types agree from one iteration (or branch) to the next; a scan copies the
carries its body may update in place.
"""
from __future__ import annotations

from ...core.ir import Eqn
from ...lax.control_flow import cond_p, scan_p, while_p
from .codegen import FunctionWriter, cpu_rules, np_dtype


def _fresh(expr: str, aval) -> str:
    """An array as a C-contiguous one (scalars pinned to their dtype), so loop and branch types unify.

    No copy is needed otherwise: generated code writes into no array after computing it, except a donated
    input or a carry the loop owns (``ModuleWriter.add_loop_body``), which are copied first.
    """
    return f"k.contiguous({expr})" if aval.shape else f"{np_dtype(aval.dtype)}({expr})"

def _scan(w: FunctionWriter, eqn: Eqn) -> None:
    p = eqn.params
    nc, nk = p["num_consts"], p["num_carry"]
    consts = [_contiguous_once(w, x) for x in eqn.invars[:nc]]
    carry_in, xs = eqn.invars[nc:nc + nk], eqn.invars[nc + nk:]
    body, owned = w.module.add_loop_body(p["jaxpr"].jaxpr, nc, nk)
    carry = [w.temp() for _ in carry_in]
    for name, x, own in zip(carry, carry_in, owned):
        w.line(f"{name} = {f'k.copy({w.atom(x)})' if own else _fresh(w.atom(x), x.aval)}")
    ys = [w.temp() for _ in eqn.outvars[nk:]]
    for name, v in zip(ys, eqn.outvars[nk:]):
        w.line(f"{name} = {w.empty(v.aval.shape, v.aval.dtype)}")
    length, step, result = p["length"], w.temp(), w.temp()
    w.line(f"for {step} in range({length}):")
    index = f"{length - 1} - {step}" if p["reverse"] else step
    args = consts + carry + [f"{w.atom(x)}[{index}]" for x in xs]
    w.line(f"    {result} = {body}({', '.join(args)})")
    for i, (name, x) in enumerate(zip(carry, carry_in)):
        w.line(f"    {name} = {_fresh(f'{result}[{i}]', x.aval)}")
    for i, (name, v) in enumerate(zip(ys, eqn.outvars[nk:])):
        y = f"{result}[{nk + i}]"
        w.line(f"    k.assign({name}[{index}], {y})" if len(v.aval.shape) > 1 else f"    {name}[{index}] = {y}")
    for v, name in zip(eqn.outvars, carry + ys):
        w.assign(v, name)


def _contiguous_once(w: FunctionWriter, x) -> str:
    """A loop constant as a C-contiguous array made before the loop: the body would copy a view (e.g. a
    transpose) in every step."""
    name, contiguous = w.atom(x), w.contiguous(x) if x.aval.shape else w.atom(x)
    if contiguous == name:
        return name
    copy = w.temp()
    w.line(f"{copy} = {contiguous}")
    return copy


def _cond(w: FunctionWriter, eqn: Eqn) -> None:
    index, *operands = eqn.invars
    branches = eqn.params["branches"]
    functions = [w.sub_function(b) for b in branches]
    chosen, result = w.temp(), w.temp()
    w.line(f"{chosen} = min(max(int({w.atom(index)}), 0), {len(branches) - 1})")
    outs = [w.define(v) for v in eqn.outvars]
    args = ", ".join(w.atom(x) for x in operands)
    for i, function in enumerate(functions):
        w.line(f"{'if' if i == 0 else 'elif' if i < len(functions) - 1 else 'else'}"
               f"{f' {chosen} == {i}' if i < len(functions) - 1 else ''}:")
        w.line(f"    {result} = {function}({args})")
        for j, (name, v) in enumerate(zip(outs, eqn.outvars)):
            w.line(f"    {name} = {_fresh(f'{result}[{j}]', v.aval)}")


def _while(w: FunctionWriter, eqn: Eqn) -> None:
    p = eqn.params
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    cond_consts = [w.atom(x) for x in eqn.invars[:cn]]
    body_consts = [w.atom(x) for x in eqn.invars[cn:cn + bn]]
    carry_in = eqn.invars[cn + bn:]
    test, body = w.sub_function(p["cond_jaxpr"]), w.sub_function(p["body_jaxpr"])
    carry = [w.temp() for _ in carry_in]
    for name, x in zip(carry, carry_in):
        w.line(f"{name} = {_fresh(w.atom(x), x.aval)}")
    result = w.temp()
    w.line(f"while {test}({', '.join(cond_consts + carry)})[0]:")
    w.line(f"    {result} = {body}({', '.join(body_consts + carry)})")
    for i, (name, x) in enumerate(zip(carry, carry_in)):
        w.line(f"    {name} = {_fresh(f'{result}[{i}]', x.aval)}")
    for v, name in zip(eqn.outvars, carry):
        w.assign(v, name)

cpu_rules[scan_p], cpu_rules[cond_p], cpu_rules[while_p] = _scan, _cond, _while
