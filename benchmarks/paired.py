"""fnx against JAX with the machine's drift cancelled: both in one process, timed alternately.

``python benchmarks/paired.py [--workloads mlp_step,rnn] [--rounds 21]`` needs JAX (``pip install -e
'.[bench]'``). On one thread pinned to one core (the first allowed; prefer ``taskset -c <quiet core>``), each
round times a loop of ~0.1 s of each framework, fnx first in even rounds and JAX first in odd ones, and
prints the median and quartiles of the per-round ratio fnx/JAX. On a machine whose speed drifts by tens of
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

import workloads  # noqa: E402
from worker import load_framework  # noqa: E402


def seconds_per_call(F, f, args, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        out = f(*args)
    F.block(out)
    return (time.perf_counter() - start) / calls


def ratios(workload, frameworks: list, rounds: int) -> np.ndarray:
    """The per-round ratios fnx/JAX of ``workload`` (fnx and JAX first in alternate rounds)."""
    data = workload.inputs(False)
    runs = []
    for F in frameworks:
        f, args = workload.traced(F), F.tree_map(F.put, data)
        F.block(f(*args))  # compile
        runs.append((F, f, args))
    calls = max(1, int(0.1 / max(seconds_per_call(*run, 1) for run in runs)))
    times = np.empty((rounds, 2))
    for r in range(rounds):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            times[r, i] = seconds_per_call(*runs[i], calls)
    return times[:, 0] / times[:, 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp_step,elementwise,add_one,rnn,lenet,per_example,epoch")
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    try:
        frameworks = [load_framework("fnx", None), load_framework("jax", None)]
    except ImportError as e:
        sys.exit(f"paired.py compares fnx with JAX, which is not installed ({e}): pip install -e '.[bench]'")
    for name in args.workloads.split(","):
        workload = workloads.BY_NAME[name]
        r = ratios(workload, frameworks, args.rounds)
        q1, median, q3 = np.percentile(r, [25, 50, 75])
        target = f"target <= {workload.target}" if workload.target else ""
        print(f"{name:12s} fnx/JAX {median:.3f} (quartiles {q1:.3f}-{q3:.3f}, {args.rounds} rounds)  {target}",
              flush=True)


if __name__ == "__main__":
    main()
