"""Derivative rules of the collectives (fnx/lax/collectives.py).

The function being differentiated is the sum over processes of each process's objective, as with JAX's
collectives: a value that a collective hands to every process contributes to every process's objective.
Then, with ``C̄`` the cotangent on each process:

* ``all_reduce`` sum is linear and its own transpose: ``x̄ = psum(C̄)``;
* ``all_reduce`` max/min: the derivative goes to the processes holding the extreme, split equally among
  ties (as ``reduce_max`` splits it among tied elements): ``dy = psum(dx·m) / psum(m)`` with ``m`` the mask
  ``x == y``, and ``x̄ = m · psum(C̄) / psum(m)``;
* ``all_gather`` and ``reduce_scatter`` are each other's transpose;
* ``bcast``: only the root's value reaches the outputs, so ``x̄ = psum(C̄)`` on the root and 0 elsewhere.

Every process runs the same rules on the same program, so the collectives of a derivative stay in the same
order on every process too.
"""
from __future__ import annotations

import numpy as np

from ... import numpy as fnp
from ...lax.collectives import all_gather_p, all_reduce_p, bcast_p, reduce_scatter_p, world_rank
from .engine import Zero, aval_of, jvp_rules, vjp_rules


def _psum(x):
    return all_reduce_p.bind(x, op="sum")


def _linear_jvp(prim):
    """The jvp of a collective that is linear in its operand: the same collective of the tangent."""
    def jvp(primals, tangents, **params):
        out = prim.bind(primals[0], **params)
        t = tangents[0]
        return out, Zero(aval_of(out)) if isinstance(t, Zero) else prim.bind(t, **params)
    return jvp


def _extreme_mask(x, out):
    """The mask of the elements equal to the reduced extreme, and how many processes hold each one."""
    mask = fnp.astype(fnp.equal(x, out), aval_of(x).dtype)
    return mask, _psum(mask)


def _all_reduce_jvp(primals, tangents, *, op):
    if op == "sum":
        return _linear_jvp(all_reduce_p)(primals, tangents, op=op)
    x, t = primals[0], tangents[0]
    out = all_reduce_p.bind(x, op=op)
    if isinstance(t, Zero):
        return out, Zero(aval_of(out))
    mask, count = _extreme_mask(x, out)
    return out, _psum(t * mask) / count


def _all_reduce_vjp(ct, primals, out, *, op):
    if op == "sum":
        return [_psum(ct)]
    mask, count = _extreme_mask(primals[0], out)
    return [mask * (_psum(ct) / count)]


def _all_gather_vjp(ct, primals, out, *, size):
    return [reduce_scatter_p.bind(ct, size=size)]


def _reduce_scatter_vjp(ct, primals, out, *, size):
    return [all_gather_p.bind(ct, size=size)]


def _bcast_vjp(ct, primals, out, *, root, size):
    total = _psum(ct)
    return [total if world_rank() == root else total * np.asarray(0, aval_of(total).dtype)]


jvp_rules[all_reduce_p], vjp_rules[all_reduce_p] = _all_reduce_jvp, _all_reduce_vjp
jvp_rules[all_gather_p], vjp_rules[all_gather_p] = _linear_jvp(all_gather_p), _all_gather_vjp
jvp_rules[reduce_scatter_p], vjp_rules[reduce_scatter_p] = _linear_jvp(reduce_scatter_p), _reduce_scatter_vjp
jvp_rules[bcast_p], vjp_rules[bcast_p] = _linear_jvp(bcast_p), _bcast_vjp
