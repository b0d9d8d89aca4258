"""Derivative rules of the windowed primitives ``conv_general_dilated`` and ``reduce_window``.

**Convolution.** ``conv(lhs, rhs)`` is bilinear, so its jvp is ``conv(t_lhs, rhs) + conv(lhs, t_rhs)`` and
each cotangent is again a convolution. Along one spatial axis (input size ``n``, lhs dilation ``a``, padding
``(lo, hi)``, kernel size ``k`` with dilation ``r``, stride ``s``, ``m`` outputs), with ``xp`` the dilated,
padded input (``xp[lo + a*i] = lhs[i]``)::

    out[o] = sum_t rhs[t] * xp[o*s + t*r]

* d lhs: ``lhs[i]`` meets ``ct[o]`` through tap ``t`` where ``o*s + t*r = lo + a*i``. That is a convolution
  of the cotangent dilated by ``s`` with the kernel flipped, taken every ``a`` elements: window stride
  ``a``, lhs dilation ``s``, rhs dilation ``r``, padding ``((k-1)*r - lo, (n-1)*a + lo - (m-1)*s)`` (the high
  side chosen so that exactly ``n`` windows fit; either side may be negative, which crops). Input and output
  features swap roles within each feature group.
* d rhs: ``d rhs[t] = sum_o ct[o] * xp[t*r + o*s]``: a convolution of the input with the cotangent as the
  kernel, where stride and rhs dilation swap roles (stride ``r``, rhs dilation ``s``), the lhs dilation and low
  padding stay and the high padding is trimmed so that exactly ``k`` windows fit. The batch axis is the one
  summed over, so it becomes the feature axis; feature groups are folded into that feature axis too.

Everything is computed in the canonical layout (batch/out-feature first, then feature, then spatial) and
transposed back to the operands' layouts.

**reduce_window.** With padding and base-dilation holes holding ``init_value``,
``out = init ⊕ (⊕ over taps of pad(x, init))``.

* ``sum`` is linear in ``(x, init)`` jointly, so its jvp is the primitive applied to the tangents. The
  transpose for ``x`` is the same window arithmetic as the conv's d lhs with a kernel of ones, expressed as
  a windowed sum of the dilated, padded cotangent. ``init`` appears once per window plus once per padding tap,
  so its cotangent is ``(1 + taps) * sum(ct) - sum(ct_x)``.
* ``max``/``min``: the derivative of each window goes to one element: the first tap (row-major order over the
  window) holding the extreme value; a padding tap, or no tap at all, sends it to ``init_value``. Where several
  taps tie only the first gets it (like JAX's select-and-scatter, unlike the elementwise ``max`` that splits
  ties). Two primitives do the picking (``fnx.lax.convolution``): ``select_and_scatter_add`` (the vjp: each
  window's cotangent added at its chosen element) and ``select_and_gather_add`` (the jvp: the tangent read at
  it). Each is linear in its cotangent or tangents and constant in the operand, and the transpose of the
  other, so their own rules are short.
"""
from __future__ import annotations

import math

import numpy as np

from ... import lax
from ... import numpy as fnp
from ...lax.convolution import conv_general_dilated_p, reduce_window_p, select_and_gather_add_p, \
    select_and_scatter_add_p
from .engine import Zero, add_tangents, aval_of, instantiate, jvp_rules, vjp_rules


# -- conv_general_dilated ----------------------------------------------------------------------------------

def _canonical(x, perm):
    """``x`` (laid out as ``perm`` describes) in the canonical axis order."""
    return lax.transpose(x, tuple(int(i) for i in perm))


def _from_canonical(x, perm):
    return lax.transpose(x, tuple(int(i) for i in np.argsort(perm)))


def _conv(x, w, strides, padding, lhs_dilation, rhs_dilation, groups):
    """``conv_general_dilated`` of canonical-layout operands."""
    ndim = len(aval_of(x).shape)
    return conv_general_dilated_p.bind(
        x, w, window_strides=tuple(int(s) for s in strides), padding=tuple((int(lo), int(hi)) for lo, hi in padding),
        lhs_dilation=tuple(int(d) for d in lhs_dilation), rhs_dilation=tuple(int(d) for d in rhs_dilation),
        dimension_numbers=(tuple(range(ndim)),) * 3, feature_group_count=int(groups))


def _conv_jvp(primals, tangents, **params):
    lhs, rhs = primals
    out = conv_general_dilated_p.bind(lhs, rhs, **params)
    t_out = Zero(aval_of(out))
    if not isinstance(tangents[0], Zero):
        t_out = add_tangents(t_out, conv_general_dilated_p.bind(tangents[0], rhs, **params))
    if not isinstance(tangents[1], Zero):
        t_out = add_tangents(t_out, conv_general_dilated_p.bind(lhs, tangents[1], **params))
    return out, t_out


def _conv_lhs_cotangent(ct, w, lhs_spatial, *, window_strides, padding, lhs_dilation, rhs_dilation, groups):
    """d lhs in canonical layout from the canonical cotangent (N, O, m...) and kernel (O, C/G, k...)."""
    o, cg, *kernel = aval_of(w).shape
    m = aval_of(ct).shape[2:]
    # kernel (O, C/G, k) -> (C, O/G, k) with the features swapped inside each group, spatially flipped
    w = lax.reshape(w, (groups, o // groups, cg, *kernel))
    w = lax.transpose(w, (0, 2, 1, *range(3, 3 + len(kernel))))
    w = lax.reshape(w, (groups * cg, o // groups, *kernel))
    w = lax.rev(w, tuple(range(2, 2 + len(kernel))))
    pads = [((k - 1) * r - lo, (n - 1) * a + lo - (mm - 1) * s)
            for n, k, mm, (lo, _), a, r, s in zip(lhs_spatial, kernel, m, padding, lhs_dilation, rhs_dilation,
                                                 window_strides)]
    return _conv(ct, w, lhs_dilation, pads, window_strides, rhs_dilation, groups)


def _conv_rhs_cotangent(ct, x, kernel, *, window_strides, padding, lhs_dilation, rhs_dilation, groups):
    """d rhs in canonical layout (O, C/G, k...) from the canonical cotangent (N, O, m...) and input (N, C, n...)."""
    n_batch, c, *spatial = aval_of(x).shape
    m = aval_of(ct).shape[2:]
    nsp = len(spatial)
    # input (N, C, n) -> (C/G, G*N, n): the batch is summed over, so it joins the features, group by group
    x = lax.reshape(x, (n_batch, groups, c // groups, *spatial))
    x = lax.transpose(x, (2, 1, 0, *range(3, 3 + nsp)))
    x = lax.reshape(x, (c // groups, groups * n_batch, *spatial))
    ct = lax.transpose(ct, (1, 0, *range(2, 2 + nsp)))  # (O, N, m): the cotangent is the kernel
    pads = [(lo, (k - 1) * r + (mm - 1) * s - (n - 1) * a - lo)
            for n, k, mm, (lo, _), a, r, s in zip(spatial, kernel, m, padding, lhs_dilation, rhs_dilation,
                                                 window_strides)]
    dw = _conv(x, ct, rhs_dilation, pads, lhs_dilation, window_strides, groups)  # (C/G, O, k)
    return lax.transpose(dw, (1, 0, *range(2, 2 + nsp)))


def _conv_vjp(ct, primals, out, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
              feature_group_count):
    lhs, rhs = primals
    lhs_aval, rhs_aval = aval_of(lhs), aval_of(rhs)
    if 0 in lhs_aval.shape or 0 in rhs_aval.shape or 0 in aval_of(ct).shape:
        return [fnp.zeros(lhs_aval.shape, lhs_aval.dtype), fnp.zeros(rhs_aval.shape, rhs_aval.dtype)]
    lhs_perm, rhs_perm, out_perm = dimension_numbers
    x, w, ct = _canonical(lhs, lhs_perm), _canonical(rhs, rhs_perm), _canonical(ct, out_perm)
    params = dict(window_strides=window_strides, padding=padding, lhs_dilation=lhs_dilation,
                  rhs_dilation=rhs_dilation, groups=feature_group_count)
    ct_x = _conv_lhs_cotangent(ct, w, aval_of(x).shape[2:], **params)
    ct_w = _conv_rhs_cotangent(ct, x, aval_of(w).shape[2:], **params)
    return [_from_canonical(ct_x, lhs_perm), _from_canonical(ct_w, rhs_perm)]


jvp_rules[conv_general_dilated_p], vjp_rules[conv_general_dilated_p] = _conv_jvp, _conv_vjp


# -- reduce_window: sum ------------------------------------------------------------------------------------

def _sum_jvp(primals, tangents, **params):
    out = reduce_window_p.bind(*primals, **params)
    return out, reduce_window_p.bind(instantiate(tangents[0]), instantiate(tangents[1]), **params)


def _sum_vjp(ct, primals, out, *, window_dimensions, window_strides, padding, base_dilation, window_dilation,
             **_):
    x, init = primals
    shape, dtype = aval_of(x).shape, aval_of(x).dtype
    if 0 in shape or 0 in aval_of(ct).shape:
        ct_x = fnp.zeros(shape, dtype)
    else:
        pads = tuple(((k - 1) * r - lo, (n - 1) * a + lo - (m - 1) * s)
                     for n, k, m, (lo, _), a, r, s in zip(shape, window_dimensions, aval_of(ct).shape, padding,
                                                          base_dilation, window_dilation, window_strides))
        ct_x = reduce_window_p.bind(ct, fnp.zeros((), dtype), computation="sum",
                                    window_dimensions=window_dimensions, window_strides=base_dilation, padding=pads,
                                    base_dilation=window_strides, window_dilation=window_dilation)
    taps = math.prod(window_dimensions)
    ct_init = fnp.subtract(fnp.multiply(fnp.sum(ct), dtype.type(1 + taps)), fnp.sum(ct_x))
    return [ct_x, ct_init]


# -- reduce_window: max and min ----------------------------------------------------------------------------

def _extreme_jvp(primals, tangents, **params):
    x, init = primals
    out = reduce_window_p.bind(x, init, **params)
    return out, select_and_gather_add_p.bind(instantiate(tangents[0]), instantiate(tangents[1]), x, init, **params)


def _extreme_vjp(ct, primals, out, **params):
    x, init = primals
    return [select_and_scatter_add_p.bind(ct, x, init, **params), _init_cotangent(ct, x, init, params)]


def _init_cotangent(ct, x, init, params):
    """The sum of ``ct`` over the windows whose derivative goes to ``init``: where a 0/1 tangent picks 1."""
    dtype = aval_of(x).dtype
    chose_init = select_and_gather_add_p.bind(fnp.zeros(aval_of(x).shape, dtype), fnp.ones((), dtype), x, init,
                                              **params)
    return fnp.sum(fnp.multiply(ct, chose_init))


# -- select_and_gather_add and select_and_scatter_add: linear in the tangents, constant in the operand -------

def _gather_jvp(primals, tangents, **params):
    _, _, x, init = primals
    out = select_and_gather_add_p.bind(*primals, **params)
    if all(isinstance(t, Zero) for t in tangents[:2]):
        return out, Zero(aval_of(out))
    return out, select_and_gather_add_p.bind(instantiate(tangents[0]), instantiate(tangents[1]), x, init, **params)


def _gather_vjp(ct, primals, out, **params):
    _, _, x, init = primals
    return [select_and_scatter_add_p.bind(ct, x, init, **params), _init_cotangent(ct, x, init, params), None, None]


def _scatter_jvp(primals, tangents, **params):
    _, x, init = primals
    out = select_and_scatter_add_p.bind(*primals, **params)
    if isinstance(tangents[0], Zero):
        return out, Zero(aval_of(out))
    return out, select_and_scatter_add_p.bind(tangents[0], x, init, **params)


def _scatter_vjp(ct, primals, out, **params):
    _, x, init = primals
    zero = fnp.zeros((), aval_of(x).dtype)
    return [select_and_gather_add_p.bind(ct, zero, x, init, **params), None, None]


jvp_rules[select_and_gather_add_p], vjp_rules[select_and_gather_add_p] = _gather_jvp, _gather_vjp
jvp_rules[select_and_scatter_add_p], vjp_rules[select_and_scatter_add_p] = _scatter_jvp, _scatter_vjp


# -- reduce_window: dispatch on the computation ------------------------------------------------------------

def _reduce_window_jvp(primals, tangents, **params):
    rule = _sum_jvp if params["computation"] == "sum" else _extreme_jvp
    return rule(primals, tangents, **params)


def _reduce_window_vjp(ct, primals, out, **params):
    rule = _sum_vjp if params["computation"] == "sum" else _extreme_vjp
    return rule(ct, primals, out, **params)


jvp_rules[reduce_window_p], vjp_rules[reduce_window_p] = _reduce_window_jvp, _reduce_window_vjp
