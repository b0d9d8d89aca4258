"""Fusion analysis shared by the backends: which equations compute in one loop nest.

A *cluster* is a run of consecutive elementwise equations (and ``broadcast_in_dim``s feeding them) whose
outputs all have one shape. A backend computes a cluster in a single loop over that shape: every input is
read once per element, intermediate values stay in registers, and only the values used after the cluster
(or returned) are written to memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.ir import Eqn, Jaxpr, Var
from ..core.primitive import Primitive
from ..lax.elementwise import binary_primitives, integer_pow_p, unary_primitives
from ..lax.structural import broadcast_in_dim_p, convert_element_type_p, select_n_p, stop_gradient_p

ELEMENTWISE: frozenset[Primitive] = frozenset([*unary_primitives.values(), *binary_primitives.values(),
                                               integer_pow_p, convert_element_type_p, select_n_p,
                                               stop_gradient_p])


@dataclass
class Cluster:
    """Equations computed together in one loop over ``shape``; ``outputs`` must be written to memory."""

    shape: tuple
    eqns: list = field(default_factory=list)
    outputs: list = field(default_factory=list)


def _fusible(eqn: Eqn) -> bool:
    """Elementwise equations and broadcasts with array (not rank-0) results."""
    return (eqn.primitive in ELEMENTWISE or eqn.primitive is broadcast_in_dim_p) and eqn.outvars[0].aval.shape != ()


def fuse(jaxpr: Jaxpr) -> list:
    """The jaxpr's equations in order, with runs of fusible ones of one shape grouped into Clusters."""
    items: list = []
    for eqn in jaxpr.eqns:
        shape = eqn.outvars[0].aval.shape
        if _fusible(eqn):
            if items and isinstance(items[-1], Cluster) and items[-1].shape == shape:
                items[-1].eqns.append(eqn)
            else:
                items.append(Cluster(shape, [eqn]))
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
            item.outputs = [eqn.outvars[0] for eqn in item.eqns
                            if id(eqn.outvars[0]) in returned or used_by.get(id(eqn.outvars[0]), set()) - {n}]
