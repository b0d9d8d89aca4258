"""Derivatives of the reductions, cumulative scans, sort and linear algebra primitives, and of the fnx.numpy
functions built from them: forward and reverse mode against central finite differences, jvp/vjp consistency
(<v, J u> both ways), eager and traced, plus exact values at ties and zeros and second derivatives."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError
from fnx.lax.linalg import cholesky_p, det_p, inv_p, solve_p
from gradcheck import check_grads
from helpers import SEEDS, assert_same, eager_and_traced

SETTINGS = settings(max_examples=12, deadline=None)


def grad_both(f, *args):
    """``fnx.grad(f)`` eagerly and traced (checked equal), as NumPy."""
    eager, traced = eager_and_traced(fnx.grad(f, argnums=tuple(range(len(args))) if len(args) > 1 else 0), *args)
    assert_same(traced, eager, rtol=1e-12, atol=1e-12)
    return eager


@st.composite
def shape_and_axes(draw, max_dims=3, max_side=4):
    shape = tuple(draw(st.lists(st.integers(1, max_side), min_size=1, max_size=max_dims)))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    return shape, tuple(axes)


# -- reductions --------------------------------------------------------------------------------------------

@SETTINGS
@given(sa=shape_and_axes(), seed=SEEDS, op=st.sampled_from(["sum", "prod", "max", "min"]), negative=st.booleans())
def test_reductions(sa, seed, op, negative):
    shape, axes = sa
    x = np.random.default_rng(seed).normal(size=shape)
    axes = tuple(a - len(shape) for a in axes) if negative else axes  # unnormalized axes params too
    reduce = {"sum": lax.reduce_sum, "prod": lax.reduce_prod, "max": lax.reduce_max, "min": lax.reduce_min}[op]
    check_grads(lambda z: reduce(z, axes), [x], seed=seed)


def _products_of_others(x: np.ndarray) -> np.ndarray:
    """Brute force: for each element of the 1-D x, the product of all the others."""
    return np.array([np.prod(np.delete(x, i)) for i in range(x.size)])


@SETTINGS
@given(seed=SEEDS, n=st.integers(1, 6), zeros=st.integers(0, 3))
def test_reduce_prod_with_zeros(seed, n, zeros):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, n))
    x[0, rng.choice(n, size=min(zeros, n), replace=False)] = 0.0
    x[1, rng.choice(n, size=min(1, zeros, n), replace=False)] = 0.0
    g = grad_both(lambda z: fnp.sum(lax.reduce_prod(z, (1,)) * np.array([1.0, 2.0])), x)
    np.testing.assert_allclose(g, np.stack([_products_of_others(x[0]), 2 * _products_of_others(x[1])]),
                               rtol=1e-12, atol=1e-15)
    check_grads(lambda z: lax.reduce_prod(z, (1, 0)), [x], seed=seed)  # a polynomial: FD is fine at zeros


def test_reduce_max_min_split_ties_equally():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 0.0]])
    np.testing.assert_allclose(grad_both(lambda z: fnp.sum(lax.reduce_max(z, (1,))), x),
                               [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, 0]])
    np.testing.assert_allclose(grad_both(lambda z: lax.reduce_min(z, (0, 1)), x), [[0, 0, 0, 0], [0, 0, 0, 1]])
    # a NaN result takes its derivative from the NaN
    np.testing.assert_allclose(grad_both(lambda z: lax.reduce_max(z, (0,)), np.array([1.0, np.nan, 2.0])),
                               [0, 1, 0])


def test_argmax_and_bool_reductions_have_no_derivative():
    x = np.array([0.5, 3.0, -1.0])
    # argmax only chooses the index: the gradient of x[argmax(x)] is one-hot
    np.testing.assert_allclose(grad_both(lambda z: z[fnp.argmax(z)] * 2.0, x), [0, 2, 0])
    np.testing.assert_allclose(grad_both(lambda z: z[fnp.argmin(z)] + fnp.sum(fnp.any(z > 1.0) * z), x),
                               [1, 1, 2])
    with pytest.raises(FnxTypeError, match="float scalar"):
        fnx.grad(lambda z: fnp.argmax(z))(x)
    with pytest.raises(FnxTypeError, match="float scalar"):
        fnx.grad(lambda z: fnp.all(z > 0))(x)


# -- cumulative scans --------------------------------------------------------------------------------------

@SETTINGS
@given(sa=shape_and_axes(max_side=5), seed=SEEDS, op=st.sampled_from(["cumsum", "cumprod", "cummax", "cummin"]),
       reverse=st.booleans(), negative=st.booleans())
def test_cumulative(sa, seed, op, reverse, negative):
    shape, _ = sa
    axis = int(np.random.default_rng(seed).integers(len(shape))) - (len(shape) if negative else 0)
    x = np.random.default_rng(seed).normal(size=shape)
    scan = {"cumsum": lax.cumsum, "cumprod": lax.cumprod, "cummax": lax.cummax, "cummin": lax.cummin}[op]
    check_grads(lambda z: scan(z, axis, reverse), [x], seed=seed)


def _cumprod_jacobian(x: np.ndarray) -> np.ndarray:
    """Brute force: d cumprod(x)[i] / d x[j] = prod of x[:i+1] without x[j], for j <= i."""
    n = x.size
    return np.array([[np.prod(np.delete(x[:i + 1], j)) if j <= i else 0.0 for j in range(n)] for i in range(n)])


@SETTINGS
@given(seed=SEEDS, n=st.integers(1, 7), zeros=st.integers(0, 3), reverse=st.booleans())
def test_cumprod_with_zeros(seed, n, zeros, reverse):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[rng.choice(n, size=min(zeros, n), replace=False)] = 0.0
    expected = _cumprod_jacobian(x[::-1])[::-1, ::-1] if reverse else _cumprod_jacobian(x)
    f = lambda z: lax.cumprod(z, 0, reverse)  # noqa: E731
    np.testing.assert_allclose(fnx.jacrev(f)(x), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fnx.jacfwd(f)(x), expected, rtol=1e-12, atol=1e-15)
    check_grads(f, [x], seed=seed)


def test_cummax_cummin_split_ties_in_the_run():
    x = np.array([3.0, 1.0, 3.0, 4.0, 4.0])
    expected = [[1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0.5, 0, 0.5, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0.5, 0.5]]
    f = lambda z: lax.cummax(z, 0)  # noqa: E731
    np.testing.assert_allclose(fnx.jacrev(f)(x), expected)
    np.testing.assert_allclose(fnx.jacfwd(f)(x), expected)
    # the reversed cummin of -x[::-1] is -cummax(x)[::-1]: its Jacobian is the mirror image
    g = lambda z: lax.cummin(z, 0, reverse=True)  # noqa: E731
    np.testing.assert_allclose(fnx.jacrev(g)(-x[::-1]), np.array(expected)[::-1, ::-1])
    # the last running max has the derivative of the max
    np.testing.assert_allclose(grad_both(lambda z: f(z)[-1], x), grad_both(lambda z: fnp.max(z), x))


# -- sort --------------------------------------------------------------------------------------------------

@SETTINGS
@given(sa=shape_and_axes(), seed=SEEDS, num_operands=st.integers(1, 3), data=st.data())
def test_sort_float_operands(sa, seed, num_operands, data):
    shape, _ = sa
    dimension = data.draw(st.integers(-len(shape), len(shape) - 1))
    num_keys = data.draw(st.integers(1, num_operands))
    xs = [np.random.default_rng(seed + i).normal(size=shape) for i in range(num_operands)]
    check_grads(lambda *zs: lax.sort(tuple(zs), dimension, num_keys=num_keys), xs, seed=seed)
    check_grads(lambda z: lax.sort(z, dimension), [xs[0]], seed=seed)


@SETTINGS
@given(seed=SEEDS, n=st.integers(1, 8))
def test_sort_by_integer_keys_with_ties_is_stable(seed, n):
    rng = np.random.default_rng(seed)
    keys, values, weights = rng.integers(0, 3, size=n), rng.normal(size=n), rng.normal(size=n)
    perm = np.argsort(keys, kind="stable")

    def f(v):
        return fnp.sum(lax.sort_key_val(fnp.asarray(keys), v)[1] * weights)
    expected = np.zeros(n)
    expected[perm] = weights
    np.testing.assert_allclose(grad_both(f, values), expected)
    check_grads(lambda v: lax.sort((fnp.asarray(keys), v), 0)[1], [values], seed=seed)


def test_sort_ties_in_float_keys_follow_the_stable_order():
    x = np.array([2.0, 1.0, 2.0, 1.0])
    jac = fnx.jacrev(lambda z: fnp.sort(z))(x)
    np.testing.assert_allclose(jac, np.eye(4)[[1, 3, 0, 2]])
    np.testing.assert_allclose(fnx.jacfwd(lambda z: fnp.sort(z))(x), jac)


# -- dot_general -------------------------------------------------------------------------------------------

@st.composite
def dot_problems(draw):
    """Two operands and dimension numbers with 0-2 batch, contracting and free axes each, in random order."""
    nb, nc, nlf, nrf = (draw(st.integers(0, 2)) for _ in range(4))
    size = lambda: draw(st.integers(1, 3))  # noqa: E731
    batch, contract = [size() for _ in range(nb)], [size() for _ in range(nc)]
    lhs_axes = [("b", i) for i in range(nb)] + [("c", i) for i in range(nc)] + [("f", size()) for _ in range(nlf)]
    rhs_axes = [("b", i) for i in range(nb)] + [("c", i) for i in range(nc)] + [("f", size()) for _ in range(nrf)]
    lhs_axes, rhs_axes = draw(st.permutations(lhs_axes)), draw(st.permutations(rhs_axes))
    pairs = draw(st.permutations(range(nc)))  # the order of the contracting pairs

    def layout(axes):
        shape = tuple({"b": lambda i: batch[i], "c": lambda i: contract[i], "f": lambda n: n}[k](i) for k, i in axes)
        return shape, {ax: pos for pos, ax in enumerate(axes)}
    (lshape, lpos), (rshape, rpos) = layout(lhs_axes), layout(rhs_axes)
    dims = ((tuple(lpos[("c", i)] for i in pairs), tuple(rpos[("c", i)] for i in pairs)),
            (tuple(lpos[("b", i)] for i in range(nb)), tuple(rpos[("b", i)] for i in range(nb))))
    return lshape, rshape, dims


@settings(max_examples=25, deadline=None)
@given(problem=dot_problems(), seed=SEEDS)
def test_dot_general_dimension_numbers(problem, seed):
    lshape, rshape, dims = problem
    rng = np.random.default_rng(seed)
    check_grads(lambda a, b: lax.dot_general(a, b, dims), [rng.normal(size=lshape), rng.normal(size=rshape)], seed=seed)


# -- inv, solve, det, cholesky -----------------------------------------------------------------------------

def _well_conditioned(rng, batch, n):
    """Strictly diagonally dominant matrices: never singular, condition numbers small enough for finite
    differences (a random matrix + 3I can come arbitrarily close to singular)."""
    m = rng.normal(size=batch + (n, n))
    return m + np.eye(n) * (np.abs(m).sum(axis=-1, keepdims=True) + 1.0)


def _spd(rng, batch, n):
    m = rng.normal(size=batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def _symmetric(rng, shape):
    m = rng.normal(size=shape)
    return m + np.swapaxes(m, -1, -2)


matrix_batches = st.sampled_from([(), (2,), (2, 1)])


@SETTINGS
@given(seed=SEEDS, batch=matrix_batches, n=st.integers(1, 4), k=st.integers(1, 3))
def test_inv_solve_det(seed, batch, n, k):
    rng = np.random.default_rng(seed)
    a, b = _well_conditioned(rng, batch, n), rng.normal(size=batch + (n, k))
    check_grads(inv_p.bind, [a], seed=seed)
    check_grads(det_p.bind, [a], seed=seed)
    check_grads(solve_p.bind, [a, b], seed=seed)
    check_grads(lambda m: solve_p.bind(m, fnp.asarray(b)), [a], seed=seed)  # one operand differentiated
    check_grads(lambda r: solve_p.bind(fnp.asarray(a), r), [b], seed=seed)


def test_det_gradient_is_cofactor_matrix():
    a = np.array([[2.0, 1.0, 0.5], [0.3, 4.0, 1.0], [1.0, -1.0, 3.0]])
    cofactors = np.linalg.det(a) * np.linalg.inv(a).T
    np.testing.assert_allclose(grad_both(fnp.linalg.det, a), cofactors, rtol=1e-12)


@SETTINGS
@given(seed=SEEDS, batch=matrix_batches, n=st.integers(1, 4))
def test_cholesky_along_symmetric_perturbations(seed, batch, n):
    rng = np.random.default_rng(seed)
    a = _spd(rng, batch, n)
    check_grads(cholesky_p.bind, [a], seed=seed, directions=[_symmetric(rng, a.shape)])


def test_cholesky_gradient_is_symmetric_and_sees_a_as_symmetric():
    rng = np.random.default_rng(1)
    a, w = _spd(rng, (), 3), rng.normal(size=(3, 3))
    g = grad_both(lambda m: fnp.sum(fnp.linalg.cholesky(m) * w), a)
    np.testing.assert_allclose(g, g.T, rtol=1e-12)
    # perturbing A[i, j] and A[j, i] together (the lower-triangle entry NumPy reads) matches g[i, j] + g[j, i]
    eps, f = 1e-6, lambda m: np.sum(np.linalg.cholesky(m) * w)  # noqa: E731
    e = np.zeros((3, 3))
    e[2, 0] = e[0, 2] = 1.0
    np.testing.assert_allclose((f(a + eps * e) - f(a - eps * e)) / (2 * eps), g[2, 0] + g[0, 2], rtol=1e-6)


# -- dtypes and empty arrays ------------------------------------------------------------------------------

SQUARE_FUNCTIONS = {
    "reduce_sum": lambda z: lax.reduce_sum(z, (0,)), "reduce_prod": lambda z: lax.reduce_prod(z, (1, 0)),
    "reduce_max": lambda z: lax.reduce_max(z, (1,)), "cumsum": lambda z: lax.cumsum(z, 1),
    "cumprod": lambda z: lax.cumprod(z, 0, True), "cummin": lambda z: lax.cummin(z, 1),
    "sort": lambda z: lax.sort(z, 0), "dot_general": lambda z: lax.dot_general(z, z, (((1,), (0,)), ((), ()))),
    "inv": inv_p.bind, "det": det_p.bind, "solve": lambda z: solve_p.bind(z, z),
    "cholesky": lambda z: cholesky_p.bind(z @ z.T),
}


@pytest.mark.parametrize("name", sorted(SQUARE_FUNCTIONS))
def test_float32_derivatives_stay_float32(name):
    f = SQUARE_FUNCTIONS[name]
    x = (np.random.default_rng(8).normal(size=(3, 3)) + 3 * np.eye(3)).astype(np.float32)
    (out, t), (_, t_traced) = eager_and_traced(lambda z: fnx.jvp(f, (z,), (fnp.ones_like(z),)), x)
    (ct,), (ct_traced,) = eager_and_traced(lambda z: fnx.vjp(f, z)[1](fnp.ones_like(f(z))), x)
    assert t.dtype == t_traced.dtype == ct.dtype == ct_traced.dtype == np.float32
    x64 = x.astype(np.float64)
    t64 = fnx.jvp(f, (x64,), (np.ones_like(x64),))[1]
    np.testing.assert_allclose(t, t64, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("name", ["reduce_sum", "reduce_prod", "cumsum", "cumprod", "cummax", "sort", "dot_general"])
def test_empty_arrays(name):
    f = {"reduce_sum": lambda z: lax.reduce_sum(z, (0,)), "reduce_prod": lambda z: lax.reduce_prod(z, (0,)),
         "cumsum": lambda z: lax.cumsum(z, 0), "cumprod": lambda z: lax.cumprod(z, 0),
         "cummax": lambda z: lax.cummax(z, 0), "sort": lambda z: lax.sort(z, 0),
         "dot_general": lambda z: lax.dot_general(z, z, (((0,), (0,)), ((), ())))}[name]
    x = np.zeros((0, 3))
    (out, t), _ = eager_and_traced(lambda z: fnx.jvp(f, (z,), (fnp.ones_like(z),)), x)
    np.testing.assert_array_equal(t, np.zeros(out.shape))  # an empty sum / product of no other elements
    (ct,), _ = eager_and_traced(lambda z: fnx.vjp(f, z)[1](fnp.ones_like(f(z))), x)
    assert ct.shape == (0, 3)


# -- fnx.numpy functions built from these primitives -------------------------------------------------------

@SETTINGS
@given(sa=shape_and_axes(), seed=SEEDS, keepdims=st.booleans(),
       name=st.sampled_from(["sum", "mean", "var", "std", "max", "min", "prod", "ptp"]))
def test_numpy_reductions(sa, seed, keepdims, name):
    shape, axes = sa
    axis = None if not axes else axes
    # std of one element is sqrt(0), whose derivative is NaN (FD says 0): not a useful check
    assume(name != "std" or np.prod([shape[a] for a in (axes or range(len(shape)))]) > 1)
    x = np.random.default_rng(seed).normal(size=shape)
    f = getattr(fnp, name)
    check_grads(lambda z: f(z, axis=axis, keepdims=keepdims), [x], seed=seed)


def test_numpy_prod_with_zeros_and_cumulative():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, -2.0, 0.5]])
    np.testing.assert_allclose(grad_both(lambda z: fnp.sum(fnp.prod(z, axis=1)), x),
                               [[0, 6, 0], [0, 0, 0], [-1, 0.5, -2]])
    np.testing.assert_allclose(grad_both(lambda z: fnp.prod(z), x), np.zeros((3, 3)))
    check_grads(lambda z: fnp.cumsum(z, axis=0), [x])
    check_grads(lambda z: fnp.cumprod(z, axis=1), [x])
    check_grads(lambda z: fnp.cumprod(z), [x])


def test_numpy_sort_argsort_median():
    x = np.array([[0.3, -1.2, 2.5, 0.7], [1.1, 0.2, -0.4, 3.0], [0.0, 0.5, -2.0, 1.5]])
    check_grads(lambda z: fnp.sort(z, axis=0), [x])
    check_grads(lambda z: fnp.take_along_axis(z, fnp.argsort(z, axis=1), axis=1), [x])
    check_grads(lambda z: fnp.sort(z, axis=None, descending=True), [x])
    check_grads(lambda z: fnp.median(z, axis=1), [x])
    check_grads(lambda z: fnp.median(z[:, :3], axis=1), [x])
    # the median's gradient: the middle element, or half to each of the two middle ones
    np.testing.assert_allclose(grad_both(lambda z: fnp.median(z), x[0, :3]), [1, 0, 0])
    np.testing.assert_allclose(grad_both(lambda z: fnp.median(z), x[0]), [0.5, 0, 0, 0.5])


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_logsumexp_gradient_is_softmax(axis):
    x = np.array([[1000.0, 999.0, 1001.0], [-3.0, 0.5, 0.5]])  # large values; a tie in the max
    g = grad_both(lambda z: fnp.sum(fnp.logsumexp(z, axis=axis)), x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    np.testing.assert_allclose(g, e / np.sum(e, axis=axis, keepdims=True), rtol=1e-12)
    check_grads(lambda z: fnp.logsumexp(z, axis=axis, keepdims=True), [x - np.array([[1000.0], [0.0]])])


def test_products():
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 5)), rng.normal(size=(4,))
    check_grads(fnp.matmul, [a, b])
    check_grads(fnp.matmul, [a, c])
    check_grads(fnp.dot, [a, b[0]])
    check_grads(fnp.dot, [c, c])
    check_grads(lambda x, y: fnp.einsum("bij,bjk->ik", x, y), [a, b])
    check_grads(lambda x, y: fnp.einsum("bij,j->bi", x, y), [a, c])
    check_grads(lambda x: fnp.einsum("bii->b", x), [rng.normal(size=(2, 3, 3))])
    check_grads(lambda x, y: fnp.tensordot(x, y, axes=([0, 2], [0, 1])), [a, b])
    check_grads(lambda x, y: fnp.tensordot(x, y, axes=1), [a, b[0]])


def test_numpy_linalg():
    rng = np.random.default_rng(4)
    a, b, v = _well_conditioned(rng, (2,), 3), rng.normal(size=(2, 3, 2)), rng.normal(size=3)
    check_grads(fnp.linalg.inv, [a])
    check_grads(fnp.linalg.det, [a])
    check_grads(fnp.linalg.solve, [a, b])
    check_grads(fnp.linalg.solve, [a[0], v])
    spd = _spd(rng, (2,), 3)
    check_grads(fnp.linalg.cholesky, [spd], directions=[_symmetric(rng, spd.shape)])
    check_grads(lambda m: fnp.linalg.cholesky(m, upper=True), [spd], directions=[_symmetric(rng, spd.shape)])
    for kwargs in [{}, {"ord": 1}, {"ord": np.inf}, {"ord": -np.inf}, {"ord": 3}]:
        check_grads(lambda x: fnp.linalg.norm(x, **kwargs), [v])
    check_grads(lambda x: fnp.linalg.norm(x), [a])
    check_grads(lambda x: fnp.linalg.norm(x, axis=1, keepdims=True), [a])
    for ord_ in ["fro", 1, -1, np.inf, -np.inf]:
        check_grads(lambda x: fnp.linalg.norm(x, ord=ord_, axis=(1, 2)), [a])


# -- second derivatives ------------------------------------------------------------------------------------

def test_hessian_of_quadratic_form():
    rng = np.random.default_rng(5)
    a, x = rng.normal(size=(4, 4)), rng.normal(size=4)

    def quadratic(z):
        return fnp.dot(z, fnp.dot(fnp.asarray(a), z))
    for hess in (fnx.hessian(quadratic), fnx.jacfwd(fnx.jacrev(quadratic)), fnx.jacrev(fnx.jacrev(quadratic)),
                 fnx.jacfwd(fnx.jacfwd(quadratic))):
        np.testing.assert_allclose(hess(x), a + a.T, rtol=1e-12, atol=1e-12)
    traced = fnx.eval_jaxpr(*(lambda c: (c.jaxpr, c.consts))(fnx.make_jaxpr(fnx.hessian(quadratic))(x)), x)[0]
    np.testing.assert_allclose(traced, a + a.T, rtol=1e-12, atol=1e-12)


def test_hessian_of_prod_and_logsumexp():
    x = np.array([2.0, 0.0, 3.0, -1.0])
    expected = np.array([[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(fnx.hessian(lambda z: fnp.prod(z))(x), expected, atol=1e-12)
    np.testing.assert_allclose(fnx.jacrev(fnx.jacrev(lambda z: fnp.prod(z)))(x), expected, atol=1e-12)
    y = np.array([0.5, -1.0, 2.0])
    p = np.exp(y) / np.sum(np.exp(y))
    np.testing.assert_allclose(fnx.hessian(fnp.logsumexp)(y), np.diag(p) - np.outer(p, p), atol=1e-12)


SECOND_ORDER = {
    "prod": (lambda z: fnp.sum(fnp.prod(z, axis=0)), lambda r: r.normal(size=(3, 2))),
    "prod_zero": (lambda z: fnp.prod(z), lambda r: np.array([1.5, 0.0, -2.0, 0.7])),
    "cumprod": (lambda z: fnp.sum(fnp.cumprod(z) ** 2), lambda r: r.normal(size=5)),
    "cumprod_zero": (lambda z: fnp.sum(fnp.cumprod(z) * fnp.arange(1.0, 6.0)),
                     lambda r: np.array([1.2, 0.0, -2.0, 0.0, 3.0])),
    "cummax": (lambda z: fnp.sum(lax.cummax(z, 0) ** 3), lambda r: r.normal(size=5)),
    "max": (lambda z: fnp.sum(fnp.max(z, axis=1) ** 2), lambda r: r.normal(size=(2, 3))),
    "sort": (lambda z: fnp.sum(fnp.sort(z) ** 2 * fnp.arange(4.0)), lambda r: r.normal(size=4)),
    "matmul": (lambda z: fnp.sum(fnp.sin(z @ z.T)), lambda r: r.normal(size=(2, 3))),
    "inv": (lambda z: fnp.sum(fnp.linalg.inv(z)), lambda r: _well_conditioned(r, (), 3)),
    "det": (fnp.linalg.det, lambda r: _well_conditioned(r, (), 3)),
    "solve": (lambda z: fnp.sum(fnp.linalg.solve(z, fnp.ones(3))), lambda r: _well_conditioned(r, (), 3)),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives(name):
    """The jvp and vjp of the gradient (Hessian-vector products) against finite differences of the gradient."""
    f, make = SECOND_ORDER[name]
    check_grads(fnx.grad(f), [make(np.random.default_rng(6))], rtol=1e-5, atol=1e-6)


def test_cholesky_second_derivative():
    rng = np.random.default_rng(7)
    a, w = _spd(rng, (), 3), rng.normal(size=(3, 3))
    grad = fnx.grad(lambda m: fnp.sum(fnp.linalg.cholesky(m) * w))
    check_grads(grad, [a], directions=[_symmetric(rng, a.shape)], rtol=1e-5, atol=1e-6)
