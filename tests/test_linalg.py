"""fnx.numpy products (dot, matmul, einsum, ...) and fnx.numpy.linalg against NumPy, eager and traced."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from tests.helpers import check_against_numpy

DTYPES = [np.dtype("int64"), np.dtype("int32"), np.dtype("float32"), np.dtype("float64")]
dims = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


def tolerances(dtype) -> dict:
    """float32 sums come out in another order than NumPy's: allow a few ulps of the summed magnitudes."""
    return {"rtol": 1e-5, "atol": 1e-5} if np.dtype(dtype) == np.float32 else {"rtol": 1e-11, "atol": 1e-12}


def sample(rng, shape, dtype):
    """Small ints (no overflow) or standard normal floats."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return rng.integers(-4, 5, size=shape).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    return rng.standard_normal(shape).astype(dtype)


def check(fnx_f, np_f, *args):
    dtype = np.result_type(*[a.dtype for a in args])
    check_against_numpy(fnx_f, np_f, *args, **tolerances(dtype))


# -- products ----------------------------------------------------------------------------------------------

@st.composite
def matmul_operands(draw):
    """Two operands NumPy's matmul accepts: 1-d or stacked matrices with broadcastable batch axes."""
    n, k, m = draw(dims), draw(dims), draw(dims)
    batch = draw(st.lists(st.integers(1, 3), max_size=2))
    a_batch = [b if draw(st.booleans()) else 1 for b in batch][draw(st.integers(0, len(batch))):]
    b_batch = [b if draw(st.booleans()) else 1 for b in batch][draw(st.integers(0, len(batch))):]
    a_shape = (k,) if draw(st.booleans()) else tuple(a_batch) + (n, k)
    b_shape = (k,) if draw(st.booleans()) else tuple(b_batch) + (k, m)
    rng = np.random.default_rng(draw(seeds))
    return sample(rng, a_shape, draw(st.sampled_from(DTYPES))), sample(rng, b_shape, draw(st.sampled_from(DTYPES)))


@settings(max_examples=30, deadline=None)
@given(matmul_operands())
def test_matmul_and_operator(operands):
    check(fnp.matmul, np.matmul, *operands)
    check(lambda a, b: fnp.asarray(a) @ b, np.matmul, *operands)
    check(fnp.linalg.matmul, np.linalg.matmul, *operands)


@st.composite
def dot_operands(draw):
    """Operands of NumPy's dot of ranks 0 to 3, the last axis of a matching the second-to-last of b."""
    k = draw(dims)
    a_shape = tuple(draw(st.lists(dims, max_size=2))) + (k,) if draw(st.integers(0, 4)) else ()
    b_rank = draw(st.integers(0, 3))
    b_lead = tuple(draw(st.lists(dims, min_size=max(b_rank - 2, 0), max_size=max(b_rank - 2, 0))))
    b_shape = {0: (), 1: (k,)}.get(b_rank, b_lead + (k, draw(dims)))
    rng = np.random.default_rng(draw(seeds))
    dtype = draw(st.sampled_from(DTYPES))
    return sample(rng, a_shape, dtype), sample(rng, b_shape, draw(st.sampled_from(DTYPES)))


@settings(max_examples=30, deadline=None)
@given(dot_operands())
def test_dot(operands):
    check(fnp.dot, np.dot, *operands)


@settings(max_examples=25, deadline=None)
@given(st.lists(dims, max_size=2), st.lists(dims, max_size=2), dims, st.sampled_from(DTYPES), seeds)
def test_inner_vdot_outer_kron(lead_a, lead_b, k, dtype, seed):
    rng = np.random.default_rng(seed)
    a, b = sample(rng, tuple(lead_a) + (k,), dtype), sample(rng, tuple(lead_b) + (k,), dtype)
    check(fnp.inner, np.inner, a, b)
    check(fnp.outer, np.outer, a, b)
    check(fnp.kron, np.kron, a, b)
    if a.size == b.size:
        check(fnp.vdot, np.vdot, a, b)
    check(fnp.vdot, np.vdot, a, a)


@settings(max_examples=25, deadline=None)
@given(st.lists(dims, min_size=1, max_size=3), st.lists(dims, min_size=1, max_size=3), st.integers(0, 3),
       st.sampled_from(DTYPES), seeds)
def test_tensordot(free_a, free_b, n_contract, dtype, seed):
    rng = np.random.default_rng(seed)
    shared = tuple(rng.integers(1, 4, size=n_contract))
    a, b = sample(rng, tuple(free_a) + shared, dtype), sample(rng, shared + tuple(free_b), dtype)
    check(lambda x, y: fnp.tensordot(x, y, n_contract), lambda x, y: np.tensordot(x, y, n_contract), a, b)
    # the same contraction with explicit, shuffled axis pairs and negative axes
    order = rng.permutation(n_contract)
    axes_a = [int(a.ndim - n_contract + i) - a.ndim for i in order]
    axes_b = [int(i) for i in order]
    check(lambda x, y: fnp.linalg.tensordot(x, y, (axes_a, axes_b)),
          lambda x, y: np.tensordot(x, y, (axes_a, axes_b)), a, b)


@settings(max_examples=25, deadline=None)
@given(st.lists(dims, min_size=2, max_size=4), st.integers(-3, 3), st.sampled_from(DTYPES), seeds)
def test_trace_and_diagonal(shape, offset, dtype, seed):
    rng = np.random.default_rng(seed)
    x = sample(rng, tuple(shape), dtype)
    axis1, axis2 = rng.choice(len(shape), size=2, replace=False)
    check(lambda v: fnp.trace(v, offset, int(axis1), int(axis2)),
          lambda v: np.trace(v, offset, int(axis1), int(axis2)), x)
    check(lambda v: fnp.linalg.trace(v, offset=offset), lambda v: np.linalg.trace(v, offset=offset), x)
    check(lambda v: fnp.linalg.diagonal(v, offset=offset), lambda v: np.linalg.diagonal(v, offset=offset), x)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3), max_size=2), st.integers(0, 2), st.sampled_from(DTYPES), seeds)
def test_vecdot_and_cross(batch, axis, dtype, seed):
    rng = np.random.default_rng(seed)
    shape = list(batch)
    shape.insert(min(axis, len(shape)), 3)
    axis = min(axis, len(batch))
    a, b = sample(rng, tuple(shape), dtype), sample(rng, tuple(shape[axis:]), dtype)
    check(lambda x, y: fnp.vecdot(x, y, axis=axis - len(shape)),
          lambda x, y: np.vecdot(x, y, axis=axis - len(shape)), a, b)
    check(fnp.linalg.vecdot, np.linalg.vecdot, np.moveaxis(a, axis, -1), np.moveaxis(b, 0, -1))
    check(lambda x, y: fnp.cross(x, y, axis=axis - len(shape)),
          lambda x, y: np.cross(x, y, axis=axis - len(shape)), a, b)


def test_bool_products_are_logical():
    rng = np.random.default_rng(0)
    a, b = sample(rng, (3, 4), bool), sample(rng, (4, 2), bool)
    check_against_numpy(fnp.dot, np.dot, a, b)
    check_against_numpy(fnp.matmul, np.matmul, a, b)
    check_against_numpy(lambda x, y: fnp.einsum("ij,jk->ik", x, y), lambda x, y: np.einsum("ij,jk->ik", x, y), a, b)
    check_against_numpy(lambda x: fnp.einsum("ij->", x), lambda x: np.einsum("ij->", x), a)


def test_python_scalars_count_as_arrays():
    x = np.arange(3, dtype=np.int8)
    check_against_numpy(lambda v: fnp.dot(2, v), lambda v: np.dot(2, v), x)
    check_against_numpy(lambda v: fnp.outer(2, v), lambda v: np.outer(2, v), x)


def test_book_matrix_times_vector():
    """LazyProgrammer's Theano listing: A = [[1,2],[3,4]], v = [5,6]; A.dot(v) on float T.matrix/T.vector."""
    A, v = [[1, 2], [3, 4]], [5, 6]
    check_against_numpy(lambda a, b: fnp.dot(fnp.asarray(a, float), b), lambda a, b: np.dot(a, b).astype(float),
                        np.array(A), np.array(v))
    np.testing.assert_array_equal(np.asarray(fnp.dot(fnp.asarray(A, float), v)), [17.0, 39.0])
    result = fnp.asarray(A) @ fnp.asarray(v)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(result), [17, 39])


# -- einsum ------------------------------------------------------------------------------------------------

EINSUM_CASES = [
    "ij,jk->ik",        # matrix product
    "ij,jk",            # implicit output
    "bij,bjk->bik",     # batched
    "ii",               # trace
    "ii->i",            # diagonal
    "iij->j",           # trace over the leading pair
    "i,j->ij",          # outer
    "ij->",             # sum
    "ij->ji",           # transpose
    "ij,ij->ij",        # elementwise
    "i,i",              # inner
    "ba,Ab",            # implicit output orders A before a
    "...ij,...jk->...ik",
    "...ij,jk",
    "i...->...",
    "ij,jk,kl->il",     # three operands
    "ijk,ikl,j->jl",    # three operands with a batch label summed at the end
    "ab,bc,ca->",       # a cycle
    "i,i,i->",          # one label in three operands
    "...ii->...i",      # batched diagonal
]


def einsum_operands(subscripts: str, sizes: dict, ellipsis: tuple, rng, dtype) -> list:
    """Operands that fit ``subscripts``; the second operand's broadcast axes drop some leading ones."""
    inputs = subscripts.split("->")[0].split(",")
    out = []
    for i, term in enumerate(inputs):
        head, _, tail = term.partition("...")
        lead = ellipsis[i % 2:] if "..." in term else ()
        out.append(sample(rng, tuple(sizes[c] for c in head) + lead + tuple(sizes[c] for c in tail), dtype))
    return out


@pytest.mark.parametrize("subscripts", EINSUM_CASES)
@settings(max_examples=6, deadline=None)
@given(st.dictionaries(st.sampled_from("abcijklAB"), dims, min_size=9), st.lists(dims, max_size=2),
       st.sampled_from(DTYPES), seeds)
def test_einsum(subscripts, sizes, ellipsis, dtype, seed):
    ops = einsum_operands(subscripts, sizes, tuple(ellipsis), np.random.default_rng(seed), dtype)
    check(lambda *xs: fnp.einsum(subscripts, *xs), lambda *xs: np.einsum(subscripts, *xs), *ops)


@pytest.mark.parametrize("subscripts, a_shape, b_shape", [
    ("ij,jk", (2, 1), (3, 4)),
    ("...i,...i", (2, 1, 3), (4, 3)),
    ("...ij,...jk->...ik", (1, 2, 3), (5, 3, 2)),
])
def test_einsum_broadcasts_size_one_axes(subscripts, a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    check_against_numpy(lambda x, y: fnp.einsum(subscripts, x, y), lambda x, y: np.einsum(subscripts, x, y), a, b,
                        rtol=1e-12)


def test_einsum_contracts_pairwise_with_dot_general():
    jaxpr = fnx.make_jaxpr(lambda a, b, c: fnp.einsum("ij,jk,kl->il", a, b, c))(
        np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5)))
    assert [e.primitive.name for e in jaxpr.jaxpr.eqns] == ["dot_general", "dot_general"]


# -- fnx.numpy.linalg --------------------------------------------------------------------------------------

VECTOR_ORDS = [None, 2, 1, 0, np.inf, -np.inf, 3, 0.5]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


@settings(max_examples=30, deadline=None)
@given(st.lists(dims, min_size=1, max_size=3), st.sampled_from(VECTOR_ORDS), st.booleans(),
       st.sampled_from(DTYPES), seeds)
def test_vector_norms(shape, ord, keepdims, dtype, seed):
    x = sample(np.random.default_rng(seed), tuple(shape), dtype)
    axis = len(shape) - 1
    check(lambda v: fnp.linalg.norm(v, ord, axis, keepdims), lambda v: np.linalg.norm(v, ord, axis, keepdims), x)
    p = 2 if ord is None else ord
    check(lambda v: fnp.linalg.vector_norm(v, keepdims=keepdims, ord=p),
          lambda v: np.linalg.vector_norm(v, keepdims=keepdims, ord=p), x)
    check(lambda v: fnp.linalg.norm(v, keepdims=keepdims), lambda v: np.linalg.norm(v, keepdims=keepdims), x)


@settings(max_examples=30, deadline=None)
@given(st.lists(dims, min_size=2, max_size=3), st.sampled_from(MATRIX_ORDS), st.booleans(),
       st.sampled_from(DTYPES), seeds)
def test_matrix_norms(shape, ord, keepdims, dtype, seed):
    x = sample(np.random.default_rng(seed), tuple(shape), dtype)
    axis = (-1, 0)
    check(lambda v: fnp.linalg.norm(v, ord, axis, keepdims), lambda v: np.linalg.norm(v, ord, axis, keepdims), x)
    m = "fro" if ord is None else ord
    check(lambda v: fnp.linalg.matrix_norm(v, keepdims=keepdims, ord=m),
          lambda v: np.linalg.matrix_norm(v, keepdims=keepdims, ord=m), x)


def well_conditioned(rng, batch, n, dtype):
    """Entries in [-1, 1] plus ``n + 1`` on the diagonal: diagonally dominant, so far from singular."""
    shape = tuple(batch) + (n, n)
    noise = rng.integers(-1, 2, size=shape) if np.dtype(dtype).kind == "i" else rng.uniform(-1, 1, size=shape)
    return (noise + (n + 1) * np.eye(n, dtype=noise.dtype)).astype(dtype)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3), max_size=2), dims, st.sampled_from(DTYPES), seeds)
def test_inv_det_cholesky(batch, n, dtype, seed):
    rng = np.random.default_rng(seed)
    a = well_conditioned(rng, batch, n, dtype)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-12}
    check_against_numpy(fnp.linalg.inv, np.linalg.inv, a, **tol)
    check_against_numpy(fnp.linalg.det, np.linalg.det, a, **tol)
    spd = np.matmul(a, np.swapaxes(a, -1, -2)) + np.eye(n, dtype=a.dtype)
    check_against_numpy(fnp.linalg.cholesky, np.linalg.cholesky, spd, **tol)
    check_against_numpy(lambda v: fnp.linalg.cholesky(v, upper=True), lambda v: np.linalg.cholesky(v, upper=True),
                        spd, **tol)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3), max_size=2), st.lists(st.integers(1, 3), max_size=2), dims,
       st.one_of(st.none(), dims), st.sampled_from(DTYPES), seeds)
def test_solve_broadcasts_batches(batch_a, batch_b, n, k, dtype, seed):
    rng = np.random.default_rng(seed)
    batch_b = [1 if i < len(batch_a) and batch_a[-1 - i] != b else b for i, b in enumerate(batch_b[::-1])][::-1]
    a = well_conditioned(rng, batch_a, n, dtype)
    b = sample(rng, (n,) if k is None else tuple(batch_b) + (n, k), dtype)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-12}
    check_against_numpy(fnp.linalg.solve, np.linalg.solve, a, b, **tol)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 2), max_size=1), dims, st.integers(-3, 5), st.sampled_from(DTYPES), seeds)
def test_matrix_power(batch, n, power, dtype, seed):
    rng = np.random.default_rng(seed)
    if power < 0:
        a = well_conditioned(rng, batch, n, np.float32 if dtype == np.float32 else np.float64)
    else:
        a = sample(rng, tuple(batch) + (n, n), dtype)
    tol = {"rtol": 1e-4, "atol": 1e-4} if a.dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-9}
    check_against_numpy(lambda v: fnp.linalg.matrix_power(v, power), lambda v: np.linalg.matrix_power(v, power),
                        a, **tol)


@settings(max_examples=20, deadline=None)
@given(st.lists(dims, min_size=3, max_size=6), st.booleans(), st.booleans(), st.sampled_from(DTYPES), seeds)
def test_multi_dot(sizes, first_1d, last_1d, dtype, seed):
    rng = np.random.default_rng(seed)
    shapes = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    if first_1d:
        shapes[0] = shapes[0][1:]
    if last_1d:
        shapes[-1] = shapes[-1][:1]
    arrays = [sample(rng, s, dtype) for s in shapes]
    check(lambda *xs: fnp.linalg.multi_dot(list(xs)), lambda *xs: np.linalg.multi_dot(list(xs)), *arrays)


def test_multi_dot_picks_the_cheap_order():
    """(10x100)(100x5)(5x50): multiplying the first pair first costs 7,500 flops instead of 75,000."""
    jaxpr = fnx.make_jaxpr(lambda *xs: fnp.linalg.multi_dot(xs))(np.ones((10, 100)), np.ones((100, 5)),
                                                                np.ones((5, 50)))
    first = jaxpr.jaxpr.eqns[0]
    assert first.primitive.name == "dot_general" and first.invars[0] is jaxpr.jaxpr.invars[0]
    assert first.invars[1] is jaxpr.jaxpr.invars[1]


def test_linalg_outer_vectors():
    check_against_numpy(fnp.linalg.outer, np.linalg.outer, np.arange(3), np.arange(4.0))


# -- errors ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: fnp.matmul(np.ones((2, 3)), np.ones((4, 5))), r"matmul: shapes \(2, 3\) and \(4, 5\)"),
    (lambda: fnp.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 1))), r"matmul: .*batch axes"),
    (lambda: fnp.matmul(2.0, np.ones(3)), r"matmul: .*at least one dimension"),
    (lambda: fnp.dot(np.ones(3), np.ones((2, 4))), r"dot: shapes \(3,\) and \(2, 4\)"),
    (lambda: fnp.inner(np.ones(3), np.ones(2)), r"inner: shapes \(3,\) and \(2,\)"),
    (lambda: fnp.vdot(np.ones(3), np.ones(2)), r"vdot: shapes"),
    (lambda: fnp.tensordot(np.ones((2, 3)), np.ones((2, 3)), ([1], [1, 0])), r"tensordot: .*pair up"),
    (lambda: fnp.tensordot(np.ones((2, 3)), np.ones((2, 3)), 1), r"tensordot: .*size 3.*size 2"),
    (lambda: fnp.cross(np.ones(2), np.ones(2)), r"cross: .*3-vectors"),
    (lambda: fnp.trace(np.ones(3)), r"trace: needs at least 2 dimensions"),
    (lambda: fnp.einsum("ij,jk", np.ones((2, 3))), r"einsum: subscripts 'ij,jk' do not match 1 operand"),
    (lambda: fnp.einsum("ijk", np.ones((2, 3))), r"einsum: term 'ijk' does not fit an operand of shape \(2, 3\)"),
    (lambda: fnp.einsum("ij,jk", np.ones((2, 3)), np.ones((2, 4))), r"einsum: label 'j' has sizes 3 and 2"),
    (lambda: fnp.einsum("ii", np.ones((2, 3))), r"einsum: label 'i' is repeated"),
    (lambda: fnp.einsum("i1", np.ones((2, 3))), r"einsum: invalid subscripts"),
    (lambda: fnp.einsum("ij->k", np.ones((2, 3))), r"einsum: output 'k'"),
    (lambda: fnp.einsum("...i->i", np.ones((2, 3))), r"einsum: output 'i' needs '...'"),
    (lambda: fnp.linalg.norm(np.ones(3), "fro"), r"norm: order 'fro' is for matrices"),
    (lambda: fnp.linalg.norm(np.ones((2, 2)), 3), r"norm: invalid order 3 for matrices"),
    (lambda: fnp.linalg.norm(np.ones((2, 2, 2)), 1), r"norm: .*1-d or 2-d"),
    (lambda: fnp.linalg.inv(np.ones((2, 3))), r"inv: needs square matrices .* got shape \(2, 3\)"),
    (lambda: fnp.linalg.solve(np.eye(3), np.ones(2)), r"solve: right-hand side of shape \(2,\)"),
    (lambda: fnp.linalg.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1))), r"solve: batch axes"),
    (lambda: fnp.linalg.matrix_power(np.eye(2), 0.5), r"matrix_power: the exponent must be an integer"),
    (lambda: fnp.linalg.multi_dot([np.ones((2, 2))]), r"multi_dot: needs at least two arrays"),
    (lambda: fnp.linalg.outer(np.ones((2, 2)), np.ones(2)), r"outer: needs two 1-d arrays"),
])
def test_bad_input_raises_clear_errors(call, message):
    with pytest.raises(FnxTypeError, match=message):
        call()


def test_shape_errors_also_raise_under_tracing():
    with pytest.raises(FnxTypeError, match=r"matmul: shapes \(2, 3\) and \(2, 3\)"):
        fnx.make_jaxpr(lambda a: a @ a)(np.ones((2, 3)))
