"""Data-parallel step time and all_reduce time on N = 1, 2, 4 MPI processes (localhost).

``python benchmarks/distributed.py [--processes 1,2,4] [--rounds 7] [--steps 20]`` launches, for each N,
``mpiexec -n N`` on this file with ``--worker``. Each process runs one OpenBLAS thread (a core per process,
as on a cluster node with one rank per core; N = 4 oversubscribes a 2-core machine) and times, alternating
within every round so that the machine's drift hits all three alike:

* ``step``: the data-parallel training step (value_and_grad on this rank's shard of the global batch, the
  gradient averaged by ``fnx.distributed.mean``, one fused all_reduce, then SGD), jitted;
* ``compute``: the same step without the all_reduce (each rank alone on its shard);
* ``allreduce``: the fused all_reduce of a gradient-sized buffer alone, jitted.

Workloads are the jit benchmark's MLP step (784-512-512-10, global batch 128, 669,706 float32 parameters)
and LeNet (global batch 64, 29,350 parameters). Rank 0 prints the medians over rounds (of each round's
per-step mean) and the global throughput. docs/distributed.md uses these figures to fit its cost model.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

WORKLOADS = {"mlp_step": (128, "mlp_step_inputs"), "lenet": (64, "lenet_inputs")}


def _steps(name: str):
    """(data-parallel step, local-only step, inputs) for workload ``name``."""
    import fnx
    import fnx.distributed as dist
    import models_traced
    import workloads
    from worker import load_framework
    F = load_framework("fnx", None)
    loss = partial(models_traced.mlp_loss if name == "mlp_step" else models_traced._lenet_loss, F)

    def step(params, x, labels, average):
        value, grads = fnx.value_and_grad(loss)(params, x, labels)
        grads = dist.mean(grads) if average else grads
        return value, F.tree_map(lambda p, g: p - 0.01 * g, params, grads)

    params, x, labels = getattr(workloads, WORKLOADS[name][1])(False)
    return (fnx.jit(partial(step, average=True)), fnx.jit(partial(step, average=False)), fnx.jit(dist.mean),
            params, dist.shard(x, labels))


def _time(f, args, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        out = f(*args)
    _ = out  # results are computed when the call returns (no asynchronous dispatch in fnx)
    return (time.perf_counter() - start) / steps


def worker(rounds: int, steps: int) -> None:
    import numpy as np
    from mpi4py import MPI

    import fnx.distributed as dist
    world = dist.initialize()
    comm = world.comm
    for name in WORKLOADS:
        step, compute, allreduce, params, (x, labels) = _steps(name)
        cases = {"step": (step, (params, x, labels)), "compute": (compute, (params, x, labels)),
                 "allreduce": (allreduce, (params,))}
        for f, args in cases.values():
            f(*args)  # compile
        times = {case: [] for case in cases}
        for r in range(rounds):
            order = list(cases) if r % 2 == 0 else list(cases)[::-1]
            for case in order:
                comm.Barrier()
                times[case].append(_time(*cases[case], steps))
        slowest = {case: comm.allreduce(float(np.median(t)), op=MPI.MAX)
                   for case, t in times.items()}
        if world.rank == 0:
            batch = WORKLOADS[name][0]
            print(f"{world.size:>3} {name:>9} {1e3 * slowest['step']:9.2f} {1e3 * slowest['compute']:9.2f} "
                  f"{1e3 * slowest['allreduce']:9.3f} {batch / slowest['step']:12.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        return worker(args.rounds, args.steps)
    mpiexec = Path(sys.executable).with_name("mpiexec")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", FNX_ADAPT_BLAS_THREADS="0", FNX_BACKGROUND_COMPILE="off",
               PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])))
    print("  N  workload   step ms compute ms allreduce ms  examples/s   (medians; the slowest rank)")
    for n in map(int, args.processes.split(",")):
        subprocess.run([str(mpiexec), "-n", str(n), sys.executable, __file__, "--worker", "--rounds",
                        str(args.rounds), "--steps", str(args.steps)], env=env, check=True)


if __name__ == "__main__":
    main()
