"""Derivative checks shared by the autodiff tests: central finite differences and jvp/vjp consistency."""
from __future__ import annotations

import numpy as np

import fnx


def _numeric_jvp(f, args, tangents, eps):
    plus = [a + eps * t for a, t in zip(args, tangents)]
    minus = [a - eps * t for a, t in zip(args, tangents)]
    return (np.asarray(f(*plus), np.float64) - np.asarray(f(*minus), np.float64)) / (2 * eps)


def check_grads(f, args, rng=None, eps=1e-6, rtol=1e-6, atol=1e-6, consistency=1e-10):
    """For float64 array args: fnx.jvp matches central differences along a random direction, and
    <v, J u> from jvp equals <J^T v, u> from vjp."""
    rng = rng or np.random.default_rng(0)
    args = [np.asarray(a, np.float64) for a in args]
    u = [rng.standard_normal(a.shape) for a in args]
    out, t_out = fnx.jvp(f, tuple(args), tuple(u))
    np.testing.assert_allclose(np.asarray(t_out), _numeric_jvp(f, args, u, eps), rtol=rtol, atol=atol)
    v = rng.standard_normal(np.shape(out))
    _, pullback = fnx.vjp(f, *args)
    cts = pullback(v)
    lhs = float(np.sum(v * np.asarray(t_out)))
    rhs = float(sum(np.sum(np.asarray(c) * ui) for c, ui in zip(cts, u)))
    assert abs(lhs - rhs) <= consistency * max(1.0, abs(lhs)), (lhs, rhs)
