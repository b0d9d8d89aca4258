"""Data-parallel step time and all_reduce time on N = 1, 2, 4 MPI processes (localhost).

``python benchmarks/distributed.py [--processes 1,2,4] [--rounds 7] [--steps 20]`` launches, for each N,
``mpiexec -n N`` on this file with ``--worker``. Each process runs one OpenBLAS thread (a core per process,
as on a cluster node with one rank per core; N = 4 oversubscribes a 2-core machine) and times, alternating
within every round so that the machine's drift hits all three alike:

* ``step``: the data-parallel training step (value_and_grad on this rank's shard of the global batch, the
  gradient averaged by ``fnx.distributed.mean``, one fused all_reduce, then SGD), jitted;
* ``compute``: the same step without the all_reduce (each rank alone on its shard);
* ``allreduce``: the fused all_reduce of a gradient-sized buffer alone, jitted (with its copies in and out);
* ``mpi``: mpi4py's ``Allreduce`` of one float32 buffer of the same size: MPI's own share.

``--model`` prints instead docs/distributed.md's predictions for 8-64 nodes: ring all_reduce
``2(N-1)·α + 2(N-1)/N·M/β`` for M gradient bytes on a network of latency α and bandwidth β, added to the
per-node step (``--compute-ms``, measured here on one core, N = 1), either after the backward pass (fnx
today) or overlapped with it (bucketed all_reduces, as Horovod and PyTorch DDP do).

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

    import fnx
    import fnx.distributed as dist
    world = dist.initialize()
    comm = world.comm
    for name in WORKLOADS:
        step, compute, allreduce, params, (x, labels) = _steps(name)
        flat = np.zeros(sum(np.size(leaf) for leaf in fnx.tree_util.tree_leaves(params)), np.float32)
        cases = {"step": (step, (params, x, labels)), "compute": (compute, (params, x, labels)),
                 "allreduce": (allreduce, (params,)),
                 "mpi": (lambda buffer: comm.Allreduce(MPI.IN_PLACE, buffer), (flat,))}
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
                  f"{1e3 * slowest['allreduce']:12.3f} {1e3 * slowest['mpi']:8.3f} {batch / slowest['step']:11.0f}",
                  flush=True)


# -- the cost model ------------------------------------------------------------------------------------------

GRADIENT_BYTES = {"mlp_step": 669_706 * 4, "lenet": 29_350 * 4}
BACKWARD_SHARE = 2 / 3  # of a step's compute: the backward pass, behind which an all_reduce can hide
PACK_BYTES_PER_S = 5e9  # copying the gradient into the flat buffer and back out (2 passes, memory-bound)
NETWORKS = {"10 GbE, TCP (α 30 us, β 1.1 GB/s)": (30e-6, 1.1e9),
            "InfiniBand HDR100 (α 2 us, β 11 GB/s)": (2e-6, 11e9)}


def ring_allreduce_seconds(n: int, nbytes: float, alpha: float, beta: float) -> float:
    """Ring all_reduce of ``nbytes`` over ``n`` nodes: 2(n-1) steps of latency ``alpha``, each moving 1/n of
    the buffer at ``beta`` bytes/s (reduce-scatter, then all-gather)."""
    return 2 * (n - 1) * alpha + 2 * (n - 1) / n * nbytes / beta


def step_seconds(n: int, compute: float, nbytes: float, alpha: float, beta: float, overlap: bool) -> float:
    """A data-parallel step: compute, the fused buffer's copies, and the all_reduce not hidden by the backward
    pass (all of it without overlap)."""
    if n == 1:
        return compute
    comm = ring_allreduce_seconds(n, nbytes, alpha, beta)
    exposed = max(0.0, comm - BACKWARD_SHARE * compute) if overlap else comm
    return compute + (0.0 if overlap else 2 * nbytes / PACK_BYTES_PER_S) + exposed


def print_model(compute: dict) -> None:
    """Markdown tables: examples/s (and parallel efficiency) at 8-64 nodes, per-node batch fixed."""
    batches = {"mlp_step": 128, "lenet": 64}
    for network, (alpha, beta) in NETWORKS.items():
        print(f"\n{network}\n\n| model | overlap | " + " | ".join(f"N={n}" for n in (1, 8, 16, 32, 64)) + " |")
        print("|---|---|" + "---|" * 5)
        for name, nbytes in GRADIENT_BYTES.items():
            for overlap in (False, True):
                cells = []
                for n in (1, 8, 16, 32, 64):
                    t = step_seconds(n, compute[name], nbytes, alpha, beta, overlap)
                    cells.append(f"{n * batches[name] / t:,.0f} ({compute[name] / t:.0%})")
                print(f"| {name} | {'yes' if overlap else 'no (fnx)'} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--model", action="store_true", help="print the cost model's predictions")
    parser.add_argument("--compute-ms", default="mlp_step=12.7,lenet=27.4",
                        help="per-node step time without communication, ms (N = 1 here)")
    args = parser.parse_args()
    if args.worker:
        return worker(args.rounds, args.steps)
    if args.model:
        return print_model(dict((k, float(v) / 1e3) for k, v in (p.split("=") for p in args.compute_ms.split(","))))
    mpiexec = Path(sys.executable).with_name("mpiexec")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", FNX_ADAPT_BLAS_THREADS="0", FNX_BACKGROUND_COMPILE="off",
               PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])))
    print("  N  workload   step ms compute ms allreduce ms   mpi ms  examples/s   (medians; the slowest rank)")
    for n in map(int, args.processes.split(",")):
        subprocess.run([str(mpiexec), "-n", str(n), sys.executable, __file__, "--worker", "--rounds",
                        str(args.rounds), "--steps", str(args.steps)], env=env, check=True)


if __name__ == "__main__":
    main()
