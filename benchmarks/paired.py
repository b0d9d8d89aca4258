"""fnx against JAX with the machine's drift cancelled: both in one process, timed alternately.

``python benchmarks/paired.py [--workloads mlp_step,rnn] [--rounds 21]`` needs JAX (``pip install -e
'.[bench]'``). On one thread pinned to one core (the first allowed; prefer ``taskset -c <quiet core>``), each
round times a loop of ~0.1 s of each framework, fnx first in even rounds and JAX first in odd ones, and
prints the median and quartiles of the per-round ratio fnx/JAX. With ``--products``, the matrix products
alone of ``mlp_step`` and ``epoch`` (``blas_bound.py``) join the alternation: products/JAX is the floor
under fnx/JAX on this BLAS. On a machine whose speed drifts by tens of
percent within minutes, ``run.py``'s per-framework medians (from different processes, minutes apart) can
move a ratio by as much; here both sides of each ratio ran within a second of each other. ``run.py``
remains the reference (one process per framework, first calls, NumPy, result checks).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]
os.environ.update({name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS")})
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()

import numpy as np  # noqa: E402

import blas_bound  # noqa: E402
import workloads  # noqa: E402
from worker import load_framework  # noqa: E402


def seconds_per_call(call, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def contenders(workload, frameworks: list, products: bool) -> dict:
    """name -> a function making one blocking call: fnx's and JAX's compiled ``workload``, and with
    ``products`` (mlp_step and epoch) its matrix products alone on fnx's BLAS kernel (``blas_bound.py``)."""
    data = workload.inputs(False)
    found = {}
    for name, F in zip(("fnx", "JAX"), frameworks):
        f, args = workload.traced(F), F.tree_map(F.put, data)
        found[name] = lambda F=F, f=f, args=args: F.block(f(*args))
    if products and workload.name in ("mlp_step", "epoch"):
        params, x, _ = data
        steps, x = (x.shape[0], x[0]) if workload.name == "epoch" else (1, x)
        step = blas_bound.kernel_calls(blas_bound.step_products(params, x))
        found["products"] = lambda: [blas_bound.run_step(step) for _ in range(steps)]
    return found


def ratios(workload, frameworks: list, rounds: int, products: bool) -> dict:
    """Per-round ratios to JAX of each contender, timed in turn (the order reversed every other round)."""
    calls = contenders(workload, frameworks, products)
    for call in calls.values():
        call()  # compile
    frameworks[0].compiled()  # fnx's first calls run on NumPy while it compiles: time the compiled code
    n = max(1, int(0.1 / max(seconds_per_call(call, 1) for call in calls.values())))
    times = {name: np.empty(rounds) for name in calls}
    for r in range(rounds):
        for name in (list(calls) if r % 2 == 0 else list(calls)[::-1]):
            times[name][r] = seconds_per_call(calls[name], n)
    return {name: t / times["JAX"] for name, t in times.items() if name != "JAX"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp_step,elementwise,add_one,rnn,lenet,per_example,epoch")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--products", action="store_true",
                        help="also time the matrix products alone of mlp_step and epoch (the bound under fnx)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    try:
        frameworks = [load_framework("fnx", None), load_framework("jax", None)]
    except ImportError as e:
        sys.exit(f"paired.py compares fnx with JAX, which is not installed ({e}): pip install -e '.[bench]'")
    for name in args.workloads.split(","):
        workload = workloads.BY_NAME[name]
        target = f"  target <= {workload.target}" if workload.target else ""
        for who, r in ratios(workload, frameworks, args.rounds, args.products).items():
            q1, median, q3 = np.percentile(r, [25, 50, 75])
            print(f"{name:12s} {who + '/JAX':13s} {median:.3f} (quartiles {q1:.3f}-{q3:.3f}, {args.rounds} rounds)"
                  f"{target if who == 'fnx' else ''}", flush=True)

if __name__ == "__main__":
    main()
