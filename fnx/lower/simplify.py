"""Jaxpr simplifications made before code generation, shared by the backends.

Reverse mode through ``scan`` leaves work that a whole-program view removes:

* ``merge_scans``: the forward scan that stacks residuals runs the same body (the very same equations) on the
  same operands as the primal scan; the two become one scan with the outputs of both.
* ``dce`` (fnx.core.ir): dead-code elimination, also inside loop bodies and branches. A scan whose stacked
  outputs (ys) are partly unused loses them, and its body the code computing them (scan's ``dce_rules``
  entry): the backward scan computes the cotangent of every input, also of data that nobody differentiates.

After both, ``fnx.lower.loop_motion`` moves matrix products out of the scans that allow it, and
``fnx.lower.product_updates`` folds updates such as ``w - lr * (x.T @ dy)`` into their products.
"""
from __future__ import annotations

from ..core.ir import ClosedJaxpr, Eqn, Jaxpr, Var, dce, map_sub_jaxprs
from ..lax.control_flow import scan_p
from .loop_motion import move_products_out_of_loops
from .product_updates import fold_product_updates


def simplify(jaxpr: Jaxpr) -> Jaxpr:
    """All simplifications of a whole program, run once: each pass rewrites the jaxprs its equations hold too
    (``map_sub_jaxprs``), so code generation needs no further rewriting. The order lets them work: merging needs
    the bodies unpruned, moving products out of a loop needs it pruned (an unused product would be moved, not
    removed), and a product moved after its loop can still absorb the update it feeds."""
    return dce(fold_product_updates(move_products_out_of_loops(dce(merge_scans(jaxpr)))))


def merge_scans(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with each scan that repeats an earlier one (same body equations, operands and params) folded
    into it: the earlier scan also returns the later one's extra outputs, whose uses are renamed."""
    rename: dict[int, Var] = {}
    first: dict[tuple, int] = {}  # a scan's key -> its position in `eqns`
    eqns: list[Eqn] = []
    for eqn in jaxpr.eqns:
        if any(isinstance(x, Var) and id(x) in rename for x in eqn.invars):
            eqn = Eqn(eqn.primitive, [_renamed(x, rename) for x in eqn.invars], eqn.outvars, eqn.params)
        if eqn.primitive is scan_p:
            key = _scan_key(eqn)
            if key in first:
                eqns[first[key]] = _merged(eqns[first[key]], eqn, rename)
                continue
            first[key] = len(eqns)
        eqns.append(eqn)
    eqns = [map_sub_jaxprs(eqn, merge_scans) for eqn in eqns]  # after this level's merges: they compare bodies
    return Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, [_renamed(v, rename) for v in jaxpr.outvars])


def _renamed(x, rename: dict):
    return rename.get(id(x), x) if isinstance(x, Var) else x


def _scan_key(eqn: Eqn) -> tuple:
    body = eqn.params["jaxpr"].jaxpr
    params = tuple((k, v) for k, v in sorted(eqn.params.items()) if k != "jaxpr")
    return (id(body.eqns), tuple(map(id, body.invars)), tuple(id(x) if isinstance(x, Var) else repr(x)
                                                             for x in eqn.invars), params)


def _merged(earlier: Eqn, later: Eqn, rename: dict) -> Eqn:
    """One scan computing both: the later scan's outputs that the earlier one has are renamed to those."""
    num_carry = earlier.params["num_carry"]
    body, later_body = earlier.params["jaxpr"].jaxpr, later.params["jaxpr"].jaxpr
    body_outs, outer_outs = list(body.outvars), list(earlier.outvars)
    slot = {(i < num_carry, id(v)): i for i, v in enumerate(body_outs)}  # a final carry is not a stacked y
    for i, (v, outer) in enumerate(zip(later_body.outvars, later.outvars)):
        key = (i < num_carry, id(v))
        if key in slot:
            rename[id(outer)] = outer_outs[slot[key]]
        else:
            slot[key] = len(body_outs)
            body_outs.append(v)
            outer_outs.append(outer)
    merged = ClosedJaxpr(Jaxpr(body.constvars, body.invars, body.eqns, body_outs), earlier.params["jaxpr"].consts)
    return Eqn(scan_p, earlier.invars, outer_outs, {**earlier.params, "jaxpr": merged})
