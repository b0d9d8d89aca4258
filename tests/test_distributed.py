"""Collectives and fnx.distributed in one process (no MPI launch): a one-process world, where every
collective is what it is over one process, eagerly, under jit, grad and vmap; bad input; fnx without MPI.
The MPI runs (2 and 4 processes) are in tests/test_distributed_mpi.py."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.distributed as dist
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax
from fnx.core.errors import FnxTypeError
from gradcheck import check_grads

REPO = Path(__file__).resolve().parents[1]
DTYPES = ["float32", "float64", "int32", "int64"]

pytestmark = pytest.mark.skipif(dist.launcher_variable() is not None, reason="these tests are for a process alone")


def _collectives(x):
    return (lax.psum(x), lax.pmean(x), lax.pmax(x), lax.pmin(x), lax.all_gather(x),
            lax.reduce_scatter(lax.all_gather(x)), lax.bcast(x, 0))


@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(0, 3), max_size=3).map(tuple), dtype=st.sampled_from(DTYPES))
def test_one_process_collectives_eager_and_jit(shape, dtype):
    x = (np.arange(int(np.prod(shape))).reshape(shape) - 2).astype(dtype)
    expected = [x, x / 1, x, x, x[None], x, x]
    for outs in (_collectives(x), fnx.jit(_collectives)(x)):
        for out, want in zip(outs, expected):
            assert np.asarray(out).shape == want.shape
            np.testing.assert_array_equal(np.asarray(out), want)
        assert [np.asarray(o).dtype for o in outs[2:]] == [np.dtype(dtype)] * 5


def test_collectives_take_pytrees_and_scalars():
    tree = {"w": fnp.ones((2, 3)), "b": [np.float32(2.5)]}
    out = fnx.jit(lambda t: lax.all_reduce(t, "sum"))(tree)
    assert fnx.tree_util.tree_structure(out) == fnx.tree_util.tree_structure(tree)
    assert np.asarray(out["b"][0]).dtype == np.float32 and float(out["b"][0]) == 2.5


def test_derivatives_match_finite_differences():
    """With one process every collective is the identity (all_gather adds an axis), so the checks compare the
    rules' collectives of cotangents against the plain function."""
    x = np.array([0.3, -1.2, 2.0])
    check_grads(lambda x: fnp.sin(lax.psum(x)) * lax.pmax(x), [x])
    check_grads(lambda x: lax.pmin(x) ** 2 + lax.pmean(x), [x])
    check_grads(lambda x: fnp.cos(lax.all_gather(x)), [x])
    check_grads(lambda x: lax.reduce_scatter(fnp.exp(x)[None]), [x])
    check_grads(lambda x: lax.bcast(x * x, 0), [x])


def test_jit_of_grad_equals_eager_grad():
    f = lambda x: fnp.sum(fnp.tanh(lax.psum(x)) * lax.all_gather(x)[0])  # noqa: E731
    x = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(fnx.jit(fnx.grad(f))(x), fnx.grad(f)(x), rtol=1e-12)


def test_vmap_maps_within_the_process():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(fnx.vmap(lax.psum)(x), x)
    np.testing.assert_array_equal(fnx.vmap(lax.all_gather, in_axes=1)(x), x.T[:, None, :])
    np.testing.assert_array_equal(fnx.vmap(lax.reduce_scatter, in_axes=2)(x[None]), x.T)
    np.testing.assert_array_equal(fnx.jit(fnx.vmap(lambda v: lax.bcast(v, 0), in_axes=1))(x), x.T)


def test_a_dead_collective_stays_in_the_compiled_program():
    """Every process must make the same collective calls, whichever tier runs a call: the NumPy tier runs
    every equation, so the compiled code must not drop an unused collective."""
    source = fnx.jit(lambda x: (lax.psum(x), x + 1)[1]).lower(np.ones(3)).compile()
    text = getattr(source, "source", None) or source.as_text()
    assert "kc.all_reduce" in text


def test_a_loop_calling_a_collective_stays_though_its_outputs_are_unused():
    """The same for a collective inside a scan body whose results nobody uses: the scan is kept (its unused
    stacked output goes)."""
    def f(x):
        lax.scan(lambda c, xi: (c + lax.psum(xi), xi), 0.0, x)
        return x * 2.0

    text = fnx.jit(f).lower(np.ones(3)).as_text()
    assert text.split("\n\n", 1)[1].count("kc.all_reduce") == 1
    np.testing.assert_array_equal(fnx.jit(f)(np.ones(3)), np.full(3, 2.0))


def test_bad_input_names_the_collective_and_the_line():
    with pytest.raises(FnxTypeError, match=r"all_reduce: collectives take .* got bool\[2\]") as e:
        lax.psum(np.array([True, False]))
    assert "test_distributed.py" in str(e.value)
    with pytest.raises(FnxTypeError, match="all_reduce: op must be one of"):
        fnx.jit(lambda x: lax.all_reduce(x, "prod"))(np.ones(2))
    with pytest.raises(FnxTypeError, match=r"reduce_scatter: needs an operand whose first axis is the world size 1"):
        lax.reduce_scatter(np.ones((2, 3)))
    with pytest.raises(FnxTypeError, match="bcast: root 1 is not a rank of a world of 1 processes"):
        lax.bcast(np.ones(2), root=1)


def test_world_alone_and_initialize_error():
    world = dist.world()
    assert (world.rank, world.size, world.local_rank, world.local_size, world.is_mpi) == (0, 1, 0, 1, False)
    assert world.device is fnx.devices()[0]
    with pytest.raises(dist.DistributedError, match="not started by an MPI launcher.*mpiexec -n 2") as e:
        dist.initialize()
    assert "test_distributed.py" in str(e.value)


def test_helpers_alone_are_the_identity_and_shard_checks_shapes():
    tree = {"w": np.ones((2, 2), np.float32), "n": np.arange(3)}
    for helper in (dist.mean, dist.sum, dist.broadcast):
        assert helper(tree) is tree
    dist.check_consistent(tree)
    x, y = dist.shard(np.arange(8).reshape(4, 2), np.arange(4))
    np.testing.assert_array_equal(y, np.arange(4))
    with pytest.raises(dist.DistributedError, match=r"one leading length .* got int64\[4, 2\], int64\[3\]"):
        dist.shard(np.arange(8).reshape(4, 2), np.arange(3))


def test_data_parallel_optimizer_alone_is_the_optimizer():
    params = {"w": np.array([1.0, -2.0])}
    grads = {"w": np.array([0.5, 0.25])}
    opt, plain = dist.data_parallel(optim.adam(0.1)), optim.adam(0.1)
    got, _ = opt.update(grads, opt.init(params), params)
    want, _ = plain.update(grads, plain.init(params), params)
    np.testing.assert_array_equal(got["w"], want["w"])


def test_fnx_works_without_mpi4py():
    """Importing fnx (and fnx.distributed, and running collectives alone) imports no MPI; under a launcher
    without mpi4py, the error says what to install."""
    code = ("import sys; sys.modules['mpi4py'] = None\n"  # makes `import mpi4py` fail
            "import fnx, fnx.distributed as d, fnx.numpy as fnp\n"
            "assert float(fnx.jit(fnx.lax.psum)(fnp.ones(()))) == 1.0\n"
            "assert not [m for m in sys.modules if m.split('.')[0] in ('mpi4py', 'numba_mpi') and sys.modules[m]]\n"
            "import os; os.environ['PMI_SIZE'] = '2'; d.world.__globals__['_world'] = None\n"
            "try:\n    d.world()\nexcept d.DistributedError as e:\n    print(e)\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "mpi4py cannot be imported" in done.stdout and "pip install 'fnx[mpi]'" in done.stdout
