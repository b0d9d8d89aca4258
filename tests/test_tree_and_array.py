"""Pytrees round-trip; fnx.Array behaves as an immutable NumPy-convertible array."""
import collections
import dataclasses
import gc
import pickle
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx.tree_util import tree_flatten, tree_leaves, tree_map, tree_structure, tree_unflatten

Point = collections.namedtuple("Point", "x y")


@dataclasses.dataclass
class Params:
    w: object
    b: object


class Box:
    def __init__(self, items, label):
        self.items, self.label = items, label


fnx.register_pytree_node(Box, lambda b: (tuple(b.items), b.label), lambda label, items: Box(list(items), label))

leaves = st.one_of(st.integers(), st.floats(allow_nan=False), st.just("leaf"))
trees = st.recursive(leaves, lambda children: st.one_of(
    st.lists(children, max_size=3), st.tuples(children, children), st.dictionaries(st.text(max_size=2), children,
                                                                                     max_size=3),
    st.builds(Point, children, children), st.builds(Params, children, children), st.none()), max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(trees)
def test_flatten_unflatten_round_trip(tree):
    flat, treedef = tree_flatten(tree)
    assert tree_unflatten(treedef, flat) == tree
    assert treedef.num_leaves == len(flat) == len(tree_leaves(tree))
    assert tree_structure(tree_map(lambda x: 0, tree)) == treedef


def test_flattening_keeps_no_leaf_alive():
    """Pytree functions make no reference cycles: a jitted function's outputs (and inputs) are freed as soon as
    the caller drops them, not when the garbage collector next runs (megabytes, per call)."""
    step = fnx.jit(lambda p: {"w": p["w"] * 2.0, "b": [p["b"][0] + 1.0]})
    params = {"w": fnp.ones((50, 50)), "b": [fnp.zeros(50)]}
    step(params)
    gc.collect()
    gc.disable()
    try:
        out = step(params)
        leaves, treedef = tree_flatten(out)
        buffers = [weakref.ref(leaf._value) for leaf in leaves]
        rebuilt = tree_unflatten(treedef, leaves)
        del out, leaves, rebuilt
        assert [b() for b in buffers] == [None, None]
    finally:
        gc.enable()


def test_containers_order_and_none():
    tree = {"b": [1, None, (2, 3)], "a": Point(4, Params(5, 6))}
    assert tree_leaves(tree) == [4, 5, 6, 1, 2, 3]
    assert tree_map(lambda v: v * 10, tree) == {"a": Point(40, Params(50, 60)), "b": [10, None, (20, 30)]}


def test_registered_class_and_multiple_trees():
    box = tree_map(lambda a, b: a + b, Box([1, 2], "x"), Box([10, 20], "x"))
    assert box.items == [11, 22] and box.label == "x"
    with pytest.raises(ValueError, match="structures differ"):
        tree_map(lambda a, b: a, [1, 2], [1, 2, 3])


def test_array_is_immutable_and_converts():
    source = np.arange(4.0)
    a = fnp.asarray(source)
    source[0] = 99.0  # changing the NumPy array afterwards does not change the fnx array
    assert np.asarray(a)[0] == 0.0
    view = np.asarray(a)
    with pytest.raises(ValueError):
        view[0] = 1.0
    b = fnp.reshape(source, (2, 2))  # a view of the caller's array becomes a private copy
    source[1] = -1.0
    assert np.asarray(b)[0, 1] == 1.0


@given(st.sampled_from(["float32", "float64", "int8", "uint64", "bool"]), st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=False))
@settings(max_examples=60, deadline=None)
def test_a_0d_array_prints_its_value_as_numpy_prints_its_dtype(dtype, value):
    kind = np.dtype(dtype).kind
    scalar = np.dtype(dtype).type(value if kind == "f" else value > 0 if kind == "b" else int(value) % 100)
    assert repr(fnp.asarray(scalar)) == f"Array({str(scalar)}, dtype={dtype})"  # NumPy's shortest digits of the dtype
    if dtype == "float32":
        assert np.float32(str(fnp.asarray(scalar))) == scalar  # and they round-trip in float32


def test_array_protocols():
    a = fnp.array([[1.0, 2.0], [3.0, 4.0]])
    assert repr(a) == "Array([[1., 2.],\n       [3., 4.]], dtype=float64)"
    assert repr(fnp.asarray(np.float32(2.5))) == "Array(2.5, dtype=float32)"
    assert repr(fnp.float32(0.1)) == "Array(0.1, dtype=float32)"  # not float64's 0.10000000149011612
    assert str(a) == str(np.asarray(a)) and f"{a[0, 1]:.1f}" == "2.0"
    assert a.shape == (2, 2) and a.ndim == 2 and a.size == 4 and a.dtype == np.float64 and len(a) == 2
    assert a.device == fnx.devices()[0] and a.block_until_ready() is a
    assert float(a[1, 1]) == 4.0 and int(a[0, 0]) == 1 and bool(a[0, 0]) and a.tolist() == [[1, 2], [3, 4]]
    assert [row.tolist() for row in a] == [[1, 2], [3, 4]]
    assert pickle.loads(pickle.dumps(a)).tolist() == a.tolist()
    assert [10, 20, 30][fnp.asarray(1)] == 20
    with pytest.raises(TypeError):
        hash(a)


def test_numpy_on_the_left_defers_to_fnx():
    out = np.ones(2) + fnp.ones(2)
    assert isinstance(out, fnx.Array) and out.tolist() == [2.0, 2.0]
    assert isinstance(np.ones((2, 2)) @ fnp.ones(2), fnx.Array)
    assert np.sin(fnp.zeros(2)).tolist() == [0.0, 0.0]  # NumPy functions take fnx arrays


def test_operators_and_methods_match_numpy():
    x = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
    a = fnp.asarray(x)
    for op in (lambda v: v + 1, lambda v: 2 - v, lambda v: v * v, lambda v: v / 2, lambda v: 7 // v,
               lambda v: v % 4, lambda v: v ** 2, lambda v: 2 ** v, lambda v: -v, lambda v: abs(-v), lambda v: ~v,
               lambda v: v & 3, lambda v: v | 8, lambda v: v ^ 5, lambda v: v << 1, lambda v: v >> 1,
               lambda v: v == 3, lambda v: v != 3, lambda v: v < 3, lambda v: v >= 3, lambda v: v.T,
               lambda v: v.sum(axis=1), lambda v: v.mean(), lambda v: v.max(0), lambda v: v.argmin(),
               lambda v: v.reshape(3, 2), lambda v: v.reshape((6,)), lambda v: v.astype(np.float32),
               lambda v: v.cumsum(axis=0), lambda v: v.ravel(), lambda v: v.transpose(1, 0), lambda v: v[:, 1],
               lambda v: v @ v.T, lambda v: divmod(v, 4)[0]):
        expected = op(x)
        got = np.asarray(op(a))
        assert got.dtype == expected.dtype, op
        np.testing.assert_allclose(got, expected)


def test_device_put_and_devices():
    tree = fnx.device_put({"w": np.ones(2), "b": [0.5]})
    assert isinstance(tree["w"], fnx.Array) and isinstance(tree["b"][0], fnx.Array)
    # the CPU first, then the GPUs the CUDA backend finds (none, or the simulator's: tests/test_cuda_devices.py)
    assert fnx.devices() == fnx.devices("cpu") + fnx.devices("cuda") and len(fnx.devices("cpu")) == 1
    assert all(d.platform == "gpu" for d in fnx.devices("cuda"))
