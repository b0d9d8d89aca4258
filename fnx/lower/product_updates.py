"""Updates folded into the products that make them: ``w - lr * (x.T @ dy)`` as one BLAS call.

An SGD step computes each weight gradient with a matrix product and then runs a loop ``w - lr * g`` over it:
the gradient is written once and read back once, in a pass as large as the weights that memory bandwidth
bounds (0.22 ms of the benchmark MLP step's ~5 ms for its 784x512 layer). BLAS computes
``C = alpha * A @ B + beta * C`` in one pass, so ``product_update`` (``w + scale * dot_general(a, b)``, or
``w - ...``) replaces the three equations. It is made only here, after every transform has run, so it has
no derivative or batching rule. Its output is a copy of ``w`` updated, or ``w``'s own memory when the backend
may overwrite ``w`` (a donated input, or a loop's carry: see ``fusion.buffer_reuse``).
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from ..core.avals import ShapedArray
from ..core.ir import Eqn, Jaxpr, Literal, Var, map_sub_jaxprs
from ..core.primitive import def_primitive, impl_rules
from ..lax.elementwise import add_p, mul_p, sub_p
from ..lax.linalg import dot_general_p
from ..lax.structural import broadcast_in_dim_p


def _product_update_eval(w, scale, a, b, *, dimension_numbers, negate):
    return ShapedArray(w.shape, w.dtype)


def _product_update_impl(w, scale, a, b, *, dimension_numbers, negate):
    product = impl_rules[dot_general_p](a, b, dimension_numbers=dimension_numbers)
    step = np.asarray(scale, w.dtype) * product
    return np.asarray(w - step if negate else w + step, w.dtype)


product_update_p = def_primitive("product_update", _product_update_eval, _product_update_impl)
LOWERING_ONLY = {product_update_p}  # made after the transforms: no jvp, vjp or batching rule


def fold_product_updates(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` (and the jaxprs its equations hold) with each ``w +- scale * dot_general(a, b)`` as one ``product_update``,
    where ``w`` is an input, the product and its scaling are used nowhere else, and the product has no batch
    axes and ``w``'s shape and float dtype."""
    uses = Counter(id(x) for e in jaxpr.eqns for x in e.invars)
    uses.update(id(v) for v in jaxpr.outvars)
    made_by = {id(v): e for e in jaxpr.eqns for v in e.outvars}
    inputs = {id(v) for v in jaxpr.constvars + jaxpr.invars}
    folded: dict[int, Eqn] = {}  # id(an add or sub equation) -> the product_update replacing it
    gone: set[int] = set()  # ids of the equations it absorbs
    for eqn in jaxpr.eqns:
        match = _match(eqn, inputs, made_by, uses) if eqn.primitive in (add_p, sub_p) else None
        if match is not None and not gone & {id(e) for e in match[1]}:
            folded[id(eqn)], absorbed = match
            gone.update(id(e) for e in absorbed)
    eqns = [folded.get(id(e), map_sub_jaxprs(e, fold_product_updates)) for e in jaxpr.eqns if id(e) not in gone]
    return Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, jaxpr.outvars)


def _match(eqn: Eqn, inputs: set, made_by: dict, uses: Counter):
    """(the product_update equation, the equations it absorbs) for ``eqn`` = ``w +- step``, or None.

    ``w`` must be an input (a weight, or a loop's carry): a value computed here, such as a broadcast bias
    added to ``x @ w``, would cost a copy and one more pass for the product to add into."""
    w, step = eqn.invars
    candidates = [(w, step, eqn.primitive is sub_p)] + ([(step, w, False)] if eqn.primitive is add_p else [])
    for w, step, negate in candidates:
        found = _scaled_product(step, made_by, uses)
        if found is None or id(w) not in inputs or w.aval != eqn.outvars[0].aval:
            continue
        scale, product, absorbed = found
        (_, _), (lb, _) = product.params["dimension_numbers"]
        if lb or product.outvars[0].aval != w.aval or w.aval.dtype.kind != "f":
            continue
        params = {"dimension_numbers": product.params["dimension_numbers"], "negate": negate}
        return Eqn(product_update_p, [w, scale, *product.invars], eqn.outvars, params), absorbed
    return None


def _scaled_product(step, made_by: dict, uses: Counter):
    """``step`` as (scale, the dot_general equation, equations absorbed) when it is ``scale * product`` or
    ``product`` itself, each used only here; None otherwise."""
    if type(step) is not Var or uses[id(step)] != 1 or id(step) not in made_by:
        return None
    eqn = made_by[id(step)]
    if eqn.primitive is dot_general_p:
        return Literal(1, ShapedArray((), step.aval.dtype)), eqn, [eqn]
    if eqn.primitive is not mul_p:
        return None
    for scale, product in (eqn.invars, eqn.invars[::-1]):
        scale = _scalar(scale, made_by)
        made = made_by.get(id(product)) if type(product) is Var else None
        if (scale is not None and made is not None and made.primitive is dot_general_p
                and uses[id(product)] == 1 and scale.aval.dtype == step.aval.dtype):
            return scale, made, [eqn, made]
    return None


def _scalar(x, made_by: dict):
    """``x`` as a rank-0 value: itself, or what a broadcast of one made it from; None if it is neither."""
    if x.aval.shape == ():
        return x
    made = made_by.get(id(x)) if type(x) is Var else None
    if made is not None and made.primitive is broadcast_in_dim_p and made.invars[0].aval.shape == ():
        return made.invars[0]
    return None
