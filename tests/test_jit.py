"""fnx.jit: compiled results equal eager ones; transforms compose with jit; the disk cache works.

Numba compiles are slow, so each jitted function here covers many primitives at once and is shared.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.core.errors import ConcretizationError, FnxTypeError
from helpers import assert_same

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((4, 2))
I = np.array([[1, -2, 3, 4], [0, 5, -6, 7], [8, 9, 10, -11]], np.int32)


def elementwise_and_reductions(x, i):
    a = fnp.tanh(x) * fnp.exp(-x * x) + fnp.sqrt(fnp.abs(x)) - fnp.log1p(x * x) / 3.0
    b = fnp.where(x > 0, fnp.sin(x), fnp.cos(x)) ** 2 + fnp.maximum(x, 0.1) + fnp.arctan2(x, 2.0)
    c = (i * 3 - 1) // 2 + i % 5 + (i << 1) + (i & 6) + abs(i)
    stats = (fnp.sum(a, axis=0), fnp.max(b, axis=1), fnp.mean(x), fnp.argmax(x, axis=1), fnp.min(i),
             fnp.prod(x[:, :2], axis=1), fnp.all(x > -10), fnp.any(i > 100), fnp.cumsum(x, axis=1),
             fnp.logsumexp(x, axis=1))
    return a, b, c, stats, fnp.sigmoid(x).astype(np.float32), (x > 0).astype(np.int8), fnp.isfinite(x / 0.0)


def shapes_and_products(x, y):
    z = fnp.concatenate([x, x[::-1]], axis=0)
    p = fnp.pad(x, ((1, 0), (0, 2)), constant_values=-1.0)
    t = fnp.transpose(fnp.reshape(z, (2, 3, 4)), (2, 0, 1))
    return (x @ y, fnp.einsum("ij,jk->ik", x, y), z, p, t, fnp.broadcast_to(x[:, :1], (3, 5)), x[1:, ::2],
            fnp.dot(x[0], x[1]), fnp.matmul(t, fnp.ones((3, 2))), fnp.arange(6).reshape(2, 3), fnp.eye(3),
            fnx.lax.dynamic_slice(x, (1, 2), (2, 2)), fnx.lax.dynamic_update_slice(x, fnp.zeros((1, 2)), (2, 3)),
            fnp.sum(x.astype(np.float32)))


ELEMENTWISE = fnx.jit(elementwise_and_reductions)
SHAPES = fnx.jit(shapes_and_products)


def test_elementwise_and_reductions_match_eager():
    with np.errstate(all="ignore"):
        assert_same(fnx.tree_map(np.asarray, ELEMENTWISE(X, I)),
                    fnx.tree_map(np.asarray, elementwise_and_reductions(X, I)), rtol=1e-12, atol=1e-12)


def test_structural_ops_and_products_match_eager():
    assert_same(fnx.tree_map(np.asarray, SHAPES(X, Y)), fnx.tree_map(np.asarray, shapes_and_products(X, Y)),
                rtol=1e-12, atol=1e-12)


# every elementwise primitive, on arrays (the fused loops) and on rank-0 values (Numba scalars), per dtype kind
from fnx.lax.elementwise import integer_pow_p, table as elementwise_table  # noqa: E402

_BY_NAME = {p.name: p for p in elementwise_table}
# the complex-only rows (real, imag, conj) are tests/test_complex.py's
_UNARY = [p.name for p, row in elementwise_table.items() if row.arity == 1 and row.kinds != "c"]
_BINARY = [p.name for p, row in elementwise_table.items() if row.arity == 2]
_FLOAT_UNARY = [n for n in _UNARY if n not in ("not", "population_count")]
_FLOAT_BINARY = [n for n in _BINARY if n not in ("and", "or", "xor", "shift_left", "shift_right")]
_INT_UNARY = ["neg", "sign", "abs", "not", "population_count"]
_INT_BINARY = [n for n in _BINARY if n not in ("div", "atan2", "hypot", "copysign", "nextafter",
                                                         "logaddexp", "complex")]


def every_elementwise_primitive(f32, f64, s64, i32, u8, b):
    """x in (0.1, 0.9) is inside every float function's domain (acosh gets 1 + x); y in (0.5, 1.5)."""
    out = {}
    for name, x in (("f32", f32), ("f64", f64), ("scalar", s64)):
        y = x + 0.6
        for op in _FLOAT_UNARY:
            out[f"{op} {name}"] = _BY_NAME[op].bind(x + 1.0 if op == "acosh" else x)
        for op in _FLOAT_BINARY:
            out[f"{op} {name}"] = _BY_NAME[op].bind(x, y)
        out[f"integer_pow {name}"] = integer_pow_p.bind(x, y=-3)
    j = i32 % 5 + 1  # positive divisors and small shifts
    for op in _INT_UNARY:
        out[f"{op} i32"] = _BY_NAME[op].bind(u8 if op == "population_count" else i32)
    for op in _INT_BINARY:
        out[f"{op} i32"] = _BY_NAME[op].bind(i32, j)
    out["integer_pow i32"] = integer_pow_p.bind(i32, y=3)
    out.update({f"{op} bool": _BY_NAME[op].bind(b, ~b) for op in ("and", "or", "xor", "eq")})
    out["not bool"] = _BY_NAME["not"].bind(b)
    return out


def test_every_elementwise_primitive_matches_eager_on_arrays_and_scalars():
    x = RNG.uniform(0.1, 0.9, 6)
    args = (x.astype(np.float32), x, np.float64(0.3), np.array([-7, -2, 0, 3, 9, 100], np.int32),
            np.array([0, 1, 7, 128, 255, 3], np.uint8), np.array([True, False, True, True, False, False]))
    jitted, eager = ELEMENTWISE_PRIMITIVES(*args), every_elementwise_primitive(*args)
    assert jitted.keys() == eager.keys()
    for key in eager:
        a, e = np.asarray(jitted[key]), np.asarray(eager[key])
        tol = dict(rtol=2e-6, atol=1e-7) if e.dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
        assert a.dtype == e.dtype and a.shape == e.shape, key
        if e.dtype.kind == "f":
            np.testing.assert_allclose(a, e, **tol, err_msg=key)
        else:
            np.testing.assert_array_equal(a, e, err_msg=key)


ELEMENTWISE_PRIMITIVES = fnx.jit(every_elementwise_primitive)


def test_calls_reuse_the_compiled_code_and_retrace_per_signature():
    f = fnx.jit(lambda v: v * 2.0 + 1.0)
    for _ in range(3):
        assert f(np.ones(3)).tolist() == [3.0, 3.0, 3.0]
    assert f(np.ones((2, 2), np.float32)).dtype == np.float32
    assert len({id(e) for e in f._entries.values()}) == 2
    assert isinstance(f(fnp.ones(3)), fnx.Array)


def test_static_arguments_and_pytrees():
    def f(params, x, n, scale=1.0):
        return {"y": params["w"] * x ** n + params["b"], "n": n * scale}
    jf = fnx.jit(f, static_argnums=2, static_argnames="scale")
    params = {"w": np.array([1.0, 2.0]), "b": np.array(0.5)}
    out = jf(params, np.array([3.0, 4.0]), 2, scale=2.0)
    assert np.asarray(out["y"]).tolist() == [9.5, 32.5] and float(out["n"]) == 4.0
    with pytest.raises(FnxTypeError, match="hashable"):
        jf(params, np.ones(2), [2])


def test_python_control_flow_on_traced_values_is_a_clear_error():
    @fnx.jit
    def f(x):
        if x.sum() > 0:
            return x
        return -x
    with pytest.raises(ConcretizationError, match="fnx.lax.cond"):
        f(np.ones(2))


def test_outputs_never_alias_the_callers_numpy_arrays():
    x = np.arange(4.0)
    out = fnx.jit(lambda v: v[1:])(x)
    x[1] = 100.0
    assert np.asarray(out).tolist() == [1.0, 2.0, 3.0]


def rnn_loss(w, xs):
    def step(h, x):
        h = fnp.tanh(h @ w + x)
        return h, fnp.sum(h)
    h, ys = fnx.lax.scan(step, fnp.zeros(3), xs)
    return fnp.sum(ys) + fnp.sum(h * h)


W = RNG.standard_normal((3, 3)) * 0.5
XS = RNG.standard_normal((5, 3))


def test_scan_cond_while_and_fori_compile():
    def loops(x):
        total = fnx.lax.fori_loop(0, 4, lambda i, c: c + x * i, fnp.zeros_like(x))
        n = fnx.lax.while_loop(lambda c: c[0] < 10.0, lambda c: (c[0] * 2.0, c[1] + 1), (fnp.sum(x * x) + 1.0, 0))
        branch = fnx.lax.cond(fnp.sum(x) > 0, lambda v: v * 2.0, lambda v: -v, x)
        return total, n, branch, fnx.lax.switch(2, [fnp.sin, fnp.cos, fnp.tanh], x)
    assert_same(fnx.tree_map(np.asarray, fnx.jit(loops)(XS[0])), fnx.tree_map(np.asarray, loops(XS[0])),
                rtol=1e-12)
    assert_same(np.asarray(fnx.jit(rnn_loss)(W, XS)), np.asarray(rnn_loss(W, XS)), rtol=1e-12)


def test_transforms_compose_with_jit():
    expected = np.asarray(fnx.grad(rnn_loss)(W, XS))
    assert_same(np.asarray(fnx.jit(fnx.grad(rnn_loss))(W, XS)), expected, rtol=1e-10)
    assert_same(np.asarray(fnx.grad(fnx.jit(rnn_loss))(W, XS)), expected, rtol=1e-10)
    batched = fnx.vmap(fnx.jit(lambda v: fnp.sum(fnp.sin(v) * v)))(X)
    assert_same(np.asarray(batched), np.sum(np.sin(X) * X, axis=1), rtol=1e-12)
    value, grad = fnx.jit(fnx.value_and_grad(lambda v: fnp.sum(fnp.tanh(v) ** 2)))(X)
    assert_same(np.asarray(grad), 2 * np.tanh(X) * (1 - np.tanh(X) ** 2), rtol=1e-12)
    text = str(fnx.make_jaxpr(fnx.jit(lambda v: v + 1.0))(X))
    assert "jit[" in text and "add" in text


@fnx.custom_jvp
def softplus(x):
    return fnp.log1p(fnp.exp(x))


softplus.defjvp(lambda primals, tangents: (softplus(primals[0]), tangents[0] * fnp.sigmoid(primals[0])))


@fnx.custom_vjp
def clip_gradient(x):
    return x


clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (fnp.clip(g, -1.0, 1.0),))
INNER = fnx.jit(lambda v: fnp.cos(v) * v)


def the_remaining_primitives(x, i):
    """The primitives no other jitted test function uses: custom derivatives, a nested jit, argmin, the other
    cumulative reductions, bitcasts."""
    values = (softplus(x), clip_gradient(x) * 2.0, INNER(x) + 1.0, fnp.argmin(x, axis=1), fnp.cumprod(x, axis=0),
              fnx.lax.cummax(x, axis=1), fnx.lax.cummin(x, axis=0, reverse=True),
              fnx.lax.bitcast_convert_type(i, np.float32), fnx.lax.bitcast_convert_type(x, np.int64))
    return values, fnx.grad(lambda v: fnp.sum(softplus(v) * clip_gradient(v) * 3.0))(x)


def test_the_remaining_primitives_match_eager():
    with np.errstate(all="ignore"):
        assert_same(fnx.tree_map(np.asarray, fnx.jit(the_remaining_primitives)(X, I)),
                    fnx.tree_map(np.asarray, the_remaining_primitives(X, I)), rtol=1e-12, atol=1e-12)


def test_lower_shows_the_jaxpr_and_the_generated_source():
    text = fnx.jit(lambda v: fnp.tanh(v) * 2.0).lower(np.ones(3, np.float32)).as_text()
    assert "tanh a" in text and "@numba.njit" in text and "vm.tanh" in text and "np.float32(2.0)" in text


CACHE_SCRIPT = textwrap.dedent("""
    import numpy as np, fnx, fnx.numpy as fnp
    f = fnx.jit(lambda x, y: fnp.tanh(x @ y) * 3.0 - fnp.sum(x))
    out = f(np.ones((2, 3)), np.ones((3, 2)))
    executable = f._entries[next(iter(f._entries))].executable
    stats = executable.function.stats
    print(float(np.asarray(out)[0, 0]), sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
""")


def test_a_second_process_loads_the_compiled_code_from_the_disk_cache(tmp_path):
    env = {**os.environ, "FNX_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", CACHE_SCRIPT], env=env, capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(2)]
    (value1, hits1, misses1), (value2, hits2, misses2) = runs
    assert value1 == value2 == str(np.tanh(3.0) * 3.0 - 6.0)
    assert (hits1, misses1) == ("0", "1")  # compiled in the first process
    assert (hits2, misses2) == ("1", "0")  # loaded from the cache in the second
    assert len(list(tmp_path.glob("fnx_*.py"))) == 1


@pytest.mark.parametrize("inner", [0, 1, 3])
def test_batched_matmul_kernel_matches_numpy(inner):
    from fnx.lower.cpu import kernels
    a, b = RNG.standard_normal((4, 5, inner)), RNG.standard_normal((4, inner, 6))
    for dtype in (np.float32, np.float64):
        out = kernels.batched_float_matmul(a.astype(dtype), b.astype(dtype))
        assert out.dtype == dtype
        np.testing.assert_allclose(out, a @ b, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def dot_generals(a, b, c, i):
    """Contractions whose operands are given transposed, both axes contracted in swapped order, batch axes
    in the middle, and integers (each in float and int where it applies)."""
    dg = fnx.lax.dot_general
    return (dg(a, b, (((0,), (0,)), ((), ()))), dg(a, b, (((1,), (1,)), ((), ()))),
            dg(a[:3], b[:3], (((0, 1), (1, 0)), ((), ()))), dg(c, c, (((2,), (2,)), ((1,), (1,)))),
            dg(i, i, (((0,), (0,)), ((), ()))), dg(i, i.T, (((1,), (0,)), ((), ()))))


def test_dot_general_layouts_match_eager():
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    c = RNG.standard_normal((2, 5, 3))
    i = RNG.integers(-5, 5, size=(3, 3)).astype(np.int32)
    args = (a.astype(np.float32), b.astype(np.float32), c, i)
    jitted, eager = fnx.jit(dot_generals)(*args), dot_generals(*args)
    for x, y in zip(jitted, eager):
        assert np.asarray(x).dtype == np.asarray(y).dtype
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=2e-6)


def test_a_concatenation_compiles_one_kernel_whatever_its_operand_count():
    """Each operand of a compiled concatenation is one call of the ``place_block`` kernel, which Numba compiles
    once per dtype: 5 or 64 operands add at most one signature. (Numba's ``np.concatenate`` of a tuple of N
    arrays compiled in time superlinear in N: minutes for the 80 columns of a vmapped ridge regression.)"""
    from fnx.lower.cpu import kernels_arrays
    from fnx.lower.cpu.compile import lower
    columns = RNG.standard_normal((64, 3, 1))
    before = len(kernels_arrays.place_block.signatures)
    for count, axis in ((5, 1), (64, 1), (64, 0)):
        parts = [columns[i] for i in range(count)]

        def f(*xs, axis=axis):
            return fnp.concatenate([x * 2.0 for x in xs] + [fnp.take(xs[0], fnp.arange(0), axis)], axis=axis)
        np.testing.assert_array_equal(fnx.jit(f)(*parts), np.concatenate(parts, axis=axis) * 2.0)
        assert "np.concatenate" not in lower(fnx.make_jaxpr(f)(*parts))[0]
    assert len(kernels_arrays.place_block.signatures) <= before + 1
    booleans = fnx.jit(lambda a, b: fnp.concatenate([a, b, a], axis=-1))(X > 0, X[:, :1] < 0)
    np.testing.assert_array_equal(booleans, np.concatenate([X > 0, X[:, :1] < 0, X > 0], axis=-1))
