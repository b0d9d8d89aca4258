"""The backend-independent analyses of fnx/lower: fusion of elementwise chains and reductions into loops, and
the jaxpr simplifications (scan merging and pruning) that reverse mode through scan relies on."""
import numpy as np

import fnx
import fnx.numpy as fnp
from fnx.lax.control_flow import scan_p
from fnx.lower.fusion import REDUCTIONS, Cluster, fuse
from fnx.lower.simplify import simplify
from helpers import assert_same

RNG = np.random.default_rng(3)


def logsumexp_rows(x):
    m = fnp.max(x, axis=1, keepdims=True)
    return fnp.log(fnp.sum(fnp.exp(x - m), axis=1)) + m[:, 0], fnp.sum(x * 2.0, axis=0)


def test_reductions_join_their_producers_loop_and_their_users_wait_for_the_next():
    jaxpr = fnx.make_jaxpr(logsumexp_rows)(np.ones((4, 5))).jaxpr
    clusters = [item for item in fuse(jaxpr) if isinstance(item, Cluster)]
    fused = [eqn for c in clusters for eqn in c.eqns if eqn.primitive in REDUCTIONS]
    # the sum of exp and the column sum join the loops computing their operands; the max of the input x has
    # no producing loop to join
    assert [e.params["axes"] for e in fused] == [(1,), (0,)]
    for c in clusters:
        reduced = {id(e.outvars[0]) for e in c.eqns if e.primitive in REDUCTIONS}
        assert not any(id(x) in reduced for e in c.eqns for x in e.invars)
        assert all(id(e.outvars[0]) in {id(v) for v in c.outputs} for e in c.eqns if e.primitive in REDUCTIONS)


def fused_reductions(x, i):
    """Reductions computed inside fused loops, over leading, trailing, middle and all axes; NaN propagates."""
    y = x * 2.0 - 1.0
    j = i * 3 + 1
    return (fnp.max(y, axis=2), fnp.min(y, axis=0), fnp.sum(y, axis=1), fnp.prod(y * 0.5, axis=(0, 2)),
            fnp.sum(y), fnp.max(y), fnp.sum(j, axis=1), fnp.max(j, axis=0), fnp.min(j))


def test_fused_reductions_match_eager_with_nans_and_integers():
    x = RNG.standard_normal((3, 4, 5))
    x[1, 2, 3] = np.nan
    i = RNG.integers(-50, 50, size=(6, 7)).astype(np.int32)
    assert_same(fnx.tree_map(np.asarray, fnx.jit(fused_reductions)(x, i)),
                fnx.tree_map(np.asarray, fused_reductions(x, i)), rtol=1e-12)


def rnn_loss(w, xs):
    def step(h, x):
        h = fnp.tanh(h @ w + x)
        return h, h
    _, hs = fnx.lax.scan(step, fnp.zeros(3), xs)
    return fnp.sum(hs * hs)


W = RNG.standard_normal((3, 3)) * 0.5
XS = RNG.standard_normal((6, 3))


def _scans(jaxpr):
    return [e for e in jaxpr.eqns if e.primitive is scan_p]


def test_reverse_mode_through_scan_runs_one_forward_and_one_backward_loop():
    grad_w = fnx.value_and_grad(rnn_loss)  # only w is differentiated: the xs' cotangents are never used
    jaxpr = fnx.make_jaxpr(grad_w)(W, XS).jaxpr
    assert len(_scans(jaxpr)) == 3  # the primal scan, the residual scan, the backward scan
    forward, backward = _scans(simplify(jaxpr))
    assert len(forward.outvars) == 1 + 1 + 1  # final carry, the hs, one stacked residual (the carry at each step)
    assert len(backward.outvars) == 2  # the carry cotangent and w's accumulated cotangent: no xs cotangent
    value, grad = fnx.jit(grad_w)(W, XS)
    expected_value, expected_grad = grad_w(W, XS)
    assert_same(np.asarray(value), np.asarray(expected_value), rtol=1e-12)
    assert_same(np.asarray(grad), np.asarray(expected_grad), rtol=1e-12)
