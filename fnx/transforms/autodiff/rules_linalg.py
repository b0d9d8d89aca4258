"""Derivative rules of the linear algebra primitives (fnx/lax/linalg.py): dot_general, inv, solve, det, cholesky.

Matrices are the last two axes; leading axes are a batch. With ``A⁻¹`` the inverse, ``ᵀ`` the transpose of
the last two axes and ``Ā`` the cotangent of ``A``:

* ``dot_general`` is bilinear: its jvp is ``dot(dA, B) + dot(A, dB)``; the cotangent of one operand is a
  ``dot_general`` of the output cotangent with the other operand, transposed back to the operand's layout.
* ``inv``: ``d(A⁻¹) = -A⁻¹ dA A⁻¹``; ``Ā = -A⁻ᵀ C̄ A⁻ᵀ``.
* ``solve`` (``X = A⁻¹ B``): ``dX = A⁻¹ (dB - dA X)``; ``B̄ = A⁻ᵀ X̄``, ``Ā = -B̄ Xᵀ``.
* ``det``: ``d det = det * tr(A⁻¹ dA)``; ``Ā = d̄ * det * A⁻ᵀ``. A singular ``A`` has no inverse: its
  derivative is inf/NaN (or the inverse raises, when eager).
* ``cholesky`` (``A = L Lᵀ``): ``dL = L Φ(L⁻¹ dA L⁻ᵀ)``, where Φ keeps the lower triangle and halves the
  diagonal; ``Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹)`` with ``sym(M) = (M + Mᵀ)/2``. Both treat ``A`` as symmetric: the
  jvp uses ``sym(dA)`` (the primitive only reads the lower triangle, so no other choice is symmetric in A),
  and the gradient is a symmetric matrix. It matches finite differences along symmetric perturbations.
"""
from __future__ import annotations

import numpy as np

from ... import lax
from ...lax.linalg import cholesky_p, det_p, dot_general_p, inv_p, solve_p
from .engine import Zero, add_tangents, aval_of, def_operand_vjp, instantiate, is_differentiable, jvp_rules, \
    vjp_rules


# -- dot_general -------------------------------------------------------------------------------------------

def _dot_general_jvp(primals, tangents, *, dimension_numbers):
    lhs, rhs = primals
    t_lhs, t_rhs = tangents
    out = dot_general_p.bind(lhs, rhs, dimension_numbers=dimension_numbers)
    t_out = Zero(aval_of(out))
    if not isinstance(t_lhs, Zero):
        t_out = dot_general_p.bind(t_lhs, rhs, dimension_numbers=dimension_numbers)
    if not isinstance(t_rhs, Zero):
        t_out = add_tangents(t_out, dot_general_p.bind(lhs, t_rhs, dimension_numbers=dimension_numbers))
    return out, t_out


def _operand_cotangent(ct, other, x_ndim: int, x_dims: tuple, other_dims: tuple, free_offset: int):
    """The cotangent of one ``dot_general`` operand ``x`` (the other operand is ``other``).

    ``x_dims``/``other_dims`` are each operand's (contracting, batch) dimensions. The output's axes are
    batch, lhs free, rhs free; ``free_offset`` is where the other operand's free axes start in it.
    Contracting the cotangent with ``other`` over the other operand's free axes (and matching batch axes)
    gives an array with axes: batch, x's free axes, then x's contracting axes in the order of the other
    operand's contracting axes sorted -- which is then transposed into x's layout.
    """
    (x_contract, x_batch), (o_contract, o_batch) = x_dims, other_dims
    other_ndim = len(aval_of(other).shape)
    o_free = [d for d in range(other_ndim) if d not in o_contract + o_batch]
    x_free = [d for d in range(x_ndim) if d not in x_contract + x_batch]
    nb = len(x_batch)
    ct_free = tuple(range(free_offset, free_offset + len(o_free)))
    o_contract_sorted = sorted(o_contract)

    def permutation(other_first: bool) -> tuple:
        """Where each axis of x lands in the product: x's free axes before its contracting ones, or after."""
        position = {d: i for i, d in enumerate(x_batch)}
        free_start, contract_start = (nb + len(x_contract), nb) if other_first else (nb, nb + len(x_free))
        position.update({d: free_start + i for i, d in enumerate(x_free)})
        position.update({d: contract_start + o_contract_sorted.index(o) for d, o in zip(x_contract, o_contract)})
        return tuple(position[d] for d in range(x_ndim))

    identity = tuple(range(x_ndim))
    if permutation(False) != identity and permutation(True) == identity:
        # the other operand first gives x's layout directly (e.g. a weight gradient x^T @ ct): no transpose
        return dot_general_p.bind(other, ct, dimension_numbers=((tuple(o_free), ct_free), (o_batch, tuple(range(nb)))))
    got = dot_general_p.bind(ct, other, dimension_numbers=((ct_free, tuple(o_free)), (tuple(range(nb)), o_batch)))
    perm = permutation(False)
    return lax.transpose(got, perm) if perm != identity else got


def _dot_general_operand_vjp(i, ct, primals, out, *, dimension_numbers):
    """The cotangent of one operand: a dot_general of ``ct`` with the other one (None for an integer operand)."""
    lhs, rhs = primals
    if not is_differentiable(aval_of(primals[i])):
        return None
    (lc, rc), (lb, rb) = dimension_numbers
    lhs_ndim, rhs_ndim = len(aval_of(lhs).shape), len(aval_of(rhs).shape)
    if i == 0:
        return _operand_cotangent(ct, rhs, lhs_ndim, (lc, lb), (rc, rb), lhs_ndim - len(lc))
    return _operand_cotangent(ct, lhs, rhs_ndim, (rc, rb), (lc, lb), len(lb))


jvp_rules[dot_general_p] = _dot_general_jvp
def_operand_vjp(dot_general_p, _dot_general_operand_vjp)


# -- batched matrix helpers --------------------------------------------------------------------------------

def _mT(x):
    """Transpose the last two axes."""
    n = len(aval_of(x).shape)
    return lax.transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _mm(a, b):
    """Batched matrix product of two arrays of one rank: ``(..., n, k) @ (..., k, m)``."""
    n = len(aval_of(a).shape)
    batch = tuple(range(n - 2))
    return lax.dot_general(a, b, (((n - 1,), (n - 2,)), (batch, batch)))


def _solve(a, b):
    return solve_p.bind(a, b)


def _scale_matrices(s, m):
    """Each matrix of ``m`` (shape ``(..., n, n)``) times the scalar of ``s`` (shape ``(...)``)."""
    shape = aval_of(m).shape
    return lax.broadcast_in_dim(s, shape, tuple(range(len(shape) - 2))) * m


# -- inv, solve, det ---------------------------------------------------------------------------------------

def _inv_jvp(primals, tangents):
    out = inv_p.bind(primals[0])
    return out, -_mm(_mm(out, instantiate(tangents[0])), out)


def _inv_vjp(ct, primals, out):
    out_t = _mT(out)
    return [-_mm(_mm(out_t, ct), out_t)]


def _solve_jvp(primals, tangents):
    a, b = primals
    t_a, t_b = tangents
    x = solve_p.bind(a, b)
    rhs = Zero(aval_of(x)) if isinstance(t_b, Zero) else t_b
    if not isinstance(t_a, Zero):
        rhs = add_tangents(rhs, -_mm(t_a, x))
    return x, _solve(a, instantiate(rhs))


def _solve_vjp(ct, primals, out):
    a, b = primals
    ct_b = _solve(_mT(a), ct)
    ct_a = -_mm(ct_b, _mT(out)) if is_differentiable(aval_of(a)) else None
    return [ct_a, ct_b if is_differentiable(aval_of(b)) else None]


def _det_jvp(primals, tangents):
    a = primals[0]
    out = det_p.bind(a)
    n = len(aval_of(a).shape)
    trace = lax.reduce_sum(_mT(inv_p.bind(a)) * instantiate(tangents[0]), (n - 2, n - 1))  # tr(A⁻¹ dA)
    return out, out * trace


def _det_vjp(ct, primals, out):
    return [_scale_matrices(ct * out, _mT(inv_p.bind(primals[0])))]


jvp_rules[inv_p], vjp_rules[inv_p] = _inv_jvp, _inv_vjp
jvp_rules[solve_p], vjp_rules[solve_p] = _solve_jvp, _solve_vjp
jvp_rules[det_p], vjp_rules[det_p] = _det_jvp, _det_vjp


# -- cholesky ----------------------------------------------------------------------------------------------

def _sym(m):
    return (m + _mT(m)) * np.asarray(0.5, aval_of(m).dtype)


def _phi(m):
    """The lower triangle of ``m`` with its diagonal halved."""
    shape = aval_of(m).shape
    n = shape[-1]
    mask = (np.tril(np.ones((n, n))) - 0.5 * np.eye(n)).astype(aval_of(m).dtype)
    return m * lax.broadcast_in_dim(mask, shape, (len(shape) - 2, len(shape) - 1))


def _cholesky_jvp(primals, tangents):
    out = cholesky_p.bind(primals[0])
    # P = L⁻¹ S L⁻ᵀ, computed as L⁻¹ (L⁻¹ S)ᵀ since S = sym(dA) is symmetric
    p = _solve(out, _mT(_solve(out, _sym(instantiate(tangents[0])))))
    return out, _mm(out, _phi(p))


def _cholesky_vjp(ct, primals, out):
    # L⁻ᵀ G L⁻¹ = (L⁻ᵀ (L⁻ᵀ G)ᵀ)ᵀ with G = Φ(Lᵀ L̄)
    out_t = _mT(out)
    w = _solve(out_t, _phi(_mm(out_t, ct)))
    return [_sym(_mT(_solve(out_t, _mT(w))))]


jvp_rules[cholesky_p], vjp_rules[cholesky_p] = _cholesky_jvp, _cholesky_vjp
