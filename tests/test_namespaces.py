"""``import fnx`` then fnx.nn / fnx.optimizers / fnx.datasets / fnx.scipy (lazy), no allocator change at
import, and the pytree and shape helpers: fnx.tree, ravel_pytree, eval_shape, checkpoint."""
import subprocess
import sys

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.flatten_util import ravel_pytree


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_submodules_are_reachable_and_lazy():
    out = _run("import sys, fnx; lazy = ('nn', 'optimizers', 'datasets', 'scipy');"
               "print(any(f'fnx.{m}' in sys.modules for m in lazy), fnx._memory._in_force,"
               "'fnx.lower.cpu' in sys.modules);"
               "print(fnx.nn.relu.__name__, fnx.optimizers.adam.__name__, fnx.datasets.load_digits.__name__,"
               "fnx.scipy.special.logsumexp.__name__)")
    assert out.splitlines() == ["False None False", "relu adam load_digits logsumexp"]
    assert {"nn", "optimizers", "datasets", "scipy"} <= set(dir(fnx))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fnx.nope


def test_memory_policy_is_applied_when_compiled_code_loads():
    out = _run("import fnx, fnx.numpy as fnp, fnx._memory as m; f = fnx.jit(lambda x: x + 1.0);"
               "fnp.sum(fnp.ones(3) * 2); print(m._in_force);"
               "f(fnp.ones(3)); fnx.block_until_compiled(); f(fnp.ones(3)); print(m._in_force)")
    assert out.splitlines() == ["None", str(fnx.config.keep_freed_memory)]


def test_memory_policy_applies_once_then_follows_config_updates(monkeypatch):
    calls = []
    monkeypatch.setattr(fnx._memory, "keep_freed_memory", calls.append)  # glibc stays as it is
    monkeypatch.setattr(fnx._memory, "_in_force", None)
    monkeypatch.setattr(fnx.config, "keep_freed_memory", fnx.config.keep_freed_memory)  # restored afterwards
    fnx.config.update("keep_freed_memory", 5 << 20)
    assert calls == []  # not in force yet: applied when first needed
    fnx._memory.apply_policy()
    fnx._memory.apply_policy()
    assert calls == [5 << 20]
    fnx.config.update("keep_freed_memory", 5 << 20)  # in force: applied again at once (even the same value)
    assert calls == [5 << 20, 5 << 20]


def test_tree_namespace_matches_tree_util():
    tree = {"w": [1, 2], "b": (3, {"c": 4})}
    assert fnx.tree.leaves(tree) == fnx.tree_util.tree_leaves(tree) == [3, 4, 1, 2]
    assert fnx.tree.map(lambda x: x * 10, tree) == {"w": [10, 20], "b": (30, {"c": 40})}
    assert fnx.tree.structure(tree) == fnx.tree_util.tree_structure(tree)
    assert fnx.tree.reduce(lambda a, b: a * b, tree) == 24
    assert fnx.tree.reduce(lambda a, b: a + b, [], 7) == 7
    assert fnx.tree.all([True, (1, 2)]) and not fnx.tree.all([True, (0,)])
    leaves, treedef = fnx.tree.flatten(tree)
    assert fnx.tree.unflatten(treedef, leaves) == tree
    with pytest.raises(TypeError, match="initializer"):
        fnx.tree.reduce(lambda a, b: a + b, [])


def test_ravel_pytree_round_trip_and_grad():
    params = {"w": fnp.arange(6.0).reshape(2, 3), "b": fnp.asarray(np.float32([1.5])), "n": fnp.arange(2)}
    flat, unravel = ravel_pytree(params)
    np.testing.assert_array_equal(flat, [1.5, 0, 1, 0, 1, 2, 3, 4, 5])  # leaves in sorted key order
    back = unravel(flat)
    for k in params:
        assert back[k].dtype == params[k].dtype
        np.testing.assert_array_equal(back[k], params[k])
    g = fnx.grad(lambda v: fnp.sum(unravel(v)["w"] ** 2))(flat)
    np.testing.assert_allclose(g, [0, 0, 0] + [2.0 * i for i in range(6)])
    with pytest.raises(ValueError, match=r"shape \(9,\)"):
        unravel(fnp.ones(4))


def test_eval_shape_computes_nothing():
    calls = []

    def f(x, y, scale=2.0):
        calls.append(type(x).__name__)
        return {"s": fnp.sum(x, axis=0) * scale, "m": x @ y}

    out = fnx.eval_shape(f, fnx.ShapeDtypeStruct((3, 4), "float32"), np.ones((4, 5), np.float32), scale=3.0)
    assert (out["s"].shape, out["s"].dtype, out["m"].shape) == ((4,), np.float32, (3, 5))
    assert calls == ["Tracer"]


@pytest.mark.parametrize("static", [False, True])
def test_checkpoint_gives_the_same_derivatives_and_recomputes(static):
    def f(x, n):
        for _ in range(n):
            x = fnp.sin(x) * x
        return fnp.sum(x)

    x = fnp.linspace(0.1, 1.0, 5)
    g = fnx.checkpoint(f, static_argnums=1) if static else fnx.checkpoint(lambda x: f(x, 3))
    call = (lambda x: g(x, 3)) if static else g
    np.testing.assert_allclose(fnx.grad(call)(x), fnx.grad(lambda x: f(x, 3))(x), rtol=1e-14)
    np.testing.assert_allclose(fnx.jit(fnx.grad(call))(x), fnx.grad(lambda x: f(x, 3))(x), rtol=1e-12)
    assert fnx.remat is fnx.checkpoint
    assert float(call(x)) == pytest.approx(float(f(x, 3)))
