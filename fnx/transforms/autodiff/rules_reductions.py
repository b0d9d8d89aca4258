"""Derivative rules of the reductions and cumulative scans (fnx/lax/reductions.py).

Choices where the derivative is not unique or the obvious formula breaks:

* ``reduce_prod``: the derivative for one element is the product of all the *other* elements. It is computed
  without dividing by the element (which fails at zeros): the reduced axes are moved together to the end and
  flattened, and the product of the others is (exclusive cumprod from the left) * (exclusive cumprod from
  the right).
* ``cumprod``: output i is ``y[i] = y[i-1] * x[i]``, so its tangent follows the linear recurrence
  ``dy[i] = x[i] * dy[i-1] + y[i-1] * dx[i]``, and the cotangent the same recurrence run backwards. Both are
  solved by ``_linear_recurrence`` with only products and sums, never a division, so zeros are fine.
* ``reduce_max``/``reduce_min``: the derivative goes to the elements equal to the result, split equally
  among ties (as JAX does; NaN counts as equal to NaN, so a NaN result takes its derivative from the NaNs).
* ``cummax``/``cummin``: output i takes its derivative from the elements up to i that equal the running
  extreme, split equally among ties, consistently with ``reduce_max`` (the last output of ``cummax`` has the
  derivative of ``reduce_max``). The tied elements form a run of equal outputs, so the split is a segmented
  sum, also solved by ``_linear_recurrence``.
* ``reduce_and``, ``reduce_or``, ``argmax``, ``argmin`` have bool or integer results: no derivative.
"""
from __future__ import annotations

import numpy as np

from ... import lax
from ... import numpy as fnp
from ...lax._rules import normalize_axes
from ...lax.reductions import (argmax_p, argmin_p, cummax_p, cummin_p, cumprod_p, cumsum_p, reduce_and_p,
                               reduce_max_p, reduce_min_p, reduce_or_p, reduce_prod_p, reduce_sum_p)
from .engine import aval_of, instantiate, jvp_rules, nondifferentiable, vjp_rules

nondifferentiable.mark(reduce_and_p, reduce_or_p, argmax_p, argmin_p)


# -- helpers -----------------------------------------------------------------------------------------------

def _axes(axes, x) -> tuple:
    return normalize_axes("autodiff", axes, len(aval_of(x).shape))


def _axis(axis: int, x) -> int:
    return _axes((axis,), x)[0]


def _expand(y, shape: tuple, axes: tuple):
    """Broadcast a reduction's result (or cotangent) ``y`` back over the reduced ``axes`` of ``shape``."""
    kept = [d for d in range(len(shape)) if d not in axes]
    return lax.broadcast_in_dim(y, shape, kept)


def _as_float(mask, like):
    """A bool mask as 0/1 in the dtype of ``like``."""
    return lax.convert_element_type(mask, aval_of(like).dtype)


def _same(a, b):
    """``a == b`` elementwise, where NaN equals NaN."""
    return (a == b) | (fnp.isnan(a) & fnp.isnan(b))


def _shift(x, axis: int, steps: int, reverse: bool, fill):
    """``x`` moved ``steps`` places along ``axis`` in the scan direction, ``fill`` entering at the start:
    ``out[i] = x[i - steps]`` (``x[i + steps]`` when ``reverse``)."""
    config = [(0, 0, 0)] * len(aval_of(x).shape)
    config[axis] = (-steps, steps, 0) if reverse else (steps, -steps, 0)
    return lax.pad(x, fill, config)


def _linear_recurrence(a, b, axis: int, reverse: bool):
    """``h`` with ``h[i] = a[i] * h[i-1] + b[i]`` along ``axis`` (``h[i+1]`` when ``reverse``), ``h[-1] = 0``.

    That is ``h[i] = sum_{j <= i} b[j] * a[j+1] * ... * a[i]``. Solved in log2(n) doubling steps: after the
    step of width w, ``b[i]`` holds the sum over the last w terms and ``a[i]`` the product of the last w
    factors, and two neighbouring windows combine as ``b[i] + a[i] * b[i-w]``.
    """
    n = aval_of(a).shape[axis]
    width = 1
    while width < n:
        b = b + a * _shift(b, axis, width, reverse, 0)
        if 2 * width < n:
            a = a * _shift(a, axis, width, reverse, 0)
        width *= 2
    return b


# -- reductions --------------------------------------------------------------------------------------------

def _reduce_sum_jvp(primals, tangents, *, axes):
    return reduce_sum_p.bind(primals[0], axes=axes), reduce_sum_p.bind(instantiate(tangents[0]), axes=axes)


def _reduce_sum_vjp(ct, primals, out, *, axes):
    x = primals[0]
    return [_expand(ct, aval_of(x).shape, _axes(axes, x))]


def _move_to_end(x, axes: tuple):
    """``x`` with ``axes`` moved last and flattened into one axis; the permutation used."""
    shape = aval_of(x).shape
    kept = [d for d in range(len(shape)) if d not in axes]
    perm = kept + list(axes)
    moved = lax.transpose(x, perm) if perm != list(range(len(shape))) else x
    flat_shape = tuple(shape[d] for d in kept) + (int(np.prod([shape[d] for d in axes], dtype=np.int64)),)
    return lax.reshape(moved, flat_shape), perm


def _product_of_others(x, axes: tuple):
    """For every element of ``x``, the product of the other elements of its reduction over ``axes``."""
    shape = aval_of(x).shape
    flat, perm = _move_to_end(x, axes)
    last = len(aval_of(flat).shape) - 1
    before = _shift(cumprod_p.bind(flat, axis=last, reverse=False), last, 1, False, 1)
    after = _shift(cumprod_p.bind(flat, axis=last, reverse=True), last, 1, True, 1)
    others = lax.reshape(before * after, tuple(shape[d] for d in perm))
    return lax.transpose(others, tuple(int(i) for i in np.argsort(perm))) if perm != sorted(perm) else others


def _reduce_prod_jvp(primals, tangents, *, axes):
    x = primals[0]
    others = _product_of_others(x, _axes(axes, x))
    return reduce_prod_p.bind(x, axes=axes), reduce_sum_p.bind(instantiate(tangents[0]) * others, axes=axes)


def _reduce_prod_vjp(ct, primals, out, *, axes):
    x = primals[0]
    axes = _axes(axes, x)
    return [_expand(ct, aval_of(x).shape, axes) * _product_of_others(x, axes)]


def _extreme_shares(x, out, axes: tuple):
    """The share of the derivative each element of ``x`` gets: 1/count where it equals the result, else 0."""
    hit = _as_float(_same(x, _expand(out, aval_of(x).shape, axes)), x)
    count = reduce_sum_p.bind(hit, axes=axes)
    return hit / _expand(count, aval_of(x).shape, axes)


def _extreme_rules(prim):
    def jvp(primals, tangents, *, axes):
        x = primals[0]
        out = prim.bind(x, axes=axes)
        shares = _extreme_shares(x, out, _axes(axes, x))
        return out, reduce_sum_p.bind(instantiate(tangents[0]) * shares, axes=axes)

    def vjp(ct, primals, out, *, axes):
        x = primals[0]
        axes = _axes(axes, x)
        return [_expand(ct, aval_of(x).shape, axes) * _extreme_shares(x, out, axes)]

    jvp_rules[prim], vjp_rules[prim] = jvp, vjp


jvp_rules[reduce_sum_p], vjp_rules[reduce_sum_p] = _reduce_sum_jvp, _reduce_sum_vjp
jvp_rules[reduce_prod_p], vjp_rules[reduce_prod_p] = _reduce_prod_jvp, _reduce_prod_vjp
_extreme_rules(reduce_max_p)
_extreme_rules(reduce_min_p)


# -- cumulative scans --------------------------------------------------------------------------------------

def _cumsum_jvp(primals, tangents, *, axis, reverse):
    return (cumsum_p.bind(primals[0], axis=axis, reverse=reverse),
            cumsum_p.bind(instantiate(tangents[0]), axis=axis, reverse=reverse))


def _cumsum_vjp(ct, primals, out, *, axis, reverse):
    return [cumsum_p.bind(ct, axis=axis, reverse=not reverse)]


def _cumprod_jvp(primals, tangents, *, axis, reverse):
    x = primals[0]
    out = cumprod_p.bind(x, axis=axis, reverse=reverse)
    ax = _axis(axis, x)
    before = _shift(out, ax, 1, reverse, 1)  # the product of the elements before each one
    return out, _linear_recurrence(x, instantiate(tangents[0]) * before, ax, reverse)


def _cumprod_vjp(ct, primals, out, *, axis, reverse):
    # cotangent of x[j] = before[j] * g[j], where g[j] = ct[j] + x[j+1] * g[j+1] (indices in scan order)
    x = primals[0]
    ax = _axis(axis, x)
    before = _shift(out, ax, 1, reverse, 1)
    g = _linear_recurrence(_shift(x, ax, 1, not reverse, 0), ct, ax, not reverse)
    return [before * g]


def _runs(x, out, axis: int, reverse: bool):
    """For a running extreme ``out`` of ``x``: ``hit`` (1 where x equals the running extreme), ``link`` (1
    where the running extreme is the same as at the previous position), and ``count`` (the number of hits so
    far in the current run of equal outputs, which is >= 1)."""
    hit = _as_float(_same(x, out), x)
    has_previous = _shift(fnp.ones_like(out), axis, 1, reverse, 0)
    link = has_previous * _as_float(_same(out, _shift(out, axis, 1, reverse, 0)), x)
    return hit, link, _linear_recurrence(link, hit, axis, reverse)


def _cumulative_extreme_rules(prim):
    def jvp(primals, tangents, *, axis, reverse):
        x = primals[0]
        out = prim.bind(x, axis=axis, reverse=reverse)
        ax = _axis(axis, x)
        hit, link, count = _runs(x, out, ax, reverse)
        return out, _linear_recurrence(link, instantiate(tangents[0]) * hit, ax, reverse) / count

    def vjp(ct, primals, out, *, axis, reverse):
        # each output's cotangent is shared by the hits of its run at or before it: a segmented sum backwards
        x = primals[0]
        ax = _axis(axis, x)
        hit, link, count = _runs(x, out, ax, reverse)
        next_link = _shift(link, ax, 1, not reverse, 0)
        return [hit * _linear_recurrence(next_link, ct / count, ax, not reverse)]

    jvp_rules[prim], vjp_rules[prim] = jvp, vjp


jvp_rules[cumsum_p], vjp_rules[cumsum_p] = _cumsum_jvp, _cumsum_vjp
jvp_rules[cumprod_p], vjp_rules[cumprod_p] = _cumprod_jvp, _cumprod_vjp
_cumulative_extreme_rules(cummax_p)
_cumulative_extreme_rules(cummin_p)
