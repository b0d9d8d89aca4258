"""fnx over MPI on localhost: collectives, their derivatives and data-parallel training on 2 and 4 processes
(4 oversubscribe the CI machine's cores: the tests are small). Each test runs this file under ``mpiexec -n N``
with a case name; every process checks its own results and a failure aborts the whole run. They skip, with
the reason, only where MPI cannot start (no mpi4py or mpiexec: ``pip install 'fnx[mpi]'``)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MPIEXEC = Path(sys.executable).with_name("mpiexec")  # the mpich wheel puts it beside the venv's python


def _environment() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def _mpi_problem() -> str | None:
    """Why MPI cannot start here, or None."""
    try:
        import mpi4py  # noqa: F401
    except ImportError as e:
        return f"mpi4py is not installed ({e}): pip install 'fnx[mpi]'"
    if not MPIEXEC.exists():
        return f"no mpiexec beside {sys.executable}: pip install 'fnx[mpi]' (the mpich wheel)"
    probe = "from mpi4py import MPI; assert MPI.COMM_WORLD.Get_size() == 2"
    try:
        done = subprocess.run([str(MPIEXEC), "-n", "2", sys.executable, "-c", probe], capture_output=True,
                              text=True, timeout=120, env=_environment())
    except subprocess.TimeoutExpired:
        return "mpiexec -n 2 did not start within 120 s"
    return None if done.returncode == 0 else f"mpiexec -n 2 failed: {done.stderr[-500:]}"


_PROBLEM = _mpi_problem() if __name__ != "__main__" else None
pytestmark = pytest.mark.skipif(_PROBLEM is not None, reason=str(_PROBLEM))


def run_mpi(processes: int, case: str, **env) -> str:
    """Run ``case`` of this file on ``processes`` processes; return their output."""
    done = subprocess.run([str(MPIEXEC), "-n", str(processes), sys.executable, __file__, case], capture_output=True,
                          text=True, timeout=600, env={**_environment(), **env})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count(f"{case} ok") == processes, done.stdout
    return done.stdout


@pytest.mark.parametrize("processes", [2, 4])
def test_collectives_eager_and_compiled(processes):
    run_mpi(processes, "collectives")


def test_derivatives_match_finite_differences_across_processes():
    run_mpi(2, "derivatives")


@pytest.mark.parametrize("processes", [2, 4])
def test_training_on_n_processes_equals_one_process(processes):
    run_mpi(processes, "training")


def test_processes_in_different_tiers_stay_in_step():
    """With background compiles, one process may run a call compiled while another still runs it on NumPy;
    the collectives match all the same (and a dead one is kept by both)."""
    run_mpi(2, "tiers", FNX_BACKGROUND_COMPILE="thread")


def test_the_demo_under_mpiexec_prints_what_it_prints_alone():
    """``mpiexec -n 2 python -m fnx``: each process trains on half of every batch; rank 0 alone prints, and
    the losses and accuracies are those of the run alone, up to float32 rounding (sums in another order)."""
    def numbers(out: str) -> np.ndarray:
        lines = [line for line in out.splitlines() if line.startswith(("  epoch", "mean of", "final"))]
        return np.array([float(v) for line in lines for v in re.findall(r"\d+\.\d+", line.split("(")[0])])
    env = {**_environment(), "FNX_BACKGROUND_COMPILE": "process"}
    alone = subprocess.run([sys.executable, "-m", "fnx"], capture_output=True, text=True, timeout=600, env=env)
    mpi = subprocess.run([str(MPIEXEC), "-n", "2", sys.executable, "-m", "fnx"], capture_output=True, text=True,
                         timeout=600, env=env)
    assert alone.returncode == 0 and mpi.returncode == 0, mpi.stderr[-3000:]
    assert mpi.stdout.count("final test accuracy") == 1
    assert len(numbers(alone.stdout)) == 11  # 4 epochs' loss and accuracy, 2 mean losses, the final accuracy
    np.testing.assert_allclose(numbers(mpi.stdout), numbers(alone.stdout), rtol=1e-3, atol=2.5e-3)  # 1 image


def test_an_error_in_one_process_ends_the_run():
    """Rank 1 raises before a collective that rank 0 is already waiting in: the run ends at once with rank
    1's error (MPI_Abort), rather than leaving rank 0 waiting forever."""
    start = time.perf_counter()
    done = subprocess.run([str(MPIEXEC), "-n", "2", sys.executable, "-c", FAILING], capture_output=True, text=True,
                          timeout=120, env=_environment())
    assert done.returncode != 0 and time.perf_counter() - start < 60
    assert "all_reduce: collectives take float32, float64, int32 or int64 operands, got bool[2]" in done.stderr
    assert "rank 0 done" not in done.stdout


FAILING = """
import numpy as np, fnx.distributed as dist, fnx.lax as lax
world = dist.initialize()
lax.psum(np.ones(2, bool) if world.rank == 1 else np.ones(2))
print("rank", world.rank, "done")
"""


# -- the cases, run under mpiexec ---------------------------------------------------------------------------

def _inputs(rank: int, shape=(2, 3), dtype="float64") -> np.ndarray:
    """Rank ``rank``'s operand: distinct on every rank, with a different maximum position per rank."""
    base = np.cos(np.arange(np.prod(shape)) * 1.7 + rank).reshape(shape) * (rank + 1)
    return base.astype(dtype)


def case_collectives() -> None:
    import fnx
    import fnx.distributed
    from fnx import lax
    world = fnx.distributed.initialize()
    r, n = world.rank, world.size
    assert (world.local_rank, world.local_size) == (r, n)  # every process on this one machine
    from fnx.lower import openblas  # each process's OpenBLAS takes its share of the cores
    if "OPENBLAS_NUM_THREADS" not in os.environ:
        assert openblas.get_threads() in (None, max(1, (os.cpu_count() or 1) // n))
    for dtype in ("float32", "float64", "int32", "int64"):
        scale = 100 if dtype.startswith("int") else 1
        every = np.stack([(_inputs(q) * scale).astype(dtype) for q in range(n)])
        x = every[r]

        def f(x):
            return (lax.psum(x), lax.pmax(x), lax.pmin(x), lax.all_gather(x), lax.reduce_scatter(lax.all_gather(x)),
                    lax.bcast(x, n - 1), lax.psum(x[0, 0]))

        want = [every.sum(0), every.max(0), every.min(0), every, n * x, every[n - 1], every[:, 0, 0].sum()]
        for got in (f(x), fnx.jit(f)(x)):
            for g, w in zip(got, want):
                tolerance = 1e-6 if dtype == "float32" else 1e-12
                np.testing.assert_allclose(np.asarray(g), w.astype(dtype), rtol=tolerance)
                assert np.asarray(g).dtype == np.dtype(dtype) and np.shape(g) == w.shape
    np.testing.assert_allclose(np.asarray(fnx.jit(lax.pmean)(every[r].astype("float64"))), every.mean(0), rtol=1e-12)


def case_derivatives() -> None:
    """For ``F = Σ_r L_r(x_r)`` (every rank's objective, summed), the gradient each rank gets for its ``x_r``
    equals central differences of F, perturbing one element of one rank's input at a time."""
    import fnx
    import fnx.distributed
    import fnx.numpy as fnp
    from fnx import lax
    world = fnx.distributed.initialize()
    r, n = world.rank, world.size
    x = _inputs(r)
    weights = np.arange(1.0, 7.0).reshape(2, 3) * (r + 1)
    objectives = {
        "psum": lambda x: fnp.sum(fnp.sin(lax.psum(x)) * weights),
        "pmax": lambda x: fnp.sum(lax.pmax(x) * weights),
        "pmin": lambda x: fnp.sum(lax.pmin(x * x) * weights),
        "all_gather": lambda x: fnp.sum(fnp.tanh(lax.all_gather(x)) * (r + 1.0)),
        "reduce_scatter": lambda x: fnp.sum(lax.reduce_scatter(fnp.stack([x * (q + 1.0) for q in range(n)])) ** 2),
        "bcast": lambda x: fnp.sum(lax.bcast(x, 1) ** 3 * weights),
    }
    for name, objective in objectives.items():
        grad = np.asarray(fnx.grad(objective)(x))
        np.testing.assert_allclose(np.asarray(fnx.jit(fnx.grad(objective))(x)), grad, rtol=1e-12, err_msg=name)
        eps = 1e-6
        for q in range(n):
            for j in range(x.size):
                step = np.zeros(x.size)
                step[j] = eps if q == r else 0.0
                up = float(lax.psum(objective(x + step.reshape(x.shape))))
                down = float(lax.psum(objective(x - step.reshape(x.shape))))
                if q == r:
                    np.testing.assert_allclose(grad.ravel()[j], (up - down) / (2 * eps), rtol=1e-5, atol=1e-7,
                                               err_msg=f"{name}: rank {r}, element {j}")


def _model(seed: int):
    import fnx.random as fr
    k1, k2 = fr.split(fr.key(seed))
    return [{"w": fr.normal(k1, (5, 8), dtype="float32") * 0.5, "b": np.zeros(8, np.float32)},
            {"w": fr.normal(k2, (8, 3), dtype="float32") * 0.5, "b": np.zeros(3, np.float32)}]


def _loss(params, x, y):
    import fnx.numpy as fnp
    h = fnp.tanh(x @ params[0]["w"] + params[0]["b"])
    logits = h @ params[1]["w"] + params[1]["b"]
    one_hot = y[:, None] == fnp.arange(3)
    return fnp.mean(fnp.logsumexp(logits, axis=1) - fnp.sum(fnp.where(one_hot, logits, 0.0), axis=1))


def case_training() -> None:
    """Adam on 16-example global batches, 6 steps: N processes on their shards against this process alone on
    the whole batches (the reference uses no collective)."""
    import fnx
    import fnx.distributed
    import fnx.distributed as dist
    import fnx.optimizers as optim
    from fnx.core.tree import tree_flatten
    world = dist.initialize()
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(16, 5)).astype(np.float32), rng.integers(0, 3, 16)) for _ in range(6)]

    def make_step(optimizer):
        @fnx.jit
        def step(params, state, x, y):
            value, grads = fnx.value_and_grad(_loss)(params, x, y)
            updates, state = optimizer.update(grads, state, params)
            return optim.apply_updates(params, updates), state, value
        return step

    parallel, alone = dist.data_parallel(optim.adam(0.05)), optim.adam(0.05)
    step, reference_step = make_step(parallel), make_step(alone)
    params = dist.broadcast(_model(world.rank))  # every rank starts from rank 0's model
    reference = _model(0)
    state, reference_state = parallel.init(params), alone.init(reference)
    for x, y in batches:
        params, state, _ = step(params, state, *dist.shard(x, y))
        reference, reference_state, _ = reference_step(reference, reference_state, x, y)
    for got, want in zip(tree_flatten((params, state))[0], tree_flatten((reference, reference_state))[0]):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-5, atol=1e-6)
    dist.check_consistent((params, state))
    jaxpr = fnx.make_jaxpr(step)(params, state, *dist.shard(*batches[0]))
    assert str(jaxpr).count("all_reduce") == 1, "the gradient takes one fused all_reduce"


def case_tiers() -> None:
    import fnx
    import fnx.distributed
    from fnx import lax
    world = fnx.distributed.initialize()
    f = fnx.jit(lambda x: (lax.psum(x) * 2.0, lax.pmax(x), (lax.all_gather(x), x)[1]))
    total = sum(_inputs(q) for q in range(world.size))
    for call in range(40):
        x = _inputs(world.rank) + call
        doubled, _, same = f(x)
        np.testing.assert_allclose(np.asarray(doubled), 2 * (total + world.size * call), rtol=1e-12)
        if world.rank == 0:
            time.sleep(0.02)  # rank 0 stays behind, so that the ranks switch tiers at different calls


if __name__ == "__main__":
    case = sys.argv[1]
    try:
        globals()[f"case_{case}"]()
    except BaseException:  # noqa: BLE001  (any failure ends every process, not only this one)
        traceback.print_exc()
        sys.stdout.flush()
        from mpi4py import MPI
        MPI.COMM_WORLD.Abort(1)
    print(f"{case} ok", flush=True)
