"""Matrix products moved out of scan loops: one large product for BLAS instead of a small one per step.

A recurrent network written step by step (``h = tanh(x @ wx + h @ wh + b)`` in a scan) gives BLAS one small
product per step for work that does not need the loop:

* **Hoisting.** A product of a step's input with a loop constant (``x @ wx``) does not depend on the carry.
  It is computed for all steps before the loop, as one product over the stacked inputs, and the loop reads
  its step's slice as one more input.
* **Sinking.** A carry that only accumulates products (``acc + h.T @ dz``: the backward scan of reverse mode
  sums every step's share of each constant's cotangent) is summed after the loop in one product over the
  stacked operands, contracting over the steps too (``sum_t h_t.T @ dz_t == H.T @ DZ``). The loop stacks
  the operands instead of carrying the sum. A float64 sum of float32 products (how reverse mode sums them)
  becomes a float32 product widened once: BLAS's float32 accumulation, as for any product.

* **Transposing.** A product inside the loop that reads a loop constant transposed as its right operand
  (``dz @ wh.T``) reads a copy transposed once before the loop instead: OpenBLAS multiplies small matrices
  about twice as slowly when it must transpose the right one (32x128 @ (128x128).T: 20 us vs 10 us here).

That is how one writes an RNN by hand (``benchmarks/models_numpy.py``). The products become ones whose inner
dimension is the number of steps times the batch, instead of the batch (32 in the RNN benchmark), which BLAS
runs near its peak. The sums are reassociated, as any BLAS does within one product.
A stacked array costs memory the loop did not need; none larger than ``MAX_STACKED_BYTES`` is made.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..core.avals import ShapedArray
from ..core.ir import ClosedJaxpr, Eqn, Jaxpr, Var, map_sub_jaxprs
from ..lax.control_flow import scan_p
from ..lax.elementwise import add_p, convert_element_type_p
from ..lax.linalg import dot_general_p
from ..lax.structural import reshape_p, transpose_p

MAX_STACKED_BYTES = 1 << 26


def move_products_out_of_loops(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with the products of its scans (also nested ones, in any jaxpr it holds) hoisted before or sunk after their loops."""
    eqns = []
    for eqn in jaxpr.eqns:
        if eqn.primitive is scan_p:
            loop = _Loop.of(eqn)
            before, after = _hoist_products(loop), _sink_accumulated_products(loop)
            before += _transpose_constants(loop)
            eqns += before + [loop.eqn()] + after
        else:
            eqns.append(map_sub_jaxprs(eqn, move_products_out_of_loops))
    return Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, jaxpr.outvars)


@dataclass
class _Loop:
    """A scan taken apart: each body input or output beside the outer value it stands for."""

    consts: list  # (body invar, outer operand)
    carry: list  # (body invar, outer initial value, body outvar, outer final value)
    xs: list  # (body invar, outer stacked operand)
    ys: list  # (body outvar, outer stacked result)
    eqns: list
    params: dict

    @classmethod
    def of(cls, eqn: Eqn) -> _Loop:
        p = eqn.params
        body = move_products_out_of_loops(p["jaxpr"].jaxpr)
        nk, nc = p["num_consts"], p["num_carry"]
        ins = list(zip(body.invars, eqn.invars))
        carry = [(v, init, out, final) for (v, init), out, final
                 in zip(ins[nk:nk + nc], body.outvars[:nc], eqn.outvars[:nc])]
        return cls(ins[:nk], carry, ins[nk + nc:], list(zip(body.outvars[nc:], eqn.outvars[nc:])),
                   list(body.eqns), {**p, "jaxpr": ClosedJaxpr(body, p["jaxpr"].consts)})

    def eqn(self) -> Eqn:
        old = self.params["jaxpr"]
        body = Jaxpr(old.jaxpr.constvars, [v for v, *_ in self.consts + self.carry + self.xs], self.eqns,
                     [c[2] for c in self.carry] + [v for v, _ in self.ys])
        invars = [c[1] for c in self.consts + self.carry + self.xs]
        params = {**self.params, "jaxpr": ClosedJaxpr(body, old.consts), "num_consts": len(self.consts),
                  "num_carry": len(self.carry)}
        return Eqn(scan_p, invars, [c[3] for c in self.carry] + [s for _, s in self.ys], params)

    @property
    def length(self) -> int:
        return self.params["length"]

    def stacked_bytes(self, avals: list[ShapedArray]) -> int:
        return sum(self.length * int(np.prod(a.shape, dtype=np.int64)) * a.dtype.itemsize for a in avals)

    def stacked_aval(self, aval: ShapedArray) -> ShapedArray | None:
        """The aval of ``aval`` stacked over the steps, or None when that would pass ``MAX_STACKED_BYTES``."""
        big = self.stacked_bytes([aval]) > MAX_STACKED_BYTES
        return None if big else ShapedArray((self.length, *aval.shape), aval.dtype)


def _shift(dims: tuple) -> tuple:
    return tuple(d + 1 for d in dims)


def _hoist_products(loop: _Loop) -> list[Eqn]:
    """Move ``x @ w`` (x a step's input, or a reshape of it; w a loop constant; either side) before the loop;
    the equations to run before it."""
    consts = {id(v): outer for v, outer in loop.consts}
    before = []
    for eqn in list(loop.eqns):
        if eqn.primitive is not dot_general_p:
            continue
        stepped = [_stacked_input(loop, x) for x in eqn.invars]
        out = eqn.outvars[0].aval
        stacked = loop.stacked_aval(out)
        if sum(s is not None for s in stepped) != 1 or stacked is None or not all(
                s is not None or id(x) in consts for s, x in zip(stepped, eqn.invars)):
            continue
        (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
        lhs, rhs = eqn.invars
        if stepped[0]:  # the steps axis becomes lhs's first free axis, right after the batch axes
            dims, at = ((_shift(lc), rc), (_shift(lb), rb)), len(lb)
        else:
            dims, at = ((lc, _shift(rc)), (lb, _shift(rb))), lhs.aval.ndim - len(lc)  # after lhs's free axes
        operands = []
        for s, x in zip(stepped, eqn.invars):
            if s is not None:
                before += s[1]
            operands.append(consts[id(x)] if s is None else s[0])
        product = Var(stacked if at == 0 else ShapedArray(out.shape[:at] + (loop.length,) + out.shape[at:], out.dtype))
        before.append(Eqn(dot_general_p, operands, [product], {"dimension_numbers": dims}))
        if at:
            product = Var(stacked)
            perm = (at, *range(at), *range(at + 1, len(stacked.shape)))
            before.append(Eqn(transpose_p, [before[-1].outvars[0]], [product], {"permutation": perm}))
        loop.eqns.remove(eqn)
        loop.xs.append((eqn.outvars[0], product))
    return before


def _transpose_constants(loop: _Loop) -> list[Eqn]:
    """Give the loop's products ``x @ w.T`` (w a loop constant) a copy of ``w.T`` made before the loop; the
    equations making the copies."""
    consts = {id(v): outer for v, outer in loop.consts}
    copies: dict[int, Var] = {}  # a constant's body variable -> its transposed copy's
    before = []
    for i, eqn in enumerate(loop.eqns):
        if eqn.primitive is not dot_general_p:
            continue
        lhs, rhs = eqn.invars
        (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
        if id(rhs) not in consts or rhs.aval.ndim != 2 or rc != (1,) or rb:
            continue
        if id(rhs) not in copies:
            aval = ShapedArray(rhs.aval.shape[::-1], rhs.aval.dtype)
            copies[id(rhs)], outer = Var(aval), Var(aval)
            before.append(Eqn(transpose_p, [consts[id(rhs)]], [outer], {"permutation": (1, 0)}))
            loop.consts.append((copies[id(rhs)], outer))
        dims = ((lc, (0,)), (lb, rb))
        loop.eqns[i] = Eqn(dot_general_p, [lhs, copies[id(rhs)]], eqn.outvars, {"dimension_numbers": dims})
    return before


def _stacked_input(loop: _Loop, x) -> tuple[Var, list[Eqn]] | None:
    """``x`` for all steps, when it is a step's input or a reshape of one: (the stacked value, the equations
    making it before the loop); None otherwise."""
    for v, outer in loop.xs:
        if v is x:
            return outer, []
    made = next((e for e in loop.eqns if x in e.outvars), None)
    if made is None or made.primitive is not reshape_p or (inner := _stacked_input(loop, made.invars[0])) is None:
        return None
    stacked = Var(ShapedArray((loop.length, *x.aval.shape), x.aval.dtype))
    return stacked, inner[1] + [Eqn(reshape_p, [inner[0]], [stacked], {"new_sizes": stacked.aval.shape})]


def _sink_accumulated_products(loop: _Loop) -> list[Eqn]:
    """Replace each carry ``acc + a @ b`` (a, b computed per step; acc used nowhere else), or ``acc +
    widen(a @ b)`` (a float64 sum of float32 products: reverse mode's), by one product of the stacked ``a``
    and ``b`` after the loop; its equations."""
    after = []
    while (found := _accumulated_product(loop)) is not None:
        entry, add, product, widen = found
        xs, ys = {id(v): outer for v, outer in loop.xs}, {id(v): outer for v, outer in loop.ys}
        operands = []
        for x in product.invars:
            if id(x) not in xs and id(x) not in ys:
                ys[id(x)] = Var(loop.stacked_aval(x.aval))
                loop.ys.append((x, ys[id(x)]))
            operands.append(xs.get(id(x), ys.get(id(x))))
        (lc, rc), (lb, rb) = product.params["dimension_numbers"]
        dims = (((0, *_shift(lc)), (0, *_shift(rc))), (_shift(lb), _shift(rb)))
        total = Var(product.outvars[0].aval)
        after.append(Eqn(dot_general_p, operands, [total], {"dimension_numbers": dims}))
        if widen is not None:
            after.append(Eqn(widen.primitive, [total], [wide := Var(entry[0].aval)], widen.params))
            loop.eqns.remove(widen)
            total = wide
        after.append(Eqn(add_p, [entry[1], total], [entry[3]], {}))
        loop.eqns.remove(add)
        loop.eqns.remove(product)
        loop.carry.remove(entry)
    return after


def _accumulated_product(loop: _Loop):
    """A carry to sink: (its carry entry, the ``add`` equation, the product equation, the equation widening
    the product or None), or None."""
    uses = Counter(id(x) for e in loop.eqns for x in e.invars)
    uses.update(id(c[2]) for c in loop.carry)
    uses.update(id(v) for v, _ in loop.ys)
    made_by = {id(v): e for e in loop.eqns for v in e.outvars}
    consts, xs = {id(v) for v, _ in loop.consts}, {id(v) for v, _ in loop.xs}
    for entry in loop.carry:
        acc, _, new, _ = entry
        add = made_by.get(id(new))
        if add is None or add.primitive is not add_p or uses[id(acc)] != 1 or uses[id(new)] != 1:
            continue
        others = [x for x in add.invars if x is not acc]
        product, widen = _added_product(others[0], acc, made_by, uses) if len(others) == 1 else (None, None)
        if product is None:
            continue
        per_step = all(type(x) is Var and id(x) not in consts for x in product.invars)
        to_stack = [x.aval for x in set(product.invars) if id(x) not in xs]
        if per_step and loop.stacked_bytes(to_stack) <= MAX_STACKED_BYTES:
            return entry, add, product, widen
    return None


def _added_product(term: Var, acc: Var, made_by: dict, uses: Counter):
    """(the product equation, the equation widening it or None) when ``term``, added to ``acc``, is a product
    used only there, or such a product widened to ``acc``'s dtype; (None, None) otherwise."""
    widen = made_by.get(id(term))
    if widen is not None and widen.primitive is convert_element_type_p and uses[id(term)] == 1:
        term = widen.invars[0]
    else:
        widen = None
    product = made_by.get(id(term))
    if (product is None or product.primitive is not dot_general_p or uses[id(term)] != 1
            or term.aval.shape != acc.aval.shape or (widen is None and term.aval != acc.aval)):
        return None, None
    return product, widen
