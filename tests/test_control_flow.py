"""fnx.lax control flow (scan, cond, switch, while_loop, fori_loop) against plain Python loops, eager and traced."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.core.avals import ShapedArray
from fnx.core.errors import ConcretizationError, FnxTypeError
from fnx.core.primitive import abstract_eval
from fnx.core.tracing import trace_to_jaxpr
from fnx.lax.control_flow import cond, cond_p, fori_loop, scan, scan_p, switch, while_loop, while_p
from helpers import check_against_numpy, eager_and_traced

F32 = np.float32


def python_scan(f, init, xs, reverse=False):
    """The reference: scan as a Python loop over NumPy values (xs a single array)."""
    carry, ys = init, [None] * len(xs)
    for i in (reversed(range(len(xs))) if reverse else range(len(xs))):
        carry, ys[i] = f(carry, xs[i])
    return carry, ys


def primitives_of(closed) -> list:
    return [e.primitive for e in closed.eqns]


# ---------------------------------------------------------------------------------------------- scan

@settings(max_examples=30, deadline=None)
@given(length=st.integers(0, 5), shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3),
       reverse=st.booleans(), seed=st.integers(0, 2**16))
def test_scan_matches_python_loop(length, shape, reverse, seed):
    rng = np.random.default_rng(seed)
    init, xs = rng.normal(size=shape), rng.normal(size=(length,) + shape)

    def step(m):
        return lambda c, x: (0.5 * c + m.tanh(x), c * x)

    def expected(init, xs):
        carry, ys = python_scan(step(np), init, xs, reverse)
        return carry, np.stack(ys) if ys else np.zeros((0,) + shape)

    check_against_numpy(lambda init, xs: scan(step(fnp), init, xs, reverse=reverse), expected, init, xs,
                        rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(dtype=st.sampled_from(["int32", "int64", "float32", "float64"]), length=st.integers(1, 5),
       seed=st.integers(0, 2**16))
def test_scan_keeps_the_dtype(dtype, length, seed):
    xs = np.random.default_rng(seed).integers(-5, 5, size=(length, 3)).astype(dtype)
    init = np.ones(3, dtype)
    body = lambda c, x: (c * 3 - x, c * x)  # noqa: E731
    expected = lambda init, xs: (lambda c, ys: (c, np.stack(ys)))(*python_scan(body, init, xs))  # noqa: E731
    check_against_numpy(lambda init, xs: scan(body, init, xs), expected, init, xs, rtol=1e-6)


def test_scan_pytree_carry_xs_and_ys():
    rng = np.random.default_rng(0)
    init = {"h": rng.normal(size=3), "n": np.int64(0)}
    xs = (rng.normal(size=(4, 3)), np.arange(4))

    def body(carry, x):
        row, k = x
        h = carry["h"] * 0.9 + row
        return {"h": h, "n": carry["n"] + k}, [h.sum(), carry["n"] * k]

    def expected(init, xs):
        carry, ys = python_scan(body, init, list(zip(*xs)))
        return carry, [np.stack([y[0] for y in ys]), np.stack([y[1] for y in ys])]

    check_against_numpy(lambda init, xs: scan(body, init, xs), expected, init, xs, rtol=1e-12)


def test_scan_reverse_keeps_ys_aligned_with_xs():
    xs = np.array([1, 2, 3])
    eager, traced = eager_and_traced(lambda xs: scan(lambda c, x: (c + x, c), 0, xs, reverse=True), xs)
    for carry, ys in (eager, traced):
        assert carry == 6
        np.testing.assert_array_equal(ys, [5, 3, 0])


def test_scan_with_none_ys_and_none_xs():
    xs = np.arange(4.0)
    for carry, ys in eager_and_traced(lambda xs: scan(lambda c, x: (c + x, None), 0.0, xs), xs):
        assert ys is None and carry == 6.0
    for carry, ys in eager_and_traced(lambda c0: scan(lambda c, x: (c * 2, c), c0, None, length=3), np.float64(1)):
        assert carry == 8.0
        np.testing.assert_array_equal(ys, [1.0, 2.0, 4.0])


def test_scan_closes_over_outer_arrays():
    w = np.array([1.0, -2.0, 3.0])  # a NumPy constant
    b = fnp.array([0.5, 0.5, 0.5])  # an fnx Array
    xs = np.arange(12.0).reshape(4, 3)

    def f(scale, xs):  # scale is a traced argument of the outer function
        return scan(lambda c, x: (c + scale * w * x + b, c), np.zeros(3), xs)

    def expected(scale, xs):
        carry, ys = python_scan(lambda c, x: (c + scale * w * x + 0.5, c), np.zeros(3), xs)
        return carry, np.stack(ys)

    check_against_numpy(f, expected, np.float64(2.0), xs)
    closed = fnx.make_jaxpr(f)(np.float64(2.0), xs)
    (eqn,) = closed.eqns
    assert eqn.primitive is scan_p and eqn.params["num_consts"] == 3
    assert eqn.params["jaxpr"].consts == []  # everything the body closed over is an explicit operand
    assert eqn.invars[0] is closed.jaxpr.invars[0]  # the outer `scale`


def test_nested_scans():
    m = np.arange(12.0).reshape(3, 4)

    def f(m):
        def row(total, r):
            inner, partial = scan(lambda acc, v: (acc + v * total, acc), 0.0, r)  # closes over the outer carry
            return total + inner, partial
        return scan(row, 1.0, m)

    def expected(m):
        total, partials = 1.0, []
        for r in m:
            acc, part = 0.0, []
            for v in r:
                part.append(acc)
                acc = acc + v * total
            total, partials = total + acc, partials + [part]
        return np.float64(total), np.array(partials)

    check_against_numpy(f, expected, m)
    outer = fnx.make_jaxpr(f)(m).eqns[0]
    assert outer.primitive is scan_p and scan_p in primitives_of(outer.params["jaxpr"])


def test_scan_unroll_is_a_param_only():
    xs = np.arange(5.0)
    f = lambda xs: scan(lambda c, x: (c + x, c), 0.0, xs, unroll=2)  # noqa: E731
    check_against_numpy(f, lambda xs: (xs.sum(), np.cumsum(xs) - xs), xs)
    assert fnx.make_jaxpr(f)(xs).eqns[0].params["unroll"] == 2


def test_scan_prints_with_the_body_nested():
    text = str(fnx.make_jaxpr(lambda a, xs: scan(lambda c, x: (c * a + x, c), 1.0, xs))(2.0, np.zeros(3)))
    assert text == """\
{ lambda ; a:f64[] b:f64[3]. let
    c:f64[] d:f64[3] = scan[jaxpr={ lambda ; e:f64[] f:f64[] g:f64[]. let
        h:f64[] = mul f e
        i:f64[] = add h g
      in (i, f) }, length=3, reverse=False, num_consts=1, num_carry=1, unroll=1] a 1.0:f64[] b
  in (c, d) }"""


def test_impl_under_a_concrete_trace_records_one_equation():
    seen = {}

    def f(xs):
        carry, ys = scan(lambda c, x: (c + x, c), 0.0, xs)
        seen["carry"], seen["ys"] = carry.val, ys.val
        return carry

    closed, _ = trace_to_jaxpr(f, [np.arange(4.0)], concrete=True)
    assert primitives_of(closed) == [scan_p]
    assert seen["carry"] == 6.0
    np.testing.assert_array_equal(seen["ys"], [0.0, 0.0, 1.0, 3.0])


# ---------------------------------------------------------------------------------------------- cond / switch

@settings(max_examples=30, deadline=None)
@given(pred=st.sampled_from([True, False, 0, 3, 0.0, -1.5]), x=hnp.arrays(np.float64, (3,), elements=st.floats(-9, 9)))
def test_cond_matches_python_if(pred, x):
    offset = np.array([1.0, 2.0, 3.0])
    f = lambda p, x: cond(p, lambda x: (x + offset, x.sum()), lambda x: (x * 2, x.max()), x)  # noqa: E731
    expected = lambda p, x: (x + offset, x.sum()) if p else (x * 2, x.max())  # noqa: E731
    check_against_numpy(f, expected, np.asarray(pred), x)


@pytest.mark.parametrize("index", [-3, 0, 1, 2, 7])
def test_switch_clamps_the_index(index):
    scales = [np.float64(s) for s in (10.0, 20.0, 30.0)]
    branches = [lambda x, s=s: x * s for s in scales]
    expected = lambda i, x: x * scales[min(max(int(i), 0), 2)]  # noqa: E731
    check_against_numpy(lambda i, x: switch(i, branches, x), expected, np.int32(index), np.arange(3.0))


def test_switch_branches_with_different_consts_and_no_operands():
    a, b = np.array([1.0, 2.0]), np.array([5.0, 7.0])
    f = lambda i: switch(i, [lambda: a * 2, lambda: b + 1])  # noqa: E731
    for i, want in ((0, a * 2), (1, b + 1)):
        for got in eager_and_traced(f, np.int64(i)):
            np.testing.assert_array_equal(got, want)
    (eqn,) = [e for e in fnx.make_jaxpr(f)(np.int64(0)).eqns if e.primitive is cond_p]
    assert [len(br.in_avals) for br in eqn.params["branches"]] == [2, 2]  # each branch takes every const


def test_scan_inside_cond_and_cond_inside_scan():
    xs = np.array([3.0, -1.0, 2.0, -4.0])

    def summary(p, xs):
        return cond(p, lambda xs: scan(lambda c, x: (c + x, None), 0.0, xs)[0],
                    lambda xs: scan(lambda c, x: (c * x, None), 1.0, xs)[0], xs)

    check_against_numpy(summary, lambda p, xs: xs.sum() if p else xs.prod(), np.bool_(True), xs)
    check_against_numpy(summary, lambda p, xs: xs.sum() if p else xs.prod(), np.bool_(False), xs)

    def signed_sum(xs):  # the branches close over x, a tracer of the scan body
        return scan(lambda c, x: (cond(x > 0, lambda c: c + x, lambda c: c - 2 * x, c), c), 0.0, xs)

    def expected(xs):
        carry, ys = python_scan(lambda c, x: (c + x if x > 0 else c - 2 * x, c), 0.0, xs)
        return np.float64(carry), np.array(ys)

    check_against_numpy(signed_sum, expected, xs)


# ---------------------------------------------------------------------------------------------- while / fori

@settings(max_examples=30, deadline=None)
@given(a=st.integers(1, 10_000), b=st.integers(1, 10_000))
def test_while_loop_euclid_matches_math_gcd(a, b):
    def gcd(a, b):
        return while_loop(lambda ab: ab[1] != 0, lambda ab: (ab[1], ab[0] % ab[1]), (a, b))[0]
    check_against_numpy(gcd, lambda a, b: np.int64(math.gcd(int(a), int(b))), np.int64(a), np.int64(b))


def test_while_loop_closes_over_outer_values():
    def f(limit, x):
        return while_loop(lambda s: s["v"].sum() < limit, lambda s: {"v": s["v"] * 2.0, "n": s["n"] + 1},
                          {"v": x, "n": 0})

    def expected(limit, x):
        v, n = x, 0
        while v.sum() < limit:
            v, n = v * 2.0, n + 1
        return {"n": np.int64(n), "v": v}

    check_against_numpy(f, expected, np.float64(100.0), np.array([0.5, 1.0]))
    assert primitives_of(fnx.make_jaxpr(f)(100.0, np.ones(2))) == [while_p]


@settings(max_examples=30, deadline=None)
@given(lower=st.integers(-3, 5), upper=st.integers(-3, 8))
def test_fori_loop_static_and_traced_bounds(lower, upper):
    body = lambda i, x: x * 2 + i  # noqa: E731

    def expected(*_):
        x = np.int64(1)
        for i in range(lower, upper):
            x = body(i, x)
        return x

    check_against_numpy(lambda: fori_loop(lower, upper, body, 1), expected)  # static: a scan
    check_against_numpy(lambda lo, hi: fori_loop(lo, hi, body, 1), expected, np.int64(lower), np.int64(upper))


def test_fori_loop_lowering_depends_on_the_bounds():
    body = lambda i, x: x + i  # noqa: E731
    assert primitives_of(fnx.make_jaxpr(lambda x: fori_loop(0, 3, body, x))(0)) == [scan_p]
    assert while_p in primitives_of(fnx.make_jaxpr(lambda n, x: fori_loop(0, n, body, x))(3, 0))


def test_fori_loop_index_takes_the_bounds_dtype():
    for got in eager_and_traced(lambda: fori_loop(np.int32(0), 3, lambda i, x: x + i, np.int32(0))):
        assert got.dtype == np.int32 and got == 3


# ---------------------------------------------------------------------------------------------- errors

ERRORS = [
    (lambda: scan(lambda c, x: (c + x, None), 0, np.arange(3.0)), r"initial carry has type i64\[\].*f64\[\]"),
    (lambda: scan(lambda c, x: (fnp.stack([c, c]), None), 0.0, np.arange(3.0)), r"f64\[\].*f64\[2\]"),
    (lambda: scan(lambda c, x: ((c, c), None), 0.0, np.arange(3.0)), r"\(f64\[\], f64\[\]\)"),
    (lambda: scan(lambda c, x: c + x, 0.0, np.arange(3.0)), "must return a pair"),
    (lambda: scan(lambda c, x: (c, x), 0.0, None), "length="),
    (lambda: scan(lambda c, x: (c, x), 0.0, (np.zeros(3), np.zeros(4))), r"\[3, 4\]"),
    (lambda: scan(lambda c, x: (c, x), 0.0, np.zeros(3), length=5), "length=5"),
    (lambda: scan(lambda c, x: (c, x), 0.0, 3.0), "leading axis"),
    (lambda: scan(lambda c, x: (c, x), "text", np.zeros(3)), "str"),
    (lambda: fnx.make_jaxpr(lambda n: scan(lambda c, x: (c, x), 0.0, None, length=n))(3), "concrete int"),
    (lambda: cond(True, lambda x: x, lambda x: x * 1.0, 3), r"false_fun has type f64\[\].*true_fun has type i64\[\]"),
    (lambda: cond(np.ones(2) > 0, lambda: 1, lambda: 0), r"pred must be .*bool\[2\]"),
    (lambda: switch(1.0, [lambda: 1]), r"integer scalar, got f64\[\]"),
    (lambda: switch(0, []), "non-empty"),
    (lambda: switch(0, [lambda: 1, lambda: (1, 2)]), r"branches\[1\]"),
    (lambda: while_loop(lambda x: x, lambda x: x, 1.0), r"bool scalar, got f64\[\]"),
    (lambda: while_loop(lambda x: x < 3, lambda x: x, np.zeros(2)), r"bool scalar, got bool\[2\]"),
    (lambda: while_loop(lambda x: x < 3, lambda x: x + 0.5, 1), r"init_val has type i64\[\].*f64\[\]"),
    (lambda: fori_loop(0.0, 3, lambda i, x: x, 1), "integer scalars"),
]


@pytest.mark.parametrize("call, message", ERRORS)
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(FnxTypeError, match=message):
        call()


def test_python_if_on_a_traced_value_in_a_body_is_a_concretization_error():
    body = lambda c, x: (c + x if x > 0 else c, None)  # noqa: E731
    with pytest.raises(ConcretizationError, match="bool"):
        scan(body, 0.0, np.arange(3.0))
    with pytest.raises(ConcretizationError, match="fnx.lax.cond"):
        fnx.make_jaxpr(lambda xs: scan(body, 0.0, xs))(np.arange(3.0))


def test_abstract_eval_rejects_ill_typed_equations():
    closed = fnx.make_jaxpr(lambda xs: scan(lambda c, x: (c + x, c), 0.0, xs))(np.zeros(3))
    params = closed.eqns[0].params
    f64 = np.dtype("float64")
    with pytest.raises(FnxTypeError, match="leading axis of length 3"):
        abstract_eval(scan_p, [ShapedArray((), f64), ShapedArray((4,), f64)], params)
    with pytest.raises(FnxTypeError, match="body's inputs"):
        abstract_eval(scan_p, [ShapedArray((), np.dtype("int64")), ShapedArray((3,), f64)], params)
    branches = fnx.make_jaxpr(lambda p: cond(p, lambda: 1.0, lambda: 2.0))(True).eqns[-1].params
    with pytest.raises(FnxTypeError, match="integer scalar"):
        abstract_eval(cond_p, [ShapedArray((), f64)], branches)


# ---------------------------------------------------------------------------------------------- the books

def test_ketkar_listing_4_14_scan_power():
    """theano.scan(lambda prior, a: prior * a, outputs_info=a, non_sequences=a, n_steps=k-1): 2**5 = 32."""
    def power_steps(a, k):
        return scan(lambda c, _: (c * a, c * a), a, None, length=k - 1)[1]

    for ys in eager_and_traced(power_steps, np.float64(2.0), 5, static_argnums=1):
        np.testing.assert_array_equal(ys, [4.0, 8.0, 16.0, 32.0])
        assert ys[-1] == 32.0
    for ys in eager_and_traced(power_steps, np.float64(2.0), 1, static_argnums=1):
        assert ys.shape == (0,)  # k=1: no steps

    def a_pow_k(a, k):  # k a traced int32, as the book's iscalar: a while loop
        return fori_loop(0, k - 1, lambda i, c: c * a, a)

    check_against_numpy(a_pow_k, lambda a, k: np.float64(32.0), np.float64(2.0), np.int32(5))


def test_lazyprogrammer_theano_quadratic_descent():
    """x = 20; 25 times: cost = x*x + x, x -= 0.3 * (2x + 1) (the hand-written gradient of the cost)."""
    def train(x0):
        return scan(lambda x, _: (x - 0.3 * (2 * x + 1), x * x + x), x0, None, length=25)

    costs_printed = [420.0, 66.99, 10.5084, 1.471344, 0.02541504, -0.2059335936, -0.242949374976,
                     -0.24887189999616, -0.2498195039993856, -0.2499711206399017, -0.24999537930238427]
    for x, costs in eager_and_traced(train, np.float64(20.0)):
        np.testing.assert_allclose(costs[:11], costs_printed, rtol=1e-12)
        np.testing.assert_allclose(costs[24], -0.24999999999999997, rtol=1e-12)
        np.testing.assert_allclose(x, -0.4999999976919052, rtol=1e-12)
