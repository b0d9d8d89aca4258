"""Derivatives of the elementwise functions and of the autodiff API (argnums, has_aux, pytrees, errors)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx.core.errors import ConcretizationError, FnxTypeError
from gradcheck import check_grads

UNARY = {  # name: domain (low, high)
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1, 1), "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9),
    "arctan": (-3, 3), "sinh": (-3, 3), "cosh": (-3, 3), "tanh": (-3, 3), "arcsinh": (-3, 3),
    "arccosh": (1.1, 4), "arctanh": (-0.9, 0.9), "exp": (-3, 3), "exp2": (-3, 3), "expm1": (-3, 3),
    "log": (0.1, 4), "log2": (0.1, 4), "log10": (0.1, 4), "log1p": (-0.9, 4), "sqrt": (0.1, 4),
    "cbrt": (0.1, 4), "sigmoid": (-4, 4), "absolute": (0.1, 3), "negative": (-3, 3), "square": (-3, 3),
    "reciprocal": (0.5, 3),
}
BINARY = {"add": (-3, 3), "subtract": (-3, 3), "multiply": (-3, 3), "divide": (0.5, 3), "power": (0.5, 2),
          "arctan2": (0.5, 3), "hypot": (0.5, 3), "logaddexp": (-3, 3), "maximum": (-3, 3), "minimum": (-3, 3),
          "remainder": (0.5, 3), "copysign": (0.5, 3)}

shapes = hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)


def uniform(shape, lo, hi, seed):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=8, deadline=None)
@given(shape=shapes, seed=st.integers(0, 1000))
def test_unary_derivatives(name, shape, seed):
    check_grads(getattr(fnp, name), [uniform(shape, *UNARY[name], seed)])


SPECIAL = {"erf": (-2, 2), "erfc": (-2, 2), "erf_inv": (-0.9, 0.9), "lgamma": (0.2, 6), "digamma": (0.2, 6),
           "digamma of negatives": (-2.9, -2.1)}


@pytest.mark.parametrize("name", sorted(SPECIAL))
@settings(max_examples=8, deadline=None)
@given(shape=shapes, seed=st.integers(0, 1000))
def test_special_function_derivatives(name, shape, seed):
    check_grads(getattr(fnx.lax, name.split()[0]), [uniform(shape, *SPECIAL[name], seed)])


def test_trigamma_and_higher_derivatives_of_digamma_match_scipy():
    from scipy import special
    x = np.concatenate([np.linspace(-5.5, 40.0, 3001), [1e-3, 0.5, 1e3, 1e6]])
    x = x[np.abs(x - np.round(x)) > 1e-6]  # away from the poles at 0, -1, -2, ...
    d1 = fnx.vmap(fnx.grad(fnx.lax.digamma))(x)
    np.testing.assert_allclose(d1, special.polygamma(1, x), rtol=1e-12)
    d2 = fnx.vmap(fnx.grad(fnx.grad(fnx.lax.digamma)))(x)
    np.testing.assert_allclose(d2, special.polygamma(2, x), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=8, deadline=None)
@given(shape=shapes, scalar_y=st.booleans(), seed=st.integers(0, 1000))
def test_binary_derivatives_incl_broadcast_scalars(name, shape, scalar_y, seed):
    x = uniform(shape, *BINARY[name], seed)
    y = uniform(() if scalar_y else shape, *BINARY[name], seed + 1)
    if name in ("maximum", "minimum", "remainder"):  # keep away from ties and jumps
        y = y + 0.25 * np.sign(y - x + 1e-9) * (np.abs(y - x) < 0.25)
        if name == "remainder":
            x = np.abs(x) + 0.1
            y = np.full_like(y, 0.7)
            x = np.where(np.abs(np.remainder(x, 0.7)) < 0.05, x + 0.1, x)
    check_grads(getattr(fnp, name), [x, y])


def test_max_min_ties_split_the_derivative():
    x = np.array([1.0, 2.0, 3.0])
    assert fnx.grad(lambda v: fnp.sum(fnp.maximum(v, 2.0)))(x).tolist() == [0.0, 0.5, 1.0]
    assert fnx.grad(lambda v: fnp.sum(fnp.minimum(v, v)))(x).tolist() == [1.0, 1.0, 1.0]


def test_where_clip_and_casts():
    x = np.array([-2.0, 0.5, 3.0])
    check_grads(lambda v: fnp.where(v > 0, v ** 2, -v), [x])
    check_grads(lambda v: fnp.clip(v, -1.0, 1.0) * v, [x])
    check_grads(lambda v: v.astype(np.float32).astype(np.float64) * v, [x], eps=1e-2, rtol=1e-3, atol=1e-3,
                consistency=1e-6)
    assert fnx.grad(lambda v: fnp.sum(v.astype(np.int32) * 1.0))(x).tolist() == [0.0, 0.0, 0.0]


def test_power_edge_cases():
    assert float(fnx.grad(lambda v: v ** 2)(0.0)) == 0.0
    assert float(fnx.grad(lambda v: v ** 0.0)(0.0)) == 0.0
    assert float(fnx.grad(lambda y: fnp.power(0.0, y), argnums=0)(2.0)) == 0.0
    assert float(fnx.grad(lambda v: fnp.power(v, 3))(2.0)) == 12.0


def test_argnums_has_aux_and_pytrees():
    def loss(params, x, y):
        pred = params["w"] * x + params["b"]
        return fnp.sum((pred - y) ** 2), pred
    params = {"w": np.array([1.0, 2.0]), "b": 0.5}
    x, y = np.array([1.0, 3.0]), np.array([2.0, 2.0])
    (value, pred), grads = fnx.value_and_grad(loss, has_aux=True)(params, x, y)
    residual = (params["w"] * x + 0.5) - y
    assert float(value) == float(np.sum(residual ** 2))
    np.testing.assert_allclose(grads["w"], 2 * residual * x)
    np.testing.assert_allclose(grads["b"], np.sum(2 * residual))
    gx, gy = fnx.grad(lambda a, b: fnp.sum(a * b), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, y)
    np.testing.assert_array_equal(gy, x)
    g_list = fnx.grad(lambda ws: ws[0] * ws[1][0])([2.0, (3.0,)])
    assert [float(g_list[0]), float(g_list[1][0])] == [3.0, 2.0]


def test_python_numbers_are_default_floats_and_integer_arrays_are_refused():
    assert float(fnx.grad(lambda v: v * v)(3)) == 6.0
    with pytest.raises(FnxTypeError, match="argument 0 has dtype int64"):
        fnx.grad(lambda v: fnp.sum(v * 1.0))(np.arange(3))
    with pytest.raises(FnxTypeError, match="float scalar"):
        fnx.grad(lambda v: v * 2.0)(np.ones(3))


def test_python_control_flow_under_grad_without_jit():
    def f(x):
        if x > 0:
            return x ** 3
        return -2.0 * x
    assert float(fnx.grad(f)(2.0)) == 12.0 and float(fnx.grad(f)(-1.0)) == -2.0
    assert float(fnx.grad(fnx.grad(f))(2.0)) == 12.0
    with pytest.raises(ConcretizationError, match="bool"):
        fnx.make_jaxpr(fnx.grad(f))(2.0)


def test_second_derivatives_and_jacobians():
    f = lambda v: fnp.sum(fnp.sin(v) * v)  # noqa: E731
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(fnx.grad(f)(x), np.cos(x) * x + np.sin(x))
    np.testing.assert_allclose(fnx.jacfwd(lambda v: fnp.sin(v) * v)(x), np.diag(np.cos(x) * x + np.sin(x)))
    np.testing.assert_allclose(fnx.jacrev(lambda v: fnp.sin(v) * v)(x), np.diag(np.cos(x) * x + np.sin(x)))


def test_stop_gradient():
    assert float(fnx.grad(lambda v: v * fnx.stop_gradient(v))(3.0)) == 3.0
    assert float(fnx.jvp(lambda v: fnx.stop_gradient(v * v), (3.0,), (1.0,))[1]) == 0.0


def test_custom_jvp_both_modes_and_vmap():
    @fnx.custom_jvp
    def log1pexp(x):
        return fnp.log1p(fnp.exp(x))

    @log1pexp.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t * fnp.sigmoid(x)

    assert float(fnx.grad(log1pexp)(1000.0)) == 1.0  # the naive derivative would be nan
    assert float(fnx.jvp(log1pexp, (0.0,), (2.0,))[1]) == 1.0
    np.testing.assert_allclose(fnx.vmap(fnx.grad(log1pexp))(fnp.array([0.0, 1000.0])), [0.5, 1.0])


def test_custom_vjp_gradient_clipping_and_the_axpb_op():
    @fnx.custom_vjp
    def clip_gradient(x):
        return x
    clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (fnp.clip(g, -1.0, 1.0),))
    assert float(fnx.grad(lambda x: 5.0 * clip_gradient(x))(2.0)) == 1.0
    np.testing.assert_allclose(fnx.vmap(fnx.grad(lambda x: 5.0 * clip_gradient(x) * x))(fnp.array([0.1, 2.0])),
                               [1.0, 11.0])
    with pytest.raises(FnxTypeError, match="forward-mode"):
        fnx.jvp(clip_gradient, (1.0,), (1.0,))

    # Bourez ch. 13: the AXPB op a*x + b with a = 4, b = 5; the gradient of its sum is 4 everywhere.
    @fnx.custom_vjp
    def axpb(x, a, b):
        return a * x + b
    axpb.defvjp(lambda x, a, b: (a * x + b, a), lambda a, g: (a * g, None, None))
    x = np.random.default_rng(0).random((3, 2))
    np.testing.assert_allclose(axpb(x, 4.0, 5.0), 4 * x + 5)
    np.testing.assert_array_equal(fnx.grad(lambda v: fnp.sum(axpb(v, 4.0, 5.0)))(x), np.full((3, 2), 4.0))
    np.testing.assert_allclose(axpb(axpb(x, 4.0, 5.0), 3.0, -10.0), 12 * x + 5)
