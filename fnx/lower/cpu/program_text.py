"""The optimized program as text: the simplified jaxpr of each generated function, its fused groups marked.

What ``Lowered.as_text(optimized=True)`` shows (Theano's ``debugprint`` of the optimized graph): after the
simplifications (``fnx.lower.simplify``) and fusion (``fnx.lower.fusion``), one block per function of the
generated module, ``f0`` the entry and the others loop bodies, branches and called functions, each saying which
item calls it. Every item of a function is labelled ``f<n>.<i>`` as in ``Lowered.profile``'s table: a fused
loop lists its equations under one label, with the values it writes to memory; an equation holding a jaxpr
names the function computing it.
"""
from __future__ import annotations

from ...core.ir import ClosedJaxpr, Eqn, Jaxpr, _Names, _pp_binder, _pp_eqn
from ..fusion import Cluster, fuse


class _FunctionName:
    """A jaxpr param shown as the name of the generated function computing it."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


def describe(item) -> str:
    """One line on a fused item: ``fused loop over [8,16]: add, tanh, reduce_sum`` or ``dot_general f64[8,16]
    f64[16,4]`` (an equation and its operands' types)."""
    if isinstance(item, Cluster):
        prims = ", ".join(dict.fromkeys(e.primitive.name for e in item.eqns))
        return f"fused loop over [{','.join(map(str, item.shape))}]: {prims}"
    return " ".join([item.primitive.name] + [str(x.aval) for x in item.invars])


def optimized_text(program) -> str:
    """The text of a lowered ``Program`` (``fnx.lower.cpu.program.lower_program``): its functions in order."""
    names, functions = _Names(), {}
    _collect(program.jaxpr, program.module.function_of, functions)
    order = sorted(functions, key=lambda name: int(name[1:]))
    return "\n\n".join(_function_text(name, functions[name], program.module, names) for name in order)


def _collect(jaxpr: Jaxpr, function_of: dict, functions: dict) -> None:
    """Every jaxpr that became a function, by function name (a sub-jaxpr written twice counts once)."""
    functions[function_of[id(jaxpr)]] = jaxpr
    for eqn in jaxpr.eqns:
        for sub in _sub_jaxprs(eqn):
            if id(sub.jaxpr) in function_of:
                _collect(sub.jaxpr, function_of, functions)


def _sub_jaxprs(eqn: Eqn) -> list[ClosedJaxpr]:
    return [j for v in eqn.params.values() for j in (v if isinstance(v, tuple) else (v,))
            if isinstance(j, ClosedJaxpr)]


def _function_text(name: str, jaxpr: Jaxpr, module, names: _Names) -> str:
    caller = module.parent.get(name)
    inputs = " ".join(_pp_binder(v, names) for v in jaxpr.constvars + jaxpr.invars)
    lines = [f"{name}{f' (called by {caller})' if caller else ''} = {{ lambda ; {inputs}. let"]
    for i, item in enumerate(fuse(jaxpr)):
        label = f"{name}.{i}"
        if isinstance(item, Cluster):
            writes = " ".join(names(v) for v in item.outputs)
            lines.append(f"    {label:<7} {describe(item)} (writes {writes}):")
            lines += [f"            {_pp_eqn(e, names, 12)}" for e in item.eqns]
        else:
            lines.append(f"    {label:<7} {_pp_eqn(_named_functions(item, module.function_of), names, 12)}")
    outs = ", ".join(names(v) for v in jaxpr.outvars) + ("," if len(jaxpr.outvars) == 1 else "")
    return "\n".join(lines) + f"\n  in ({outs}) }}"


def _named_functions(eqn: Eqn, function_of: dict) -> Eqn:
    """``eqn`` with each jaxpr param shown as the generated function's name."""
    def name(value):
        if isinstance(value, ClosedJaxpr) and id(value.jaxpr) in function_of:
            return _FunctionName(function_of[id(value.jaxpr)])
        if isinstance(value, tuple) and value and all(isinstance(v, ClosedJaxpr) for v in value):
            return tuple(name(v) for v in value)
        return value
    return Eqn(eqn.primitive, eqn.invars, eqn.outvars, {k: name(v) for k, v in eqn.params.items()})
