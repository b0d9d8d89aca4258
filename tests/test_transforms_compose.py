"""Transforms composed with each other (grad of vmap, vmap of grad, jacfwd of jacrev, grad through a scan that
calls grad, ...) and ``fnx.numpy.vectorize`` (vmap under NumPy's ``np.vectorize`` semantics).

References: closed-form derivatives, central finite differences in float64, Python loops over the batch, and
``np.vectorize``. Every composed function is run eagerly, through its jaxpr and compiled with ``fnx.jit`` (``both``).
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from fnx.numpy._vectorize import vectorize
import helpers
from helpers import assert_same, check_against_numpy

RNG = np.random.default_rng(0)


def both(f, *args, rtol=1e-14):
    """Every composition here is run three ways: eagerly, through its jaxpr, and compiled by ``fnx.jit``."""
    return helpers.both(f, *args, rtol=rtol, compiled=True)


def numeric_grad(f, tree, eps=1e-6):
    """Central finite differences of the scalar ``f`` w.r.t. every element of the pytree of arrays ``tree``."""
    leaves, treedef = fnx.tree_flatten(tree)
    leaves = [np.asarray(x, np.float64) for x in leaves]
    grads = []
    for i, leaf in enumerate(leaves):
        g = np.zeros_like(leaf)
        for idx in np.ndindex(leaf.shape):
            values = []
            for sign in (1, -1):
                moved = [x.copy() for x in leaves]
                moved[i][idx] += sign * eps
                values.append(float(f(fnx.tree_unflatten(treedef, moved))))
            g[idx] = (values[0] - values[1]) / (2 * eps)
        grads.append(g)
    return fnx.tree_unflatten(treedef, grads)


# -- grad and vmap ------------------------------------------------------------------------------------------

def sq_loss(w, x, y):
    """Squared error of a linear model on one example: (x.w - y)^2."""
    return (fnp.dot(x, w) - y) ** 2


def test_grad_of_sum_of_vmap_equals_sum_of_per_example_grads():
    w, xs, ys = RNG.normal(size=3), RNG.normal(size=(5, 3)), RNG.normal(size=5)

    def total(w, xs, ys):
        return fnp.sum(fnx.vmap(sq_loss, in_axes=(None, 0, 0))(w, xs, ys))

    g = both(fnx.grad(total), w, xs, ys)
    expected = 2 * xs.T @ (xs @ w - ys)
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    loop = sum(np.asarray(fnx.grad(sq_loss)(w, xs[i], ys[i])) for i in range(5))
    np.testing.assert_allclose(g, loop, rtol=1e-12)


@pytest.mark.parametrize("in_axes", [(None, 0, 0), (None, 1, 0)])
def test_vmap_of_grad_equals_loop(in_axes):
    w, xs, ys = RNG.normal(size=3), RNG.normal(size=(4, 3)), RNG.normal(size=4)
    xs_in = xs if in_axes[1] == 0 else xs.T
    g = both(fnx.vmap(fnx.grad(sq_loss), in_axes=in_axes), w, xs_in, ys)
    expected = 2 * (xs @ w - ys)[:, None] * xs
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    for i in range(4):
        np.testing.assert_allclose(g[i], np.asarray(fnx.grad(sq_loss)(w, xs[i], ys[i])), rtol=1e-12)


def test_vmap_of_grad_with_respect_to_the_batched_argument():
    xs = RNG.normal(size=(6,))
    f = lambda x: fnp.sin(x) * x ** 2  # noqa: E731
    g = both(fnx.vmap(fnx.grad(f)), xs)
    np.testing.assert_allclose(g, np.cos(xs) * xs ** 2 + 2 * xs * np.sin(xs), rtol=1e-12)


# -- higher order -------------------------------------------------------------------------------------------

def coupled(x):
    """f(x) = sum(sin x) * sum(x^2): a scalar whose Hessian is dense."""
    return fnp.sum(fnp.sin(x)) * fnp.sum(x ** 2)


def coupled_hessian(x):
    s, q = np.sum(np.sin(x)), np.sum(x ** 2)
    return (np.diag(-np.sin(x) * q + 2 * s) + 2 * np.outer(np.cos(x), x) + 2 * np.outer(x, np.cos(x)))


def test_jacfwd_of_jacrev_equals_hessian_equals_analytic():
    x = RNG.normal(size=4)
    expected = coupled_hessian(x)
    for h in (fnx.jacfwd(fnx.jacrev(coupled)), fnx.hessian(coupled), fnx.jacrev(fnx.jacfwd(coupled)),
              fnx.jacfwd(fnx.jacfwd(coupled)), fnx.jacrev(fnx.grad(coupled))):
        np.testing.assert_allclose(both(h, x), expected, rtol=1e-11, atol=1e-12)


def test_hessian_of_a_matrix_argument_has_shape_in_plus_in():
    a = RNG.normal(size=(2, 3))
    h = both(fnx.hessian(lambda m: fnp.sum(m ** 3)), a)
    assert h.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(h.reshape(6, 6), np.diag(6 * a.ravel()), rtol=1e-12)


def test_grad_of_grad_of_grad():
    f = lambda x: x ** 3 * fnp.sin(x)  # noqa: E731
    x = 0.7
    d1, d2, d3 = fnx.grad(f), fnx.grad(fnx.grad(f)), fnx.grad(fnx.grad(fnx.grad(f)))
    s, c = np.sin(x), np.cos(x)
    np.testing.assert_allclose(both(d1, x), 3 * x ** 2 * s + x ** 3 * c, rtol=1e-13)
    np.testing.assert_allclose(both(d2, x), 6 * x * s + 6 * x ** 2 * c - x ** 3 * s, rtol=1e-13)
    np.testing.assert_allclose(both(d3, x), 6 * s + 18 * x * c - 9 * x ** 2 * s - x ** 3 * c, rtol=1e-12)


# -- control flow -------------------------------------------------------------------------------------------

def inner_loss(x, a):
    return 0.5 * fnp.sum(a * x ** 2)


def descend(a, x0, steps=4, lr=0.1):
    """``steps`` of gradient descent on inner_loss(., a), as a scan whose body calls fnx.grad."""
    def step(x, _):
        return x - lr * fnx.grad(inner_loss)(x, a), inner_loss(x, a)
    x, losses = fnx.lax.scan(step, x0, None, length=steps)
    return fnp.sum(x ** 2) + 0.0 * fnp.sum(losses)


def test_grad_of_scan_whose_body_calls_grad():
    a, x0 = np.array([0.5, 1.5, 2.0]), np.array([1.0, -2.0, 0.5])
    n, lr = 4, 0.1
    # x_n = x0 (1 - lr a)^n, so d/da sum(x_n^2) = -2 n lr x0^2 (1 - lr a)^(2n - 1)
    expected = -2 * n * lr * x0 ** 2 * (1 - lr * a) ** (2 * n - 1)
    g = both(fnx.grad(descend), a, x0)
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    np.testing.assert_allclose(g, numeric_grad(lambda a_: descend(a_, x0), a), rtol=1e-7)


def test_vmap_of_scan_of_vmap_equals_loop():
    ws, cs = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    xs = RNG.normal(size=(5, 4))

    def run(w, c0):
        def step(c, x):
            c = fnx.vmap(lambda ci, wi, xi: fnp.tanh(ci * wi + xi))(c, w, x)
            return c, fnp.sum(c)
        return fnx.lax.scan(step, c0, xs)

    carry, ys = both(fnx.vmap(run), ws, cs)
    for b in range(3):
        c, outs = cs[b], []
        for x in xs:
            c = np.tanh(c * ws[b] + x)
            outs.append(c.sum())
        np.testing.assert_allclose(carry[b], c, rtol=1e-12)
        np.testing.assert_allclose(ys[b], outs, rtol=1e-12)


# -- forward mode with vmap ---------------------------------------------------------------------------------

def test_jvp_of_vmap_and_vmap_of_jvp_agree_with_analytic():
    xs, ts = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    f = lambda x: fnp.exp(x) * fnp.sum(x)  # noqa: E731
    expected_out = np.exp(xs) * xs.sum(1, keepdims=True)
    expected_t = np.exp(xs) * ts * xs.sum(1, keepdims=True) + np.exp(xs) * ts.sum(1, keepdims=True)

    out, t = both(lambda x, t: fnx.jvp(fnx.vmap(f), (x,), (t,)), xs, ts)
    np.testing.assert_allclose(out, expected_out, rtol=1e-12)
    np.testing.assert_allclose(t, expected_t, rtol=1e-12)
    out2, t2 = both(fnx.vmap(lambda x, t: fnx.jvp(f, (x,), (t,))), xs, ts)
    np.testing.assert_allclose(out2, expected_out, rtol=1e-12)
    np.testing.assert_allclose(t2, expected_t, rtol=1e-12)


def test_linearize_matches_jvp_and_vmaps():
    x = RNG.normal(size=3)
    f = lambda v: fnp.sin(v) * fnp.sum(v ** 2)  # noqa: E731
    out, f_jvp = fnx.linearize(f, x)
    np.testing.assert_allclose(np.asarray(out), np.sin(x) * np.sum(x ** 2), rtol=1e-13)
    for t in RNG.normal(size=(2, 3)):
        np.testing.assert_allclose(np.asarray(f_jvp(t)), np.asarray(fnx.jvp(f, (x,), (t,))[1]), rtol=1e-13)
    jacobian = both(fnx.vmap(f_jvp, out_axes=1), np.eye(3))
    np.testing.assert_allclose(jacobian, np.asarray(fnx.jacrev(f)(x)), rtol=1e-12)


# -- jaxprs of transformed functions ------------------------------------------------------------------------

def equation_names(closed) -> list[str]:
    return [eqn.primitive.name for eqn in closed.jaxpr.eqns]


def test_make_jaxpr_of_transformed_functions_prints():
    x = np.ones(3)
    grad_jaxpr = fnx.make_jaxpr(fnx.grad(lambda v: fnp.sum(fnp.sin(v))))(x)
    assert "cos" in equation_names(grad_jaxpr) and "cos" in str(grad_jaxpr)
    assert str(grad_jaxpr).startswith("{ lambda ")

    vmap_jaxpr = fnx.make_jaxpr(fnx.vmap(lambda m, v: fnp.dot(m, v), in_axes=(0, None)))(np.ones((4, 2, 3)), x)
    assert "dot_general" in equation_names(vmap_jaxpr)
    assert "f64[4,2]" in str(vmap_jaxpr)

    jvp_jaxpr = fnx.make_jaxpr(lambda v, t: fnx.jvp(fnp.exp, (v,), (t,)))(x, x)
    names = equation_names(jvp_jaxpr)
    assert "exp" in names and "mul" in names
    assert len(jvp_jaxpr.jaxpr.outvars) == 2

    hess_jaxpr = fnx.make_jaxpr(fnx.hessian(coupled))(x)
    assert "sin" in equation_names(hess_jaxpr) and "cos" in equation_names(hess_jaxpr)
    assert hess_jaxpr.out_avals[0].shape == (3, 3)
    fnx.check_jaxpr(hess_jaxpr.jaxpr)


# -- per-example gradients of an MLP ------------------------------------------------------------------------

def init_mlp(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return {f"layer{i}": {"w": rng.normal(size=(m, n)) / np.sqrt(m), "b": rng.normal(size=n) * 0.1}
            for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]))}


def mlp_loss(params, x, y):
    """Softmax cross-entropy of a tanh MLP on one example (x: features, y: one-hot label)."""
    h = x
    layers = [params[k] for k in sorted(params)]
    for layer in layers[:-1]:
        h = fnp.tanh(fnp.dot(h, layer["w"]) + layer["b"])
    logits = fnp.dot(h, layers[-1]["w"]) + layers[-1]["b"]
    return fnp.logsumexp(logits) - fnp.sum(logits * y)


@settings(max_examples=8, deadline=None)
@given(batch=st.integers(1, 4), n_in=st.integers(1, 4), hidden=st.integers(1, 5), seed=st.integers(0, 99))
def test_per_example_gradients_of_mlp_equal_the_loop(batch, n_in, hidden, seed):
    rng = np.random.default_rng(seed)
    params = init_mlp([n_in, hidden, 3], seed)
    xs = rng.normal(size=(batch, n_in))
    ys = np.eye(3)[rng.integers(0, 3, batch)]
    per_example = fnx.vmap(fnx.grad(mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    loop = [fnx.tree_map(np.asarray, fnx.grad(mlp_loss)(params, xs[i], ys[i])) for i in range(batch)]
    expected = fnx.tree_map(lambda *gs: np.stack(gs), *loop)
    assert_same(fnx.tree_map(np.asarray, per_example), expected, rtol=1e-11)
    assert per_example["layer0"]["w"].shape == (batch, n_in, hidden)


def test_per_example_gradients_traced_and_summed():
    params = init_mlp([3, 4, 4, 3], seed=1)
    xs, ys = RNG.normal(size=(5, 3)), np.eye(3)[[0, 2, 1, 1, 0]]
    per_example = both(fnx.vmap(fnx.grad(mlp_loss), in_axes=(None, 0, 0)), params, xs, ys)

    def batch_loss(p):
        return fnp.sum(fnx.vmap(mlp_loss, in_axes=(None, 0, 0))(p, xs, ys))
    total = fnx.tree_map(np.asarray, fnx.grad(batch_loss)(params))
    assert_same(fnx.tree_map(lambda g: g.sum(0), per_example), total, rtol=1e-11, atol=1e-14)
    numeric = numeric_grad(lambda p: float(batch_loss(p)), params)
    assert_same(total, numeric, rtol=1e-6, atol=1e-8)


# -- pytrees, argnums, has_aux ------------------------------------------------------------------------------

def test_gradients_with_respect_to_nested_pytrees():
    params = {"dense": {"w": RNG.normal(size=(2, 3)), "b": RNG.normal(size=3)},
              "stack": [RNG.normal(size=3), (RNG.normal(size=()), RNG.normal(size=2))]}
    x = RNG.normal(size=2)

    def f(p):
        h = fnp.tanh(fnp.dot(x, p["dense"]["w"]) + p["dense"]["b"])
        v, (s, pair) = p["stack"]
        return fnp.sum(h * v) * s + fnp.sum(pair ** 2) * fnp.sum(h)

    g = both(fnx.grad(f), params)
    assert isinstance(g["stack"], list) and isinstance(g["stack"][1], tuple)
    assert_same(g, numeric_grad(f, params), rtol=1e-7, atol=1e-9)


def test_argnums_tuple_returns_a_tuple_of_gradients():
    def f(a, b, c):
        return fnp.sum(a * b ** 2) + c["k"] * fnp.sum(a)
    a, b, c = RNG.normal(size=3), RNG.normal(size=3), {"k": np.asarray(1.5)}
    ga, gc = both(fnx.grad(f, argnums=(0, 2)), a, b, c)
    np.testing.assert_allclose(ga, b ** 2 + 1.5, rtol=1e-13)
    np.testing.assert_allclose(gc["k"], a.sum(), rtol=1e-13)
    (value, (gb, ga2)) = fnx.value_and_grad(f, argnums=(1, 0))(a, b, c)
    np.testing.assert_allclose(np.asarray(value), np.sum(a * b ** 2) + 1.5 * a.sum(), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(gb), 2 * a * b, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(ga2), ga, rtol=1e-13)


def test_has_aux_under_vmap():
    def loss(w, x):
        pred = fnp.dot(x, w)
        return pred ** 2, {"pred": pred, "x_norm": fnp.sum(x ** 2)}

    w, xs = RNG.normal(size=3), RNG.normal(size=(4, 3))
    grads, aux = both(fnx.vmap(fnx.grad(loss, has_aux=True), in_axes=(None, 0)), w, xs)
    np.testing.assert_allclose(grads, 2 * (xs @ w)[:, None] * xs, rtol=1e-12)
    np.testing.assert_allclose(aux["pred"], xs @ w, rtol=1e-12)
    np.testing.assert_allclose(aux["x_norm"], (xs ** 2).sum(1), rtol=1e-12)
    (values, aux2), grads2 = fnx.vmap(fnx.value_and_grad(loss, has_aux=True), in_axes=(None, 0))(w, xs)
    np.testing.assert_allclose(np.asarray(values), (xs @ w) ** 2, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(grads2), grads, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(aux2["pred"]), xs @ w, rtol=1e-12)


# -- Jacobians of pytree functions --------------------------------------------------------------------------

def tree_fn(p):
    """{"a": (2, 3), "b": (3,)} -> {"u": (2,), "v": ()}."""
    u = fnp.dot(p["a"], fnp.sin(p["b"]))
    return {"u": u, "v": fnp.sum(p["a"] ** 2) * p["b"][0]}


@pytest.mark.parametrize("jac", [fnx.jacfwd, fnx.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_of_pytree_inputs_and_outputs(jac):
    p = {"a": RNG.normal(size=(2, 3)), "b": RNG.normal(size=3)}
    j = both(jac(tree_fn), p)
    shapes = {(o, i): j[o][i].shape for o in ("u", "v") for i in ("a", "b")}
    assert shapes == {("u", "a"): (2, 2, 3), ("u", "b"): (2, 3), ("v", "a"): (2, 3), ("v", "b"): (3,)}
    a, b = p["a"], p["b"]
    np.testing.assert_allclose(j["u"]["b"], a * np.cos(b), rtol=1e-12)
    np.testing.assert_allclose(j["u"]["a"], np.einsum("ik,j->ikj", np.eye(2), np.sin(b)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(j["v"]["a"], 2 * a * b[0], rtol=1e-12)
    np.testing.assert_allclose(j["v"]["b"], [np.sum(a ** 2), 0, 0], rtol=1e-12)


def test_jacobian_with_argnums_tuple_and_tuple_output():
    f = lambda x, y: (x * y, fnp.sum(x) * y)  # noqa: E731
    x, y = RNG.normal(size=2), RNG.normal(size=3)
    (jx0, jy0), (jx1, jy1) = both(fnx.jacrev(f, argnums=(0, 1)), np.broadcast_to(x[:1], (3,)).copy(), y)
    assert jx0.shape == jy0.shape == jx1.shape == jy1.shape == (3, 3)
    fwd = both(fnx.jacfwd(f, argnums=(0, 1)), np.broadcast_to(x[:1], (3,)).copy(), y)
    assert_same(fwd, ((jx0, jy0), (jx1, jy1)), rtol=1e-12)


# -- fnx.numpy.vectorize ------------------------------------------------------------------------------------

def piecewise(xp):
    return lambda x, y: xp.where(x > y, x - y, x * y)


@settings(max_examples=15, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 99))
def test_vectorize_elementwise_matches_np_vectorize(shapes, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.normal(size=s) for s in shapes.input_shapes)
    check_against_numpy(vectorize(piecewise(fnp)), np.vectorize(piecewise(np)), x, y)


@pytest.mark.parametrize("name, signature, max_dims", [("dot", "(n),(n)->()", 3), ("matmul", "(m,n),(n)->(m)", 2)])
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=st.integers(0, 99))
def test_vectorize_signature_matches_np_vectorize(name, signature, max_dims, data, seed):
    shapes = data.draw(mutually_broadcastable_shapes(signature=signature, max_dims=max_dims, max_side=3))
    rng = np.random.default_rng(seed)
    args = [rng.normal(size=s) for s in shapes.input_shapes]
    check_against_numpy(vectorize(getattr(fnp, name), signature=signature),
                        np.vectorize(getattr(np, name), signature=signature), *args, rtol=1e-12)


def test_vectorize_several_outputs_and_new_output_dims():
    x = RNG.normal(size=(2, 3, 4))
    lo, hi = both(vectorize(lambda r: (fnp.min(r), fnp.max(r)), signature="(n)->(),()"), x)
    np_lo, np_hi = np.vectorize(lambda r: (r.min(), r.max()), signature="(n)->(),()")(x)
    assert_same((lo, hi), (np_lo, np_hi))
    pairs = both(vectorize(lambda s: fnp.stack([s, 2 * s]), signature="()->(k)"), x[0])
    assert_same(pairs, np.vectorize(lambda s: np.stack([s, 2 * s]), signature="()->(k)")(x[0]))


def test_vectorize_excluded_and_keyword_arguments():
    def polyval(x, coefficients):
        out = 0.0
        for c in coefficients:
            out = out * x + c
        return out
    x = np.array([0.5, 1.0, 2.0])
    expected = np.vectorize(polyval, excluded={1})(x, [1.0, 2.0, 3.0])
    assert_same(both(lambda v: vectorize(polyval, excluded={1})(v, [1.0, 2.0, 3.0]), x), expected)
    by_name = vectorize(polyval, excluded={"coefficients"})(x, coefficients=[1.0, 2.0, 3.0])
    assert_same(np.asarray(by_name), expected)
    keyword_vectorized = vectorize(lambda a, b: a - b)(x, b=np.array([[1.0], [2.0]]))
    assert_same(np.asarray(keyword_vectorized), x - np.array([[1.0], [2.0]]))


def test_vectorize_keeps_python_scalars_weak_and_works_as_decorator():
    @vectorize(signature="(n)->()")
    def norm(r):
        return fnp.sqrt(fnp.sum(r * r))

    x32 = RNG.normal(size=(3, 2)).astype(np.float32)
    out = vectorize(lambda a, s: a * s)(x32, 2.0)
    assert out.dtype == np.float32
    assert_same(np.asarray(out), x32 * np.float32(2.0))
    assert_same(both(norm, x32), np.linalg.norm(x32, axis=1), rtol=1e-6)
    scaled_sum = vectorize(lambda r, s: fnp.sum(r) * s, signature="(n),()->()")(x32, 2.0)
    assert scaled_sum.dtype == np.float32  # the scalar counts as an input of the signature, yet stays weak
    assert_same(np.asarray(scaled_sum), x32.sum(1) * np.float32(2.0), rtol=1e-6)


def test_vectorize_under_grad_and_vmap():
    f = vectorize(lambda a, b: fnp.sin(a) * b)
    x, y = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    g = both(fnx.grad(lambda u: fnp.sum(f(u, y))), x)
    np.testing.assert_allclose(g, np.cos(x) * y, rtol=1e-13)
    batched = both(fnx.vmap(vectorize(fnp.dot, signature="(n),(n)->()"), in_axes=(1, None)), x.T.copy(), y)
    np.testing.assert_allclose(batched, x @ y, rtol=1e-13)


@pytest.mark.parametrize("call, message", [
    (lambda: vectorize(fnp.dot, signature="(n),(n)->()")(np.ones(3), np.ones(4)), "inconsistent sizes"),
    (lambda: vectorize(fnp.matmul, signature="(m,n),(n)->(m)")(np.ones(3), np.ones(3)), "fewer than"),
    (lambda: vectorize(fnp.dot, signature="(n),(n)->()")(np.ones(3)), "1 vectorized arguments"),
    (lambda: vectorize(fnp.dot, signature="(n),(n)->()")(np.ones(3), 2.0), "argument 1 has shape ()"),
    (lambda: vectorize(fnp.dot, signature="(n),(n)-()"), "invalid signature"),
    (lambda: vectorize(fnp.dot, signature="(n),(n)->(n)")(np.ones(3), np.ones(3)), "output 0 has shape ()"),
    (lambda: vectorize(lambda r: fnp.stack([r, r]))(np.ones(3)), "must return scalars"),
    (lambda: vectorize(lambda a, b: a + b)(np.ones(3), np.ones(4)), "cannot be broadcast"),
])
def test_vectorize_errors(call, message):
    with pytest.raises(FnxTypeError, match=re.escape(message)):
        call()


# -- more nesting through control flow ----------------------------------------------------------------------

def huber(x, delta=1.0):
    """Per-example Huber loss through fnx.lax.cond (a batched predicate under vmap)."""
    return fnx.lax.cond(fnp.abs(x) < delta, lambda v: 0.5 * v ** 2, lambda v: delta * (fnp.abs(v) - 0.5 * delta), x)


def test_vmap_of_grad_through_cond():
    xs = np.array([-2.5, -0.3, 0.0, 0.7, 1.9])
    g = both(fnx.vmap(fnx.grad(huber)), xs)
    np.testing.assert_allclose(g, np.clip(xs, -1.0, 1.0), rtol=1e-14)


def power_by_scan(a, k=4):
    """a^k by a scan that multiplies a carry by ``a`` k times."""
    out, _ = fnx.lax.scan(lambda c, _: (c * a, None), fnp.ones_like(a), None, length=k)
    return fnp.sum(out)


def test_second_derivatives_through_scan():
    a = np.array([0.5, -1.5, 2.0])
    np.testing.assert_allclose(both(fnx.grad(power_by_scan), a), 4 * a ** 3, rtol=1e-13)
    np.testing.assert_allclose(both(fnx.hessian(power_by_scan), a), np.diag(12 * a ** 2), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(both(fnx.vmap(fnx.grad(fnx.grad(lambda s: power_by_scan(s, 3)))), a), 6 * a,
                               rtol=1e-13)


# -- errors in composed transforms --------------------------------------------------------------------------

def test_composed_transform_errors_name_the_problem():
    xs = np.ones((3, 2))
    with pytest.raises(FnxTypeError, match="float scalar"):
        fnx.vmap(fnx.grad(lambda x: x * 2))(xs)  # per example the output is a vector
    with pytest.raises(FnxTypeError, match="float scalar"):
        fnx.grad(fnx.vmap(lambda x: fnp.sum(x)))(xs)  # the vmapped output is batched, not a scalar
    with pytest.raises(FnxTypeError, match="int64"):
        fnx.vmap(fnx.grad(lambda x: fnp.sum(x * 1.0)))(np.ones((3, 2), dtype=np.int64))
    with pytest.raises(FnxTypeError, match="batch size"):
        fnx.grad(lambda w: fnp.sum(fnx.vmap(lambda a, b: a * b)(w, np.ones(4))))(np.ones(3))
