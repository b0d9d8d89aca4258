"""Eager (un-jitted) reverse mode: the concrete trace, the shortcuts that keep it cheap, and the work it skips.

Timings are in benchmarks/eager_grad.py; these tests check that every shortcut computes what the general
path computes, and that the design's promises still hold: Python control flow on values under ``grad``,
``jit(grad)`` and ``grad(grad)`` recording the derivative.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
from fnx.core import primitive
from fnx.core.avals import ShapedArray
from fnx.core.ir import ClosedJaxpr, Jaxpr
from fnx.transforms.autodiff import rules_linalg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import eager_grad  # noqa: E402


def _central_differences(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def _traced(f, *args) -> list:
    """``f(*args)`` through its jaxpr: traced abstractly (as under jit), then evaluated."""
    closed = fnx.make_jaxpr(f)(*args)
    return [np.asarray(v) for v in fnx.eval_jaxpr(closed.jaxpr, closed.consts, *args)]


def test_benchmark_program_gradient_matches_finite_differences_eagerly_and_traced():
    x, w = np.array([0.3, -0.2, 0.5]), np.array(0.9)
    loss = lambda p: eager_grad.program(fnp, p, 20)  # noqa: E731
    gx, gw = fnx.grad(loss)((fnp.asarray(x), fnp.asarray(w)))
    expected_x = _central_differences(lambda v: eager_grad.program(np, (v, w), 20), x)
    expected_w = _central_differences(lambda v: eager_grad.program(np, (x, v), 20), w)
    np.testing.assert_allclose(np.asarray(gx), expected_x, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(np.asarray(gw), expected_w, rtol=1e-6, atol=1e-9)
    # under an abstract trace (as under jit) grad replays the forward pass and records the derivative
    tx, tw = _traced(lambda a, b: fnx.grad(loss)((a, b)), fnp.asarray(x), fnp.asarray(w))
    np.testing.assert_allclose(tx, np.asarray(gx), rtol=1e-12)
    np.testing.assert_allclose(tw, np.asarray(gw), rtol=1e-12)


def test_python_control_flow_on_values_and_grad_of_grad():
    def f(x):
        y = x
        for _ in range(3):
            y = fnp.sin(y) if y > 0 else y * y  # a branch on the traced value
        return y * x

    for x0 in (0.7, -0.4):
        expected = _central_differences(lambda v: float(np.asarray(f(fnp.asarray(v)))), np.array(x0))
        np.testing.assert_allclose(float(fnx.grad(f)(x0)), expected, rtol=1e-6)
    # d2/dx2 of x*sin(x) = 2 cos x - x sin x, through two nested concrete traces
    g2 = fnx.grad(fnx.grad(lambda x: x * fnp.sin(x)))(0.7)
    np.testing.assert_allclose(float(g2), 2 * np.cos(0.7) - 0.7 * np.sin(0.7), rtol=1e-12)


def test_constants_take_no_cotangent(monkeypatch):
    """``X @ w`` with X a constant: only w's cotangent is computed (the engine skips the data matrix)."""
    calls = []
    real = rules_linalg._operand_cotangent

    def spy(*args):
        calls.append(args)
        return real(*args)
    monkeypatch.setattr(rules_linalg, "_operand_cotangent", spy)
    X = fnp.asarray(np.arange(12.0).reshape(4, 3))
    g = fnx.grad(lambda w: fnp.sum(fnp.tanh(X @ w)))(fnp.ones(3))
    np.testing.assert_allclose(np.asarray(g), np.asarray(X).T @ (1 - np.tanh(np.asarray(X) @ np.ones(3)) ** 2))
    assert len(calls) == 1


def _leaves(value):
    if isinstance(value, tuple):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def test_abstract_eval_cache_keeps_no_program_alive():
    body = lambda c, x: (c + x, c * x)  # noqa: E731
    fnx.grad(lambda x: fnx.lax.scan(body, x, fnp.arange(3.0))[0])(1.0)
    fnx.grad(lambda x: fnx.lax.cond(x > 0, fnp.sin, fnp.cos, x))(1.0)
    leaves = [v for key in primitive._abstract_eval_cache for v in _leaves(key[1:])]
    # keys hold each param's type beside its value (types are callable, and no program)
    assert leaves and not any(isinstance(v, (Jaxpr, ClosedJaxpr)) or callable(v) and not isinstance(v, type)
                              for v in leaves)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), axis=st.integers(-3, 2))
def test_remembered_abstract_eval_equals_the_rule(shape, axis):
    aval = ShapedArray(tuple(shape), np.dtype("float32"))
    axes = (axis % len(shape),)
    p = fnx.lax.reduce_sum_p
    first = primitive.abstract_eval(p, [aval], {"axes": axes})
    again = primitive.abstract_eval(p, [aval], {"axes": axes})
    assert first == again == [primitive.abstract_eval_rules[p](aval, axes=axes)]


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), index=st.integers(-5, 4))
def test_int_index_under_a_trace_matches_numpy_and_the_general_path(shape, index):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    if not -shape[0] <= index < shape[0]:
        with pytest.raises(IndexError):
            fnx.make_jaxpr(lambda a: a[index])(x)
        return
    shortcut = fnx.make_jaxpr(lambda a: a[index])(x)  # a plain int takes the shortcut
    general = fnx.make_jaxpr(lambda a: a[index, ...])(x)
    assert str(shortcut) == str(general)
    np.testing.assert_array_equal(_traced(lambda a: a[index], x)[0], x[index])
    np.testing.assert_array_equal(np.asarray(fnx.grad(lambda a: fnp.sum(a[index] ** 2))(x)),
                                  np.where(np.arange(shape[0]).reshape((-1,) + (1,) * (len(shape) - 1))
                                           == index % shape[0], 2 * x, 0.0))


_DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


@pytest.mark.parametrize("dtype", _DTYPES)
@pytest.mark.parametrize("other", [True, 3, 1.5, "float32", "int64"])
@pytest.mark.parametrize("op", ["add", "multiply", "sin"])
def test_traced_elementwise_shortcut_promotes_as_the_eager_path(dtype, other, op):
    """Under a trace, a second call with the same dtypes takes the shortcut: its dtype and value must be the
    eager ones (which tests/test_numpy_elementwise.py compares with NumPy)."""
    x = fnp.asarray(np.array([1, 0, 1]).astype(dtype))
    y = fnp.asarray(np.array([1, 2, 0]).astype(other)) if isinstance(other, str) else other
    f = (lambda a: fnp.sin(a)) if op == "sin" else (lambda a: getattr(fnp, op)(a, y))
    eager = np.asarray(f(x))
    for _ in range(2):
        (traced,) = _traced(f, x)
        assert traced.dtype == eager.dtype
        np.testing.assert_allclose(traced.astype(float), eager.astype(float), rtol=1e-6)


def test_params_equal_in_value_but_not_in_type_are_told_apart():
    """1, 1.0 and True are equal dict keys: the remembered shape of one must not answer for another."""
    seen = []
    p = fnx.def_primitive("test_param_type", lambda x, *, k: (seen.append(type(k)), x)[1], lambda x, *, k: x)
    aval = ShapedArray((2,), np.dtype("float32"))
    for k in (1, 1.0, True):
        primitive.abstract_eval(p, [aval], {"k": k})
    assert seen == [int, float, bool]
