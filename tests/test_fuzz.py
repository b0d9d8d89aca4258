"""A self-checking fuzzer (issue 16, item 4): hypothesis writes small random programs over fnx's primitives
(elementwise, broadcasting, reductions, structural ops, products, cond, fori_loop, scan) and checks that
their forms agree:

- eager against ``jit``;
- ``vmap`` against a Python loop of eager calls;
- ``grad`` against central finite differences (float64), and ``jvp`` against ``vjp`` (<u, J v> = <J^T u, v>);
- the compositions ``jit(vmap(f))``, ``jit(grad(f))``, ``jit(jvp)`` and ``jit(vjp)`` against the eager forms.

A program is a list of steps over a stack of values (the inputs first); each step reads earlier values and
pushes one. All of an example's compiled checks are one jitted function, so each example compiles once
(~0.5-1 s): the CI profile (tests/conftest.py, ``derandomize``) runs ``FUZZ_EXAMPLES`` examples, 20 by
default; explore locally with e.g. ``FUZZ_EXAMPLES=300 pytest tests/test_fuzz.py``. Every bug it found is a
regression test at the end of this file."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx import lax

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))

# -- the operations a program is made of ------------------------------------------------------------------------
# Each is smooth where the fuzzer evaluates it (no kinks at likely points), so finite differences apply.

UNARY = {
    "sin": fnp.sin, "tanh": fnp.tanh, "square": lambda v: v * v, "neg": lambda v: -v,
    "softplus": lambda v: fnp.log1p(fnp.exp(-fnp.abs(v))) + fnp.maximum(v, 0.0),
    "bump": lambda v: 1.0 / (1.0 + v * v), "exp_tanh": lambda v: fnp.exp(fnp.tanh(v)),
    "sqrt1p": lambda v: fnp.sqrt(1.0 + v * v), "logistic": lambda v: 1.0 / (1.0 + fnp.exp(-v)),
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1.5 + fnp.sin(b)), "hypot": lambda a, b: fnp.sqrt(a * a + b * b + 1.0),
    "where": lambda a, b: fnp.where(a > b, a * 2.0, b),
}
REDUCE = {"sum": fnp.sum, "mean": fnp.mean, "max": fnp.max, "logsumexp": fnp.logsumexp,
          "var": fnp.var, "cumsum": None}
STRUCTURAL = {
    "transpose": lambda v: fnp.transpose(v), "flip": lambda v: fnp.flip(v, axis=-1),
    "roll": lambda v: fnp.roll(v, 1, axis=-1), "pad_slice": lambda v: fnp.pad(v, 1)[(slice(1, -1),) * v.ndim],
    "concat_half": lambda v: fnp.concatenate([v, v * 0.5], axis=-1)[..., ::2],
    "reshape_flat": lambda v: fnp.reshape(v, (-1,)),
    "gather": lambda v: v[..., np.array([0, -1, 0])], "scatter_add": lambda v: v.at[..., 0].add(v[..., -1]),
    "sort": lambda v: fnp.sort(v, axis=-1), "stack": lambda v: fnp.stack([v, v * 2.0])[1],
    "gram": lambda v: fnp.einsum("...ij,...kj->...ik", v, v) if v.ndim >= 2 else v * v,
    "outer_sum": lambda v: fnp.sum(v[..., None] * v[..., None, :], axis=-1),
}


def _cond(v):
    return lax.cond(fnp.sum(v) > 0, lambda u: fnp.sin(u) * 2.0, lambda u: u * u - 1.0, v)


def _fori(v):
    return lax.fori_loop(0, 3, lambda i, u: fnp.tanh(u) * 0.9 + (0.1 * i).astype(u.dtype), v)


def _scan(v):
    if v.ndim == 0:
        return v
    carry, ys = lax.scan(lambda c, x: (c * 0.5 + fnp.sin(x), c * x), fnp.zeros(v.shape[1:], v.dtype), v)
    return ys + carry


CONTROL = {"cond": _cond, "fori": _fori, "scan": _scan}


def apply(step: tuple, values: list):
    """The value one step pushes."""
    kind, name, i, j, axis = step
    a, b = values[i % len(values)], values[j % len(values)]
    if kind == "unary":
        return UNARY[name](a)
    if kind == "binary":
        return BINARY[name](a, b)
    if kind == "reduce":
        if a.ndim == 0:
            return a
        axis %= a.ndim
        if name == "cumsum":
            return fnp.cumsum(a, axis=axis)
        return REDUCE[name](a, axis=axis, keepdims=True)
    if kind == "matmul":  # a product with a square matrix made of b
        if a.ndim == 0:
            return a * fnp.sum(b)
        return a @ (fnp.eye(a.shape[-1], dtype=a.dtype) * 0.5 + 0.1 * fnp.sum(b))
    if kind == "structural":
        return STRUCTURAL[name](a) if a.ndim else a
    return CONTROL[name](a)


def run(program: list, *inputs):
    """The program's last value, and a scalar of it for gradients."""
    values = list(inputs)
    for step in program:
        try:
            np.broadcast_shapes(*[getattr(values[k % len(values)], "shape", ()) for k in step[2:4]])
        except ValueError:
            step = ("unary", "sin", step[2], step[3], step[4])
        values.append(apply(step, values))
    out = values[-1]
    return out, fnp.sum(out * fnp.cos(fnp.arange(out.size, dtype=out.dtype).reshape(out.shape)))


# -- the strategy -----------------------------------------------------------------------------------------------

_KINDS = {"unary": UNARY, "binary": BINARY, "reduce": REDUCE, "structural": STRUCTURAL, "control": CONTROL,
          "matmul": {"matmul": None}}


@st.composite
def steps(draw):
    kind = draw(st.sampled_from(sorted(_KINDS)))
    return (kind, draw(st.sampled_from(sorted(_KINDS[kind]))), draw(st.integers(0, 7)), draw(st.integers(0, 7)),
            draw(st.integers(0, 3)))


@st.composite
def programs(draw):
    """(program, input shapes, dtype, seed): shapes broadcast together (some axes 1, some dropped)."""
    base = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        dims = [n if draw(st.booleans()) else 1 for n in base]
        shapes.append(tuple(dims[draw(st.integers(0, len(dims))):]))
    return (draw(st.lists(steps(), min_size=1, max_size=6)), shapes,
            draw(st.sampled_from(["float64", "float32"])), draw(st.integers(0, 2 ** 16)))


# -- the checks -------------------------------------------------------------------------------------------------

def _close(actual, expected, dtype, what: str, scale: float = 1.0) -> None:
    rtol = 2e-4 if dtype == "float32" else 1e-8
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    atol = rtol * scale * (1.0 + np.max(np.abs(expected), initial=0.0))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def _dot(xs, ys) -> float:
    return float(sum(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64)) for x, y in zip(xs, ys)))


def check_program(program, shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    xs = [fnp.asarray(rng.uniform(-1.5, 1.5, s).astype(dtype)) for s in shapes]  # fnx's operators, not NumPy's
    n = len(xs)
    out_fn = lambda *a: run(program, *a)[0]  # noqa: E731
    obj_fn = lambda *a: run(program, *a)[1]  # noqa: E731
    argnums = tuple(range(n))
    batch = fnp.asarray(rng.uniform(-1.5, 1.5, (3,) + xs[0].shape).astype(dtype))
    tangents = [rng.normal(size=x.shape).astype(dtype) for x in xs]
    out = np.asarray(out_fn(*xs))
    cotangent = rng.normal(size=out.shape).astype(dtype)

    def forms(*a):
        vm = fnx.vmap(out_fn, in_axes=(0,) + (None,) * (n - 1))(batch, *a[1:])
        primal, tangent = fnx.jvp(out_fn, a, tangents)
        _, pullback = fnx.vjp(out_fn, *a)
        return out_fn(*a), vm, fnx.grad(obj_fn, argnums=argnums)(*a), tangent, pullback(cotangent)

    eager = forms(*xs)
    compiled = fnx.jit(forms)(*xs)
    for what, e, c in zip(("f", "vmap", "grad", "jvp", "vjp"), eager, compiled):
        for k, (ee, cc) in enumerate(zip(fnx.tree_leaves(e), fnx.tree_leaves(c))):
            _close(cc, ee, dtype, f"jit vs eager, {what}[{k}]")
    _close(eager[0], out, dtype, "forms vs plain call")
    loop = np.stack([np.asarray(out_fn(b, *xs[1:])) for b in batch])
    _close(eager[1], loop, dtype, "vmap vs a Python loop")
    # <u, J v> = <J^T u, v>
    _close(_dot([cotangent], [eager[3]]), _dot(eager[4], tangents), dtype, "jvp vs vjp", scale=10.0)
    if dtype == "float64":  # the gradient along the tangent against central differences
        h = 1e-6
        plus = obj_fn(*[x + h * t for x, t in zip(xs, tangents)])
        minus = obj_fn(*[x - h * t for x, t in zip(xs, tangents)])
        fd = (float(plus) - float(minus)) / (2 * h)
        assert abs(_dot(eager[2], tangents) - fd) <= 1e-5 * (1.0 + abs(fd)), (program, _dot(eager[2], tangents), fd)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=programs())
def test_random_programs_agree_in_every_form(case):
    check_program(*case)


# -- integer programs: eager against jit (wraparound, division, negative powers) -----------------------------------

INTEGER = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "floor_divide": lambda a, b: a // (fnp.abs(b) + 1), "remainder": lambda a, b: a % (fnp.abs(b) + 1),
    "power": lambda a, b: a ** (b % 5 - 2), "max": fnp.maximum, "where": lambda a, b: fnp.where(a > b, a, -b),
    "sum": lambda a, b: a + fnp.sum(b, dtype=b.dtype), "cumsum": lambda a, b: fnp.cumsum(a, axis=-1) + b,
    "shift": lambda a, b: a << (b % 3), "abs": lambda a, b: fnp.abs(a) - b,
}


@settings(max_examples=max(EXAMPLES // 3, 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(st.sampled_from(sorted(INTEGER)), st.integers(0, 5), st.integers(0, 5)),
                    min_size=1, max_size=6),
       shape=st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple),
       dtype=st.sampled_from(["int8", "int32", "int64", "uint8"]), seed=st.integers(0, 2 ** 16))
def test_random_integer_programs_agree_eagerly_and_compiled(ops, shape, dtype, seed):
    if dtype == "uint8":
        ops = [op for op in ops if op[0] not in ("power", "shift")] or [("add", 0, 0)]
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    xs = [rng.integers(max(info.min, -100), min(info.max, 100), shape, dtype=dtype) for _ in range(2)]

    def program(*inputs):
        values = list(inputs)
        for name, i, j in ops:
            values.append(INTEGER[name](values[i % len(values)], values[j % len(values)]))
        return values[-1]

    eager = np.asarray(program(*[fnp.asarray(x) for x in xs]))
    compiled = np.asarray(fnx.jit(program)(*xs))
    assert eager.dtype == compiled.dtype, (ops, eager.dtype, compiled.dtype)
    np.testing.assert_array_equal(compiled, eager, err_msg=str(ops))


# -- regressions: what the fuzzer found ---------------------------------------------------------------------------

def test_tangent_of_a_scalar_added_to_an_array_has_the_arrays_shape():
    """Found by the fuzzer: add's jvp passed a rank-0 operand's tangent on as the tangent of an array, and
    dot_general's jvp then failed on it ("axes don't match array")."""
    for f, expected in ((lambda s: fnp.ones((2, 2)) + s, 3.0), (lambda s: fnp.ones((2, 2)) - s, -3.0)):
        _, tangent = fnx.jvp(f, (1.0,), (3.0,))
        assert np.asarray(tangent).shape == (2, 2)
        np.testing.assert_array_equal(np.asarray(tangent), np.full((2, 2), expected))
    check_program([("binary", "add", 0, 0, 0), ("matmul", "matmul", 0, 0, 0)], [(1,)], "float64", 0)
