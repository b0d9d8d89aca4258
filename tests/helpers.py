"""Test helpers shared by the suite: run a function eagerly and through its jaxpr, compare with NumPy or
with a loop over a batch; test arrays and seeds; a book printout used twice."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import strategies as st

import fnx
from fnx.core.errors import FnxTypeError
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


def both(f, *args, rtol=1e-14, compiled=False):
    """``f(*args)`` eagerly, checked against its traced evaluation (to ``rtol``); the eager result as NumPy.
    ``compiled``: also against ``fnx.jit(f)(*args)``, to 1e-9 (jit sums in another order and computes
    transcendental functions with vecmath, a few ulp from NumPy's).

    Example: ``assert both(lambda x: x * 2.0, np.float64(3.0)) == 6.0``.
    """
    eager, traced = eager_and_traced(f, *args)
    assert_same(traced, eager, rtol=rtol)
    if compiled:
        assert_same(fnx.tree_map(np.asarray, fnx.jit(f)(*args)), eager, rtol=max(rtol, 1e-9), atol=1e-12)
    return eager


def check_vmap(f, args, in_axes, out_axes=0, rtol=1e-12, atol=1e-14):
    """``fnx.vmap(f, in_axes, out_axes)(*args)``, eagerly and traced, equals ``f`` of each example stacked along
    ``out_axes`` (each output leaf of a pytree). ``in_axes`` has one entry (an axis or None) per argument."""
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    per_example = [f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)])
                   for i in range(size)]
    expected = fnx.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs], axis=out_axes), *per_example)
    for result in eager_and_traced(fnx.vmap(f, in_axes=tuple(in_axes), out_axes=out_axes), *args):
        assert_same(result, expected, rtol=rtol, atol=atol)


def raises_eager_and_traced(f, *args, names=()):
    """``f(*args)`` raises FnxTypeError eagerly and under ``make_jaxpr``; each message matches every regex in
    ``names`` (the message without the user's source line, which repeats the call).

    Example: ``raises_eager_and_traced(lambda a: fnp.reshape(a, (4, 2)), np.ones((2, 3)), names=["reshape"])``.
    """
    for run in (lambda: f(*args), lambda: fnx.make_jaxpr(f)(*args)):
        with pytest.raises(FnxTypeError) as info:
            run()
        message = str(info.value).split("\n  at ")[0]
        for name in names:
            assert re.search(name, message), f"{name!r} not in: {message}"


SEEDS = st.integers(0, 2**32 - 1)  # hypothesis strategy for np.random.default_rng seeds

DTYPES = [np.dtype(d) for d in ("bool", "int8", "uint16", "int64", "float32", "float64")]  # one of each kind


def make_array(shape, dtype, seed=0) -> np.ndarray:
    """A NumPy array of ``shape`` and ``dtype`` with varied small values (from ``seed``).

    Example: ``make_array((2, 3), "int8")`` holds int8 values in [-100, 100).
    """
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        return rng.integers(0 if dtype.kind == "u" else -100, 100, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


# LazyProgrammer (book 004, B.2.11): TensorFlow's gradient descent (lr 0.3) on u^2 + u + 1 from u = 20, printing
# the cost and u after each update.
TF_QUADRATIC_PRINTOUT = """\
i = 0, cost = 67.990, u = 7.700
i = 1, cost = 11.508, u = 2.780
i = 2, cost = 2.471, u = 0.812
i = 3, cost = 1.025, u = 0.025
i = 4, cost = 0.794, u = -0.290
i = 5, cost = 0.757, u = -0.416
i = 6, cost = 0.751, u = -0.466
i = 7, cost = 0.750, u = -0.487
i = 8, cost = 0.750, u = -0.495
i = 9, cost = 0.750, u = -0.498
i = 10, cost = 0.750, u = -0.499
i = 11, cost = 0.750, u = -0.500"""


def tf_quadratic_printout(costs, us) -> str:
    """The lines the book's TensorFlow loop prints for the given costs and u values (compare with
    ``TF_QUADRATIC_PRINTOUT``)."""
    return "\n".join(f"i = {i}, cost = {float(c):.3f}, u = {float(u):.3f}" for i, (c, u) in enumerate(zip(costs, us)))
