"""A self-checking fuzzer (issue 16, item 4): hypothesis writes small random programs over fnx's primitives
(elementwise, broadcasting, reductions over one or two axes, running sums and products, structural ops,
gathers and scatters, products, solve/inv of well-conditioned matrices, convolution, cond, switch, fori_loop,
scan, while_loop, custom_jvp and custom_vjp functions) and checks that their forms agree:

- eager against ``jit``;
- ``vmap`` against a Python loop of eager calls, ``vmap(grad)`` against a loop of ``grad``;
- ``grad`` (or, where reverse mode does not apply, ``jvp``) against central finite differences (float64),
  and ``jvp`` against ``vjp`` (<u, J v> = <J^T u, v>);
- the compositions ``jit(vmap(f))``, ``jit(grad(f))``, ``jit(vmap(grad(f)))``, ``jit(jvp)`` and ``jit(vjp)``
  against the eager forms.

A program is a list of steps over a stack of values (the inputs first); each step reads earlier values and
pushes one. A while loop carrying a differentiated value has no reverse mode and a custom_vjp function no
forward mode (both as in JAX): a program holding one is checked in the other mode only. All of an example's
compiled checks are one jitted function, so each example compiles once (~0.5-1 s): the CI profile
(tests/conftest.py, ``derandomize``) runs ``FUZZ_EXAMPLES`` examples, 20 by default; explore locally with
e.g. ``FUZZ_EXAMPLES=300 pytest tests/test_fuzz.py``. Every bug it found is a regression test at the end of
this file."""
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
          "var": fnp.var, "cumsum": None, "prod": fnp.prod, "min": fnp.min,
          "norm": lambda v, axis, keepdims: fnp.sqrt(fnp.sum(v * v, axis=axis, keepdims=keepdims) + 0.5),
          "sum_two_axes": None, "cumprod": None}
STRUCTURAL = {
    "transpose": lambda v: fnp.transpose(v), "flip": lambda v: fnp.flip(v, axis=-1),
    "roll": lambda v: fnp.roll(v, 1, axis=-1), "pad_slice": lambda v: fnp.pad(v, 1)[(slice(1, -1),) * v.ndim],
    "concat_half": lambda v: fnp.concatenate([v, v * 0.5], axis=-1)[..., ::2],
    "reshape_flat": lambda v: fnp.reshape(v, (-1,)),
    "gather": lambda v: v[..., np.array([0, -1, 0])], "scatter_add": lambda v: v.at[..., 0].add(v[..., -1]),
    "sort": lambda v: fnp.sort(v, axis=-1), "stack": lambda v: fnp.stack([v, v * 2.0])[1],
    "gram": lambda v: fnp.einsum("...ij,...kj->...ik", v, v) if v.ndim >= 2 else v * v,
    "outer_sum": lambda v: fnp.sum(v[..., None] * v[..., None, :], axis=-1),
    "scatter_set": lambda v: v.at[..., 0].set(v[..., -1] * 2.0),
    "scatter_mul": lambda v: v.at[..., -1].multiply(1.0 + 0.5 * fnp.sin(v[..., 0])),
    "scatter_dup": lambda v: v.at[..., np.array([0, 0, -1])].add(v[..., :1] * 0.5),
    "take_along": lambda v: fnp.take_along_axis(v, fnp.argsort(lax.stop_gradient(v), axis=-1), axis=-1),
    "dynamic_slice": lambda v: lax.dynamic_update_slice(
        v, lax.dynamic_slice(v, [fnp.argmax(lax.stop_gradient(v))] * v.ndim, (1,) * v.ndim) * 3.0,
        [0] * v.ndim),
    "swap_reshape": lambda v: fnp.reshape(fnp.swapaxes(v, 0, -1), v.shape),
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


def _while_count(v):
    """A while loop on values with no derivative (a count decided by v's size), then a smooth use of it."""
    count = lax.while_loop(lambda c: c[0] < 2.0,
                           lambda c: (c[0] + 0.7 + (0.1 * c[1]).astype(c[0].dtype), c[1] + 1),
                           (lax.stop_gradient(fnp.tanh(fnp.mean(v))), 0))[1]
    return v * (1.0 + 0.1 * count).astype(v.dtype)


def _while_carry(v):
    """A while loop carrying v itself: forward mode only (reverse mode cannot run a while loop backwards)."""
    return lax.while_loop(lambda c: c[1] < 2, lambda c: (fnp.sin(c[0]) * 0.9 + c[0] * 0.2, c[1] + 1), (v, 0))[0]


def _switch(v):
    branches = [lambda u: u * 2.0, lambda u: fnp.sin(u), lambda u: u * u * 0.5]
    return lax.switch(fnp.clip(fnp.sum(fnp.abs(v)).astype("int32"), 0, 2), branches, v)


CONTROL = {"cond": _cond, "fori": _fori, "scan": _scan, "while_count": _while_count, "while_carry": _while_carry,
           "switch": _switch}
FORWARD_ONLY = {"while_carry"}  # reverse mode refuses these (docs/failures.md)


@fnx.custom_vjp
def _smooth_clip(v):
    return fnp.tanh(v) * 1.5


_smooth_clip.defvjp(lambda v: (fnp.tanh(v) * 1.5, v),
                    lambda v, g: (g * 1.5 * (1.0 - fnp.tanh(v) ** 2),))


@fnx.custom_jvp
def _softsign(v):
    return v / (1.0 + fnp.sqrt(v * v + 1.0))


@_softsign.defjvp
def _softsign_jvp(primals, tangents):
    (v,), (t,) = primals, tangents
    r = fnp.sqrt(v * v + 1.0)
    return _softsign(v), t * (1.0 + r - v * v / r) / (1.0 + r) ** 2


CUSTOM = {"custom_vjp": _smooth_clip, "custom_jvp": _softsign}
REVERSE_ONLY = {"custom_vjp"}  # forward mode refuses a custom_vjp function, as JAX does


def _well_conditioned(n: int, b):
    """An (n, n) matrix depending on b: 2 I plus entries below 0.3 in magnitude, so diagonally dominant
    (n <= 4) and invertible with a condition number below ~5."""
    u = fnp.sin(fnp.arange(n, dtype=b.dtype) * 1.3 + fnp.mean(b))
    return 2.0 * fnp.eye(n, dtype=b.dtype) + 0.3 * fnp.tanh(u[:, None] * fnp.flip(u)[None, :] + b.ravel()[0])


def _solve(a, b):
    rows = fnp.reshape(a, (-1, a.shape[-1]))
    return fnp.reshape(fnp.linalg.solve(_well_conditioned(a.shape[-1], b), rows.T).T, a.shape)


def _inv(a, b):
    return a @ fnp.linalg.inv(_well_conditioned(a.shape[-1], b)).T


def _batched_dot(a, b):
    if a.ndim < 3:
        return a @ _well_conditioned(a.shape[-1], b)
    return lax.dot_general(a, a, (((a.ndim - 1,), (a.ndim - 1,)), ((0,), (0,))))


def _conv(a, b):
    """A 'SAME' convolution over a's last axis (1-D) or last two axes (2-D), the leading axes as the batch."""
    spatial = a.shape[-2:] if a.ndim >= 2 else a.shape[-1:]
    x = fnp.reshape(a, (-1, 1) + spatial)
    k = len(spatial)
    kernel = fnp.reshape(fnp.sin(fnp.arange(3 ** k, dtype=a.dtype) + fnp.mean(b)), (1, 1) + (3,) * k)
    return fnp.reshape(lax.conv(x, kernel, (1,) * k, "SAME"), a.shape)


LINALG = {"solve": _solve, "inv": _inv, "dot_general": _batched_dot, "conv": _conv}


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
        if name in ("cumsum", "cumprod"):
            return getattr(fnp, name)(a, axis=axis)
        if name == "sum_two_axes":  # two axes at once, not kept
            return fnp.sum(a, axis=(0, a.ndim - 1)) if a.ndim >= 2 else fnp.sum(a, axis=0)
        return REDUCE[name](a, axis=axis, keepdims=True)
    if kind == "matmul":  # a product with a square matrix made of b
        if a.ndim == 0:
            return a * fnp.sum(b)
        return a @ (fnp.eye(a.shape[-1], dtype=a.dtype) * 0.5 + 0.1 * fnp.sum(b))
    if kind == "structural":
        return STRUCTURAL[name](a) if a.ndim else a
    if kind == "linalg":
        return LINALG[name](a, b) if a.ndim and b.ndim else a * fnp.sum(b)
    if kind == "custom":
        return CUSTOM[name](a)
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
          "matmul": {"matmul": None}, "linalg": LINALG, "custom": CUSTOM}


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


def _modes(program) -> tuple[bool, bool]:
    """Whether forward mode and reverse mode apply to the program (a while loop's carry has no reverse mode,
    a custom_vjp function no forward mode)."""
    names = {step[1] for step in program if step[0] in ("control", "custom")}
    return not names & REVERSE_ONLY, not names & FORWARD_ONLY


def check_program(program, shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    xs = [fnp.asarray(rng.uniform(-1.5, 1.5, s).astype(dtype)) for s in shapes]  # fnx's operators, not NumPy's
    n = len(xs)
    out_fn = lambda *a: run(program, *a)[0]  # noqa: E731
    obj_fn = lambda *a: run(program, *a)[1]  # noqa: E731
    argnums = tuple(range(n))
    forward, reverse = _modes(program)
    batch = fnp.asarray(rng.uniform(-1.5, 1.5, (3,) + xs[0].shape).astype(dtype))
    tangents = [rng.normal(size=x.shape).astype(dtype) for x in xs]
    out = np.asarray(out_fn(*xs))
    cotangent = rng.normal(size=out.shape).astype(dtype)
    grad_fn = fnx.grad(obj_fn, argnums=argnums)

    def forms(*a):
        found = {"f": out_fn(*a), "vmap": fnx.vmap(out_fn, in_axes=(0,) + (None,) * (n - 1))(batch, *a[1:])}
        if forward:
            found["jvp"] = fnx.jvp(out_fn, a, tangents)[1]
        if reverse:
            found["grad"] = grad_fn(*a)
            found["vjp"] = fnx.vjp(out_fn, *a)[1](cotangent)
            found["vmap_grad"] = fnx.vmap(grad_fn, in_axes=(0,) + (None,) * (n - 1))(batch, *a[1:])
        return found

    eager = forms(*xs)
    compiled = fnx.jit(forms)(*xs)
    for what in eager:
        for k, (e, c) in enumerate(zip(fnx.tree_leaves(eager[what]), fnx.tree_leaves(compiled[what]))):
            _close(c, e, dtype, f"jit vs eager, {what}[{k}]")
    _close(eager["f"], out, dtype, "forms vs plain call")
    loop = np.stack([np.asarray(out_fn(b, *xs[1:])) for b in batch])
    _close(eager["vmap"], loop, dtype, "vmap vs a Python loop")
    if reverse:
        grads = [np.asarray(grad_fn(b, *xs[1:])[0]) for b in batch]
        _close(eager["vmap_grad"][0], np.stack(grads), dtype, "vmap(grad) vs a Python loop of grads")
    if forward and reverse:  # <u, J v> = <J^T u, v>
        _close(_dot([cotangent], [eager["jvp"]]), _dot(eager["vjp"], tangents), dtype, "jvp vs vjp", scale=10.0)
    if dtype == "float64" and (forward or reverse):  # the derivative along the tangents vs central differences
        h = 1e-6
        plus = obj_fn(*[x + h * t for x, t in zip(xs, tangents)])
        minus = obj_fn(*[x - h * t for x, t in zip(xs, tangents)])
        fd = (float(plus) - float(minus)) / (2 * h)
        if reverse:
            derivative = _dot(eager["grad"], tangents)
        else:  # obj = sum(out * weights): its derivative is the tangent's weighted sum
            weights = np.cos(np.arange(out.size)).reshape(out.shape)
            derivative = _dot([weights], [eager["jvp"]])
        assert abs(derivative - fd) <= 1e-5 * (1.0 + abs(fd)), (program, derivative, fd)


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
