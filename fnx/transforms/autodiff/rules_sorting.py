"""Derivative rules of ``sort`` (fnx/lax/sorting.py): the derivative follows the elements to where the (stable)
sort moves them. The jvp sorts the tangents alongside the operands by the same keys; the vjp finds the
permutation by sorting an ``iota`` by the keys, then sorts the cotangents by that permutation, which puts each
back at its original position.
"""
from __future__ import annotations

import numpy as np

from ... import lax
from ...lax._rules import normalize_axes
from ...lax.sorting import sort_p
from .engine import Zero, aval_of, is_differentiable, jvp_rules, vjp_rules


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    moving = [i for i, t in enumerate(tangents) if not isinstance(t, Zero)]
    outs = sort_p.bind(*primals, *[tangents[i] for i in moving], dimension=dimension, is_stable=is_stable,
                       num_keys=num_keys)
    n = len(primals)
    sorted_tangents = dict(zip(moving, outs[n:]))
    return outs[:n], [sorted_tangents.get(i, Zero(aval_of(outs[i]))) for i in range(n)]


def _sort_vjp(cts, primals, outs, *, dimension, is_stable, num_keys):
    wanted = [i for i, (ct, x) in enumerate(zip(cts, primals))
              if ct is not None and not isinstance(ct, Zero) and is_differentiable(aval_of(x))]
    if not wanted:
        return [None] * len(primals)
    shape = aval_of(primals[0]).shape
    iota = lax.broadcasted_iota(np.int64, shape, normalize_axes("sort", (dimension,), aval_of(primals[0]).ndim)[0])
    # perm[j]: the position in the input of the element the sort put at j
    perm = sort_p.bind(*primals[:num_keys], iota, dimension=dimension, is_stable=True, num_keys=num_keys)[-1]
    restored = sort_p.bind(perm, *[cts[i] for i in wanted], dimension=dimension, is_stable=True, num_keys=1)[1:]
    back = dict(zip(wanted, restored))
    return [back.get(i) for i in range(len(primals))]


jvp_rules[sort_p], vjp_rules[sort_p] = _sort_jvp, _sort_vjp
