"""Derivative rules of the elementwise primitives (fnx/lax/elementwise.py).

Each row of the elementwise table gives the partial derivatives of the output with respect to each operand,
in terms of the output and the operands. ``defpartials`` turns them into both a jvp rule (sum of partial *
tangent) and a vjp rule (cotangent * partial, summed back to a rank-0 operand's shape, computed only for the
operands that take a cotangent). ``convert_element_type``, ``select_n``, ``stop_gradient`` and ``integer_pow``
have rules of their own below.
"""
from __future__ import annotations

from typing import Callable

from ... import lax
from ... import numpy as fnp
from ...core.primitive import Primitive, bind1
from ...core.tree import tree_map
from ...lax.elementwise import convert_element_type_p, integer_pow_p, select_n_p, stop_gradient_p
from ...lax.elementwise import for_each_row
from .engine import Zero, add_tangents, aval_of, def_operand_vjp, instantiate, is_differentiable, jvp_rules, \
    nondifferentiable, vjp_rules


def _cast_like(x, operand):
    dtype = aval_of(operand).dtype
    return x if x.dtype == dtype else lax.convert_element_type(x, dtype)


def _fit(ct, operand):
    """``ct`` as the cotangent of ``operand``: summed if the operand was a broadcast scalar, in its dtype.

    Reads ``.shape`` and ``.dtype``, which NumPy values (the operands of an eager ``grad``) have for free."""
    ct_shape = ct.shape
    if ct_shape and not operand.shape:
        ct = lax.reduce_sum(ct, tuple(range(len(ct_shape))))
    dtype = operand.dtype
    return ct if ct.dtype == dtype else lax.convert_element_type(ct, dtype)


def defpartials(prim: Primitive, *partials: Callable | None) -> None:
    """Register jvp and vjp rules from ``partials[i](out, *operands)`` = d out / d operand i (None: 0)."""
    def jvp(primals, tangents):
        out = bind1(prim, primals, {})
        t_out = Zero(aval_of(out))
        for partial, t in zip(partials, tangents):
            if partial is not None and not isinstance(t, Zero):
                t_out = add_tangents(t_out, _cast_like(fnp.multiply(t, partial(out, *primals)), out))
        return out, t_out

    def operand_vjp(i, ct, primals, out):
        partial = partials[i]
        return None if partial is None else _fit(fnp.multiply(ct, partial(out, *primals)), primals[i])

    jvp_rules[prim] = jvp
    def_operand_vjp(prim, operand_vjp)


def _linear(prim: Primitive, signs: tuple) -> None:
    """add, sub and neg: tangents and cotangents pass through with a sign."""
    def jvp(primals, tangents):
        out = bind1(prim, primals, {})
        t_out = Zero(aval_of(out))
        for sign, t in zip(signs, tangents):
            if not isinstance(t, Zero):
                t_out = add_tangents(t_out, t if sign > 0 else fnp.negative(t))
        if not isinstance(t_out, Zero) and t_out.shape != out.shape:  # only rank-0 operands had tangents
            t_out = lax.broadcast_in_dim(t_out, out.shape, ())
        return out, t_out

    def operand_vjp(i, ct, primals, out):
        return _fit(ct if signs[i] > 0 else fnp.negative(ct), primals[i])

    jvp_rules[prim] = jvp
    def_operand_vjp(prim, operand_vjp)


def _register(row) -> None:
    """The jvp and vjp rules of one row of the elementwise table (fnx.lax.elementwise)."""
    if row.linear is not None:
        _linear(row.primitive, row.linear)
    elif row.partials is not None:
        defpartials(row.primitive, *row.partials)
    else:  # piecewise constant, or integer- or bool-valued: the derivative is zero wherever it exists
        nondifferentiable.mark(row.primitive)


for_each_row(_register)


# -- convert_element_type, select_n ------------------------------------------------------------------------

def _convert_jvp(primals, tangents, *, new_dtype):
    out = convert_element_type_p.bind(primals[0], new_dtype=new_dtype)
    if new_dtype.kind != "f":
        return out, Zero(aval_of(out))
    return out, convert_element_type_p.bind(instantiate(tangents[0]), new_dtype=new_dtype)


def _convert_vjp(ct, primals, out, *, new_dtype):
    return [_cast_like(ct, primals[0])]


jvp_rules[convert_element_type_p], vjp_rules[convert_element_type_p] = _convert_jvp, _convert_vjp


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = select_n_p.bind(which, *cases)
    if all(isinstance(t, Zero) for t in tangents[1:]):
        return out, Zero(aval_of(out))
    ts = [fnp.broadcast_to(instantiate(t), aval_of(out).shape) for t in tangents[1:]]
    return out, select_n_p.bind(which, *ts)


def _select_n_vjp(ct, primals, out):
    which, *cases = primals
    zero = fnp.zeros_like(ct)
    cts = []
    for i, case in enumerate(cases):
        if not is_differentiable(aval_of(case)):
            cts.append(None)
            continue
        picks = [ct if j == i else zero for j in range(len(cases))]
        cts.append(_fit(select_n_p.bind(which, *picks), case))
    return [None] + cts


jvp_rules[select_n_p], vjp_rules[select_n_p] = _select_n_jvp, _select_n_vjp


# -- stop_gradient -----------------------------------------------------------------------------------------

nondifferentiable.mark(stop_gradient_p)


def stop_gradient(x):
    """``x`` itself, but no derivative flows through it (a pytree of arrays is allowed).

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.grad(lambda x: x * fnx.stop_gradient(x))(3.0)
    Array(3.0, dtype=float64)
    """
    return tree_map(lambda v: stop_gradient_p.bind(fnp.asarray(v)) if not hasattr(v, "aval") else
                    stop_gradient_p.bind(v), x)


# -- integer_pow ---------------------------------------------------------------------------------------------

def _integer_pow_derivative(x, y: int):
    return fnp.zeros_like(x) if y == 0 else y * (lax.integer_pow(x, y - 1) if y != 1 else fnp.ones_like(x))


def _integer_pow_jvp(primals, tangents, *, y):
    (x,), (t,) = primals, tangents
    return lax.integer_pow(x, y), fnp.multiply(t, _integer_pow_derivative(x, y))


def _integer_pow_vjp(ct, primals, out, *, y):
    return [fnp.multiply(ct, _integer_pow_derivative(primals[0], y))]


jvp_rules[integer_pow_p], vjp_rules[integer_pow_p] = _integer_pow_jvp, _integer_pow_vjp
