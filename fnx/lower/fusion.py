"""Fusion analysis shared by the backends: which equations compute in one loop nest.

A *cluster* is a run of consecutive elementwise equations (and ``broadcast_in_dim``s feeding them) whose
outputs all have one shape, possibly followed by reductions (sum, product, max, min over any axes) of values of
that shape. A backend computes a cluster in a single loop over that shape: every input is read once per
element, intermediate values stay in registers, reductions accumulate as the loop goes, and only the values
used after the cluster (or returned) are written to memory. An equation that uses a reduction's result waits
for the next item, since the result is complete only when the loop ends. A reduction that joins no cluster
starts one over its operand's shape: a few lines of loop compile faster than a call of a shared kernel, which
Numba links into the caller and compiles again.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..core.ir import Eqn, Jaxpr, Var
from ..core.primitive import Primitive
from ..lax.convolution import conv_general_dilated_p
from ..lax.elementwise import convert_element_type_p, integer_pow_p, select_n_p
from ..lax.elementwise import table as elementwise_table
from ..lax.linalg import dot_general_p
from ..lax.reductions import reduce_max_p, reduce_min_p, reduce_prod_p, reduce_sum_p
from ..lax.structural import broadcast_in_dim_p
from .product_updates import product_update_p

_OTHER_ELEMENTWISE = frozenset([integer_pow_p, convert_element_type_p, select_n_p])
REDUCTIONS: frozenset[Primitive] = frozenset([reduce_sum_p, reduce_prod_p, reduce_max_p, reduce_min_p])


@dataclass
class Cluster:
    """Equations computed together in one loop over ``shape``; ``outputs`` must be written to memory."""

    shape: tuple
    eqns: list = field(default_factory=list)
    outputs: list = field(default_factory=list)


def _fusible(eqn: Eqn) -> bool:
    """Elementwise equations and broadcasts with array (not rank-0) results; a broadcast to the operand's own
    shape is left out: it is no computation (the backend names the operand again)."""
    if eqn.primitive is broadcast_in_dim_p:
        return eqn.outvars[0].aval.shape not in ((), eqn.invars[0].aval.shape)
    elementwise = eqn.primitive in elementwise_table or eqn.primitive in _OTHER_ELEMENTWISE
    return elementwise and eqn.outvars[0].aval.shape != ()


def _joins(eqn: Eqn, cluster: Cluster) -> bool:
    """Whether ``eqn`` can be computed in ``cluster``'s loop: an elementwise equation of its shape or a reduction
    of a value of its shape, using no reduction result of the cluster."""
    reduced = {id(e.outvars[0]) for e in cluster.eqns if e.primitive in REDUCTIONS}
    if any(id(x) in reduced for x in eqn.invars):
        return False
    if eqn.primitive in REDUCTIONS:
        return eqn.invars[0].aval.shape == cluster.shape and bool(eqn.params["axes"])
    return _fusible(eqn) and eqn.outvars[0].aval.shape == cluster.shape


def fuse(jaxpr: Jaxpr) -> list:
    """The jaxpr's equations in order, with runs of fusible ones of one shape grouped into Clusters."""
    items: list = []
    for eqn in jaxpr.eqns:
        if items and isinstance(items[-1], Cluster) and _joins(eqn, items[-1]):
            items[-1].eqns.append(eqn)
        elif _fusible(eqn):
            items.append(Cluster(eqn.outvars[0].aval.shape, [eqn]))
        elif eqn.primitive in REDUCTIONS and eqn.params["axes"]:  # a loop of its own, not a kernel call
            items.append(Cluster(eqn.invars[0].aval.shape, [eqn]))
        else:
            items.append(eqn)
    _mark_outputs(jaxpr, items)
    return items


def _mark_outputs(jaxpr: Jaxpr, items: list) -> None:
    """A cluster's outputs: its values used by another item or returned by the jaxpr."""
    used_by: dict[int, set] = {}
    for n, item in enumerate(items):
        for eqn in (item.eqns if isinstance(item, Cluster) else [item]):
            for x in eqn.invars:
                used_by.setdefault(id(x), set()).add(n)
    returned = {id(v) for v in jaxpr.outvars if isinstance(v, Var)}
    for n, item in enumerate(items):
        if isinstance(item, Cluster):
            item.outputs = [eqn.outvars[0] for eqn in item.eqns if eqn.primitive in REDUCTIONS
                            or id(eqn.outvars[0]) in returned or used_by.get(id(eqn.outvars[0]), set()) - {n}]


def _fresh_outputs(eqn: Eqn) -> bool:
    """Whether the equation's outputs are new memory, never a view of an input (any other may be one)."""
    if eqn.primitive in REDUCTIONS:
        return bool(eqn.params["axes"])  # reducing no axis returns the operand itself
    return eqn.primitive in (dot_general_p, conv_general_dilated_p, product_update_p)


def buffer_reuse(jaxpr: Jaxpr, items: list, donated: list) -> dict[int, Var]:
    """For the outputs that can be written into a donated input's buffer: ``id(output) -> that input``. They
    are cluster outputs, and ``product_update`` results that update the donated input itself.

    A donated input ``d`` can hold a cluster's output of its shape and dtype when nothing reads ``d`` (or a
    value that may be a view of it) after that cluster, ``d`` is not returned, and inside the cluster ``d`` is
    read only element by element at the loop position, so each element is read before it is overwritten
    (the backend stores a loop iteration's outputs after computing them all).
    """
    if not donated:
        return {}
    owner = {id(d): d for d in donated}  # id(value) -> the donated input whose memory it may share
    last_use: dict[int, int] = {}
    for n, item in enumerate(items):
        for eqn in (item.eqns if isinstance(item, Cluster) else [item]):
            sources = [owner[id(x)] for x in eqn.invars if isinstance(x, Var) and id(x) in owner]
            for d in sources:
                last_use[id(d)] = n
            if sources and not isinstance(item, Cluster) and not _fresh_outputs(eqn):
                # a possible view of an input (a scalar is a value, never a view)
                owner.update((id(v), sources[0]) for v in eqn.outvars if v.aval.shape != ())
                if len({id(d) for d in sources}) > 1:
                    return {}  # rare: a value that may alias two donated inputs; donate nothing
    for v in jaxpr.outvars:
        if isinstance(v, Var) and id(v) in owner:
            last_use[id(owner[id(v)])] = len(items)
    reuse: dict[int, Var] = {}
    for n, item in enumerate(items):
        if not isinstance(item, Cluster):
            if item.primitive is product_update_p and _updates_in_place(item, n, donated, last_use, owner):
                reuse[id(item.outvars[0])] = item.invars[0]
            continue
        free = [d for d in donated if last_use.get(id(d)) == n and _read_in_place(item, d, owner)]
        for v in item.outputs:
            match = next((d for d in free if d.aval == v.aval), None) if id(v) not in _reduced(item) else None
            if match is not None:
                reuse[id(v)] = match
                free.remove(match)
    return reuse


def _updates_in_place(eqn: Eqn, n: int, donated: list, last_use: dict, owner: dict) -> bool:
    """Whether the ``product_update`` item ``n`` may write into its donated target: its last use, and its
    product's operands do not share the target's memory (BLAS would read what it writes)."""
    target = eqn.invars[0]
    return (any(d is target for d in donated) and last_use.get(id(target)) == n
            and not any(isinstance(x, Var) and owner.get(id(x)) is target for x in eqn.invars[1:]))


def new_outputs(jaxpr: Jaxpr, items: list) -> list[bool]:
    """For each output of ``jaxpr``: whether it is memory the function itself made and returns once (a
    cluster's output, a product, a reduction), never an input or a view of one. A loop can then own it: its
    next step may update it in place."""
    made = {id(v) for item in items if isinstance(item, Cluster) for v in item.outputs}
    made.update(id(v) for item in items if not isinstance(item, Cluster) and _fresh_outputs(item)
                for v in item.outvars)
    counts = Counter(id(v) for v in jaxpr.outvars)
    return [isinstance(v, Var) and id(v) in made and counts[id(v)] == 1 for v in jaxpr.outvars]


def _reduced(cluster: Cluster) -> set:
    return {id(e.outvars[0]) for e in cluster.eqns if e.primitive in REDUCTIONS}


def _read_in_place(cluster: Cluster, d: Var, owner: dict) -> bool:
    """Whether ``cluster`` reads donated ``d``'s memory only as ``d`` itself, at the loop position."""
    for eqn in cluster.eqns:
        for x in eqn.invars:
            if isinstance(x, Var) and owner.get(id(x)) is d and (x is not d or eqn.primitive is broadcast_in_dim_p):
                return False
    return True
