"""Derivatives of the structural and indexing primitives (fnx/transforms/autodiff/rules_structural.py).

Every primitive is checked with ``check_grads`` over hypothesis-generated shapes and params: the jvp against
central finite differences, and the vjp against the jvp (``<v, J u>`` computed both ways), eagerly and
through a jaxpr. Then come gradients through fnx.numpy indexing and shape functions (against NumPy
references where one is short to write), the documented tie/duplicate behaviour of scatter, and second
derivatives.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError
from gradcheck import check_grads
from helpers import SEEDS, assert_same, eager_and_traced

SETTINGS = settings(max_examples=15, deadline=None)


def _normal(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


# -- shapes: broadcast_in_dim, reshape, transpose, rev, slice, pad, concatenate ------------------------------

@st.composite
def _broadcasts(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), max_size=3)))
    dims = sorted(draw(st.sets(st.sampled_from(range(len(shape))))) if shape else [])
    x_shape = tuple(1 if draw(st.booleans()) else shape[d] for d in dims)
    return x_shape, shape, tuple(dims)


@given(_broadcasts(), SEEDS)
@SETTINGS
def test_broadcast_in_dim(case, seed):
    x_shape, shape, dims = case
    check_grads(lambda x: lax.broadcast_in_dim(x, shape, dims), [_normal(seed, x_shape)], seed=seed)


@st.composite
def _reshapes(draw):
    shape = draw(st.lists(st.integers(1, 3), max_size=3))
    new = list(draw(st.permutations(shape)))
    if len(new) >= 2 and draw(st.booleans()):
        new = [new[0] * new[1]] + new[2:]
    new.insert(draw(st.integers(0, len(new))), 1)
    return tuple(shape), tuple(new)


@given(_reshapes(), SEEDS)
@SETTINGS
def test_reshape(case, seed):
    shape, new = case
    check_grads(lambda x: lax.reshape(x, new), [_normal(seed, shape)], seed=seed)


@given(st.lists(st.integers(1, 3), max_size=4).flatmap(
    lambda s: st.tuples(st.just(tuple(s)), st.permutations(range(len(s))))), SEEDS)
@SETTINGS
def test_transpose(case, seed):
    shape, perm = case
    check_grads(lambda x: lax.transpose(x, perm), [_normal(seed, shape)], seed=seed)


@given(st.lists(st.integers(0, 3), min_size=1, max_size=3).flatmap(
    lambda s: st.tuples(st.just(tuple(s)), st.sets(st.sampled_from(range(len(s)))))), SEEDS)
@SETTINGS
def test_rev(case, seed):
    shape, dims = case
    check_grads(lambda x: lax.rev(x, tuple(sorted(dims))), [_normal(seed, shape)], seed=seed)


@st.composite
def _slices(draw):
    axes = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(0, 5))
        start = draw(st.integers(0, n))
        axes.append((n, start, draw(st.integers(start, n)), draw(st.integers(1, 3))))
    return axes


@given(_slices(), SEEDS)
@SETTINGS
def test_slice(axes, seed):
    shape, starts, limits, strides = zip(*axes)
    check_grads(lambda x: lax.slice(x, starts, limits, strides), [_normal(seed, shape)], seed=seed)


@st.composite
def _pads(draw):
    axes = []
    for _ in range(draw(st.integers(1, 3))):
        n, interior = draw(st.integers(0, 3)), draw(st.integers(0, 2))
        lo, hi = draw(st.integers(-3, 3)), draw(st.integers(-3, 3))
        assume(n + max(n - 1, 0) * interior + lo + hi >= 0)
        axes.append((n, (lo, hi, interior)))
    return axes


@given(_pads(), SEEDS)
@SETTINGS
def test_pad_operand_and_padding_value(axes, seed):
    shape, config = zip(*axes)
    check_grads(lambda x, c: lax.pad(x, c, config), [_normal(seed, shape), _normal(seed + 1, ())], seed=seed)


def test_pad_padding_value_gets_the_sum_over_padded_positions():
    x = np.arange(3.0)
    config = [(2, -1, 1)]  # [c, c, 0, c, 1, c, 2] cropped at the end: [c, c, 0, c, 1, c]
    pullback = lambda x, c, ct: fnx.vjp(lambda x, c: lax.pad(x, c, config), x, c)[1](ct)  # noqa: E731
    for cts in eager_and_traced(pullback, x, np.float64(0.5), np.arange(1.0, 7.0)):
        assert_same(cts, (np.array([3.0, 5.0, 0.0]), np.array(1.0 + 2.0 + 4.0 + 6.0)))


@st.composite
def _concatenations(draw):
    rank = draw(st.integers(1, 3))
    dim = draw(st.integers(0, rank - 1))
    base = draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank))
    sizes = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    return [tuple(base[:dim] + [k] + base[dim + 1:]) for k in sizes], dim


@given(_concatenations(), SEEDS)
@SETTINGS
def test_concatenate(case, seed):
    shapes, dim = case
    args = [_normal(seed + i, s) for i, s in enumerate(shapes)]
    check_grads(lambda *xs: lax.concatenate(xs, dim), args, seed=seed)


# -- dynamic slices ------------------------------------------------------------------------------------------

@st.composite
def _windows(draw):
    """(operand shape, window sizes, starts); the starts may lie outside and get clamped."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    sizes = [draw(st.integers(0, n)) for n in shape]
    starts = [np.int64(draw(st.integers(-2, n + 2))) for n in shape]
    return tuple(shape), tuple(sizes), starts


@given(_windows(), SEEDS)
@SETTINGS
def test_dynamic_slice(case, seed):
    shape, sizes, starts = case
    check_grads(lambda x, *s: lax.dynamic_slice(x, s, sizes), [_normal(seed, shape)], starts, seed=seed)


@given(_windows(), SEEDS)
@SETTINGS
def test_dynamic_update_slice(case, seed):
    shape, sizes, starts = case
    check_grads(lambda x, u, *s: lax.dynamic_update_slice(x, u, s),
                [_normal(seed, shape), _normal(seed + 1, sizes)], starts, seed=seed)


def test_dynamic_update_slice_cotangents_by_hand():
    pullback = lambda x, u, ct: fnx.vjp(lambda x, u: lax.dynamic_update_slice(x, u, [5]), x, u)[1](ct)  # noqa: E731
    for ct_x, ct_u in eager_and_traced(pullback, np.zeros(6), np.zeros(2), np.arange(6.0)):
        assert_same(ct_x, np.array([0.0, 1.0, 2.0, 3.0, 0.0, 0.0]))  # the start 5 clamps to 4
        assert_same(ct_u, np.array([4.0, 5.0]))


# -- gather and scatter ----------------------------------------------------------------------------------------

@st.composite
def _gathers(draw, out_of_bounds: bool = True):
    """(operand shape, indices) with k indexed leading axes, duplicates, and indices up to 2 outside."""
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    k = draw(st.integers(0, len(shape)))
    batch = draw(st.lists(st.integers(0, 3), max_size=2))
    margin = 2 if out_of_bounds else 0
    seed = draw(SEEDS)
    rng = np.random.default_rng(seed)
    columns = [rng.integers(-margin, n + margin, size=batch) for n in shape[:k]]
    indices = np.stack(columns, axis=-1) if k else np.zeros(tuple(batch) + (0,), np.int64)
    return tuple(shape), indices.astype(np.int64)


@given(_gathers(), SEEDS)
@SETTINGS
def test_gather(case, seed):
    shape, indices = case
    check_grads(lambda x, i: lax.gather(x, i), [_normal(seed, shape)], [indices], seed=seed)


@pytest.mark.parametrize("mode", ["set", "add", "mul", "min", "max"])
@given(case=_gathers(), seed=SEEDS)
@settings(max_examples=12, deadline=None)
def test_scatter(mode, case, seed):
    shape, indices = case
    k = indices.shape[-1]
    updates = _normal(seed + 1, indices.shape[:-1] + shape[k:])
    check_grads(lambda x, u, i: lax.scatter(x, i, u, mode), [_normal(seed, shape), updates], [indices], seed=seed)


@given(_gathers(out_of_bounds=False), SEEDS)
@SETTINGS
def test_scatter_mul_with_zero_factors(case, seed):
    """Positions with no, one or several zero factors: the derivative must not divide by them."""
    shape, indices = case
    k = indices.shape[-1]
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * rng.integers(0, 2, size=shape)
    updates = rng.normal(size=indices.shape[:-1] + shape[k:]) * rng.integers(0, 2, size=indices.shape[:-1] + shape[k:])
    check_grads(lambda x, u, i: lax.scatter(x, i, u, "mul"), [x, updates], [indices], seed=seed)


def test_scatter_set_duplicates_only_the_written_update_gets_a_cotangent():
    x, updates = np.zeros(4), np.array([1.0, 2.0, 3.0, 4.0])
    indices = np.array([[1], [1], [7], [2]])  # two writes to 1, one dropped (7)
    out = np.asarray(lax.scatter(x, indices, updates, "set"))
    winner = [j for j in (0, 1) if out[1] == updates[j]][0]
    expected_u = np.array([0.0, 0.0, 0.0, 30.0])
    expected_u[winner] = 20.0

    def pullback(x, u, i, ct):
        return fnx.vjp(lambda x, u: lax.scatter(x, i, u, "set"), x, u)[1](ct)

    for cts in eager_and_traced(pullback, x, updates, indices, np.array([10.0, 20.0, 30.0, 40.0])):
        assert_same(cts, (np.array([10.0, 0.0, 0.0, 40.0]), expected_u))


@pytest.mark.parametrize("mode", ["max", "min"])
def test_scatter_extremal_ties_share_the_derivative(mode):
    """For max: position 0 ties x=1 with two updates of 1 (the update 0.5 loses), position 1 ties x=2 with
    one update, position 2 has only x, and the update at 9 is dropped. min is the same case negated."""
    sign = 1.0 if mode == "max" else -1.0
    x, updates = sign * np.array([1.0, 2.0, 3.0]), sign * np.array([1.0, 1.0, 0.5, 2.0, 1.0])
    indices = np.array([[0], [0], [0], [1], [9]])

    def f(x, u):
        return lax.scatter(x, indices, u, mode)

    def both(x, u, t_x, t_u, ct):
        return fnx.vjp(f, x, u)[1](ct), fnx.jvp(f, (x, u), (t_x, t_u))[1]

    tangents = (np.array([3.0, 1.0, 1.0]), np.array([0.0, 6.0, 100.0, 3.0, 100.0]))
    for cts, tangent in eager_and_traced(both, x, updates, *tangents, np.array([6.0, 4.0, 5.0])):
        assert_same(cts, (np.array([2.0, 2.0, 5.0]), np.array([2.0, 2.0, 0.0, 2.0, 0.0])))
        assert_same(tangent, np.array([3.0, 2.0, 1.0]))


def test_float32_cotangents_keep_their_dtype():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)

    def f(x):
        y = lax.pad(lax.broadcast_in_dim(x, (4, 2, 3), (1, 2)), 1.0, [(0, 0, 0), (1, 0, 1), (0, 2, 0)])
        updates = lax.concatenate([x[:1], x[1:, :2]], 1)
        return lax.scatter(lax.gather(y, np.array([[0, 1], [3, 3]])), np.array([[1]]), updates, "max")

    out, pullback = fnx.vjp(f, x)
    (ct,) = pullback(np.ones(out.shape, np.float32))
    assert ct.dtype == np.float32 and out.dtype == np.float32
    check_grads(f, [x.astype(np.float64)], seed=5)


def test_index_operands_get_no_cotangent():
    """The vjp rules return None for index operands, even when the indices are traced."""
    x, indices = np.arange(4.0), np.array([[3], [0]])

    def pullback(x, i):
        return fnx.vjp(lambda x: lax.gather(x, i) + lax.dynamic_slice(x, [i[0, 0]], [2]), x)[1](np.ones(2))

    for cts in eager_and_traced(pullback, x, indices):  # the window start 3 clamps to 2
        assert_same(cts, (np.array([1.0, 0.0, 1.0, 2.0]),))
    with pytest.raises(FnxTypeError, match="int64"):
        fnx.grad(lambda x, i: lax.gather(x, i)[0], argnums=1)(x, indices)


def test_iota_and_bitcast_carry_no_derivative():
    def f(x):
        iota = lax.broadcasted_iota(np.float64, (3,), 0)
        return x * iota + lax.bitcast_convert_type(x, np.float64)

    x, t = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0])
    eager, traced = eager_and_traced(lambda x, t: fnx.jvp(f, (x,), (t,))[1], x, t)
    assert_same(eager, np.array([0.0, 1.0, 2.0]))
    assert_same(traced, eager)
    assert_same(fnx.vjp(f, x)[1](t)[0], np.array([0.0, 1.0, 2.0]))


# -- through fnx.numpy ---------------------------------------------------------------------------------------

IDS = np.array([2, 0, 2, 3, 2])
NUMPY_FUNCTIONS = {
    "basic index": lambda x: fnp.asarray(x)[1:, ::-2],
    "int and slice": lambda x: fnp.asarray(x)[-1, 1:3],
    "advanced index": lambda x: fnp.asarray(x)[IDS, 1:],
    "two advanced": lambda x: fnp.asarray(x)[IDS[:3], np.array([0, 3, 3])],
    "bool mask": lambda x: fnp.asarray(x)[np.array([True, False, True, True])],
    "at set": lambda x: fnp.asarray(x).at[IDS].set(fnp.asarray(x)[0] * 2.0),
    "at add": lambda x: fnp.asarray(x).at[IDS, 1].add(fnp.asarray(x)[IDS, 0] + 1.0),
    "at multiply": lambda x: fnp.asarray(x).at[1:, 2].multiply(fnp.asarray(x)[:3, 0]),
    "take": lambda x: fnp.take(x, IDS, axis=1),
    "take flat": lambda x: fnp.take(x, np.array([[0, 15], [7, 7]])),
    "take_along_axis": lambda x: fnp.take_along_axis(x, np.array([[0, 0], [3, 1], [2, 2], [1, 3]]), axis=1),
    "pad constant": lambda x: fnp.pad(x, ((1, 2), (0, 1)), constant_values=fnp.asarray(x)[0, 0]),
    "pad reflect": lambda x: fnp.pad(x, ((2, 1), (1, 2)), mode="reflect"),
    "pad edge": lambda x: fnp.pad(x, 2, mode="edge"),
    "concatenate": lambda x: fnp.concatenate([x, fnp.asarray(x)[:2] * 3.0], axis=0),
    "stack": lambda x: fnp.stack([x, fnp.asarray(x)[::-1]], axis=1),
    "roll": lambda x: fnp.roll(x, (1, -3), axis=(0, 1)),
    "roll flat": lambda x: fnp.roll(x, 5),
    "tile": lambda x: fnp.tile(x, (2, 1, 2)),
    "repeat": lambda x: fnp.repeat(x, 3, axis=1),
    "repeat counts": lambda x: fnp.repeat(x, [0, 2, 1, 3], axis=0),
    "flip": lambda x: fnp.flip(x),
    "reshape and transpose": lambda x: fnp.transpose(fnp.reshape(x, (2, 2, 4)), (2, 0, 1)),
    "broadcast_to": lambda x: fnp.broadcast_to(fnp.asarray(x)[:, :1], (3, 4, 1)),
    "split": lambda x: fnp.split(x, 2, axis=1)[1],
}


@pytest.mark.parametrize("name", NUMPY_FUNCTIONS)
def test_numpy_functions(name):
    check_grads(lambda x: fnp.sin(NUMPY_FUNCTIONS[name](x)), [_normal(7, (4, 4))], seed=3)


def test_embedding_gradient_matches_numpy_add_at():
    rng = np.random.default_rng(0)
    table, ids = rng.normal(size=(6, 3)), np.array([[1, 4, 1], [0, 1, 5]])
    w = rng.normal(size=(2, 3, 3))
    expected = np.zeros_like(table)
    np.add.at(expected, ids, w)
    for (grad,) in eager_and_traced(lambda E, ids, w: fnx.vjp(lambda E: E[ids], E)[1](w), table, ids, w):
        assert_same(grad, expected, rtol=1e-12)


def test_embedding_grad_of_a_sum():
    rng = np.random.default_rng(1)
    table, ids, w = rng.normal(size=(5, 2)), np.array([3, 3, 0, 3]), rng.normal(size=(4, 2))
    expected = np.zeros_like(table)
    np.add.at(expected, ids, w)
    for grad in eager_and_traced(fnx.grad(lambda E, ids, w: fnp.sum(E[ids] * w)), table, ids, w):
        assert_same(grad, expected, rtol=1e-12)


# -- second derivatives ----------------------------------------------------------------------------------------

def _square(x):
    return x * x


# Written with x * x rather than x ** 2: the second derivative of pow needs the reductions' rules.
SECOND_ORDER = {
    "gather": lambda x: _square(fnp.asarray(x)[IDS]) * fnp.flip(x)[IDS],
    "scatter mul": lambda x: fnp.asarray(x).at[np.array([0, 0, 2])].multiply(_square(fnp.asarray(x)[1:4])),
    "scatter set": lambda x: _square(fnp.asarray(x).at[np.array([4, 1, 4])].set(fnp.sin(fnp.asarray(x)[:3]))),
    "scatter max": lambda x: fnp.asarray(x).at[np.array([0, 0, 3])].max(fnp.sin(fnp.asarray(x)[2:])),
    "pad and slice": lambda x: fnp.cos(lax.pad(_square(fnp.asarray(x)), fnp.asarray(x)[0], [(1, -2, 1)]))[::2],
    "dynamic_slice": lambda x: lax.dynamic_slice(_square(fnp.asarray(x)) * x, [np.int64(2)], [3]),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivatives(name):
    """The pullback x -> J(x)^T w, checked like any function: its derivative (the Hessian of <w, f>)
    against finite differences, and reverse-over-reverse against forward-over-reverse."""
    f = SECOND_ORDER[name]
    w = _normal(1, np.shape(f(np.ones(5))))
    check_grads(lambda x: fnx.vjp(f, x)[1](w)[0], [_normal(2, (5,))], seed=4)


def test_grad_of_grad():
    def f(x):
        return fnp.sum(fnp.asarray(x)[IDS] ** 3)

    x = _normal(3, (5,))
    counts = np.bincount(IDS, minlength=5)
    for g in eager_and_traced(fnx.grad(lambda x: fnp.sum(fnx.grad(f)(x) * np.arange(5.0))), x):
        assert_same(g, 6.0 * counts * x * np.arange(5.0), rtol=1e-12)
