"""Derivatives and batching of scan, cond/switch, while_loop and fori_loop (fnx/transforms/control_flow.py).

Derivatives: jvp against central finite differences and jvp/vjp consistency (``<v, J u>`` both ways), and
gradients of loops against the gradients of the same loop unrolled in Python. Batching: vmap against a
Python loop over the examples, with batch axes in different places. Each check runs eagerly and through
``make_jaxpr``. Then compositions (grad inside scan, vmap of scan of vmap, jacfwd of jacrev) and the
books' loops (Ketkar 4-13, 4-14; LazyProgrammer's Theano and TensorFlow quadratics).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError
from fnx.lax.control_flow import cond_p, scan_p, while_p
from gradcheck import check_grads
from helpers import SEEDS, TF_QUADRATIC_PRINTOUT, assert_same, check_vmap, eager_and_traced, tf_quadratic_printout

SETTINGS = settings(max_examples=10, deadline=None)
EPS = 1e-6


# ---------------------------------------------------------------------------------------------- helpers

def primitives_in(f, *args) -> set:
    """The names of the primitives in the top level of f's jaxpr."""
    return {e.primitive.name for e in fnx.make_jaxpr(f)(*args).eqns}


def unrolled_scan(f, init, xs, reverse=False):
    """scan as a Python loop over fnx values (the reference the derivatives are compared with)."""
    length = fnx.tree_leaves(xs)[0].shape[0]
    carry, ys = init, [None] * length
    for i in (reversed(range(length)) if reverse else range(length)):
        carry, ys[i] = f(carry, fnx.tree_map(lambda x: x[i], xs))
    return carry, fnx.tree_map(lambda *y: fnp.stack(y), *ys)


# ---------------------------------------------------------------------------------------------- scan: derivatives

def rnn(W, U, b, V, h0, xs, reverse=False, loop=lax.scan):
    """An Elman RNN: h' = tanh(W h + U x + b), y = V h'."""
    def step(h, x):
        h = fnp.tanh(W @ h + U @ x + b)
        return h, V @ h
    return loop(step, h0, xs, reverse=reverse)


def rnn_args(rng, hidden, inputs, length):
    return [rng.normal(size=s) * 0.5 for s in
            [(hidden, hidden), (hidden, inputs), (hidden,), (2, hidden), (hidden,), (length, inputs)]]


@SETTINGS
@given(length=st.integers(0, 4), hidden=st.integers(1, 3), reverse=st.booleans(), seed=SEEDS)
def test_scan_rnn_derivatives(length, hidden, reverse, seed):
    args = rnn_args(np.random.default_rng(seed), hidden, 2, length)
    check_grads(lambda *a: rnn(*a, reverse=reverse), args, seed=seed)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_grad_of_closed_over_weights_equals_the_unrolled_loop(reverse):
    W, U, b, V, h0, xs = rnn_args(np.random.default_rng(1), 3, 2, 5)

    def loss(params, loop):
        h, ys = rnn(params["W"], params["U"], params["b"], V, h0, xs, reverse, loop)
        return fnp.sum(ys * ys) + fnp.sum(h)

    params = {"W": W, "U": U, "b": b}
    grads = eager_and_traced(fnx.grad(lambda p: loss(p, lax.scan)), params)
    expected = fnx.tree_map(np.asarray, fnx.grad(lambda p: loss(p, unrolled_scan))(params))
    for g in grads:
        assert_same(g, expected, rtol=1e-12, atol=1e-14)


def test_scan_pytree_carry_with_an_integer_counter():
    rng = np.random.default_rng(2)

    def f(a, w, xs):
        def step(carry, x):
            (s, n), m = carry["sum"], carry["max"]
            s = s + w * fnp.sin(x["u"]) * x["v"]
            return {"sum": (s, n + 1), "max": fnp.maximum(m, s)}, {"sq": s * s, "count": n}
        init = {"sum": (a, np.int32(0)), "max": a - 10.0}
        carry, ys = lax.scan(step, init, {"u": xs, "v": xs[::-1] * 2.0})
        return carry["sum"][0], carry["max"], ys["sq"]

    args = [rng.normal(size=2), rng.normal(size=2), rng.normal(size=(4, 2))]
    check_grads(f, args)
    carry, ys = lax.scan(lambda c, x: ((c[0] + x, c[1] + 1), c[1]), (0.0, np.int32(0)), fnp.arange(3.0))
    assert int(carry[1]) == 3 and ys.tolist() == [0, 1, 2]
    # an integer carry gets no tangent, and no cotangent
    grad = fnx.grad(lambda x: lax.scan(lambda c, _: ((c[0] * x, c[1] + 1), None), (1.0, 0), None, length=3)[0][0])
    assert float(grad(2.0)) == 12.0


def test_scan_carry_whose_tangent_starts_at_zero():
    """The carry starts at a constant, but the body mixes in w: its tangent must exist from step one."""
    xs = np.array([0.5, -1.0, 2.0])

    def f(w):
        return lax.scan(lambda c, x: (c * w + x, c * c), 0.0, xs)

    check_grads(f, [np.array(0.7)])
    closed = fnx.make_jaxpr(lambda w, t: fnx.jvp(f, (w,), (t,)))(0.7, 1.0)
    scans = [e for e in closed.eqns if e.primitive is scan_p]
    assert len(scans) == 1 and scans[0].params["num_carry"] == 2  # the carry and its tangent


@pytest.mark.parametrize("use", ["carry", "ys", "both"])
def test_scan_grad_when_some_outputs_are_unused(use):
    xs = np.linspace(-1.0, 1.0, 4)

    def loss(w, loop):
        c, ys = loop(lambda c, x: (fnp.sin(c * w + x), c * x), 0.3, xs)
        return {"carry": c, "ys": fnp.sum(ys), "both": c + fnp.sum(ys)}[use]

    for g in eager_and_traced(fnx.grad(lambda w: loss(w, lax.scan)), 1.3):
        np.testing.assert_allclose(g, fnx.grad(lambda w: loss(w, unrolled_scan))(1.3), rtol=1e-12)


def test_scan_with_only_a_length_and_the_grad_of_its_ys():
    def f(a):
        return lax.scan(lambda c, _: (c * a, c * a), a, None, length=4)[1]
    check_grads(f, [np.array(1.5)])


def test_scan_body_passing_values_through_and_returning_constants():
    def f(a, xs):
        # carry 0 passes through unchanged, carry 1 is replaced by x; ys are a constant and an input
        return lax.scan(lambda c, x: ((c[0], x * c[0]), (1.0, c[1], x)), (a, a), xs)

    check_grads(f, [np.array(0.6), np.array([1.0, -2.0, 0.5])])


def test_scan_derivatives_keep_float32():
    xs = np.array([0.5, -1.0, 2.0], np.float32)

    def f(w, loop=lax.scan):
        return loop(lambda c, x: (fnp.tanh(c * w + x), c * x), np.float32(0.1), xs)

    w = np.float32(0.7)
    tangents = fnx.jvp(f, (w,), (np.float32(1.0),))[1]
    grads = [fnx.grad(lambda w: f(w)[0])(w), fnx.grad(lambda w: fnp.sum(f(w)[1]))(w)]
    batched = fnx.vmap(f)(np.array([0.7, 0.2], np.float32))
    assert all(x.dtype == np.float32 for x in fnx.tree_leaves([tangents, grads, batched]))
    np.testing.assert_allclose(grads[0], fnx.grad(lambda w: f(w, unrolled_scan)[0])(w), rtol=1e-6)


# ---------------------------------------------------------------------------------------------- cond: derivatives

@SETTINGS
@given(pred=st.booleans(), seed=SEEDS)
def test_cond_derivatives(pred, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=3)  # a closure: a const of the cond

    def f(x, y):
        return lax.cond(pred, lambda a, b: (fnp.sin(a) * b + w, b), lambda a, b: (a * b * b, 2.0 * a), x, y)

    check_grads(f, [rng.normal(size=3), rng.normal(size=3)], seed=seed)


@SETTINGS
@given(index=st.integers(-2, 4), seed=SEEDS)
def test_switch_derivatives_with_an_integer_operand(index, seed):
    rng = np.random.default_rng(seed)
    branches = [lambda x, k: (x * x, k), lambda x, k: (fnp.exp(x), k + 1), lambda x, k: (x * 0.0 + 3.0, k * 2)]

    def f(x):
        return lax.switch(index, branches, x, np.int64(5))[0]
    check_grads(f, [rng.normal(size=2)], seed=seed)
    assert int(lax.switch(index, branches, fnp.ones(2), np.int64(5))[1]) == [5, 6, 10][min(max(index, 0), 2)]


def test_ketkar_4_13_hinge_via_max_cond_and_where():
    """Listing 4-13 (fnx/books/ketkar/ch04.py): hinge(x, y) = max(0, 1 - xy) three ways, eagerly and traced;
    the book prints 3, 2, 1, 0, 0 for x = -2..2, y = 1."""
    from fnx.books.ketkar.ch04 import hinge_cond, hinge_max, hinge_where
    for hinge in (hinge_max, hinge_cond, hinge_where):
        values = [eager_and_traced(hinge, float(x), 1.0) for x in (-2, -1, 0, 1, 2)]
        assert [tuple(map(float, v)) for v in values] == [(3.0, 3.0), (2.0, 2.0), (1.0, 1.0), (0.0, 0.0), (0.0, 0.0)]
        for x, slope in [(-2.0, -1.0), (0.5, -1.0), (2.0, 0.0)]:  # d/dx = -y where 1 - xy > 0, else 0
            assert [float(g) for g in eager_and_traced(fnx.grad(hinge), x, 1.0)] == [slope, slope]
    # at the kink the branch forms take the 1 - xy branch (the book's ifelse and switch do the same)
    for hinge in (hinge_cond, hinge_where):
        assert float(fnx.grad(hinge)(1.0, 1.0)) == -1.0


# ---------------------------------------------------------------------------------------------- loops: derivatives

def test_fori_loop_with_static_bounds_is_differentiable():
    def f(a, x):
        return lax.fori_loop(0, 5, lambda i, c: c * a + i, x)
    check_grads(f, [np.array(0.9), np.array(1.2)])
    # c_5 = a^5 x + (a^3 + 2a^2 + 3a + 4): d/da at a=2, x=1 is 5*16 + 12 + 8 + 3 = 103
    assert [float(g) for g in eager_and_traced(fnx.grad(f), 2.0, 1.0)] == [103.0, 103.0]


def test_grad_of_fori_loop_with_traced_bounds_is_a_clear_error():
    def f(x):
        steps = fnp.asarray(x * 0.0 + 3.0).astype("int64")  # a traced trip count
        return lax.fori_loop(0, steps, lambda i, c: c * x, 1.0)

    assert float(f(2.0)) == 8.0
    np.testing.assert_allclose(fnx.jvp(f, (2.0,), (1.0,))[1], 12.0)  # forward mode works
    for attempt in (lambda: fnx.grad(f)(2.0), lambda: fnx.make_jaxpr(fnx.grad(f))(2.0)):
        with pytest.raises(FnxTypeError, match="while_loop.*fori_loop with Python-int"):
            attempt()


def _grow(x, w):
    """Multiply by w until the value passes 100: the trip count depends on the data."""
    return lax.while_loop(lambda c: c[0] < 100.0, lambda c: (c[0] * w, c[1] + 1), (x, 0))


def test_while_loop_jvp():
    def f(x, w):
        return _grow(x, w)[0]
    check_grads(f, [np.array(1.3), np.array(1.7)], atol=0.0, reverse=False)
    x, w = 1.3, 1.7
    n = int(_grow(x, w)[1])
    assert n == 9
    tangents = [eager_and_traced(lambda *a: fnx.jvp(f, (x, w), a)[1], *t) for t in [(1.0, 0.0), (0.0, 1.0)]]
    np.testing.assert_allclose(np.ravel(tangents), [w ** n] * 2 + [n * x * w ** (n - 1)] * 2, rtol=1e-12)


def test_while_loop_vjp_is_a_clear_error():
    with pytest.raises(FnxTypeError, match="reverse-mode differentiation .* of a while_loop is not supported"):
        fnx.grad(lambda x: _grow(x, 1.5)[0])(1.0)
    # no cotangent reaches the loop when only its integer output is used: that is fine
    assert fnx.grad(lambda x: x * _grow(x, 1.5)[1].astype(float))(1.0) == 12.0


def test_jvp_of_while_with_a_carry_that_becomes_differentiable():
    def f(w):
        return lax.while_loop(lambda c: c[1] < 3, lambda c: (c[0] * w + 1.0, c[1] + 1), (0.0, 0))[0]
    check_grads(f, [np.array(0.8)], atol=0.0, reverse=False)  # c_3 = w^2 + w + 1
    np.testing.assert_allclose(fnx.jvp(f, (0.8,), (1.0,))[1], 2 * 0.8 + 1, rtol=1e-12)


# ---------------------------------------------------------------------------------------------- batching

@SETTINGS
@given(axes=st.tuples(st.sampled_from([0, 1, -1, None]), st.sampled_from([0, None]), st.sampled_from([0, 2, None])),
       out_axes=st.sampled_from([0, 1]), reverse=st.booleans(), seed=SEEDS)
def test_vmap_of_scan(axes, out_axes, reverse, seed):
    rng = np.random.default_rng(seed)
    if axes == (None, None, None):
        axes = (0, None, None)
    w_axis, h_axis, xs_axis = axes
    batch = 3
    w = rng.normal(size=(2, 2)) if w_axis is None else np.moveaxis(rng.normal(size=(batch, 2, 2)), 0, w_axis)
    h0 = rng.normal(size=2) if h_axis is None else rng.normal(size=(batch, 2))
    xs = rng.normal(size=(4, 2)) if xs_axis is None else np.moveaxis(rng.normal(size=(batch, 4, 2)), 0, xs_axis)

    def f(w, h0, xs):
        return lax.scan(lambda h, x: (fnp.tanh(w @ h + x), (h * x, fnp.sum(h))), h0, xs, reverse=reverse)

    check_vmap(f, [w, h0, xs], axes, out_axes)


def test_vmap_of_scan_makes_an_unbatched_carry_batched():
    xs = np.arange(12.0).reshape(3, 4)  # batch of 3, 4 steps each
    f = lambda xs: lax.scan(lambda c, x: ((c[0] + x, c[1] * 2.0), c), (0.0, 1.0), xs)  # noqa: E731
    check_vmap(f, [xs], [0])
    check_vmap(f, [xs.T], [1])


@pytest.mark.parametrize("pred_axis", [0, None])
def test_vmap_of_cond(pred_axis):
    rng = np.random.default_rng(3)
    preds = np.array([True, False, True, False]) if pred_axis == 0 else np.array(True)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=3)

    def f(p, x, y):
        return lax.cond(p, lambda a, b: (fnp.sin(a) + b, b), lambda a, b: (a * b, b * 2.0), x, y)

    check_vmap(f, [preds, x, y], [pred_axis, 0, None])
    check_grads(lambda x, y: fnx.vmap(f, in_axes=(pred_axis, 0, None))(preds, x, y), [x, y])
    # a batched predicate becomes a select (both branches run); an unbatched one stays a cond
    names = primitives_in(fnx.vmap(f, in_axes=(pred_axis, 0, None)), preds, x, y)
    assert ("cond" in names) == (pred_axis is None) and ("select_n" in names) == (pred_axis == 0)


@SETTINGS
@given(seed=SEEDS, x_axis=st.sampled_from([0, 1, None]))
def test_vmap_of_switch_with_a_batched_index(seed, x_axis):
    rng = np.random.default_rng(seed)
    index = rng.integers(-2, 5, size=5)  # out-of-range indices clamp
    x = rng.normal(size=(2, 5) if x_axis == 1 else (5, 2) if x_axis == 0 else 2)
    branches = [lambda a: (a * 2.0, np.int64(0)), lambda a: (fnp.cos(a), np.int64(1)), lambda a: (a, np.int64(2))]
    check_vmap(lambda i, a: lax.switch(i, branches, a), [index, x], [0, x_axis])
    for n in (1, 2):
        check_vmap(lambda i, a: lax.switch(i, branches[:n], a), [index, x], [0, x_axis])


def collatz_steps(n, limit):
    """Per-example trip counts: halve or 3n+1 until n == 1 or the step limit is reached."""
    def body(c):
        n, steps = c
        return fnp.where(n % 2 == 0, n // 2, 3 * n + 1), steps + 1
    return lax.while_loop(lambda c: (c[0] != 1) & (c[1] < limit), body, (n, 0))


def test_vmap_of_while_loop_with_a_batched_predicate():
    n = np.array([1, 6, 7, 27, 2])
    check_vmap(collatz_steps, [n, np.int64(200)], [0, None])
    check_vmap(collatz_steps, [n, np.array([0, 3, 100, 50, 5])], [0, 0])
    check_vmap(collatz_steps, [np.int64(27), np.array([0, 3, 100, 50, 5])], [None, 0])  # only the limit
    assert fnx.vmap(collatz_steps, in_axes=(0, None))(n, 200)[1].tolist() == [0, 8, 16, 111, 1]


def test_vmap_of_the_jvp_of_a_while_loop_with_per_example_trip_counts():
    def f(x):
        return fnx.jvp(lambda x: _grow(x, 1.7)[0], (x,), (1.0,))

    x = np.array([1.3, 50.0, 0.01, 120.0])  # 9, 2, 18 and 0 iterations
    check_vmap(f, [x], [0])
    np.testing.assert_allclose(fnx.vmap(f)(x)[1], 1.7 ** np.array([9, 2, 18, 0]), rtol=1e-12)


def test_vmap_of_while_loop_with_an_unbatched_predicate():
    def f(w, x):  # the trip count depends only on the unbatched counter
        return lax.while_loop(lambda c: c[1] < 4, lambda c: (fnp.sin(c[0] * w), c[1] + 1), (x, 0))

    rng = np.random.default_rng(4)
    check_vmap(f, [rng.normal(size=3), 0.5], [0, None])
    check_vmap(f, [rng.normal(size=(2, 3)), rng.normal(size=2)], [1, None])
    assert "reduce_or" not in str(fnx.make_jaxpr(fnx.vmap(f, in_axes=(0, None)))(np.ones(3), 0.5))


def test_vmap_of_fori_loop():
    f = lambda a, x: lax.fori_loop(0, 3, lambda i, c: c * a + i, x)  # noqa: E731
    check_vmap(f, [np.array([0.5, 2.0, -1.0]), np.array(1.0)], [0, None])
    check_vmap(f, [np.array(1.5), np.array([0.5, 2.0])], [None, 0])


# ---------------------------------------------------------------------------------------------- compositions

def test_grad_of_a_scan_whose_body_calls_grad():
    """Gradient descent inside a scan, differentiated with respect to the learning rate and the start."""
    def descend(lr, x0):
        cost = lambda x: fnp.sum(fnp.sin(x) * x)  # noqa: E731
        def step(x, _):
            x = x - lr * fnx.grad(cost)(x)
            return x, cost(x)
        return lax.scan(step, x0, None, length=4)

    check_grads(descend, [np.array(0.1), np.array([0.3, -0.8])])

    def final_cost(lr, x0, loop):
        return fnp.sum(loop(lambda x, _: (x - lr * fnx.grad(lambda v: fnp.sum(v * v * v))(x), None), x0, None)[0])

    def unrolled(f, init, xs):
        for _ in range(4):
            init, _ = f(init, None)
        return init, None

    scan4 = lambda f, init, xs: lax.scan(f, init, xs, length=4)  # noqa: E731
    for g in eager_and_traced(fnx.grad(lambda lr: final_cost(lr, np.array([0.3, -0.5]), scan4)), 0.1):
        np.testing.assert_allclose(g, fnx.grad(lambda lr: final_cost(lr, np.array([0.3, -0.5]), unrolled))(0.1),
                                   rtol=1e-12)


def test_vmap_of_a_scan_of_a_vmap():
    rng = np.random.default_rng(5)
    ws, xs = rng.normal(size=(3, 2)), rng.normal(size=(3, 4, 5, 2))  # 3 examples, 4 steps, 5 rows of 2

    def f(w, xs):
        def step(c, x):
            rows = fnx.vmap(lambda r: fnp.tanh(fnp.dot(r, w) + c))(x)
            return c + fnp.mean(rows), rows
        return lax.scan(step, 0.0, xs)

    check_vmap(f, [ws, xs], [0, 0])


def test_per_example_gradients_through_scan():
    rng = np.random.default_rng(6)
    W, U, b, V, h0, _ = rnn_args(rng, 2, 2, 0)
    xs = rng.normal(size=(4, 3, 2))  # 4 examples of 3 steps

    def loss(W, xs):
        h, ys = rnn(W, U, b, V, h0, xs)
        return fnp.sum(ys * ys) + fnp.sum(h)

    check_vmap(fnx.grad(loss), [W, xs], [None, 0], rtol=1e-11)
    check_grads(lambda W: fnx.vmap(loss, in_axes=(None, 0))(W, xs), [W])


def test_jacfwd_of_jacrev_through_scan():
    xs = np.array([0.3, -0.2, 0.5])

    def f(p):
        return lax.scan(lambda c, x: (fnp.sin(c * p[0] + x) * p[1], None), p[2], xs)[0]

    def f_unrolled(p):
        return unrolled_scan(lambda c, x: (fnp.sin(c * p[0] + x) * p[1], c), p[2], xs)[0]

    p = np.array([0.7, 1.3, 0.4])
    expected = np.asarray(fnx.jacfwd(fnx.jacrev(f_unrolled))(p))
    for hessian in eager_and_traced(fnx.jacfwd(fnx.jacrev(f)), p):
        np.testing.assert_allclose(hessian, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(expected, expected.T, rtol=1e-12)
    gradient = fnx.grad(f)
    fd = np.stack([(np.asarray(gradient(p + EPS * e)) - np.asarray(gradient(p - EPS * e))) / (2 * EPS)
                   for e in np.eye(3)])
    np.testing.assert_allclose(expected, fd, rtol=1e-6, atol=1e-8)


def test_derivatives_and_vmap_of_nested_scans():
    def f(w, xs):
        def outer(c, row):
            inner, _ = lax.scan(lambda a, x: (fnp.sin(a * w + x), None), c, row)
            return inner, inner * c
        return lax.scan(outer, 0.5, xs, reverse=True)

    xs = np.random.default_rng(7).normal(size=(3, 2))
    check_grads(f, [np.array(0.8), xs])
    check_vmap(f, [np.array([0.8, -0.3]), xs], [0, None])


def test_jvp_and_vmap_of_cond_inside_scan():
    def f(x):
        return lax.scan(lambda c, t: (lax.cond(c > 0, lambda: c * t, lambda: c - t), c), x, np.array([1.5, -0.5, 2.0]))
    check_grads(f, [np.array(0.4)])
    check_grads(f, [np.array(-0.4)])
    check_vmap(f, [np.array([0.4, -0.4, 3.0])], [0])


# ---------------------------------------------------------------------------------------------- books

def test_ketkar_4_14_scan_power_and_its_gradient():
    """Listing 4-14: theano.scan computing a**k by k-1 multiplications; the book prints 32.0 for a=2, k=5."""
    def a_pow_k(a, k):
        return lax.scan(lambda prior, _: (prior * a, prior * a), a, None, length=k - 1)[1]

    for result in eager_and_traced(lambda a: a_pow_k(a, 5), 2.0):
        assert result.tolist() == [4.0, 8.0, 16.0, 32.0] and result[-1] == 2 ** 5
    for g in eager_and_traced(fnx.grad(lambda a: a_pow_k(a, 5)[-1]), 2.0):
        assert float(g) == 80.0  # k a^(k-1)
    assert float(fnx.grad(lambda a: lax.fori_loop(0, 4, lambda i, c: c * a, a))(2.0)) == 80.0


def test_lazyprogrammer_theano_quadratic_descent_in_a_loop():
    """B.2.10: x <- x - 0.3 dJ/dx for J = x^2 + x from x = 20, 25 times: x_25 = -0.4999999976919052."""
    cost = lambda x: x * x + x  # noqa: E731

    def train(x0):
        return lax.fori_loop(0, 25, lambda i, x: x - 0.3 * fnx.grad(cost)(x), x0)

    def train_with_costs(x0):  # Theano evaluates the cost before applying the update
        return lax.scan(lambda x, _: (x - 0.3 * fnx.grad(cost)(x), cost(x)), x0, None, length=25)

    for x in eager_and_traced(train, 20.0):
        assert float(x) == -0.4999999976919052
    for x, costs in eager_and_traced(train_with_costs, 20.0):
        assert float(x) == -0.4999999976919052
        np.testing.assert_allclose(costs[:6], [420.0, 66.99, 10.5084, 1.471344, 0.02541504, -0.2059335936],
                                   rtol=1e-13)
        np.testing.assert_allclose(costs[24], -0.24999999999999997, rtol=1e-15)
    # x_25 = -0.5 + 20.5 * 0.4^25, so dx_25/dx_0 = 0.4^25
    np.testing.assert_allclose(fnx.grad(train)(20.0), 0.4 ** 25, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lazyprogrammer_tensorflow_quadratic_printout(dtype):
    """B.2.11: gradient descent (lr 0.3) on u^2 + u + 1 from 20, printing the cost after each update."""
    cost = lambda u: u * u + u + 1.0  # noqa: E731

    def train(u0):
        def step(u, _):
            u = u - 0.3 * fnx.grad(cost)(u)
            return u, (cost(u), u)
        return lax.scan(step, u0, None, length=12)[1]

    for costs, us in eager_and_traced(train, np.array(20.0, dtype)):
        assert costs.dtype == us.dtype == np.dtype(dtype)
        assert tf_quadratic_printout(costs, us) == TF_QUADRATIC_PRINTOUT


# ---------------------------------------------------------------------------------------------- the jaxprs

def test_the_transformed_loops_type_check():
    """The jaxprs of grad/jvp/vmap of each loop pass check_jaxpr (eager_and_traced checks them too) and
    contain the loop primitive again."""
    xs = np.array([0.5, 1.0])
    scan_f = lambda w: lax.scan(lambda c, x: (c * w + x, c), 1.0, xs)[0]  # noqa: E731
    assert "scan" in primitives_in(fnx.grad(scan_f), 0.5)
    cond_f = lambda x: lax.cond(x > 0, fnp.sin, fnp.cos, x)  # noqa: E731
    assert "cond" in primitives_in(fnx.grad(cond_f), 0.5)
    while_f = lambda x: _grow(x, 1.5)[0]  # noqa: E731
    assert "while" in primitives_in(lambda x: fnx.jvp(while_f, (x,), (1.0,)), 0.5)
    assert {p.name for p in (scan_p, cond_p, while_p)} <= fnx.primitives.keys()
