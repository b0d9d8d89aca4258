"""The decompositions eigh, svd, qr, slogdet and what is built on them (pinv, matrix_rank, lstsq, the 2/-2/nuc
norms): values against NumPy (eager, traced and compiled), derivatives against finite differences, vmap
against a loop, jit(grad), errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from gradcheck import check_grads
from helpers import SEEDS, assert_same, check_against_numpy, check_vmap, eager_and_traced, raises_eager_and_traced

FLOATS = [np.dtype("float32"), np.dtype("float64")]
batches = st.sampled_from([(), (2,), (2, 1)])
sizes = st.integers(1, 4)


def tolerance(dtype) -> dict:
    return {"rtol": 2e-4, "atol": 2e-5} if np.dtype(dtype) == np.float32 else {"rtol": 1e-10, "atol": 1e-12}


def orthogonal(rng, batch: tuple, n: int) -> np.ndarray:
    return np.linalg.qr(rng.standard_normal(batch + (n, n)))[0]


def spread(rng, batch: tuple, k: int, low: float = 0.5) -> np.ndarray:
    """Values (batch + (k,)) at least ``low`` apart and at least ``low`` from 0: well separated."""
    return np.cumsum(low + rng.random(batch + (k,)), axis=-1)


def distinct_symmetric(rng, batch: tuple, n: int) -> np.ndarray:
    """A symmetric matrix with well separated eigenvalues (some negative)."""
    q = orthogonal(rng, batch, n)
    w = spread(rng, batch, n) - n / 2
    return q @ (w[..., None] * np.swapaxes(q, -1, -2))


def distinct_singular(rng, batch: tuple, m: int, n: int) -> np.ndarray:
    """An (m, n) matrix with well separated singular values, all at least 0.5."""
    k = min(m, n)
    u, v = orthogonal(rng, batch, m)[..., :k], orthogonal(rng, batch, n)[..., :k]
    return (u * spread(rng, batch, k)[..., None, :]) @ np.swapaxes(v, -1, -2)


def symmetric(rng, shape: tuple) -> np.ndarray:
    x = rng.standard_normal(shape)
    return x + np.swapaxes(x, -1, -2)


def canonical(factor, rows=None):
    """``factor``'s columns (and ``rows``' rows, as many as it has) with the signs that make each column's
    largest entry positive: decompositions are unique up to these signs, so LAPACK builds may differ in them."""
    factor = np.asarray(factor, np.float64)
    pick = np.take_along_axis(factor, np.abs(factor).argmax(axis=-2)[..., None, :], axis=-2)
    signs = np.where(pick < 0, -1.0, 1.0)
    if rows is None:
        return factor * signs
    return factor * signs, np.asarray(rows) * np.swapaxes(signs[..., :np.shape(rows)[-2]], -1, -2)


# -- values --------------------------------------------------------------------------------------------------

@st.composite
def matrices(draw, square=False):
    batch, m = draw(batches), draw(sizes)
    n = m if square else draw(sizes)
    dtype = draw(st.sampled_from(FLOATS))
    return np.random.default_rng(draw(SEEDS)).standard_normal(batch + (m, n)).astype(dtype)


@settings(max_examples=25, deadline=None)
@given(matrices(square=True), st.sampled_from(["L", "U"]))
def test_eigh_and_eigvalsh_match_numpy(a, uplo):
    # LAPACK reduces the upper triangle otherwise than the lower one: eigenvectors' signs may differ with 'U'
    signs = canonical if uplo == "U" else np.asarray
    w, v = np.linalg.eigh(a, uplo)
    for got in eager_and_traced(lambda x: tuple(fnp.linalg.eigh(x, uplo)), a):
        assert_same((got[0], signs(got[1])), (w, signs(v)), **tolerance(a.dtype))
    check_against_numpy(lambda x: fnp.linalg.eigvalsh(x, uplo), lambda x: np.linalg.eigvalsh(x, uplo), a,
                        **tolerance(a.dtype))


@settings(max_examples=25, deadline=None)
@given(matrices(), st.booleans())
def test_svd_and_svdvals_match_numpy(a, full_matrices):
    check_against_numpy(lambda x: tuple(fnp.linalg.svd(x, full_matrices)), lambda x: tuple(np.linalg.svd(x, full_matrices)),
                        a, **tolerance(a.dtype))
    check_against_numpy(fnp.linalg.svdvals, np.linalg.svdvals, a, **tolerance(a.dtype))


@settings(max_examples=25, deadline=None)
@given(matrices(), st.sampled_from(["reduced", "complete", "r"]))
def test_qr_matches_numpy(a, mode):
    as_tuple = (lambda r: r) if mode == "r" else tuple
    check_against_numpy(lambda x: as_tuple(fnp.linalg.qr(x, mode)), lambda x: as_tuple(np.linalg.qr(x, mode)), a,
                        **tolerance(a.dtype))


@settings(max_examples=25, deadline=None)
@given(matrices(square=True))
def test_slogdet_matches_numpy(a):
    check_against_numpy(lambda x: tuple(fnp.linalg.slogdet(x)), lambda x: tuple(np.linalg.slogdet(x)), a,
                        **tolerance(a.dtype))


def test_results_are_the_array_api_named_tuples():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    assert fnp.linalg.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert fnp.linalg.svd(a)._fields == ("U", "S", "Vh")
    assert fnp.linalg.qr(a)._fields == ("Q", "R")
    assert fnp.linalg.slogdet(a)._fields == ("sign", "logabsdet")
    assert float(fnp.linalg.slogdet(a).logabsdet) == pytest.approx(np.log(5.0))


def test_integer_matrices_compute_in_the_default_float():
    a = np.array([[2, 1], [1, 2]])
    assert_same(fnp.linalg.eigvalsh(a), np.linalg.eigvalsh(a))
    assert_same(fnp.linalg.svdvals(a), np.linalg.svdvals(a))


def test_singular_and_non_finite_matrices():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert_same(tuple(fnp.linalg.slogdet(singular)), (np.float64(0.0), np.float64(-np.inf)))
    stack = np.stack([np.eye(2), np.full((2, 2), np.nan), np.array([[1.0, np.inf], [0.0, 1.0]])])
    sign, logdet = fnp.linalg.slogdet(stack)
    assert_same((sign, logdet), (np.array([1.0, np.nan, np.nan]), np.array([0.0, np.nan, np.nan])))
    for result in (fnp.linalg.eigh(stack), fnp.linalg.svd(stack), fnp.linalg.qr(stack)):
        for x in result:  # NaN for the non-finite matrices alone, as JAX gives
            assert np.isfinite(np.asarray(x)[0]).all() and np.isnan(np.asarray(x)[1:]).all()


# -- compiled ------------------------------------------------------------------------------------------------

def _everything(a, s):
    """Every decomposition of ``a`` (batch, 4, 3) and of the symmetric ``s`` (batch, 3, 3)."""
    return (fnp.linalg.eigh(s), fnp.linalg.svd(a), fnp.linalg.svd(a, False), fnp.linalg.svdvals(a),
            fnp.linalg.qr(a), fnp.linalg.qr(a, "complete"), fnp.linalg.qr(fnp.matrix_transpose(a)),
            fnp.linalg.slogdet(s))


def _canonical_everything(results):
    (w, v), (u, s, vh), (u2, s2, vh2), s3, (q, r), (qc, rc), (qw, rw), (sign, logdet) = \
        fnx.tree_map(np.asarray, results)
    return (w, canonical(v), canonical(u, vh), s, canonical(u2, vh2), s2, s3, canonical(q, r), canonical(qc, rc),
            canonical(qw, rw), sign, logdet)


@pytest.mark.parametrize("dtype", FLOATS)
def test_jit_matches_eager(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 4, 3)).astype(dtype)
    s = symmetric(rng, (2, 3, 3)).astype(dtype)
    eager = _canonical_everything(_everything(a, s))
    compiled = _canonical_everything(fnx.jit(_everything)(a, s))
    assert_same(compiled, eager, **tolerance(dtype))


def test_jit_handles_empty_and_non_finite_matrices():
    def f(a, b, c, s):
        return (fnp.linalg.svd(a), fnp.linalg.svd(b, False), fnp.linalg.qr(c, "complete"), fnp.linalg.qr(b),
                fnp.linalg.eigh(s), fnp.linalg.slogdet(s[:, :0, :0]), fnp.linalg.slogdet(s))
    s = np.stack([np.eye(3), np.full((3, 3), np.nan)])
    args = (np.ones((2, 0, 3)), np.ones((3, 2, 0)), np.ones((3, 0)), s)
    assert_same(fnx.jit(f)(*args), fnx.tree_map(np.asarray, f(*args)))


def test_jit_of_the_functions_built_on_svd():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    low_rank = a[:, :2] @ rng.standard_normal((2, 3))

    def f(a, b, low):
        return (fnp.linalg.pinv(a), fnp.linalg.pinv(low), fnp.linalg.matrix_rank(low), fnp.linalg.lstsq(a, b),
                fnp.linalg.norm(a, 2), fnp.linalg.norm(a, -2), fnp.linalg.norm(a, "nuc"))
    assert_same(fnx.jit(f)(a, b, low_rank), fnx.tree_map(np.asarray, f(a, b, low_rank)), rtol=1e-10, atol=1e-12)


# -- built on the SVD ----------------------------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(matrices(), st.sampled_from([None, 1e-2]))
def test_pinv_and_matrix_rank_match_numpy(a, rtol):
    a = a.copy()
    a[..., -1] = a[..., 0]  # rank deficient when n > 1
    check_against_numpy(lambda x: fnp.linalg.pinv(x, rtol=rtol), lambda x: np.linalg.pinv(x, rtol=rtol), a,
                        **tolerance(a.dtype))
    check_against_numpy(fnp.linalg.pinv, np.linalg.pinv, a, **tolerance(a.dtype))
    check_against_numpy(lambda x: fnp.linalg.matrix_rank(x, rtol=rtol), lambda x: np.linalg.matrix_rank(x, rtol=rtol),
                        a, check_dtype=False)
    check_against_numpy(fnp.linalg.matrix_rank, np.linalg.matrix_rank, a, check_dtype=False)


def test_matrix_rank_of_vectors_and_with_an_absolute_tolerance():
    assert int(fnp.linalg.matrix_rank(np.zeros(3))) == 0 and int(fnp.linalg.matrix_rank(np.ones(3))) == 1
    a = np.diag([3.0, 1.0, 1e-3])
    assert int(fnp.linalg.matrix_rank(a, tol=0.01)) == np.linalg.matrix_rank(a, tol=0.01) == 2


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.sampled_from([None, 2]), SEEDS, st.booleans())
def test_lstsq_matches_numpy(m, n, k, seed, deficient):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, n))
    if deficient and n > 1:
        a[:, -1] = a[:, 0]
    b = rng.standard_normal((m,) if k is None else (m, k))
    x, residuals, rank, s = fnp.linalg.lstsq(a, b)
    ex, eresiduals, erank, es = np.linalg.lstsq(a, b)
    assert_same((x, s), (ex, es), rtol=1e-9, atol=1e-11)
    assert int(rank) == erank
    if erank == n and m > n:  # NumPy empties the residuals when rank < N; fnx (as JAX) keeps them
        assert_same(residuals, eresiduals, rtol=1e-9, atol=1e-11)
    else:
        assert residuals.shape == ((0,) if m <= n else ex.shape[-1:] if k else (1,))


@settings(max_examples=20, deadline=None)
@given(matrices(), st.sampled_from([2, -2, "nuc"]), st.booleans())
def test_singular_value_norms_match_numpy(a, order, keepdims):
    axes = (-1, 0) if a.ndim == 3 else (0, 1)
    check_against_numpy(lambda x: fnp.linalg.norm(x, order, axes, keepdims),
                        lambda x: np.linalg.norm(x, order, axes, keepdims), a, **tolerance(a.dtype))
    check_against_numpy(lambda x: fnp.linalg.matrix_norm(x, ord=order), lambda x: np.linalg.matrix_norm(x, ord=order),
                        a, **tolerance(a.dtype))


# -- derivatives ---------------------------------------------------------------------------------------------

derivative_shapes = st.sampled_from([(3, 3), (4, 2), (2, 4), (2, 3, 3), (2, 4, 3)])


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([(3, 3), (2, 4, 4)]), SEEDS)
def test_eigh_derivatives(shape, seed):
    rng = np.random.default_rng(seed)
    a, weights = distinct_symmetric(rng, shape[:-2], shape[-1]), rng.standard_normal(shape)
    # eigenvectors are unique up to sign: their squares are not
    check_grads(lambda x: (fnp.linalg.eigh(x).eigenvalues, fnp.linalg.eigh(x).eigenvectors ** 2 * weights), [a],
                directions=[symmetric(rng, shape)], rtol=1e-5, atol=1e-7)
    check_grads(fnp.linalg.eigvalsh, [a], directions=[symmetric(rng, shape)], rtol=1e-5, atol=1e-7)


def _sign_free_svd(x):
    u, s, vh = fnp.linalg.svd(x, full_matrices=False)
    return s, u * u, vh * vh, u[..., :1] * vh[..., :1, :]


@settings(max_examples=10, deadline=None)
@given(derivative_shapes, SEEDS)
def test_svd_derivatives(shape, seed):
    a = distinct_singular(np.random.default_rng(seed), shape[:-2], *shape[-2:])
    check_grads(_sign_free_svd, [a], rtol=1e-5, atol=1e-7)
    check_grads(fnp.linalg.svdvals, [a], rtol=1e-5, atol=1e-7)


@settings(max_examples=10, deadline=None)
@given(derivative_shapes, SEEDS)
def test_qr_derivatives(shape, seed):
    a = distinct_singular(np.random.default_rng(seed), shape[:-2], *shape[-2:])  # leading block invertible
    check_grads(lambda x: tuple(fnp.linalg.qr(x)), [a], rtol=1e-5, atol=1e-7)
    check_grads(lambda x: fnp.linalg.qr(x, "r"), [a], rtol=1e-5, atol=1e-7)


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([(3, 3), (2, 4, 4)]), SEEDS)
def test_slogdet_and_norm_derivatives(shape, seed):
    a = distinct_singular(np.random.default_rng(seed), shape[:-2], shape[-1], shape[-1])
    check_grads(lambda x: fnp.linalg.slogdet(x).logabsdet, [a], rtol=1e-5, atol=1e-7)
    for order in (2, -2, "nuc"):
        check_grads(lambda x: fnp.linalg.matrix_norm(x, ord=order), [a], rtol=1e-5, atol=1e-7)


def test_pinv_and_lstsq_derivatives_also_where_singular_values_repeat():
    rng = np.random.default_rng(3)
    tall = distinct_singular(rng, (), 4, 3)
    for a in (tall, tall.T, np.eye(3), 2 * orthogonal(rng, (), 3)):  # the last two: every singular value equal
        check_grads(fnp.linalg.pinv, [a], rtol=1e-5, atol=1e-7)
    check_grads(lambda a, b: fnp.linalg.lstsq(a, b)[0], [tall, rng.standard_normal((4, 2))], rtol=1e-5, atol=1e-7)


def test_undefined_derivatives_are_nan_as_in_jax():
    """Repeated eigenvalues: the eigenvectors have no derivative (NaN, as JAX), the eigenvalues a finite one."""
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(fnx.grad(lambda x: fnp.sum(fnp.linalg.eigh(x).eigenvectors[:, 0]))(np.eye(3))).all()
        assert_same(fnx.grad(lambda x: fnp.sum(fnp.linalg.eigvalsh(x)))(np.eye(3)), np.eye(3))


def test_derivatives_of_complete_factors_are_an_error():
    with pytest.raises(FnxTypeError, match=r"svd: no derivative with full_matrices=True"):
        fnx.grad(lambda x: fnp.sum(fnp.linalg.svd(x).U))(np.ones((3, 2)))
    with pytest.raises(FnxTypeError, match=r"qr: no derivative with full_matrices=True"):
        fnx.grad(lambda x: fnp.sum(fnp.linalg.qr(x, "complete").Q))(np.ones((3, 2)))


def test_jit_of_grad_matches_eager_grad():
    rng = np.random.default_rng(4)
    a, s = distinct_singular(rng, (2,), 4, 3), distinct_symmetric(rng, (2,), 3)

    def loss(a, s):
        u, sv, vh = fnp.linalg.svd(a, full_matrices=False)
        q, r = fnp.linalg.qr(a)
        w, v = fnp.linalg.eigh(s)
        return (fnp.sum(sv * sv) + fnp.sum((u * u)[..., 0]) + fnp.sum(r * r) + fnp.sum((q * q)[..., 1])
                + fnp.sum(w * fnp.arange(3.0)) + fnp.sum((v * v)[..., 0, :] * fnp.arange(3.0))
                + fnp.sum(fnp.linalg.slogdet(s).logabsdet) + fnp.sum(fnp.linalg.pinv(a)))
    grad = fnx.grad(loss, argnums=(0, 1))
    assert_same(fnx.jit(grad)(a, s), fnx.tree_map(np.asarray, grad(a, s)), rtol=1e-9, atol=1e-11)


# -- vmap ----------------------------------------------------------------------------------------------------

def _square(m):
    return m[..., :3, :]


@pytest.mark.parametrize("name, f", [
    ("eigh", lambda m: tuple(fnp.linalg.eigh(_square(m) + fnp.matrix_transpose(_square(m))))),
    ("svd", lambda m: tuple(fnp.linalg.svd(m, full_matrices=False))),
    ("qr", lambda m: tuple(fnp.linalg.qr(m))),
    ("slogdet", lambda m: tuple(fnp.linalg.slogdet(_square(m)))),
    ("pinv", fnp.linalg.pinv),
    ("norms", lambda m: (fnp.linalg.matrix_norm(m, ord=2), fnp.linalg.matrix_norm(m, ord="nuc"),
                         fnp.linalg.matrix_rank(m))),
])
def test_vmap_matches_a_loop(name, f):
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 3))  # mapped over axis 1: (2, 4, 3) per example
    check_vmap(f, [x], in_axes=[1], rtol=1e-10, atol=1e-12)


def test_vmap_of_grad_matches_a_loop():
    x = np.stack([distinct_singular(np.random.default_rng(i), (), 3, 3) for i in range(3)])
    check_vmap(fnx.grad(lambda m: fnp.sum(fnp.linalg.svdvals(m) ** 3) + fnp.linalg.slogdet(m).logabsdet), [x],
               in_axes=[0], rtol=1e-10, atol=1e-12)


# -- errors --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("f, args, names", [
    (fnp.linalg.eigh, (np.ones((2, 3)),), ["eigh", r"square matrices", r"\(2, 3\)"]),
    (fnp.linalg.slogdet, (np.ones(3),), ["slogdet", r"\(3,\)"]),
    (fnp.linalg.svd, (np.ones(3),), ["svd", r"\(3,\)"]),
    (lambda a: fnp.linalg.qr(a, "raw"), (np.ones((2, 2)),), ["qr", "'raw'"]),
    (lambda a: fnp.linalg.eigh(a, "X"), (np.ones((2, 2)),), ["eigh", "UPLO"]),
    (fnp.linalg.lstsq, (np.ones((3, 2)), np.ones(4)), ["lstsq", r"\(3, 2\)", r"\(4,\)"]),
    (lambda a: fnp.linalg.norm(a, 3), (np.ones((2, 2)),), ["norm", "invalid order 3"]),
])
def test_bad_input_is_a_clear_error(f, args, names):
    raises_eager_and_traced(f, *args, names=names)


def test_lax_primitives_name_the_operation_and_operand():
    with pytest.raises(FnxTypeError, match=r"svd: needs float or complex matrices \(\.\.\., m, n\), got i64\[3,2\]"):
        fnx.lax.svd(np.ones((3, 2), np.int64))
    with pytest.raises(FnxTypeError, match=r"eigh: needs float or complex square matrices"):
        fnx.lax.eigh(np.ones((3, 2)))
