"""Complex numbers end to end (docs/complex.md): promotion as NumPy 2's, creation, elementwise functions,
reductions and linear algebra against NumPy, eagerly and under jit; derivatives against JAX's (grad of real
functions of complex arguments, holomorphic grad, jvp, vjp); vmap against a loop; clear errors for what
complex numbers do not have (order)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.core.errors import FnxTypeError

COMPLEX = (np.complex64, np.complex128)
RTOL = {np.dtype(np.complex64): 2e-5, np.dtype(np.complex128): 1e-12}
RNG = np.random.default_rng(0)


def random_complex(shape, dtype, rng=RNG):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def close(got, want, dtype, scale=1.0):
    """``got`` (an fnx result) has NumPy's dtype and values (to ``scale`` times the dtype's tolerance)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=RTOL[np.dtype(dtype)] * scale, atol=RTOL[np.dtype(dtype)] * scale)


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


# -- dtypes and promotion ------------------------------------------------------------------------------------

DTYPES = ["bool", "int8", "uint8", "int32", "int64", "float32", "float64", "complex64", "complex128"]


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", ["complex64", "complex128"])
def test_promotion_with_complex_is_numpy_s(a, b):
    assert fnp.result_type(np.dtype(a), np.dtype(b)) == np.result_type(a, b)
    got = fnp.add(np.zeros(2, a), np.zeros(2, b))
    assert got.dtype == (np.zeros(2, a) + np.zeros(2, b)).dtype


@pytest.mark.parametrize("a", DTYPES)
def test_a_python_complex_is_weak_as_in_numpy(a):
    assert (fnp.zeros(2, a) + 1j).dtype == (np.zeros(2, a) + 1j).dtype
    assert fnp.result_type(np.dtype(a), 1j) == np.result_type(np.dtype(a), 1j)
    assert fnx.jit(lambda x: x * 2j)(np.ones(2, a)).dtype == (np.ones(2, a) * 2j).dtype


def test_default_float32_makes_python_complexes_complex64():
    try:
        fnx.config.update("default_float", "float32")
        assert fnp.asarray(1j).dtype == np.complex64 and fnp.array([1 + 2j, 3]).dtype == np.complex64
        assert (fnp.arange(3) * 1j).dtype == np.complex64
    finally:
        fnx.config.update("default_float", "float64")
    assert fnp.asarray(1j).dtype == np.complex128 and (fnp.arange(3) * 1j).dtype == np.complex128


def test_finfo_of_a_complex_dtype_is_its_parts():
    assert fnp.finfo(np.complex64).eps == np.finfo(np.float32).eps
    assert fnp.finfo(fnp.complex128).max == np.finfo(np.float64).max


# -- creation ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", COMPLEX)
def test_creation(dtype):
    np.testing.assert_array_equal(fnp.array([[1 + 2j, 3], [4j, -1]], dtype), np.array([[1 + 2j, 3], [4j, -1]], dtype))
    assert fnp.array([1 + 2j], dtype).dtype == dtype and fnp.asarray(np.ones(2, dtype)).dtype == dtype
    for got, want in [(fnp.zeros((2, 3), dtype), np.zeros((2, 3), dtype)), (fnp.ones(3, dtype), np.ones(3, dtype)),
                      (fnp.full((2,), 1 - 1j, dtype), np.full((2,), 1 - 1j, dtype)),
                      (fnp.zeros_like(np.ones(2, dtype)), np.zeros(2, dtype)),
                      (fnp.eye(2, dtype=dtype), np.eye(2, dtype=dtype)),
                      (fnp.dtype(dtype).type(1.5j) * fnp.ones(2, dtype), np.full(2, 1.5j, dtype))]:
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    callable_dtype = {np.complex64: fnp.complex64, np.complex128: fnp.complex128}[dtype]
    assert callable_dtype(2 - 1j).dtype == dtype and complex(callable_dtype(2 - 1j)) == 2 - 1j
    assert fnp.full((2,), 1j).dtype == np.complex128 and fnp.asarray(3j).item() == 3j
    assert fnp.iscomplexobj([1, 2j]) and fnp.iscomplexobj(fnp.ones(2, dtype)) and fnp.isrealobj(np.ones(2))


def test_complex_of_infinite_parts_is_exact():
    got = lax.complex(np.array([np.inf, 1.0]), np.array([1.0, -np.inf]))
    assert got.dtype == np.complex128 and np.asarray(got).tolist() == [complex(np.inf, 1.0), complex(1.0, -np.inf)]
    assert np.asarray(fnx.jit(lax.complex)(np.array([np.inf]), np.array([2.0]))).tolist() == [complex(np.inf, 2.0)]


# -- elementwise, eager and compiled ---------------------------------------------------------------------------

UNARY = {  # fnx.numpy name: NumPy's function
    "negative": np.negative, "conj": np.conj, "real": np.real, "imag": np.imag, "abs": np.abs, "sign": np.sign,
    "angle": np.angle, "square": np.square, "reciprocal": np.reciprocal, "exp": np.exp, "exp2": np.exp2,
    "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "arcsinh": np.arcsinh, "arccosh": np.arccosh,
    "arctanh": np.arctanh, "isfinite": np.isfinite, "isnan": np.isnan, "isinf": np.isinf}
BINARY = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
          "power": np.power, "equal": np.equal, "not_equal": np.not_equal}


def _all_unary(z):
    return tuple(getattr(fnp, name)(z) for name in UNARY)


def _all_binary(z, w):
    return tuple(getattr(fnp, name)(z, w) for name in BINARY)


_jit_unary, _jit_binary = fnx.jit(lambda z: (_all_unary(z), _all_unary(z[1, 2]))), fnx.jit(_all_binary)

complex_dtypes = st.sampled_from(COMPLEX)


def complex_arrays(dtype, shape):
    parts = st.floats(-3, 3, width=32)
    return hnp.arrays(dtype, shape, elements=st.builds(complex, parts, parts))


@settings(max_examples=20, deadline=None)
@given(data=st.data(), dtype=complex_dtypes, shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
def test_unary_functions_eagerly_as_numpy(data, dtype, shape):
    z = data.draw(complex_arrays(dtype, shape))
    with np.errstate(all="ignore"):
        for name, f in UNARY.items():
            close(getattr(fnp, name)(z), f(z), dtype, scale=4)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_unary_functions_compiled_as_numpy(dtype):
    z = random_complex((2, 3), dtype)
    arrays, scalars = _jit_unary(z)  # scalars are Numba scalars, arrays fused loops
    for name, got, got_scalar in zip(UNARY, arrays, scalars):
        close(got, UNARY[name](z), dtype, scale=8)
        close(got_scalar, UNARY[name](z[1, 2]), dtype, scale=8)


@settings(max_examples=20, deadline=None)
@given(data=st.data(), dtype=complex_dtypes, shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
       other=st.sampled_from(["same", "float32", "float64", "int32", "python complex", "python float"]))
def test_binary_functions_with_promotion_eagerly_as_numpy(data, dtype, shape, other):
    z = data.draw(complex_arrays(dtype, shape))
    if other == "python complex":
        w = 0.5 - 1.5j
    elif other == "python float":
        w = -1.25
    else:
        w = data.draw(complex_arrays(dtype, shape)) if other == "same" else \
            data.draw(hnp.arrays(other, shape, elements=st.integers(-3, 3).filter(bool)))
    with np.errstate(all="ignore"):
        for name, f in BINARY.items():
            close(getattr(fnp, name)(z, w), f(z, w), dtype, scale=16)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_binary_functions_compiled_as_numpy(dtype):
    z, w = random_complex((4, 3), dtype), random_complex((4, 3), dtype)
    w[0, 0] = 0  # division by zero: NumPy's inf and nan, not Python's ZeroDivisionError
    with np.errstate(all="ignore"):
        for name, got in zip(BINARY, _jit_binary(z, w)):
            close(got, BINARY[name](z, w), dtype, scale=16)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_casts_parts_and_literals_compiled(dtype):
    real = np.dtype(dtype).type(0).real.dtype

    def f(z, x):
        parts = lax.complex(x, -x) + (1.5 - 2j)
        return (z.real, z.imag, z.astype(real), z.astype(np.int32), z.astype(bool), x.astype(dtype), parts,
                z ** 3, z ** -2, fnp.where(fnp.abs(z) > 1, z, 0.5j))
    z, x = random_complex((5,), dtype) * 2, RNG.standard_normal(5).astype(real)
    z[0] = 0
    with np.errstate(all="ignore"):
        want = (z.real, z.imag, z.real.astype(real), z.real.astype(np.int32), z.astype(bool), x.astype(dtype),
                (x - 1j * x).astype(dtype) + (1.5 - 2j), z ** 3, z ** -2, np.where(np.abs(z) > 1, z, 0.5j).astype(dtype))
    for got_eager, got_jit, w in zip(f(z, x), fnx.jit(f)(z, x), want):
        close(got_eager, w, dtype)
        close(got_jit, w, dtype)


def test_infinite_complex_literals_compile():
    f = fnx.jit(lambda z: fnp.where(fnp.isnan(z), complex(np.inf, -np.inf), z))
    assert np.asarray(f(np.full(2, np.nan, np.complex64))).tolist() == [complex(np.inf, -np.inf)] * 2


# -- reductions and linear algebra ----------------------------------------------------------------------------

def _reductions(z):
    return (fnp.sum(z), fnp.sum(z, axis=0), fnp.prod(z, axis=1), fnp.mean(z), fnp.var(z, axis=1), fnp.std(z),
            fnp.cumsum(z, axis=1), fnp.sum(z * z, axis=1, keepdims=True))


_jit_reductions = fnx.jit(_reductions)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_reductions_as_numpy(dtype):
    z = random_complex((3, 4), dtype)
    want = (np.sum(z), np.sum(z, 0), np.prod(z, 1), np.mean(z), np.var(z, 1), np.std(z), np.cumsum(z, 1),
            np.sum(z * z, 1, keepdims=True))
    for got_eager, got_jit, w in zip(_reductions(z), _jit_reductions(z), want):
        close(got_eager, w, dtype, scale=8)
        close(got_jit, w, dtype, scale=8)


def test_complex64_sums_accumulate_in_complex128():
    z = np.full(2**25, 1 + 1j, np.complex64)  # added in order in complex64, the sum would stall at 2**24
    assert np.asarray(fnp.sum(z)) == 2**25 + 2**25 * 1j
    assert np.asarray(fnx.jit(fnp.sum)(z)) == 2**25 + 2**25 * 1j


def _products(a, b):
    return (a @ b, b.T @ a.T, a.T @ b.T, fnp.einsum("ij,jk->ik", a, b), fnp.dot(a[0], b),
            lax.dot_general(a[None], b[None], (((2,), (1,)), ((0,), (0,)))),
            fnp.matmul(fnp.stack([a, a]), fnp.stack([b, b * 1j])))


_jit_products = fnx.jit(_products)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("k", [0, 4])
def test_matrix_products_as_numpy(dtype, k):
    a, b = random_complex((3, k), dtype), random_complex((k, 3), dtype)
    wide = (np.asarray(w).astype(dtype) for w in _products(fnp.asarray(a.astype(np.complex128)),
                                                           fnp.asarray(b.astype(np.complex128))))
    for got_eager, got_jit, want in zip(_products(fnp.asarray(a), fnp.asarray(b)), _jit_products(a, b), wide):
        close(got_eager, want, dtype, scale=8)
        close(got_jit, want, dtype, scale=8)


def _inv_solve_det(np_, a):
    return np_.linalg.inv(a), np_.linalg.solve(a, a[..., :2] * 1j), np_.linalg.det(a)


_jit_inv_solve_det = fnx.jit(lambda a: _inv_solve_det(fnp, a))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_inv_solve_det_as_numpy(dtype):
    a = random_complex((2, 3, 3), dtype)
    for got_eager, got_jit, want in zip(_inv_solve_det(fnp, a), _jit_inv_solve_det(a), _inv_solve_det(np, a)):
        close(got_eager, want.astype(dtype), dtype, scale=100)
        close(got_jit, want.astype(dtype), dtype, scale=100)


# -- derivatives against JAX ------------------------------------------------------------------------------------

# Real-valued functions of complex arguments: fnx's and JAX's grad agree (both give the conjugate of
# df/dx + i df/dy, docs/complex.md).
REAL_VALUED = {
    "abs": lambda np_, z: np_.sum(np_.abs(z)),
    "abs2": lambda np_, z: np_.sum(np_.real(z * np_.conj(z))),
    "real_exp": lambda np_, z: np_.sum(np_.real(np_.exp(z) * np_.sin(z))),
    "imag_log": lambda np_, z: np_.sum(np_.imag(np_.log(z) / (z + 3.0))),
    "angle": lambda np_, z: np_.sum(np_.angle(z) * np_.abs(np_.tanh(z))),
    "sqrt_pow": lambda np_, z: np_.sum(np_.abs(np_.sqrt(z) ** 3 + z ** 2.5)),
    "mean_var": lambda np_, z: np_.mean(np_.abs(z - np_.mean(z)) ** 2) + np_.var(z),
    "trig": lambda np_, z: np_.sum(np_.real(np_.arctan(z) + np_.cosh(z) * np_.arcsinh(z))),
    "matmul": lambda np_, z: np_.sum(np_.abs(z @ z.T) ** 2),
    "det_inv": lambda np_, z: np_.abs(np_.linalg.det(z)) + np_.sum(np_.real(np_.linalg.inv(z))),
}


_jit_grads = fnx.jit(lambda z: tuple(fnx.grad(lambda z, f=f: f(fnp, z))(z) for f in REAL_VALUED.values()))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_grad_of_real_valued_functions_is_jax_s(jax, dtype):
    z = random_complex((3, 3), dtype) + 2.0
    for f, got_jit in zip(REAL_VALUED.values(), _jit_grads(z)):
        want = np.asarray(jax.grad(lambda z: f(jax.numpy, z))(z))
        close(fnx.grad(lambda z: f(fnp, z))(z), want, dtype, scale=200)
        close(got_jit, want, dtype, scale=200)


HOLOMORPHIC = {
    "poly": lambda np_, z: z * z * z - 2.0j * z,
    "exp_sin": lambda np_, z: np_.exp(z) * np_.sin(z) / (z + 1.0),
    "log_sqrt": lambda np_, z: np_.log(z) + np_.sqrt(z) * np_.tanh(z),
    "pow": lambda np_, z: z ** (0.5 + 1j) + (1.0 + 0.5j) ** z,
}


def test_holomorphic_grad_is_jax_s(jax):
    z = np.complex128(0.7 - 0.4j)
    grads = [fnx.grad(lambda z, f=f: f(fnp, z), holomorphic=True) for f in HOLOMORPHIC.values()]
    for f, grad, got_jit in zip(HOLOMORPHIC.values(), grads, fnx.jit(lambda z: [g(z) for g in grads])(z)):
        want = np.asarray(jax.grad(lambda z: f(jax.numpy, z), holomorphic=True)(z))
        close(grad(z), want, np.complex128)
        close(got_jit, want, np.complex128)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("name", ["poly", "exp_sin", "log_sqrt", "abs_conj"])
def test_jvp_and_vjp_are_jax_s(jax, dtype, name):
    f = HOLOMORPHIC.get(name, lambda np_, z: np_.abs(z) * np_.conj(z) + np_.real(z) * 1j)
    z, t = random_complex((4,), dtype) + 1.0, random_complex((4,), dtype)
    out, tangent = fnx.jvp(lambda z: f(fnp, z), (z,), (t,))
    jout, jtangent = jax.jvp(lambda z: f(jax.numpy, z), (z,), (t,))
    close(out, np.asarray(jout), dtype, scale=10)
    close(tangent, np.asarray(jtangent), dtype, scale=10)
    _, pullback = fnx.vjp(lambda z: f(fnp, z), z)
    _, jpullback = jax.vjp(lambda z: f(jax.numpy, z), z)
    close(pullback(t)[0], np.asarray(jpullback(t)[0]), dtype, scale=10)


def test_real_to_complex_functions_differentiate_as_jax(jax):
    f = lambda np_, x: np_.sum(np_.abs(np_.exp(1j * x) + x * (2 - 1j)) ** 2)  # noqa: E731
    x = RNG.standard_normal(5)
    close(fnx.grad(lambda x: f(fnp, x))(x), np.asarray(jax.grad(lambda x: f(jax.numpy, x))(x)), np.complex128)
    g = lambda np_, x, y: np_.sum(np_.abs(lax.complex(x, y) if np_ is fnp else jax.lax.complex(x, y)) ** 3)  # noqa: E731
    y = RNG.standard_normal(5)
    got = fnx.grad(lambda x, y: g(fnp, x, y), argnums=(0, 1))(x, y)
    want = jax.grad(lambda x, y: g(jax.numpy, x, y), argnums=(0, 1))(x, y)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_grad_checks_its_dtypes():
    with pytest.raises(FnxTypeError, match="holomorphic=True"):
        fnx.grad(lambda z: z * z)(1j)
    with pytest.raises(FnxTypeError, match="complex arguments"):
        fnx.grad(lambda z: z * 1j, holomorphic=True)(1.0)
    with pytest.raises(FnxTypeError, match="complex scalar"):
        fnx.grad(lambda z: fnp.abs(z), holomorphic=True)(1j)


# -- vmap ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", COMPLEX)
def test_vmap_is_a_loop(dtype):
    def f(z, w):
        return fnp.sum(fnp.exp(z) * fnp.conj(w)) + fnp.abs(z @ w), lax.complex(fnp.real(z), fnp.abs(w))
    z, w = random_complex((5, 3), dtype), random_complex((5, 3), dtype)
    got = fnx.vmap(f)(z, w)
    got_jit = fnx.jit(fnx.vmap(f))(z, w)
    for i in range(5):
        for g, gj, e in zip(got, got_jit, f(fnp.asarray(z[i]), fnp.asarray(w[i]))):
            close(g[i], np.asarray(e), dtype, scale=10)
            close(gj[i], np.asarray(e), dtype, scale=10)
    per_example = fnx.vmap(fnx.grad(lambda z: fnp.sum(fnp.abs(fnp.sin(z)))))(z)
    for i in range(5):
        close(per_example[i], fnx.grad(lambda z: fnp.sum(fnp.abs(fnp.sin(z))))(z[i]), dtype, scale=10)


# -- what complex numbers do not have: an order ------------------------------------------------------------------

ORDERED = [lambda z: fnp.asarray(z) < z, lambda z: fnp.maximum(z, 1), lambda z: fnp.max(z), lambda z: fnp.argmin(z),
           lambda z: fnp.sort(z), lambda z: lax.lt(z, z), lambda z: lax.reduce_min(z, (0,)),
           lambda z: fnp.cumulative_max(z) if hasattr(fnp, "cumulative_max") else lax.cummax(z),
           lambda z: fnp.floor(z), lambda z: fnp.clip(z, 0, 1)]


@pytest.mark.parametrize("f", ORDERED)
def test_order_is_a_clear_error_eagerly_and_traced(f):
    z = np.array([1 + 2j, -1j])
    for run in (f, fnx.jit(f)):
        with pytest.raises(FnxTypeError, match=r"c128\[2\]|complex"):
            run(z)


def test_conjugating_products_norms_and_closeness_as_numpy():
    a, b = random_complex((2, 3), np.complex128), random_complex((2, 3), np.complex128)
    close(fnp.vdot(a, b), np.vdot(a, b), np.complex128)
    close(fnp.vecdot(a, b), np.vecdot(a, b), np.complex128)
    close(fnx.jit(fnp.vecdot)(a, b), np.vecdot(a, b), np.complex128)
    for ord in (None, 1, np.inf, 3):
        close(fnp.linalg.norm(a[0], ord), np.linalg.norm(a[0], ord), np.complex128)
    for ord in (None, "fro", 1, -np.inf, 2, -2, "nuc"):
        close(fnp.linalg.norm(a, ord), np.linalg.norm(a, ord), np.complex128)
    np.testing.assert_array_equal(fnp.isclose(a, a + 1e-9j), np.isclose(a, a + 1e-9j))
    assert fnp.allclose(a, a * (1 + 1e-12)) and fnp.astype(fnp.ones(2), complex).dtype == np.complex128


def test_lax_does_not_promote_a_python_complex():
    with pytest.raises(FnxTypeError, match="Python complex cannot take the dtype float32"):
        lax.add(np.ones(2, np.float32), 1j)
    close(lax.mul(np.ones(2, np.complex64), 2j), np.full(2, 2j, np.complex64), np.complex64)


def test_jacobians_of_holomorphic_functions_are_jax_s(jax):
    z = np.array([1 + 1j, 2j, -0.5])
    for f in (lambda np_, z: np_.sin(z) * z, lambda np_, z: np_.exp(z) / (z + 2.0)):
        want = np.asarray(jax.jacrev(lambda z: f(jax.numpy, z), holomorphic=True)(z))
        close(fnx.jacrev(lambda z: f(fnp, z), holomorphic=True)(z), want, np.complex128)
        close(fnx.jacfwd(lambda z: f(fnp, z), holomorphic=True)(z), want, np.complex128)
    with pytest.raises(FnxTypeError, match="jacrev: complex results"):
        fnx.jacrev(fnp.sin)(z)
    with pytest.raises(FnxTypeError, match="jacfwd: complex arguments"):
        fnx.jacfwd(fnp.abs)(z)
    with pytest.raises(FnxTypeError, match=r"jacfwd\(holomorphic=True\): the arguments must be complex"):
        fnx.jacfwd(fnp.sin, holomorphic=True)(np.ones(2))
