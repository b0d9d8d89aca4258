"""vmap: every batching rule against a Python loop over the batch, eagerly and through the traced jaxpr."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError
from fnx.core.tree import tree_flatten, tree_unflatten
from fnx.transforms.batching import batching_rules
from tests.helpers import assert_same, eager_and_traced

B = 3  # the batch size used throughout


# -- the checker -------------------------------------------------------------------------------------------

def _example(x, axis, i):
    return x if axis is None else np.take(np.asarray(x), i, axis=axis)


def loop_over_batch(f, args, in_axes, out_axes=0, axis_size=None):
    """What ``vmap(f, in_axes, out_axes)(*args)`` must give: f on each example, stacked along ``out_axes``."""
    axes = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
    sizes = {np.shape(a)[d] for a, d in zip(args, axes) if d is not None}
    size = sizes.pop() if sizes else axis_size
    results = [f(*[_example(a, d, i) for a, d in zip(args, axes)]) for i in range(size)]
    per_leaf = list(zip(*[[np.asarray(v) for v in tree_flatten(r)[0]] for r in results]))
    targets = out_axes if isinstance(out_axes, (tuple, list)) else (out_axes,) * len(per_leaf)
    stacked = [values[0] if t is None else np.stack(values, axis=t) for t, values in zip(targets, per_leaf)]
    return tree_unflatten(tree_flatten(results[0])[1], stacked)


def check_vmap(f, args, in_axes=0, out_axes=0, axis_size=None, rtol=1e-12):
    """vmap of ``f`` (eager, and traced + evaluated) equals the loop over the batch."""
    expected = loop_over_batch(f, args, in_axes, out_axes, axis_size)
    eager, traced = eager_and_traced(fnx.vmap(f, in_axes, out_axes, axis_size), *args)
    assert_same(eager, expected, rtol=rtol)
    assert_same(traced, expected, rtol=rtol)


def batched(shape, axis, seed=0, dtype=np.float64, low=-3, high=3):
    """A random array of per-example ``shape`` with a batch axis of size B at ``axis`` (none when axis is None)."""
    rng = np.random.default_rng(seed)
    full = shape if axis is None else (B,) + tuple(shape)
    x = rng.integers(low, high, full) if np.dtype(dtype).kind in "iu" else rng.normal(size=full)
    x = np.asarray(x).astype(dtype)
    return x if axis is None else np.moveaxis(x, 0, axis)


AXES = [0, 1, -1]


# -- the elementwise rules (fnx/transforms/batching/rules.py) ----------------------------------------------

@pytest.mark.parametrize("axis", AXES)
def test_unary_elementwise(axis):
    check_vmap(fnp.sin, (batched((2, 4), axis),), axis)
    check_vmap(lambda x: lax.convert_element_type(x, np.int32), (batched((2, 4), axis),), axis)


@pytest.mark.parametrize("axes", [(0, None), (None, 1), (1, -1), (-1, 0)])
def test_binary_elementwise(axes):
    x, y = batched((2, 4), axes[0], 1), batched((2, 4), axes[1], 2)
    check_vmap(lax.atan2, (x, y), axes)
    check_vmap(lambda a, b: a < b, (x, y), axes)


@pytest.mark.parametrize("axes", [(0, None), (None, 0), (0, 0)])
def test_rank0_operands(axes):
    """Per-example scalars (batched rank-1 arrays) against per-example arrays, and the reverse."""
    xs = {0: batched((), 0, 1), None: np.float64(2.5)}
    ys = {0: batched((2, 3), 0, 2), None: batched((2, 3), None, 2)}
    check_vmap(lax.mul, (xs[axes[0]], ys[axes[1]]), axes)
    check_vmap(lambda s, a: s * a + 1.0, (xs[axes[0]], ys[axes[1]]), axes)


@pytest.mark.parametrize("axes", [(0, None, None), (None, 1, 0), (0, -1, None), (None, None, 0)])
def test_where(axes):
    c = batched((2, 3), axes[0], 1) > 0
    x, y = batched((2, 3), axes[1], 2), batched((2, 3), axes[2], 3)
    check_vmap(fnp.where, (c, x, y), axes)
    check_vmap(lambda c, y: fnp.where(c, 0.0, y), (c, y), (axes[0], axes[2]))


# -- structural --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", AXES)
def test_bitcast_convert_type(axis):
    check_vmap(lambda x: lax.bitcast_convert_type(x, np.int64), (batched((2, 4), axis),), axis)


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("out_axis", AXES)
def test_broadcast_in_dim(axis, out_axis):
    x = batched((2, 1), axis)
    check_vmap(lambda a: lax.broadcast_in_dim(a, (2, 5, 4), (0, 2)), (x,), axis, out_axis)
    check_vmap(lambda a: lax.broadcast_in_dim(a[0, 0], (3, 2), ()), (x,), axis, out_axis)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.data())
def test_reshape_transpose_rev(shape, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    perm = data.draw(st.permutations(range(len(shape))))
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True))
    x = batched(shape, axis)
    check_vmap(lambda a: lax.reshape(a, (int(np.prod(shape)),)), (x,), axis)
    check_vmap(lambda a: lax.reshape(a, tuple(shape[::-1])), (x,), axis)
    check_vmap(lambda a: lax.transpose(a, perm), (x,), axis)
    check_vmap(lambda a: lax.rev(a, dims), (x,), axis)


@pytest.mark.parametrize("axis", AXES)
def test_slice(axis):
    x = batched((5, 4), axis)
    check_vmap(lambda a: lax.slice(a, (1, 0), (5, 3), (2, 1)), (x,), axis)
    check_vmap(lambda a: a[::-2, 1:], (x,), axis, out_axes=1)


CONFIGS = [((1, 2, 0), (0, 0, 1)), ((-1, 1, 2), (2, -2, 0)), ((0, 0, 0), (-1, -1, 1))]


@pytest.mark.parametrize("axes", [(0, None), (None, 0), (1, 0), (-1, 0), (1, None)])
@pytest.mark.parametrize("config", CONFIGS)
def test_pad(axes, config):
    x, value = batched((3, 4), axes[0], 1), batched((), axes[1], 2)
    check_vmap(lambda a, v: lax.pad(a, v, config), (x, value), axes)


@pytest.mark.parametrize("axes", [(0, None, 1), (None, None, -1), (1, 0, 0), (None, 1, None)])
@pytest.mark.parametrize("dimension", [0, 1])
def test_concatenate(axes, dimension):
    shapes = [(2, 3), (2, 3)] if dimension == 0 else [(2, 1), (2, 3)]
    xs = (batched(shapes[0], axes[0], 1), batched(shapes[1], axes[1], 2), batched((2, 3), axes[2], 3))
    if dimension == 1:
        xs = (xs[0], xs[1], batched((2, 2), axes[2], 3))
    check_vmap(lambda *a: lax.concatenate(a, dimension), xs, axes)


def test_iota_is_never_batched():
    x = batched((4,), 1)
    check_vmap(lambda a: a + lax.iota(np.float64, 4), (x,), 1)
    check_vmap(lambda a: lax.broadcasted_iota(np.int64, (2, 4), 1) * fnp.argmax(a), (x,), 1)
    rule = batching_rules[lax.iota_p]  # no operands: the rule only evaluates it, unbatched
    out, out_dim = rule([], [], axis_size=B, dtype=np.dtype(np.int32), shape=(2, 3), dimension=1)
    assert out_dim is None
    assert_same(out, np.broadcast_to(np.arange(3, dtype=np.int32), (2, 3)))


STARTS = [(0, 0), (1, 2), (-4, 1), (7, -1)]  # including starts that clamp


@pytest.mark.parametrize("axes", [(0, None, None), (1, 0, None), (None, 0, 0), (None, None, 0), (-1, 0, 0),
                                  (0, 0, 0)])
def test_dynamic_slice(axes):
    x = batched((4, 5), axes[0])
    i = np.array([s[0] for s in STARTS[:B]]) if axes[1] is not None else np.int64(2)
    j = np.array([s[1] for s in STARTS[1:B + 1]], np.int32) if axes[2] is not None else np.int64(-1)
    check_vmap(lambda a, i, j: lax.dynamic_slice(a, (i, j), (2, 3)), (x, i, j), axes)
    check_vmap(lambda a, i, j: lax.dynamic_slice(a, (i, j), (0, 5)), (x, i, j), axes)


def test_dynamic_slice_rank0_and_index_in_dim():
    check_vmap(lambda a: lax.dynamic_slice(a, (), ()), (batched((), 0),), 0)
    check_vmap(lambda a, i: lax.dynamic_index_in_dim(a, i, 1, keepdims=False), (batched((2, 5), 1), np.arange(B)),
               (1, 0))


@pytest.mark.parametrize("axes", [(0, None, None, None), (None, 0, None, None), (None, None, 0, 0),
                                  (1, None, 0, None), (None, -1, None, 0), (-1, 1, 0, 0)])
def test_dynamic_update_slice(axes):
    x, update = batched((4, 5), axes[0], 1), batched((2, 3), axes[1], 2)
    i = np.array([0, 3, -2]) if axes[2] is not None else np.int64(1)
    j = np.array([9, 1, 2], np.int32) if axes[3] is not None else np.int64(1)
    check_vmap(lambda a, u, i, j: lax.dynamic_update_slice(a, u, (i, j)), (x, update, i, j), axes)


# -- reductions --------------------------------------------------------------------------------------------

REDUCERS = [lax.reduce_sum, lax.reduce_prod, lax.reduce_max, lax.reduce_min]


@pytest.mark.parametrize("reducer", REDUCERS + [lax.reduce_and, lax.reduce_or])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("axes", [(), (0,), (1, 2), (0, 1, 2)])
def test_reductions(reducer, axis, axes):
    x = batched((2, 3, 2), axis)
    if reducer in (lax.reduce_and, lax.reduce_or):
        x = x > 0
    check_vmap(lambda a: reducer(a, axes), (x,), axis)


@pytest.mark.parametrize("arg", [lax.argmax, lax.argmin])
@pytest.mark.parametrize("axis", AXES)
def test_argmax_argmin(arg, axis):
    x = batched((3, 4), axis, dtype=np.int64)  # small integers: ties, so the first-index rule matters
    for dim in (0, 1):
        check_vmap(lambda a: arg(a, dim, np.int32), (x,), axis)


@pytest.mark.parametrize("cumulative", [lax.cumsum, lax.cumprod, lax.cummax, lax.cummin])
@pytest.mark.parametrize("axis", AXES)
def test_cumulative(cumulative, axis):
    x = batched((3, 4), axis)
    for dim in (0, 1):
        for reverse in (False, True):
            check_vmap(lambda a: cumulative(a, dim, reverse), (x,), axis)


# -- gather and scatter ------------------------------------------------------------------------------------

def _indices(index_batch, k, axis, seed, low=-1, high=5, dtype=np.int64):
    """Index arrays of per-example shape index_batch + (k,), some out of bounds of a (4, 3, 2) operand."""
    return batched(tuple(index_batch) + (k,), axis, seed, dtype, low, high)


GATHER_AXES = [(0, None), (None, 0), (0, 0), (1, -1), (-1, 1), (2, None), (None, -1)]


@pytest.mark.parametrize("axes", GATHER_AXES)
@pytest.mark.parametrize("k", [0, 1, 2, 3])
@pytest.mark.parametrize("index_batch", [(), (2,), (2, 2)])
def test_gather(axes, k, index_batch):
    x = batched((4, 3, 2), axes[0], 1)
    idx = _indices(index_batch, k, axes[1] if axes[1] is None else axes[1] % (len(index_batch) + 2), 2)
    check_vmap(lax.gather, (x, idx), axes)


def test_gather_small_index_dtype():
    """Batch positions are added as an int64 column even when the indices are uint8."""
    x, idx = batched((4, 3), 0, 1), _indices((2,), 1, 0, 2, low=0, high=6, dtype=np.uint8)
    check_vmap(lax.gather, (x, idx), (0, 0))
    check_vmap(lax.gather, (x, idx.astype(np.uint64)), (0, 0))


SCATTER_AXES = [(0, None, None), (None, 0, None), (None, None, 0), (1, 0, None), (None, 1, -1), (0, None, 1),
                (-1, -1, 0), (0, 0, 0)]


def _distinct_rows(rng, k):
    """Per example, 3 distinct index rows into the first k axes of a (4, 3, 2) operand: shape (B, 3, k)."""
    if k == 0:
        return np.zeros((B, 3, 0), np.int64)
    shape = (4, 3)[:k]
    flat = np.stack([rng.permutation(int(np.prod(shape)))[:3] for _ in range(B)])
    return np.stack(np.unravel_index(flat, shape), axis=-1)


@pytest.mark.parametrize("axes", SCATTER_AXES)
@pytest.mark.parametrize("mode", ["set", "add", "mul", "min", "max"])
@pytest.mark.parametrize("k", [0, 1, 2])
def test_scatter(axes, mode, k):
    x = batched((4, 3, 2), axes[0], 1)
    rng = np.random.default_rng(k)
    # add/mul/min/max: duplicates (they accumulate) and out-of-bounds rows (dropped); set: distinct rows
    rows = _distinct_rows(rng, k) if mode == "set" else rng.integers(-1, 5, (B, 3, k))
    idx = rows[0] if axes[1] is None else np.moveaxis(rows, 0, axes[1])
    updates = batched((3,) + (4, 3, 2)[k:], axes[2], 3)
    check_vmap(lambda a, i, u: lax.scatter(a, i, u, mode), (x, idx, updates), axes)


# -- sorting -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("dimension", [0, 1, -1])
def test_sort(axis, dimension):
    x = batched((3, 4), axis, dtype=np.int64)
    check_vmap(lambda a: lax.sort(a, dimension), (x,), axis)


@pytest.mark.parametrize("axes", [(0, None), (None, 1), (1, 0)])
def test_sort_multiple_operands(axes):
    keys, values = batched((4, 3), axes[0], 1, np.int64, 0, 2), batched((4, 3), axes[1], 2)
    check_vmap(lambda k, v: lax.sort((k, v), 0), (keys, values), axes, out_axes=(0, 1))
    check_vmap(lambda k, v: lax.sort((k, -k, v), 1, num_keys=2), (keys, values), axes, out_axes=-1)


# -- linear algebra ----------------------------------------------------------------------------------------

DOT_CASES = [  # per-example shapes and dimension numbers
    ((3, 4), (4, 2), (((1,), (0,)), ((), ()))),
    ((4,), (4,), (((0,), (0,)), ((), ()))),
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),
    ((4, 2, 3), (3, 5, 2), (((2, 1), (0, 2)), ((), ()))),
    ((3, 2), (3, 5), (((), ()), ((0,), (0,)))),
    ((2,), (3,), (((), ()), ((), ()))),
]


@pytest.mark.parametrize("case", DOT_CASES)
@pytest.mark.parametrize("axes", [(0, 0), (0, None), (None, 0), (1, -1), (-1, None), (None, 1)])
def test_dot_general(case, axes):
    lhs_shape, rhs_shape, dn = case
    lhs, rhs = batched(lhs_shape, axes[0], 1), batched(rhs_shape, axes[1], 2)
    check_vmap(lambda a, b: lax.dot_general(a, b, dn), (lhs, rhs), axes)
    check_vmap(lambda a, b: lax.dot_general(a, b, dn), (lhs, rhs), axes, out_axes=-1)


def _spd(shape, axis, seed):
    """Symmetric positive definite matrices of per-example ``shape`` (..., n, n), batched at ``axis``."""
    a = batched(shape, 0, seed)
    spd = a @ np.swapaxes(a, -1, -2) + 3 * np.eye(shape[-1])
    return spd[0] if axis is None else np.moveaxis(spd, 0, axis)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("prim", [lax.inv_p, lax.det_p, lax.cholesky_p])
def test_matrix_functions(axis, prim):
    check_vmap(prim.bind, (_spd((2, 3, 3), axis, 1),), axis, rtol=1e-10)
    check_vmap(prim.bind, (_spd((3, 3), axis, 1),), axis, rtol=1e-10)


@pytest.mark.parametrize("axes", [(0, None), (None, 0), (0, 0), (-1, 1)])
def test_solve(axes):
    a, b = _spd((3, 3), axes[0], 1), batched((3, 2), axes[1], 2)
    check_vmap(lax.solve_p.bind, (a, b), axes, rtol=1e-10)
    check_vmap(fnp.linalg.solve, (a, b[..., 0] if axes[1] != -1 else b[:, 0]), axes, rtol=1e-10)


# -- through fnx.numpy -------------------------------------------------------------------------------------

@pytest.mark.parametrize("axes", [(0, 0), (None, 0), (1, None), (-1, 0)])
def test_numpy_indexing(axes):
    x = batched((4, 3), axes[0], 1)
    i = batched((2,), axes[1], 2, np.int64, -4, 4)
    check_vmap(lambda a, i: a[i], (x, i), axes)
    check_vmap(lambda a, i: a[:, i % 3], (x, i), axes)
    check_vmap(lambda a, i: a[i, i % 3], (x, i), axes)
    check_vmap(lambda a, i: a[i[0]], (x, i), axes)
    check_vmap(lambda a, i: fnp.asarray(a).at[i].add(1.0), (x, i), axes)
    check_vmap(lambda a, i: fnp.asarray(a).at[i, 1].set(-1.0), (x, i), axes)
    check_vmap(lambda a, i: fnp.take(a, i % 3, axis=1), (x, i), axes)


@pytest.mark.parametrize("axes", [(0, 0), (None, 0), (1, None)])
def test_take_along_axis(axes):
    x = batched((4, 3), axes[0], 1)
    idx = batched((2, 3), axes[1], 2, np.int64, 0, 4)
    check_vmap(lambda a, i: fnp.take_along_axis(a, i, axis=0), (x, idx), axes)
    check_vmap(lambda a: fnp.take_along_axis(a, fnp.argsort(a, axis=0), axis=0), (x, ), axes[0] or 0)


@pytest.mark.parametrize("axes", [(0, 0), (None, 1), (1, None), (-1, -1)])
def test_numpy_linear_algebra(axes):
    a, b = batched((2, 3), axes[0], 1), batched((3, 4), axes[1], 2)
    check_vmap(fnp.matmul, (a, b), axes)
    check_vmap(lambda x, y: x @ y @ y.T, (a, b), axes)
    check_vmap(lambda x, y: fnp.einsum("ij,jk->ki", x, y), (a, b), axes)
    check_vmap(lambda x, y: fnp.einsum("ij,jk->", x, y), (a, b), axes)
    check_vmap(lambda x, y: fnp.dot(x[0], y), (a, b), axes)


@pytest.mark.parametrize("axis", AXES)
def test_numpy_shape_and_reductions(axis):
    x = batched((2, 3, 4), axis)
    functions = [
        lambda a: fnp.sum(a, axis=(0, 2)), lambda a: fnp.mean(a, axis=-1, keepdims=True), fnp.max,
        lambda a: fnp.cumsum(a, axis=1), lambda a: fnp.argmax(a, axis=2), lambda a: fnp.sort(a, axis=0),
        lambda a: fnp.argsort(a, axis=-1), lambda a: fnp.transpose(a, (2, 0, 1)), lambda a: a.T,
        lambda a: fnp.pad(a, ((1, 0), (0, 2), (1, 1))), lambda a: fnp.pad(a, 1, constant_values=a[0, 0, 0]),
        lambda a: fnp.concatenate([a, a[:, :1]], axis=1), lambda a: fnp.stack([a, -a], axis=-1),
        lambda a: fnp.reshape(a, (4, -1)), lambda a: fnp.flip(a, 1), lambda a: fnp.roll(a, 1, axis=2),
        lambda a: fnp.std(a, axis=1), lambda a: fnp.logsumexp(a, axis=(0, 1)), lambda a: fnp.diagonal(a[0]),
    ]
    for f in functions:
        check_vmap(f, (x,), axis)


# -- composition, pytrees, axis_size, out_axes -------------------------------------------------------------

def test_nested_vmap():
    x, y = batched((4, 2), None, 1), batched((5, 2), None, 2)
    distances = fnx.vmap(fnx.vmap(lambda a, b: fnp.sum((a - b) ** 2), (None, 0)), (0, None))
    expected = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    eager, traced = eager_and_traced(distances, x, y)
    assert_same(eager, expected, rtol=1e-12)
    assert_same(traced, expected, rtol=1e-12)
    m = batched((3, 4, 2), 0, 3)
    inner = fnx.vmap(lambda row: fnp.cumsum(row[::-1]), in_axes=1, out_axes=1)
    check_vmap(inner, (m,), 0)
    check_vmap(fnx.vmap(lambda a, i: a[i], (0, None)), (batched((2, 4), 2, 4), np.array([1, 0, 3])), (2, 0),
               out_axes=-1)


def test_pytree_in_axes():
    params = {"w": batched((3, 2), None, 1), "b": batched((2,), 0, 2)}
    xy = (batched((3,), 1, 3).T, batched((2,), 0, 4))  # xy[0] has shape (3, B), batched on axis 1

    def f(p, data):
        x, y = data
        return {"out": x @ p["w"] + p["b"] - y, "norm": fnp.sum(x * x)}

    in_axes = ({"w": None, "b": 0}, (1, 0))
    expected_rows = [f({"w": params["w"], "b": params["b"][i]}, (xy[0][:, i], xy[1][i])) for i in range(B)]
    expected = {k: np.stack([np.asarray(r[k]) for r in expected_rows]) for k in ("out", "norm")}
    eager, traced = eager_and_traced(fnx.vmap(f, in_axes), params, xy)
    assert_same(eager, expected, rtol=1e-12)
    assert_same(traced, expected, rtol=1e-12)
    out = fnx.vmap(f, in_axes, out_axes={"out": 1, "norm": 0})(params, xy)
    assert_same(np.asarray(out["out"]), expected["out"].T, rtol=1e-12)


def test_axis_size_with_unbatched_inputs():
    x = batched((2,), None)
    check_vmap(lambda a: fnp.sort(a) * 2.0, (x,), None, axis_size=4)
    check_vmap(lambda a: fnp.sum(a), (x,), None, out_axes=-1, axis_size=2)
    out = fnx.vmap(lambda a: (a, a + 1.0), in_axes=None, out_axes=(None, 0), axis_size=3)(x)
    assert_same(out, (x, np.stack([x + 1.0] * 3)))


def test_unbatched_output_with_out_axes_none():
    check_vmap(lambda a, b: (a * 2.0, b.sum()), (batched((2,), 0), batched((2,), None)), (0, None),
               out_axes=(1, None))


# -- errors ------------------------------------------------------------------------------------------------

def test_inconsistent_batch_sizes():
    with pytest.raises(FnxTypeError, match=r"\(3, 2\).*\(2, 4\)"):
        fnx.vmap(lambda a, b: a.sum() + b.sum())(np.ones((3, 2)), np.ones((2, 4)))
    with pytest.raises(FnxTypeError, match=r"batch size"):
        fnx.vmap(lambda a: a, axis_size=5)(np.ones(3))


def test_out_axes_none_on_batched_output():
    with pytest.raises(FnxTypeError, match="out_axes=None"):
        fnx.vmap(lambda a: a * 2.0, out_axes=None)(np.ones(3))


def test_bad_in_axes():
    with pytest.raises(FnxTypeError, match=r"in_axes 2 .*\(3, 2\)"):
        fnx.vmap(fnp.sum, in_axes=2)(np.ones((3, 2)))
    with pytest.raises(FnxTypeError, match="axis_size"):
        fnx.vmap(fnp.sum, in_axes=None)(np.ones(3))
    with pytest.raises(FnxTypeError, match="in_axes"):
        fnx.vmap(lambda a, b: a + b, in_axes=(0,))(np.ones(3), np.ones(3))


def test_primitive_errors_surface_with_the_example_shapes():
    """A shape error inside the mapped function names the per-example shapes, not the batched ones."""
    with pytest.raises(FnxTypeError, match=r"f64\[2\].*f64\[5\]|\(2,\).*\(5,\)"):
        fnx.vmap(lambda a, b: fnp.dot(a, b))(np.ones((3, 2)), np.ones((3, 5)))


# -- per-example gradients ---------------------------------------------------------------------------------

def _mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    hidden = fnp.tanh(x @ w1 + b1)
    return fnp.sum((hidden @ w2 + b2 - y) ** 2)


def _mlp_grad_numpy(params, x, y):
    w1, b1, w2, b2 = params
    h = np.tanh(x @ w1 + b1)
    r = 2 * (h @ w2 + b2 - y)
    dh = (w2 @ r) * (1 - h ** 2)
    return [np.outer(x, dh), dh, np.outer(h, r), r]


def test_per_example_gradients_of_an_mlp():
    """Needs the autodiff rules of dot_general, reduce_sum, broadcast_in_dim, ... (fnx.transforms.autodiff)."""
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2)]
    xs, ys = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    per_example = fnx.vmap(fnx.grad(_mlp_loss), in_axes=(None, 0, 0))
    loop = [fnx.grad(_mlp_loss)(params, xs[i], ys[i]) for i in range(5)]
    expected = [np.stack([np.asarray(g[j]) for g in loop]) for j in range(4)]
    analytic = [np.stack([_mlp_grad_numpy(params, xs[i], ys[i])[j] for i in range(5)]) for j in range(4)]
    eager, traced = eager_and_traced(per_example, params, xs, ys)
    assert_same(eager, expected, rtol=1e-12)
    assert_same(traced, expected, rtol=1e-12)
    assert_same(eager, analytic, rtol=1e-10)
