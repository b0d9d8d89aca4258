"""The derivative check shared by the autodiff tests: central finite differences and jvp/vjp consistency,
eagerly and through a jaxpr."""
from __future__ import annotations

import numpy as np

import fnx
from fnx.core.tree import tree_flatten, tree_unflatten
from helpers import assert_same, eager_and_traced


def check_grads(f, args, other_args=(), *, seed=0, eps=1e-6, rtol=1e-6, atol=1e-8, directions=None,
                consistency=1e-10, reverse=True):
    """Check the first derivatives of ``f(*args, *other_args)`` with respect to ``args`` (cast to float64).

    ``f`` returns a pytree of float arrays; ``other_args`` (indices, data, ...) are passed along but not
    differentiated. Eagerly and through ``make_jaxpr`` (where ``other_args`` are traced too):

    * the primal output of ``fnx.jvp`` equals ``f`` (to 1e-12);
    * the jvp along the directions ``u`` (random from ``seed``, or ``directions``) equals central differences
      with step ``eps``, to ``rtol``/``atol``;
    * the vjp of random cotangents ``v`` agrees with it: ``<v, J u> == <J^T v, u>`` to ``consistency``
      (relative, or absolute below 1); skipped with ``reverse=False`` (for forward-mode-only functions);
    * the traced tangents and cotangents equal the eager ones (to 1e-12).

    Example: ``check_grads(lambda x, i: fnp.sin(x[i]), [np.arange(3.0)], [np.array([0, 2])])``.
    """
    rng = np.random.default_rng(seed)
    args = [np.asarray(a, np.float64) for a in args]
    us = [rng.normal(size=a.shape) for a in args] if directions is None else list(directions)
    out_leaves, out_tree = tree_flatten(f(*args, *other_args))
    expected = _float64_leaves(out_leaves)
    vs = [rng.normal(size=e.shape) for e in expected]
    finite_differences = _central_differences(f, args, other_args, us, eps)
    n, k = len(args), len(vs)

    def jvp(*a):  # a = primals, tangents, other_args
        return fnx.jvp(lambda *d: f(*d, *a[2 * n:]), tuple(a[:n]), tuple(a[n:2 * n]))

    def vjp(*a):  # a = primals, cotangent leaves, other_args
        pullback = fnx.vjp(lambda *d: f(*d, *a[n + k:]), *a[:n])[1]
        return pullback(tree_unflatten(out_tree, list(a[n:n + k])))

    (eager_out, eager_tangents), (traced_out, traced_tangents) = eager_and_traced(jvp, *args, *us, *other_args)
    assert_same(traced_tangents, eager_tangents, rtol=1e-12)
    for out, tangents in ((eager_out, eager_tangents), (traced_out, traced_tangents)):
        for o, e in zip(_float64_leaves(out), expected, strict=True):
            np.testing.assert_allclose(o, e, rtol=1e-12, atol=1e-12)
        for t, fd in zip(_float64_leaves(tangents), finite_differences, strict=True):
            np.testing.assert_allclose(t, fd, rtol=rtol, atol=atol)
    if not reverse:
        return
    eager_cts, traced_cts = eager_and_traced(vjp, *args, *vs, *other_args)
    assert_same(traced_cts, eager_cts, rtol=1e-12)
    for tangents, cts in ((eager_tangents, eager_cts), (traced_tangents, traced_cts)):
        forward, backward = _dot(vs, _float64_leaves(tangents)), _dot(_float64_leaves(cts), us)
        assert abs(forward - backward) <= consistency * max(1.0, min(abs(forward), abs(backward))), \
            (forward, backward)


def _float64_leaves(tree) -> list[np.ndarray]:
    return [np.asarray(x, np.float64) for x in tree_flatten(tree)[0]]


def _dot(xs, ys) -> float:
    """The inner product of two lists of arrays."""
    return float(sum(np.sum(x * y) for x, y in zip(xs, ys, strict=True)))


def _central_differences(f, args, other_args, directions, eps) -> list[np.ndarray]:
    """``(f(args + eps u) - f(args - eps u)) / 2 eps``, one array per output leaf."""
    plus = _float64_leaves(f(*[a + eps * u for a, u in zip(args, directions)], *other_args))
    minus = _float64_leaves(f(*[a - eps * u for a, u in zip(args, directions)], *other_args))
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]
