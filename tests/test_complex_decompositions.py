"""Complex decompositions (eigh, svd, qr, slogdet, cholesky) and what is built on them (pinv, lstsq,
matrix_rank, the 2/-2/nuc norms): values against NumPy (eagerly, traced and compiled), derivatives against
JAX's (jvp, vjp and grad, in JAX's convention for complex derivatives, docs/complex.md) and central
differences, vmap against a loop.

Eigenvectors and singular vectors are unique up to a phase per column, so they are compared after
``canonical`` turns each column's largest entry real and positive; the derivatives of the factors are
compared after the same rotation of fnx's and JAX's factors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from helpers import eager_and_traced

COMPLEX = [np.dtype("complex64"), np.dtype("complex128")]


def tolerance(dtype) -> dict:
    return {"rtol": 5e-4, "atol": 5e-4} if np.dtype(dtype) == np.complex64 else {"rtol": 1e-9, "atol": 1e-10}


def random_complex(rng, shape: tuple, dtype=np.complex128) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def hermitian(rng, shape: tuple, dtype=np.complex128) -> np.ndarray:
    """Hermitian positive definite matrices of ``shape`` (..., n, n), eigenvalues well apart in practice."""
    x = random_complex(rng, shape, np.complex128)
    return (x @ np.conj(np.swapaxes(x, -1, -2)) + np.eye(shape[-1])).astype(dtype)


def phases(factor) -> np.ndarray:
    """The phase (..., 1, k) of each column's largest entry."""
    factor = np.asarray(factor)
    pick = np.take_along_axis(factor, np.abs(factor).argmax(axis=-2)[..., None, :], axis=-2)
    return pick / np.abs(pick)


def canonical(factor, rows=None):
    """``factor``'s columns (and ``rows``' rows, as many as there are columns) rotated by the conjugate phase of
    each column's largest entry: the decompositions are unique up to these phases."""
    p = np.conj(phases(factor))
    if rows is None:
        return np.asarray(factor) * p
    k = min(p.shape[-1], np.shape(rows)[-2])
    return np.asarray(factor) * p, np.asarray(rows)[..., :k, :] * np.swapaxes(np.conj(p[..., :k]), -1, -2)


def close(got, want, dtype):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), **tolerance(dtype))


@st.composite
def matrices(draw, square=False, hermitian_=False):
    dtype = draw(st.sampled_from(COMPLEX))
    batch = draw(st.sampled_from([(), (2,), (2, 1)]))
    m = draw(st.integers(1, 4))
    n = m if square or hermitian_ else draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return hermitian(rng, batch + (m, n), dtype) if hermitian_ else random_complex(rng, batch + (m, n), dtype)


# -- values against NumPy ----------------------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(matrices(hermitian_=True), st.sampled_from(["L", "U"]))
def test_eigh_eigvalsh_and_cholesky_match_numpy(a, uplo):
    triangle = np.tril(a) if uplo == "L" else np.triu(a)  # only that triangle may be read
    for w, v, values, factor, upper in eager_and_traced(
            lambda x: (*fnp.linalg.eigh(x, UPLO=uplo), fnp.linalg.eigvalsh(x, UPLO=uplo),
                       fnp.linalg.cholesky(np.tril(a)), fnp.linalg.cholesky(np.tril(a), upper=True)), triangle):
        want_w, want_v = np.linalg.eigh(a)
        assert w.dtype == want_w.dtype and v.dtype == a.dtype and values.dtype == want_w.dtype
        close(w, want_w, a.dtype)
        close(values, want_w, a.dtype)
        close(canonical(v), canonical(want_v), a.dtype)
        close(factor, np.linalg.cholesky(a), a.dtype)
        close(upper, np.linalg.cholesky(a, upper=True), a.dtype)


@settings(max_examples=20, deadline=None)
@given(matrices(), st.booleans())
def test_svd_and_svdvals_match_numpy(a, full_matrices):
    want_u, want_s, want_vt = np.linalg.svd(a, full_matrices=full_matrices)
    for u, s, vt, values in eager_and_traced(
            lambda x: (*fnp.linalg.svd(x, full_matrices=full_matrices), fnp.linalg.svdvals(x)), a):
        assert s.dtype == want_s.dtype == values.dtype and u.dtype == a.dtype
        close(s, want_s, a.dtype)
        close(values, want_s, a.dtype)
        k = s.shape[-1]  # the columns of U beyond k (full_matrices) are any orthonormal completion
        for got, want in zip(canonical(u[..., :k], vt), canonical(want_u[..., :k], want_vt)):
            close(got, want, a.dtype)
        close(u @ np.conj(np.swapaxes(u, -1, -2)), np.broadcast_to(np.eye(u.shape[-2]), u.shape[:-1] + u.shape[-2:-1])
              if full_matrices else u @ np.conj(np.swapaxes(u, -1, -2)), a.dtype)


@settings(max_examples=20, deadline=None)
@given(matrices(), st.sampled_from(["reduced", "complete"]))
def test_qr_matches_numpy(a, mode):
    want_q, want_r = np.linalg.qr(a, mode=mode)
    for q, r in eager_and_traced(lambda x: tuple(fnp.linalg.qr(x, mode=mode)), a):
        close(q @ r, a, a.dtype)
        close(np.abs(r), np.abs(want_r), a.dtype)  # unique up to a phase per row of r
        k = min(a.shape[-2:])
        close(canonical(q[..., :k]), canonical(want_q[..., :k]), a.dtype)
        np.testing.assert_allclose(np.diagonal(r, axis1=-2, axis2=-1).imag, 0, atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(matrices(square=True))
def test_slogdet_matches_numpy(a):
    want = np.linalg.slogdet(a)
    for sign, logdet in eager_and_traced(lambda x: tuple(fnp.linalg.slogdet(x)), a):
        assert sign.dtype == a.dtype and logdet.dtype == want.logabsdet.dtype
        close(sign, want.sign, a.dtype)
        close(logdet, want.logabsdet, a.dtype)


@settings(max_examples=20, deadline=None)
@given(matrices(), st.sampled_from([None, 0.3]))
def test_pinv_lstsq_matrix_rank_and_norms_match_numpy(a, rtol):
    b = a[..., :, :1] * (1 - 2j)

    def everything(np_, x):
        out = (np_.linalg.pinv(x, rtol=rtol), np_.linalg.matrix_rank(x, rtol=rtol),
               *(np_.linalg.norm(x, order, axis=(-2, -1)) for order in (2, -2, "nuc")))
        return out + tuple(np_.linalg.lstsq(x, b[..., 0], rcond=None)) if x.ndim == 2 else out
    want = everything(np, a)
    for got in eager_and_traced(lambda x: everything(fnp, x), a):
        for g, w in zip(got, want):
            assert g.dtype == w.dtype or g.dtype == np.int64, (g.dtype, w.dtype)  # ranks: int64, as documented
            close(g, w, a.dtype)


_jit_all = fnx.jit(lambda h, a: (fnp.linalg.eigh(h), fnp.linalg.cholesky(h), fnp.linalg.svd(a, full_matrices=False),
                                 fnp.linalg.qr(a), fnp.linalg.slogdet(h), fnp.linalg.pinv(a),
                                 fnp.linalg.norm(a, "nuc")))


@pytest.mark.parametrize("dtype, shape", [(COMPLEX[0], (4, 3)), (COMPLEX[1], (3, 4))])  # each compile takes seconds
def test_compiled_decompositions_match_numpy(dtype, shape):
    rng = np.random.default_rng(5)
    h, a = hermitian(rng, (2, 3, 3), dtype), random_complex(rng, shape, dtype)
    (w, v), factor, (u, s, vt), (q, r), (sign, logdet), pinv, nuclear = _jit_all(h, a)
    want_w, want_v = np.linalg.eigh(h)
    want_u, want_s, want_vt = np.linalg.svd(a, full_matrices=False)
    assert w.dtype == want_w.dtype and s.dtype == want_s.dtype and logdet.dtype == want_w.dtype
    close(w, want_w, dtype)
    close(canonical(v), canonical(want_v), dtype)
    close(factor, np.linalg.cholesky(h), dtype)
    close(s, want_s, dtype)
    for got, want in zip(canonical(u, vt), canonical(want_u, want_vt)):
        close(got, want, dtype)
    close(np.asarray(q) @ np.asarray(r), a, dtype)
    close(sign, np.linalg.slogdet(h).sign, dtype)
    close(logdet, np.linalg.slogdet(h).logabsdet, dtype)
    close(pinv, np.linalg.pinv(a), dtype)
    close(nuclear, np.linalg.norm(a, "nuc"), dtype)


def test_vmap_matches_a_loop():
    rng = np.random.default_rng(6)
    h, a = hermitian(rng, (3, 3, 3)), random_complex(rng, (3, 4, 2))

    def f(h, a):
        w, v = fnp.linalg.eigh(h)
        u, s, vt = fnp.linalg.svd(a, full_matrices=False)
        return w, fnp.abs(v), s, u @ vt, fnp.linalg.qr(a).R, fnp.linalg.slogdet(h).logabsdet, fnp.linalg.cholesky(h)
    per_example = [f(h[i], a[i]) for i in range(3)]
    for got in eager_and_traced(fnx.vmap(f), h, a):
        for g, *examples in zip(got, *per_example):
            close(g, np.stack([np.asarray(e) for e in examples]), np.complex128)


# -- derivatives against JAX and central differences ---------------------------------------------------------

@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _decompositions(np_):
    """name -> (function of one matrix giving the factors, shape, Hermitian input?)"""
    L = np_.linalg
    return {
        "eigh": (lambda x: tuple(L.eigh(x)), (3, 3), True),
        "cholesky": (lambda x: (L.cholesky(x),), (3, 3), True),
        "svd_tall": (lambda x: tuple(L.svd(x, full_matrices=False)), (4, 3), False),
        "svd_wide": (lambda x: tuple(L.svd(x, full_matrices=False)), (2, 4), False),
        "svdvals": (lambda x: (L.svd(x, compute_uv=False),), (3, 2), False),
        "qr_tall": (lambda x: tuple(L.qr(x)), (4, 3), False),
        "qr_wide": (lambda x: tuple(L.qr(x)), (2, 4), False),
        "slogdet": (lambda x: tuple(L.slogdet(x)), (3, 3), False),
    }


def _aligned(name: str, outs: list, reference: list) -> tuple:
    """The phases (per column) that rotate fnx's eigen/singular vectors onto the reference's: ``outs`` are
    (w, v), (u, s, vt) or (q, r); the rotations are applied to the factors and to their tangents alike."""
    if name == "eigh":
        return [1, np.conj(phases(outs[1])) * phases(reference[1])]
    if name.startswith("svd_"):
        p = np.conj(phases(outs[0])) * phases(reference[0])
        return [p, 1, np.conj(np.swapaxes(p, -1, -2))]
    return [1] * len(outs)


@pytest.mark.parametrize("name", list(_decompositions(np)))
def test_jvp_and_vjp_are_jax_s(jax, name):
    """Tangents of every factor equal JAX's (the phase-fixing terms included); fnx's vjp is the transpose of
    its jvp in JAX's pairing ``Re sum(ct * t)``, with random complex cotangents on every result."""
    f, shape, is_hermitian = _decompositions(fnp)[name]
    jf = _decompositions(jax.numpy)[name][0]
    rng = np.random.default_rng(7)
    x = hermitian(rng, shape) if is_hermitian else random_complex(rng, shape)
    dx = random_complex(rng, shape)
    dx = (dx + np.conj(dx.T)) / 2 if is_hermitian else dx
    outs, tangents = fnx.jvp(f, (x,), (dx,))
    want_outs, want_tangents = jax.jvp(jf, (x,), (dx,))
    rotations = _aligned(name, [np.asarray(o) for o in outs], [np.asarray(o) for o in want_outs])
    for o, t, wo, wt, p in zip(outs, tangents, want_outs, want_tangents, rotations):
        close(np.asarray(o) * p, wo, np.complex128)
        close(np.asarray(t) * p, wt, np.complex128)
    cts = [random_complex(rng, np.shape(o)) if np.iscomplexobj(o) else rng.standard_normal(np.shape(o))
           for o in outs]
    _, vjp = fnx.vjp(f, x)
    (ct_x,) = vjp(tuple(cts))
    pairing = sum(np.real(np.sum(c * np.asarray(t))) for c, t in zip(cts, tangents))
    np.testing.assert_allclose(np.real(np.sum(np.asarray(ct_x) * dx)), pairing, rtol=1e-9)


def _real_functions(np_):
    """Real functions of complex matrices whose value does not depend on the phases the factors are given
    with: grad is defined, and equal in fnx and JAX."""
    L = np_.linalg
    weights = np_.asarray(np.arange(12.0).reshape(3, 4) / 7)
    mix = np_.asarray(np.exp(1j * np.arange(12.0)).reshape(4, 3))
    return {
        "eigh": (lambda x: np_.sum(L.eigvalsh(x) * weights[0, :3]) + np_.sum(np_.abs(L.eigh(x)[1]) ** 2 * weights[:, :3])
                 + np_.real(np_.sum(L.eigh(x)[1][:, :2] @ np_.conj(L.eigh(x)[1][:, :2]).T * mix[:3])), True),
        "svd": (lambda x: np_.sum(L.svdvals(x) * weights[0, :3])
                + np_.real(np_.sum((L.svd(x, full_matrices=False)[0] @ L.svd(x, full_matrices=False)[2]) * mix))
                + np_.sum(np_.abs(L.svd(x, full_matrices=False)[2]) ** 2 * weights[:, :3]), False),
        "qr": (lambda x: np_.real(np_.sum(L.qr(x)[0] * mix)) + np_.imag(np_.sum(L.qr(x)[1] * mix[:3])), False),
        "slogdet": (lambda x: L.slogdet(x[:3])[1] + np_.real(L.slogdet(x[:3])[0] * (1 + 2j)), False),
        "cholesky": (lambda x: np_.real(np_.sum(L.cholesky(x) * mix[:3])), True),
        "pinv_lstsq": (lambda x: np_.real(np_.sum(L.pinv(x) * mix.T)) + np_.sum(np_.abs(L.lstsq(x, mix[:, 0])[0])),
                       False),
        "norms": (lambda x: L.norm(x, 2) + L.norm(x, -2) + L.norm(x, "nuc"), False),
    }


_FUNCTIONS = _real_functions(fnp)
_jit_grads = fnx.jit(lambda h, a: tuple(fnx.grad(f)(h if is_h else a) for f, is_h in _FUNCTIONS.values()))


def _argument(rng, is_hermitian: bool):
    return hermitian(rng, (3, 3)) if is_hermitian else random_complex(rng, (4, 3))


def test_grad_is_jax_s_eagerly_and_compiled(jax):
    rng = np.random.default_rng(8)
    h, a = hermitian(rng, (3, 3)), random_complex(rng, (4, 3))
    jax_functions = _real_functions(jax.numpy)
    for (name, (f, is_h)), compiled in zip(_FUNCTIONS.items(), _jit_grads(h, a)):
        x = h if is_h else a
        want = np.asarray(jax.grad(jax_functions[name][0])(x))
        close(fnx.grad(f)(x), want, np.complex128)
        close(compiled, want, np.complex128)


@pytest.mark.parametrize("name", list(_FUNCTIONS))
def test_grad_matches_central_differences(name):
    """JAX's grad of a real f is ``df/dRe - i df/dIm``: along a direction v, ``Re sum(grad * v)`` is f's
    directional derivative."""
    f, is_h = _FUNCTIONS[name]
    rng = np.random.default_rng(9)
    x, v = _argument(rng, is_h), random_complex(rng, (3, 3) if is_h else (4, 3))
    v = (v + np.conj(v.T)) / 2 if is_h else v  # stay Hermitian: eigh and cholesky read one triangle
    eps = 1e-6
    numeric = (float(f(x + eps * v)) - float(f(x - eps * v))) / (2 * eps)
    np.testing.assert_allclose(np.real(np.sum(np.asarray(fnx.grad(f)(x)) * v)), numeric, rtol=1e-6, atol=1e-8)
