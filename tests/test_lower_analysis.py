"""The backend-independent analyses of fnx/lower: fusion of elementwise chains and reductions into loops, the
jaxpr simplifications (scan merging and pruning) that reverse mode through scan relies on, and the matrix
products moved out of scan loops."""
import re

import numpy as np

import fnx
import fnx.numpy as fnp
from fnx.lax.control_flow import scan_p
from fnx.lower.fusion import REDUCTIONS, Cluster, fuse
from fnx.lax.linalg import dot_general_p
from fnx.lower import loop_motion
from fnx.lower.product_updates import product_update_p
from fnx.core.ir import dce
from fnx.lower import simplify as simplify_module
from fnx.lower.cpu import program as cpu_program
from fnx.lower.simplify import merge_scans, simplify
from helpers import assert_same

RNG = np.random.default_rng(3)


def logsumexp_rows(x):
    m = fnp.max(x, axis=1, keepdims=True)
    return fnp.log(fnp.sum(fnp.exp(x - m), axis=1)) + m[:, 0], fnp.sum(x * 2.0, axis=0)


def test_reductions_join_their_producers_loop_and_their_users_wait_for_the_next():
    jaxpr = fnx.make_jaxpr(logsumexp_rows)(np.ones((4, 5))).jaxpr
    clusters = [item for item in fuse(jaxpr) if isinstance(item, Cluster)]
    fused = [eqn for c in clusters for eqn in c.eqns if eqn.primitive in REDUCTIONS]
    # the max of the input x has no producing loop to join: it starts a loop of its own; the sum of exp and
    # the column sum join the loops computing their operands
    assert [e.params["axes"] for e in fused] == [(1,), (1,), (0,)]
    assert [len(c.eqns) for c in clusters][0] == 1
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


def float32_reductions(x, b):
    """float32 sums and products (accumulated in float64): over the innermost axes (each row's result stored
    once, rounded), over the leading axis and read only by a later loop (rounded where that loop reads it), and
    over outer axes returned (rounded by a loop of its own)."""
    y = x * 0.5
    rows = fnp.sum(y, axis=2)
    return (rows, fnp.prod(y, axis=(1, 2)), b - 0.1 * fnp.sum(y, axis=0), fnp.sum(y, axis=(0, 2)),
            fnp.sum(rows * 2.0))


def test_float32_reductions_round_once_without_loops_of_their_own_where_they_can():
    x, b = (RNG.standard_normal(shape).astype(np.float32) for shape in [(3, 4, 5), (4, 5)])
    f = fnx.jit(float32_reductions)
    source = f.lower(x, b).as_text()
    own_loops = re.findall(r"^ +t\d+\[[^]]*\] = np\.float32\(v\d+\[", source, re.M)
    assert len(own_loops) == 1  # only the returned sum over axes (0, 2) is rounded into an array of its own
    assert re.search(r"^ +v\d+\[t\d+, t\d+\] = np\.float32\(t\d+\)$", source, re.M)  # rows stored once, rounded
    assert re.search(r"\* np\.float32\(v\d+\[t\d+, t\d+\]\)", source)  # the column sum rounded where read
    x64 = x.astype(np.float64) * 0.5
    rows = np.float32(x64.sum(axis=2))
    expected = (rows, np.float32(x64.prod(axis=(1, 2))), b - np.float32(0.1) * np.float32(x64.sum(axis=0)),
                np.float32(x64.sum(axis=(0, 2))), np.float32((rows.astype(np.float64) * 2.0).sum()))
    assert_same(fnx.tree_map(np.asarray, f(x, b)), expected, rtol=1e-6)
    assert_same(fnx.tree_map(np.asarray, f(x, b)), fnx.tree_map(np.asarray, float32_reductions(x, b)), rtol=1e-6)


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


# -- matrix products moved out of scan loops (fnx.lower.loop_motion) ------------------------------------------

def _products_in_loops(jaxpr):
    """The number of matrix products in each scan body (dot_generals, and updates folded into products)."""
    return [sum(e.primitive in (dot_general_p, product_update_p) for e in s.params["jaxpr"].jaxpr.eqns)
            for s in _scans(jaxpr)]


def rnn_with_input_projection(params, xs):
    def step(h, x):
        h = fnp.tanh(x @ params["wx"] + h @ params["wh"] + params["b"])
        return h, h
    _, hs = fnx.lax.scan(step, fnp.zeros((xs.shape[1], params["wh"].shape[0]), xs.dtype), xs)
    return fnp.mean(hs * hs)


RNN_PARAMS = {"wx": RNG.standard_normal((4, 5)) * 0.5, "wh": RNG.standard_normal((5, 5)) * 0.5,
              "b": RNG.standard_normal(5)}
RNN_XS = RNG.standard_normal((7, 3, 4))


def test_the_rnn_loops_keep_only_the_recurrent_products_and_match_numpy():
    grad_rnn = fnx.value_and_grad(rnn_with_input_projection)
    jaxpr = fnx.make_jaxpr(grad_rnn)(RNN_PARAMS, RNN_XS).jaxpr
    # forward: x @ wx moves before the loop; backward: the sums of h.T @ dz and x.T @ dz move after it
    simple = simplify(jaxpr)
    assert _products_in_loops(simple) == [1, 1]
    # backward, dz @ wh.T reads a copy of wh transposed before the loop: no product reads its right side transposed
    assert all(e.params["dimension_numbers"][0][1] == (0,) for s in _scans(simple)
               for e in s.params["jaxpr"].jaxpr.eqns if e.primitive is dot_general_p)
    assert _products_in_loops(dce(merge_scans(jaxpr))) == [2, 3]
    value, grads = fnx.jit(grad_rnn)(RNN_PARAMS, RNN_XS)
    expected = _numpy_rnn_value_and_grad(RNN_PARAMS, RNN_XS)
    assert_same(np.asarray(value), expected[0], rtol=1e-12)
    assert_same(fnx.tree_map(np.asarray, grads), expected[1], rtol=1e-11)


def test_float32_weight_gradients_sum_in_float64_and_still_leave_the_loop():
    """Reverse mode sums a float32 loop constant's cotangents in float64 (widening each step's product); the
    sums of products still become one product after the loop, widened once."""
    params32 = fnx.tree_map(lambda a: a.astype(np.float32), RNN_PARAMS)
    xs32 = RNN_XS.astype(np.float32)
    grad_rnn = fnx.value_and_grad(rnn_with_input_projection)
    assert _products_in_loops(simplify(fnx.make_jaxpr(grad_rnn)(params32, xs32).jaxpr)) == [1, 1]
    value, grads = fnx.jit(grad_rnn)(params32, xs32)
    expected = _numpy_rnn_value_and_grad(RNN_PARAMS, xs32.astype(np.float64))
    assert all(np.asarray(g).dtype == np.float32 for g in grads.values())
    assert_same(fnx.tree_map(np.asarray, grads), expected[1], rtol=1e-4, atol=1e-5, check_dtype=False)


def _numpy_rnn_value_and_grad(params, xs):
    """The same loss and its gradients by backpropagation through time, written out in NumPy."""
    wx, wh = params["wx"], params["wh"]
    hs = [np.zeros((xs.shape[1], wh.shape[0]))]
    for x in xs:
        hs.append(np.tanh(x @ wx + hs[-1] @ wh + params["b"]))
    states = np.stack(hs[1:])
    grads = {"wx": np.zeros_like(wx), "wh": np.zeros_like(wh), "b": np.zeros_like(params["b"])}
    dh = np.zeros_like(hs[0])
    for t in reversed(range(len(xs))):
        dz = (dh + 2 * states[t] / states.size) * (1 - states[t] ** 2)
        grads["wx"] += xs[t].T @ dz
        grads["wh"] += hs[t].T @ dz
        grads["b"] += dz.sum(axis=0)
        dh = dz @ wh.T
    return np.mean(states ** 2), grads


def loops_with_movable_products(w, u, v, xs, ys):
    """Products of the steps' inputs with a constant on either side or with batch axes; sums of products of
    the inputs, of the carry and of values computed from it; a sum that is also read (it stays); a reversed
    loop."""
    dot = fnx.lax.dot_general
    outer = (((), ()), ((), ()))

    def step(carry, x):
        h, acc, acc_prev, both, seen = carry
        x0, x1, xb = x
        y_left = w @ x0  # the constant on the left: the steps axis lands in the middle of the product
        y_batch = dot(xb, v, (((1,), (1,)), ((0,), (0,))))  # batch axes come first
        h_new = fnp.tanh(y_left + h @ u)  # recurrent: stays in the loop
        acc = acc + dot(h_new, x1, outer)  # a value computed from the carry, times the step's input
        acc_prev = acc_prev + dot(h, x1, outer)  # the carry itself
        both = both + dot(x0, x0, outer)  # both operands are the step's input
        seen = seen + dot(x0, x1, outer)  # also emitted below: stays
        return (h_new, acc, acc_prev, both, seen), (y_batch, seen)
    init = (fnp.zeros(5), fnp.zeros((5, 3)), fnp.zeros((5, 3)), fnp.zeros((3, 3)), fnp.zeros((3, 3)))
    forward = fnx.lax.scan(step, init, xs)

    def back_step(c, y):
        c1, c2 = c
        return (c1 + dot(y, y, (((0,), (0,)), ((), ()))), c2 + y.T @ y), y.sum()
    backward = fnx.lax.scan(back_step, (fnp.zeros((4, 4)), fnp.zeros((4, 4))), ys, reverse=True)
    return forward, backward


MOVABLE_ARGS = (RNG.standard_normal((5, 3)), RNG.standard_normal((5, 5)) * 0.5, RNG.standard_normal((2, 3, 3)),
                (RNG.standard_normal((6, 3)), RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2, 3))),
                RNG.standard_normal((6, 2, 4)))


def test_products_move_out_of_loops_in_every_position_and_match_eager():
    jaxpr = dce(merge_scans(fnx.make_jaxpr(loops_with_movable_products)(*MOVABLE_ARGS).jaxpr))
    assert _products_in_loops(jaxpr) == [7, 2]
    assert _products_in_loops(simplify(jaxpr)) == [2, 0]  # h @ u and the sum that is also emitted stay
    assert_same(fnx.tree_map(np.asarray, fnx.jit(loops_with_movable_products)(*MOVABLE_ARGS)),
                fnx.tree_map(np.asarray, loops_with_movable_products(*MOVABLE_ARGS)), rtol=1e-12)


def test_no_product_moves_when_its_stacked_arrays_would_pass_the_memory_cap(monkeypatch):
    monkeypatch.setattr(loop_motion, "MAX_STACKED_BYTES", 0)
    jaxpr = dce(merge_scans(fnx.make_jaxpr(loops_with_movable_products)(*MOVABLE_ARGS).jaxpr))
    assert _products_in_loops(simplify(jaxpr)) == [6, 1]  # sums of products of the inputs alone stack nothing


# -- updates folded into their products (fnx.lower.product_updates), and loops that own their carries --------

def updates(w, x, dy, lr, wi, xi, w3, x3):
    """Four updates that fold into their products, and four look-alikes that must not."""
    g = x.T @ dy
    folded = (w - 0.1 * (x.T @ dy), w + (x.T @ dy) * lr, (x.T @ dy) + w, w - x.T @ dy)
    kept = (w - 0.1 * g, g,  # the product is also returned
            (w * 2.0) - 0.1 * (x.T @ dy),  # the target is computed here, not an input
            wi - xi.T @ xi,  # integers
            w3 - fnp.matmul(x3, x3))  # batch axes
    return folded, kept


UPDATE_ARGS = (RNG.standard_normal((4, 3)), RNG.standard_normal((6, 4)), RNG.standard_normal((6, 3)), 0.3,
               RNG.integers(-5, 5, (4, 4)), RNG.integers(-5, 5, (6, 4)), RNG.standard_normal((2, 3, 3)),
               RNG.standard_normal((2, 3, 3)))


def test_updates_fold_into_their_products_only_where_nothing_else_needs_the_product():
    jaxpr = simplify(fnx.make_jaxpr(updates)(*UPDATE_ARGS).jaxpr)
    assert sum(e.primitive is product_update_p for e in jaxpr.eqns) == 4
    assert_same(fnx.tree_map(np.asarray, fnx.jit(updates)(*UPDATE_ARGS)),
                fnx.tree_map(np.asarray, updates(*UPDATE_ARGS)), rtol=1e-12)


def train_in_a_loop(w, b, xs):
    """SGD on a carried weight: the loop owns w and b, so their updates write into them."""
    def step(carry, x):
        w, b = carry
        dy = fnp.tanh(x @ w + b)
        return (w - 0.1 * (x.T @ dy), b - 0.1 * dy.sum(axis=0)), fnp.sum(dy)
    return fnx.lax.scan(step, (w, b), xs)


def carries_a_loop_cannot_own(w, xs):
    """Carries whose new value is an input, a view, or also another carry; and a weight also emitted."""
    def step(carry, x):
        w, passed, h, h2, viewed = carry
        w_new = w - 0.1 * (x.T @ x)
        h_new = fnp.tanh(h + x.sum())
        return (w_new, x, h_new, h_new, viewed.T), w  # the old w is emitted: no update in place
    return fnx.lax.scan(step, (w, xs[0], w, w, w), xs)


LOOP_W, LOOP_XS = RNG.standard_normal((4, 4)), RNG.standard_normal((5, 6, 4))


def _owned(f, *args):
    from fnx.lower.cpu.codegen import ModuleWriter
    (loop,) = _scans(simplify(fnx.make_jaxpr(f)(*args).jaxpr))
    p = loop.params
    return ModuleWriter().add_loop_body(p["jaxpr"].jaxpr, p["num_consts"], p["num_carry"])[1]


def test_a_loop_updates_the_carries_it_owns_in_place_and_no_others():
    b = RNG.standard_normal(4)
    assert _owned(train_in_a_loop, LOOP_W, b, LOOP_XS) == [True, True]
    assert _owned(carries_a_loop_cannot_own, LOOP_W, LOOP_XS) == [True, False, False, False, False]
    w_before, b_before = LOOP_W.copy(), b.copy()
    for f, args in ((train_in_a_loop, (LOOP_W, b, LOOP_XS)), (carries_a_loop_cannot_own, (LOOP_W, LOOP_XS))):
        compiled = fnx.jit(f)
        first = fnx.tree_map(np.asarray, compiled(*args))
        assert_same(first, fnx.tree_map(np.asarray, f(*args)), rtol=1e-12)
        assert_same(fnx.tree_map(np.asarray, compiled(*args)), first)  # the inputs were not overwritten
    assert_same(LOOP_W, w_before)
    assert_same(b, b_before)


def loop_with_a_batched_constant(v, xs):
    """A product in the loop contracting a constant's last axis that is also batched: no transposed copy."""
    def step(h, x):
        h = fnp.tanh(fnx.lax.dot_general(h, v, (((1,), (1,)), ((0,), (0,))))[:, None] + x)
        return h, h
    return fnx.lax.scan(step, fnp.zeros((2, 3)), xs)


def test_a_batched_constant_keeps_its_layout():
    v, xs = RNG.standard_normal((2, 3)), RNG.standard_normal((4, 2, 3))
    assert_same(fnx.tree_map(np.asarray, fnx.jit(loop_with_a_batched_constant)(v, xs)),
                fnx.tree_map(np.asarray, loop_with_a_batched_constant(v, xs)), rtol=1e-12)


def dead_work_in_nested_bodies(x):
    """A cond whose branch holds a scan whose stacked output (a sine) nobody uses."""
    def body(c, xi):
        return c + xi, fnp.sin(xi) * 3.0

    def branch(v):
        total, _ = fnx.lax.scan(body, 0.0, v)
        return total

    return fnx.lax.cond(x[0] > 0.0, branch, lambda v: v[1], x)


def test_the_pipeline_simplifies_a_program_once_with_its_nested_bodies(monkeypatch):
    """program.lower rewrites the whole program in one call of simplify; code generation rewrites nothing more,
    yet the dead sine inside the scan inside the cond's branch is gone from the generated source."""
    calls = []

    def counted(jaxpr):
        calls.append(jaxpr)
        return simplify_module.simplify(jaxpr)

    monkeypatch.setattr(cpu_program, "simplify", counted)
    closed = fnx.make_jaxpr(dead_work_in_nested_bodies)(np.arange(1.0, 4.0))
    source, _ = cpu_program.lower(closed)
    assert len(calls) == 1
    assert "sin" not in source and "sin" in str(closed)
    assert_same(fnx.jit(dead_work_in_nested_bodies)(np.arange(1.0, 4.0)), 6.0)
