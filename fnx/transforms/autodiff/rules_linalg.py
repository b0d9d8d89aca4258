"""Derivative rules of the linear algebra primitives (fnx/lax/linalg.py): dot_general, inv, solve, det, cholesky
and the decompositions eigh, svd, qr, slogdet, for real and complex matrices.

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

The decompositions (``S = diag(s)``, ``∘`` the elementwise product, ``Fᵢⱼ`` a matrix of reciprocal gaps, 0
on its diagonal):

* ``eigh`` (``A = V diag(w) Vᵀ``, symmetric as cholesky's ``A``), ``Fᵢⱼ = 1/(wⱼ - wᵢ)``:
  ``dw = diag(Vᵀ dA V)``, ``dV = V (F ∘ (Vᵀ dA V))``; ``Ā = sym(V (diag(w̄) + F ∘ (Vᵀ V̄)) Vᵀ)``
  (Giles 2008). With a repeated eigenvalue the eigenvectors are not differentiable: F holds inf and the
  eigenvectors' derivative is inf/NaN, as JAX gives; the eigenvalues' derivative stays finite, since F is
  used only when the eigenvectors' tangent or cotangent is wanted.
* ``svd`` (reduced, ``A = U S Vᵀ``, ``k = min(m, n)``), ``Fᵢⱼ = 1/(sⱼ² - sᵢ²)``, ``dP = Uᵀ dA V``:
  ``ds = diag(dP)``, ``dU = U (F ∘ (dP S + S dPᵀ)) + (I - UUᵀ) dA V S⁻¹``,
  ``dV = V (F ∘ (S dP + dPᵀ S)) + (I - VVᵀ) dAᵀ U S⁻¹`` (the last terms only for m > n, resp. n > m);
  the vjp is its transpose, ``Ā = U (diag(s̄) + (J + Jᵀ) S + S (K + Kᵀ)) Vᵀ + (I - UUᵀ) Ū S⁻¹ Vᵀ +
  U S⁻¹ V̄ᵀ (I - VVᵀ)`` with ``J = F ∘ (UᵀŪ)``, ``K = F ∘ (VᵀV̄)`` (Townsend 2016). Repeated singular
  values make ``U`` and ``V`` non-differentiable (inf/NaN, as JAX); ``S⁻¹`` counts a zero singular value
  as 0, as JAX does. ``full_matrices`` with m ≠ n has no derivative (the extra columns are not unique):
  an error, as in JAX.
* ``qr`` (``A = QR``, m ≥ n, reduced), with ``C = dA R⁻¹``, ``B = QᵀC`` and ``Ω = tril(B, -1) -
  tril(B, -1)ᵀ``: ``dQ = Q (Ω - B) + C``, ``dR = (B - Ω) R``; ``Ā = (Q̄ + Q copyu(M)) R⁻ᵀ`` with
  ``M = R̄ Rᵀ - QᵀQ̄`` and ``copyu`` the symmetric matrix of M's upper triangle (Walter and Lehmann 2010;
  Seeger et al. 2017).
  For m < n, ``A = [X | Y]`` and ``R = [U | V]``: ``X = QU`` is the square case and
  ``dV = Qᵀ (dY - dQ V)`` (Liao et al. 2019). A singular leading block (``R`` not invertible) has no
  derivative: inf/NaN. ``full_matrices`` with m > n has none either (an error, as in JAX).
* ``slogdet``: ``d log|det A| = tr(A⁻¹ dA)``, ``Ā = l̄ A⁻ᵀ``; the sign is piecewise constant (derivative
  0). Singular ``A``: as det.

Complex matrices (JAX's convention, docs/complex.md): inv, solve and det are holomorphic, so the formulas
above hold as written (plain transposes). cholesky, eigh, svd and qr take the formulas with every ``ᵀ`` a
conjugate transpose ``ᴴ``: their jvp, and as vjp the Hermitian adjoint of that jvp with the cotangents
conjugated in and out (``_conjugated``). What has no real counterpart: ``dw``, ``ds`` and ``d log|det|``
are real parts; the SVD's ``dU`` gains ``diag(i Im(dPᵢᵢ)/sᵢ)`` (the phases of singular vector pairs are a
choice); QR's ``Ω`` gains ``B``'s imaginary diagonal (``R``'s diagonal stays real); slogdet's sign has the
tangent ``i Im(tr(A⁻¹ dA)) sign``.
"""
from __future__ import annotations

import numpy as np

from ... import lax
from ...core.avals import ShapedArray
from ...core.errors import FnxTypeError
from ...lax.linalg import cholesky_p, det_p, dot_general_p, eigh_p, inv_p, qr_p, slogdet_p, solve_p, svd_p
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


def _mH(x):
    """The conjugate transpose of the last two axes (the transpose, for real ``x``)."""
    return _conj(_mT(x))


def _conj(x):
    return lax.conj(x) if aval_of(x).dtype.kind == "c" else x


def _real(x):
    return lax.real(x) if aval_of(x).dtype.kind == "c" else x


def _like(x, ref):
    """The real ``x`` in ``ref``'s dtype (complex for a complex ``ref``)."""
    dtype = aval_of(ref).dtype
    return x if aval_of(x).dtype == dtype else lax.convert_element_type(x, dtype)


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
    """The Hermitian (symmetric) part ``(M + Mᴴ)/2``."""
    return (m + _mH(m)) * np.asarray(0.5, aval_of(m).dtype)


def _phi(m):
    """The lower triangle of ``m`` with its diagonal halved."""
    shape = aval_of(m).shape
    n = shape[-1]
    mask = (np.tril(np.ones((n, n))) - 0.5 * np.eye(n)).astype(aval_of(m).dtype)
    return m * lax.broadcast_in_dim(mask, shape, (len(shape) - 2, len(shape) - 1))


def _cholesky_jvp(primals, tangents):
    out = cholesky_p.bind(primals[0])
    # P = L⁻¹ S L⁻ᴴ, computed as L⁻¹ (L⁻¹ S)ᴴ since S = sym(dA) is Hermitian
    p = _solve(out, _mH(_solve(out, _sym(instantiate(tangents[0])))))
    return out, _mm(out, _phi(p))


def _conjugated(adjoint):
    """The vjp rule (JAX's convention) of a primitive whose ``adjoint(cts, primals, outs, **params)`` is the
    Hermitian adjoint of its jvp, the one pairing tangent and cotangent by ``Re tr(Āᴴ dA)``: JAX's vjp pairs
    them by ``Re tr(Āᵀ dA)``, so it is the adjoint with every cotangent conjugated, in and out (for real
    arrays both are the transpose)."""
    def vjp(cts, primals, outs, **params):
        cts = [ct if _given(ct) is None else _conj(ct) for ct in cts] if isinstance(cts, (list, tuple)) \
            else _conj(cts)
        return [None if ct is None else _conj(ct) for ct in adjoint(cts, primals, outs, **params)]
    return vjp


def _cholesky_adjoint(ct, primals, out):
    # L⁻ᴴ G L⁻¹ = (L⁻ᴴ (L⁻ᴴ G)ᴴ)ᴴ with G = Φ(Lᴴ L̄)
    out_h = _mH(out)
    w = _solve(out_h, _phi(_mm(out_h, ct)))
    return [_sym(_mH(_solve(out_h, _mH(w))))]


jvp_rules[cholesky_p], vjp_rules[cholesky_p] = _cholesky_jvp, _conjugated(_cholesky_adjoint)


# -- decompositions: helpers -------------------------------------------------------------------------------

def _given(ct):
    """A cotangent that may be absent (None or Zero) as None, else itself."""
    return None if ct is None or isinstance(ct, Zero) else ct


def _mask(like, pattern):
    """The (n, m) constant ``pattern`` (a NumPy matrix of the last two axes' shape), broadcast like ``like``."""
    aval = aval_of(like)
    nd = len(aval.shape)
    return lax.broadcast_in_dim(pattern.astype(aval.dtype), aval.shape, (nd - 2, nd - 1))


def _eye(like):
    return _mask(like, np.eye(*aval_of(like).shape[-2:]))


def _strictly_lower(m):
    return m * _mask(m, np.tril(np.ones(aval_of(m).shape[-2:]), -1))


def _diagonal(m):
    """The diagonals (..., n) of the square matrices ``m`` (..., n, n)."""
    return lax.reduce_sum(m * _eye(m), (len(aval_of(m).shape) - 1,))


def _along(v, shape, axis: int):
    """The vectors ``v`` (..., k) broadcast to matrices of ``shape`` (..., k', k) or (..., k, k'), varying along
    ``axis`` (-1: each row is ``v``, entry (i, j) = vⱼ; -2: each column is ``v``, entry (i, j) = vᵢ)."""
    nd = len(shape)
    return lax.broadcast_in_dim(v, shape, tuple(range(nd - 2)) + (nd + axis,))


def _diag(v):
    """The square diagonal matrices (..., k, k) of the vectors ``v`` (..., k)."""
    shape = aval_of(v).shape
    full = tuple(shape) + shape[-1:]
    return _along(v, full, -1) * lax.broadcast_in_dim(np.eye(shape[-1], dtype=aval_of(v).dtype), full,
                                                       (len(full) - 2, len(full) - 1))


def _gap_reciprocals(x):
    """``F`` with ``Fᵢⱼ = 1/(xⱼ - xᵢ)`` off the diagonal and 0 on it, for vectors ``x`` (..., k)."""
    shape = aval_of(x).shape + aval_of(x).shape[-1:]
    eye = lax.broadcast_in_dim(np.eye(shape[-1], dtype=aval_of(x).dtype), shape, (len(shape) - 2, len(shape) - 1))
    return 1.0 / (_along(x, shape, -1) - _along(x, shape, -2) + eye) - eye


def _safe_reciprocal(x):
    """``1/x``, with 0 where ``x`` is 0 (a zero singular value: its direction gets no derivative)."""
    zero = lax.convert_element_type(x == 0.0, aval_of(x).dtype)
    return 1.0 / (x + zero) - zero


# -- eigh --------------------------------------------------------------------------------------------------

def _eigh_jvp(primals, tangents):
    w, v = eigh_p.bind(primals[0])
    projected = _mm(_mH(v), _mm(_sym(instantiate(tangents[0])), v))
    return [w, v], [_real(_diagonal(projected)), _mm(v, _like(_gap_reciprocals(w), v) * projected)]


def _eigh_adjoint(cts, primals, outs):
    (ct_w, ct_v), (w, v) = map(_given, cts), outs
    inner = _like(_diag(ct_w), v) if ct_w is not None else None
    if ct_v is not None:
        term = _like(_gap_reciprocals(w), v) * _mm(_mH(v), ct_v)
        inner = term if inner is None else inner + term
    return [_sym(_mm(v, _mm(inner, _mH(v))))]


jvp_rules[eigh_p], vjp_rules[eigh_p] = _eigh_jvp, _conjugated(_eigh_adjoint)


# -- svd ---------------------------------------------------------------------------------------------------

def _svd_factors(a, full_matrices: bool):
    """``(s, u, vt)`` of ``a``, reduced; an error where the derivative is not defined."""
    m, n = aval_of(a).shape[-2:]
    if full_matrices and m != n:
        raise FnxTypeError(f"svd: no derivative with full_matrices=True for non-square matrices {aval_of(a)} "
                           "(their extra singular vectors are not unique); use full_matrices=False")
    return svd_p.bind(a, full_matrices=False, compute_uv=True)


def _imaginary_diagonal(p):
    """``i Im(Pᵢᵢ)`` on the diagonal, 0 elsewhere, of complex square matrices ``p`` (None for real ones)."""
    if aval_of(p).dtype.kind != "c":
        return None
    return (p - _conj(p)) * _eye(p) * np.asarray(0.5, aval_of(p).dtype)


def _with_svd_gauge(x, p, s_inv):
    """``x + diag(i Im(Pᵢᵢ) / sᵢ)``: the part of a complex ``U``'s derivative fixed by the choice of each
    singular vector pair's phase. LAPACK's phases have no derivative; JAX, as here, puts this term in ``dU``,
    so that ``dU S Vᴴ + U S dVᴴ`` keeps the imaginary diagonal of ``Uᴴ dA V``. Real ``p``: ``x``."""
    gauge = _imaginary_diagonal(p)
    return x if gauge is None else x + gauge * _like(_along(s_inv, aval_of(p).shape, -1), p)


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    a, da = primals[0], instantiate(tangents[0])
    s, u, vt = _svd_factors(a, full_matrices)
    v = _mH(vt)
    dp = _mm(_mH(u), _mm(da, v))
    ds = _real(_diagonal(dp))
    if not compute_uv:
        return [s], [ds]
    f, shape, s_inv = _like(_gap_reciprocals(s * s), a), aval_of(dp).shape, _safe_reciprocal(s)
    rows, cols = _like(_along(s, shape, -1), a), _like(_along(s, shape, -2), a)  # dP S = dP * rows
    du = _mm(u, _with_svd_gauge(f * (dp * rows + _mH(dp * rows)), dp, s_inv))
    dv = _mm(v, f * (cols * dp + _mH(cols * dp)))
    m, n = aval_of(a).shape[-2:]
    if m > n:
        da_v = _mm(da, v)
        du = du + (da_v - _mm(u, _mm(_mH(u), da_v))) * _like(_along(s_inv, aval_of(da_v).shape, -1), a)
    if n > m:
        da_u = _mm(_mH(da), u)
        dv = dv + (da_u - _mm(v, _mm(vt, da_u))) * _like(_along(s_inv, aval_of(da_u).shape, -1), a)
    return [s, u, vt], [ds, du, _mH(dv)]


def _svd_adjoint(cts, primals, outs, *, full_matrices, compute_uv):
    a = primals[0]
    s, u, vt = _svd_factors(a, full_matrices) if not compute_uv or full_matrices else outs
    ct_s, ct_u, ct_vt = (list(map(_given, cts)) + [None, None])[:3]
    square = aval_of(s).shape + aval_of(s).shape[-1:]
    inner = _diag(ct_s) if ct_s is not None else instantiate(Zero(ShapedArray(square, aval_of(s).dtype)))
    inner = _like(inner, a)
    f, s_inv = _like(_gap_reciprocals(s * s), a), _safe_reciprocal(s)
    m, n = aval_of(a).shape[-2:]
    extra = None
    if ct_u is not None:
        g = _mm(_mH(u), ct_u)
        inner = _with_svd_gauge(inner + (f * g + _mH(f * g)) * _like(_along(s, square, -1), a), g, s_inv)
        if m > n:
            extra = _mm((ct_u - _mm(u, g)) * _like(_along(s_inv, aval_of(ct_u).shape, -1), a), vt)
    if ct_vt is not None:
        k = f * _mm(vt, _mH(ct_vt))
        inner = inner + _like(_along(s, square, -2), a) * (k + _mH(k))
        if n > m:
            extra = _mm(u, _like(_along(s_inv, aval_of(ct_vt).shape, -2), a)
                        * (ct_vt - _mm(_mm(ct_vt, _mH(vt)), vt)))
    ct_a = _mm(u, _mm(inner, vt))
    return [ct_a if extra is None else ct_a + extra]


jvp_rules[svd_p], vjp_rules[svd_p] = _svd_jvp, _conjugated(_svd_adjoint)


# -- qr ----------------------------------------------------------------------------------------------------

def _check_qr_derivative(a, full_matrices: bool) -> None:
    m, n = aval_of(a).shape[-2:]
    if full_matrices and m > n:
        raise FnxTypeError(f"qr: no derivative with full_matrices=True (mode='complete') for matrices {aval_of(a)} "
                           "with more rows than columns (the extra columns of q are not unique); use the "
                           "reduced form")


def _split_columns(x, at: int) -> tuple:
    """``x[..., :, :at]`` and ``x[..., :, at:]``."""
    shape = aval_of(x).shape
    zeros = (0,) * len(shape)
    return (lax.slice(x, zeros, shape[:-1] + (at,)),
            lax.slice(x, zeros[:-1] + (at,), shape))


def _square_qr_jvp(q, r, da):
    """(dQ, dR) of ``A = QR`` for ``R`` square, ``A`` (..., m, n) with m ≥ n. For complex ``A``, ``Ω`` also
    holds ``B``'s imaginary diagonal, so that ``dR`` keeps the real diagonal LAPACK's ``R`` has."""
    c = _mT(_solve(_mT(r), _mT(da)))  # dA R⁻¹
    b = _mm(_mH(q), c)
    lower = _strictly_lower(b)
    omega, imaginary = lower - _mH(lower), _imaginary_diagonal(b)
    omega = omega if imaginary is None else omega + imaginary
    return _mm(q, omega - b) + c, _mm(b - omega, r)


def _qr_jvp(primals, tangents, *, full_matrices):
    a, da = primals[0], instantiate(tangents[0])
    _check_qr_derivative(a, full_matrices)
    q, r = qr_p.bind(a, full_matrices=full_matrices)
    m, n = aval_of(a).shape[-2:]
    if m >= n:
        return [q, r], list(_square_qr_jvp(q, r, da))
    (r_left, r_right), (da_left, da_right) = _split_columns(r, m), _split_columns(da, m)
    dq, dr_left = _square_qr_jvp(q, r_left, da_left)
    dr_right = _mm(_mH(q), da_right - _mm(dq, r_right))
    return [q, r], [dq, lax.concatenate([dr_left, dr_right], len(aval_of(a).shape) - 1)]


def _square_qr_adjoint(q, r, ct_q, ct_r):
    """Ā of ``A = QR`` for ``R`` square (the adjoint of ``_square_qr_jvp``): ``copyu(M)`` is the Hermitian
    matrix of ``M``'s upper triangle, with ``M``'s real diagonal."""
    m = _mm(ct_r, _mH(r)) - _mm(_mH(q), ct_q)
    n = aval_of(m).shape[-1]
    upper = m - (m - _mH(m)) * _mask(m, np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n))
    return _mH(_solve(r, _mH(ct_q + _mm(q, upper))))  # (Q̄ + Q copyu(M)) R⁻ᴴ


def _qr_adjoint(cts, primals, outs, *, full_matrices):
    a, (q, r) = primals[0], outs
    _check_qr_derivative(a, full_matrices)
    ct_q, ct_r = (instantiate(ct if _given(ct) is not None else Zero(aval_of(x))) for ct, x in zip(cts, outs))
    m, n = aval_of(a).shape[-2:]
    if m >= n:
        return [_square_qr_adjoint(q, r, ct_q, ct_r)]
    (r_left, r_right), (ct_left, ct_right) = _split_columns(r, m), _split_columns(ct_r, m)
    ct_x = _square_qr_adjoint(q, r_left, ct_q - _mm(_mm(q, ct_right), _mH(r_right)), ct_left)
    return [lax.concatenate([ct_x, _mm(q, ct_right)], len(aval_of(a).shape) - 1)]


jvp_rules[qr_p], vjp_rules[qr_p] = _qr_jvp, _conjugated(_qr_adjoint)


# -- slogdet -----------------------------------------------------------------------------------------------

def _slogdet_jvp(primals, tangents):
    a = primals[0]
    sign, logdet = slogdet_p.bind(a)
    n = len(aval_of(a).shape)
    trace = lax.reduce_sum(_mT(inv_p.bind(a)) * instantiate(tangents[0]), (n - 2, n - 1))  # tr(A⁻¹ dA)
    if aval_of(a).dtype.kind != "c":
        return [sign, logdet], [Zero(aval_of(sign)), trace]
    return [sign, logdet], [(trace - _conj(trace)) * np.asarray(0.5, aval_of(a).dtype) * sign, _real(trace)]


def _slogdet_vjp(cts, primals, outs):
    """``Ā = t̄ A⁻ᵀ`` with ``t̄ = l̄ + i Im(s̄ sign)`` (the sign's term only for complex ``A``)."""
    ct_sign, ct_log = map(_given, cts)
    a = primals[0]
    if aval_of(a).dtype.kind == "c":
        ct_log = _like(ct_log if ct_log is not None else instantiate(Zero(aval_of(outs[1]))), a)
        if ct_sign is not None:
            turn = ct_sign * outs[0]
            ct_log = ct_log + (turn - _conj(turn)) * np.asarray(0.5, aval_of(a).dtype)
    return [None if ct_log is None else _scale_matrices(ct_log, _mT(inv_p.bind(a)))]


jvp_rules[slogdet_p], vjp_rules[slogdet_p] = _slogdet_jvp, _slogdet_vjp
