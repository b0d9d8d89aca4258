"""The benchmark suite in its quick mode, as CI runs it: every workload with NumPy and fnx, each result
checked against float64 NumPy, the tables printed. No timing is ever asserted.

The NumPy versions are the reference the suite checks against, so their hand-written gradients are checked
here against finite differences first.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import fnx
from fnx.lower.simplify import simplify

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import blas_bound  # noqa: E402
import models_numpy  # noqa: E402
import models_traced  # noqa: E402
import workloads  # noqa: E402


def _directional_difference(loss, params, direction, eps=1e-6) -> float:
    """(loss(params + eps d) - loss(params - eps d)) / 2 eps, for nested params."""
    return (float(loss(_add(params, direction, eps))) - float(loss(_add(params, direction, -eps)))) / (2 * eps)


def _add(params, direction, scale):
    moved = [p + scale * d for p, d in zip(workloads.leaves(params), workloads.leaves(direction))]
    return _rebuild(params, iter(moved))


def _rebuild(tree, it):
    """``tree``'s structure filled with the arrays of ``it``, in the order ``workloads.leaves`` lists them."""
    if isinstance(tree, dict):
        return {k: _rebuild(tree[k], it) for k in sorted(tree)}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_rebuild(item, it) for item in tree)
    return next(it)


def _check_gradient(value_and_grad, params, *data):
    """The hand-written gradient, dotted with a random direction, equals the finite difference along it."""
    rng = np.random.default_rng(0)
    direction = workloads.map_leaves(lambda p: rng.standard_normal(p.shape), params)
    _, grads = value_and_grad(params, *data)
    analytic = sum(float(np.sum(g * d)) for g, d in zip(workloads.leaves(grads), workloads.leaves(direction)))
    numeric = _directional_difference(lambda p: value_and_grad(p, *data)[0], params, direction)
    assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("value_and_grad, inputs", [
    (models_numpy.mlp_value_and_grad, workloads.mlp_step_inputs),
    (models_numpy.rnn_value_and_grad, workloads.rnn_inputs),
    (models_numpy.lenet_value_and_grad, workloads.lenet_inputs),
])
def test_numpy_gradients_match_finite_differences(value_and_grad, inputs):
    _check_gradient(value_and_grad, *workloads.as_float64(inputs(quick=True)))


def test_numpy_per_example_gradients_are_each_examples_gradient():
    params, x, labels = workloads.as_float64(workloads.per_example_inputs(quick=True))
    per_example = workloads.leaves(models_numpy.per_example_grads(params, x, labels))
    for i in range(len(x)):
        _, grads = models_numpy.mlp_value_and_grad(params, x[i:i + 1], labels[i:i + 1])
        for batched, single in zip(per_example, workloads.leaves(grads)):
            np.testing.assert_allclose(batched[i], single, rtol=1e-12, atol=1e-14)


def test_quick_run_checks_numpy_and_fnx_and_prints_the_tables():
    # reuse the session's fnx cache directory: only the first run on a machine compiles
    command = [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--frameworks", "numpy,fnx",
               "--cache-dir", fnx.config.cache_dir]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    for w in workloads.WORKLOADS:  # a row per workload, and every framework's result matched NumPy
        assert re.search(rf"^{w.name}\s.*\sok$", out, re.M), out
        assert re.search(rf"^{w.name}\s+[\d.]+ (us|ms|s)\s", out[out.index("first call"):], re.M), out
    assert "eager dispatch" in out and "target: add(x, 1.0)" in out


@pytest.mark.parametrize("name", ["mlp_step", "epoch"])
def test_blas_bound_times_the_products_fnx_computes(name):
    """``blas_bound.py`` times the matrix products of one step: the same (output shape, contracted size) as
    the dot_generals of fnx's jaxpr for the workload, after the simplifications jit makes."""
    params, x, labels = workloads.BY_NAME[name].inputs(True)
    if name == "epoch":
        x, labels = x[0], labels[0]
    F = SimpleNamespace(np=fnx.numpy, lax=fnx.lax, value_and_grad=fnx.value_and_grad, tree_map=fnx.tree_map)
    jaxpr = simplify(fnx.make_jaxpr(lambda *a: models_traced._train_step(F, *a))(params, x, labels).jaxpr)
    assert _products([jaxpr]) == sorted(_product_shape(*p) for p in blas_bound.step_products(params, x))
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "blas_bound.py"), "--quick"], check=True,
                   capture_output=True, env=dict(os.environ, PYTHONPATH=str(REPO)))


def test_blas_bound_times_the_products_of_an_rnn_pass():
    """For the RNN, the products per step are those inside the (simplified) scan bodies, the others those
    outside them."""
    params, xs = workloads.rnn_inputs(True)
    F = SimpleNamespace(np=fnx.numpy, lax=fnx.lax, jit=lambda f: f, value_and_grad=fnx.value_and_grad)
    jaxpr = simplify(fnx.make_jaxpr(models_traced.rnn_value_and_grad(F))(params, xs).jaxpr)
    bodies = [e.params["jaxpr"].jaxpr for e in jaxpr.eqns if e.primitive.name == "scan"]
    per_step, once = blas_bound.rnn_products(params, xs)
    assert len(bodies) == 2
    assert _products(bodies) == sorted(_product_shape(*p) for p in per_step)
    assert _products([jaxpr]) == sorted(_product_shape(*p) for p in once)


def _products(jaxprs: list) -> list:
    """(output shape as a matrix, contracted size) of every matrix product of ``jaxprs`` (a dot_general, or a
    product_update: a weight update folded into its product), sorted; the output's leading axes are merged,
    as the CPU backend does to make it one matrix product."""
    found = []
    for e in (e for j in jaxprs for e in j.eqns if e.primitive.name in ("dot_general", "product_update")):
        lhs = e.invars[-2]  # a product_update's operands come after its target and scale
        contracted = int(np.prod([lhs.aval.shape[d] for d in e.params["dimension_numbers"][0][0]]))
        found.append(((int(np.prod(e.outvars[0].aval.shape[:-1])), e.outvars[0].aval.shape[-1]), contracted))
    return sorted(found)


def _product_shape(a, b, transpose_a, transpose_b) -> tuple:
    return (a.shape[transpose_a], b.shape[1 - transpose_b]), a.shape[1 - transpose_a]
