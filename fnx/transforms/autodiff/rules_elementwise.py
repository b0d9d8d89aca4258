"""Derivative rules of the elementwise primitives, ``convert_element_type``, ``select_n`` and ``stop_gradient``.

Most rules are one line: the partial derivatives of the output with respect to each operand, written with
fnx.numpy in terms of the output ``out`` and the operands. ``defpartials`` turns them into both a jvp rule
(sum of partial * tangent) and a vjp rule (cotangent * partial, summed back to a rank-0 operand's shape,
computed only for the operands that take a cotangent).
"""
from __future__ import annotations

import math
from typing import Callable

from ... import lax
from ... import numpy as fnp
from ...core.primitive import Primitive, bind
from ...lax.elementwise import binary_primitives as B, integer_pow_p, unary_primitives as U
from ...lax.structural import convert_element_type_p, select_n_p, stop_gradient_p
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
        out = bind(prim, primals, {})
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
        out = bind(prim, primals, {})
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


_linear(B["add"], (1, 1))
_linear(B["sub"], (1, -1))
_linear(U["neg"], (-1,))

_LN2, _LN10, _TWO_OVER_SQRT_PI = math.log(2.0), math.log(10.0), 2.0 / math.sqrt(math.pi)

defpartials(U["abs"], lambda out, x: fnp.sign(x))
defpartials(U["exp"], lambda out, x: out)
defpartials(U["exp2"], lambda out, x: out * _LN2)
defpartials(U["expm1"], lambda out, x: out + 1.0)
defpartials(U["log"], lambda out, x: 1.0 / x)
defpartials(U["log2"], lambda out, x: 1.0 / (x * _LN2))
defpartials(U["log10"], lambda out, x: 1.0 / (x * _LN10))
defpartials(U["log1p"], lambda out, x: 1.0 / (x + 1.0))
defpartials(U["sqrt"], lambda out, x: 0.5 / out)
defpartials(U["cbrt"], lambda out, x: 1.0 / (3.0 * out * out))
defpartials(U["sin"], lambda out, x: fnp.cos(x))
defpartials(U["cos"], lambda out, x: -fnp.sin(x))
defpartials(U["tan"], lambda out, x: 1.0 + out * out)
defpartials(U["asin"], lambda out, x: 1.0 / fnp.sqrt(1.0 - x * x))
defpartials(U["acos"], lambda out, x: -1.0 / fnp.sqrt(1.0 - x * x))
defpartials(U["atan"], lambda out, x: 1.0 / (1.0 + x * x))
defpartials(U["sinh"], lambda out, x: fnp.cosh(x))
defpartials(U["cosh"], lambda out, x: fnp.sinh(x))
defpartials(U["tanh"], lambda out, x: 1.0 - out * out)
defpartials(U["asinh"], lambda out, x: 1.0 / fnp.sqrt(x * x + 1.0))
defpartials(U["acosh"], lambda out, x: 1.0 / (fnp.sqrt(x - 1.0) * fnp.sqrt(x + 1.0)))
defpartials(U["atanh"], lambda out, x: 1.0 / (1.0 - x * x))
defpartials(U["logistic"], lambda out, x: out * (1.0 - out))
defpartials(U["erf"], lambda out, x: _TWO_OVER_SQRT_PI * fnp.exp(-x * x))
defpartials(U["erfc"], lambda out, x: -_TWO_OVER_SQRT_PI * fnp.exp(-x * x))
defpartials(U["erf_inv"], lambda out, x: (1.0 / _TWO_OVER_SQRT_PI) * fnp.exp(out * out))
defpartials(U["lgamma"], lambda out, x: lax.digamma(x))

defpartials(B["mul"], lambda out, x, y: y, lambda out, x, y: x)
defpartials(B["div"], lambda out, x, y: 1.0 / y, lambda out, x, y: -out / y)
defpartials(B["rem"], lambda out, x, y: fnp.ones_like(x), lambda out, x, y: -fnp.floor_divide(x, y))
defpartials(B["atan2"], lambda out, x, y: y / (x * x + y * y), lambda out, x, y: -x / (x * x + y * y))
defpartials(B["hypot"], lambda out, x, y: x / out, lambda out, x, y: y / out)
defpartials(B["logaddexp"], lambda out, x, y: fnp.exp(x - out), lambda out, x, y: fnp.exp(y - out))
defpartials(B["copysign"], lambda out, x, y: fnp.where(fnp.signbit(x) == fnp.signbit(out), 1.0, -1.0), None)


def _pow_dx(out, x, y):
    # y * x**(y-1), with the y == 0 case kept finite at x == 0
    return y * fnp.power(x, fnp.where(y == 0, 1.0, y - 1.0))


def _pow_dy(out, x, y):
    # out * log(x), defined as 0 where x == 0 (the limit for y > 0); x < 0 has no real derivative in y
    safe_x = fnp.where(x > 0, x, 1.0)  # log only where it is defined (negative x needs an integer y anyway)
    return fnp.where(x == 0, 0.0, out * fnp.log(safe_x))


defpartials(B["pow"], _pow_dx, _pow_dy)

# max/min: where the operands tie, each gets half of the derivative (as JAX does), so that
# max(x, x) has derivative 1 and the two sides agree.
def _tie_weights(wins, ties, like):
    """1 where ``wins``, 1/2 where ``ties``, else 0, in the dtype of ``like``."""
    one, half, zero = (like.dtype.type(v) for v in (1.0, 0.5, 0.0))
    return fnp.where(wins, one, fnp.where(ties, half, zero))


defpartials(B["max"], lambda out, x, y: _tie_weights(x > y, x == y, out),
            lambda out, x, y: _tie_weights(y > x, x == y, out))
defpartials(B["min"], lambda out, x, y: _tie_weights(x < y, x == y, out),
            lambda out, x, y: _tie_weights(y < x, x == y, out))


# The asymptotic series of trigamma: 1/z + 1/(2z^2) + sum_k B_2k / z^(2k+1), B_2k the Bernoulli numbers.
_TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)


def trigamma(x):
    """The derivative of digamma, psi'(x) = sum over k >= 0 of 1/(x+k)^2, written with fnx.numpy so that it
    differentiates and compiles like any composite. For x >= 0.5: ten steps of psi'(x) = 1/x^2 + psi'(x+1),
    then the asymptotic series (relative error below 1e-13); below: the reflection
    psi'(x) = pi^2 / sin(pi x)^2 - psi'(1 - x). Infinite at 0, -1, -2, ...

    >>> float(trigamma(1.0))  # pi^2 / 6
    1.6449340668482262
    """
    x = fnp.asarray(x)
    reflect = x < 0.5
    y = fnp.where(reflect, 1.0 - x, x)
    head = sum(1.0 / ((y + k) * (y + k)) for k in range(10))
    inv = 1.0 / (y + 10.0)
    inv2 = inv * inv
    series = 0.0
    for b in reversed(_TRIGAMMA_SERIES):
        series = b + inv2 * series
    psi1 = head + inv + 0.5 * inv2 + inv * inv2 * series
    sin = fnp.sin(math.pi * fnp.where(reflect, x, 0.5))  # 0.5 where not used: no infinity to differentiate
    return fnp.where(reflect, math.pi ** 2 / (sin * sin) - psi1, psi1)


defpartials(U["digamma"], lambda out, x: trigamma(x))

# Piecewise-constant and integer- or bool-valued operations: their derivative is zero wherever it exists.
nondifferentiable.update([U[n] for n in ("sign", "floor", "ceil", "round", "trunc", "is_finite", "is_nan", "is_inf",
                                         "signbit", "not", "population_count")])
nondifferentiable.update([B[n] for n in ("floor_divide", "nextafter", "and", "or", "xor", "shift_left",
                                         "shift_right", "eq", "ne", "lt", "le", "gt", "ge")])


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

nondifferentiable.add(stop_gradient_p)


def stop_gradient(x):
    """``x`` itself, but no derivative flows through it (a pytree of arrays is allowed).

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.grad(lambda x: x * fnx.stop_gradient(x))(3.0)
    Array(3., dtype=float64)
    """
    from ...core.tree import tree_map
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
