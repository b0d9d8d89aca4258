"""Test helpers shared by the suite: run a function eagerly and through its jaxpr, compare with NumPy."""
from __future__ import annotations

import numpy as np

import fnx
from fnx.core.tree import tree_flatten, tree_unflatten


def eager_and_traced(f, *args, static_argnums=()):
    """``f(*args)`` computed eagerly and by ``eval_jaxpr(make_jaxpr(f)(*args))``, both as NumPy pytrees."""
    eager = f(*args)
    closed, out_shape = fnx.make_jaxpr(f, static_argnums=static_argnums, return_shape=True)(*args)
    fnx.check_jaxpr(closed.jaxpr)
    dynamic = [a for i, a in enumerate(args) if i not in (static_argnums if isinstance(static_argnums, tuple)
                                                        else (static_argnums,))]
    flat, _ = tree_flatten(list(dynamic))
    traced_flat = fnx.eval_jaxpr(closed.jaxpr, closed.consts, *flat)
    traced = tree_unflatten(tree_flatten(out_shape)[1], traced_flat)
    as_np = lambda t: fnx.tree_map(np.asarray, t)  # noqa: E731
    return as_np(eager), as_np(traced)


def assert_same(actual, expected, rtol=1e-7, atol=0.0, check_dtype=True):
    """Pytrees of arrays equal in structure, shape, dtype and value (NaNs equal)."""
    a_leaves, a_tree = tree_flatten(actual)
    e_leaves, e_tree = tree_flatten(expected)
    assert a_tree == e_tree, f"structures differ: {a_tree} vs {e_tree}"
    for a, e in zip(a_leaves, e_leaves):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"shapes differ: {a.shape} vs {e.shape}"
        if check_dtype:
            assert a.dtype == e.dtype, f"dtypes differ: {a.dtype} vs {e.dtype}"
        if a.dtype.kind in "biu":
            np.testing.assert_array_equal(a, e)
        else:
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)


def check_against_numpy(fnx_f, numpy_f, *args, rtol=1e-7, atol=0.0, check_dtype=True, static_argnums=()):
    """``fnx_f`` eagerly and traced both equal ``numpy_f`` on the same (NumPy) arguments."""
    expected = numpy_f(*args)
    eager, traced = eager_and_traced(fnx_f, *args, static_argnums=static_argnums)
    assert_same(eager, expected, rtol, atol, check_dtype)
    assert_same(traced, expected, rtol, atol, check_dtype)
