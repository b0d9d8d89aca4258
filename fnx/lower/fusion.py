"""Fusion analysis shared by the backends: which equations compute in one loop nest.

A *cluster* is a run of consecutive elementwise equations (and ``broadcast_in_dim``s feeding them) whose
outputs all have one shape, possibly followed by reductions (sum, product, max, min over any axes) of values of
that shape. A backend computes a cluster in a single loop over that shape: every input is read once per
element, intermediate values stay in registers, reductions accumulate as the loop goes, and only the values
used after the cluster (or returned) are written to memory. An equation that uses a reduction's result waits
for the next item, since the result is complete only when the loop ends.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.ir import Eqn, Jaxpr, Var
from ..core.primitive import Primitive
from ..lax.elementwise import binary_primitives, integer_pow_p, unary_primitives
from ..lax.reductions import reduce_max_p, reduce_min_p, reduce_prod_p, reduce_sum_p
from ..lax.structural import broadcast_in_dim_p, convert_element_type_p, select_n_p

ELEMENTWISE: frozenset[Primitive] = frozenset([*unary_primitives.values(), *binary_primitives.values(),
                                               integer_pow_p, convert_element_type_p, select_n_p])
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
    return eqn.primitive in ELEMENTWISE and eqn.outvars[0].aval.shape != ()


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
