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

``--default-config`` drops the thread caps and the pinning (each framework as a user runs it). Each timing
follows the other framework's at once, so on an idle machine the OpenBLAS thread fnx leaves spinning (~0.11 s
after a product: that much CPU while the caller slept) shares the cores with JAX's next turn; a pause between
turns would let other processes of a loaded machine fill it, and fnx's load watcher (``fnx.lower.openblas``)
would see them. Neither effect stood out of the noise at load ~4 (MLP step 0.85-1.86 of JAX in alternating
runs with and without 0.15 s pauses).
``--busy`` prints each framework's slowdown beside a busy-looping process, which is stopped and continued
(SIGSTOP/SIGCONT) so that every round times both frameworks with and without it, fnx's time beside it as a
fraction of JAX's, and the cores each used
(its process's CPU time over the wall time, which also counts threads the other framework left spinning: a
framework that gains from the second core when it is free loses that gain beside the neighbour). ``--serial-loops`` adds fnx
compiled with ``parallel_loops=0`` ("serial") to the alternation: parallel loops' gain or loss, in one run.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]
DEFAULT_CONFIG = "--default-config" in sys.argv or "--busy" in sys.argv  # read before NumPy and JAX start
# steady state: a fresh cache folder's compile worker would otherwise compile kernels ahead on the other core
# for its first minute, and fnx's threads would make way for it (docs/settings.md, compile_ahead)
os.environ.setdefault("FNX_COMPILE_AHEAD", "0")
if not DEFAULT_CONFIG:
    os.environ.update({name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS")})
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()

import numpy as np  # noqa: E402

import blas_bound  # noqa: E402
import workloads  # noqa: E402
from worker import load_framework  # noqa: E402


def seconds_per_call(call, calls: int) -> float:
    return wall_and_cores(call, calls)[0]


def wall_and_cores(call, calls: int) -> tuple[float, float]:
    """Seconds per call, and the cores used meanwhile (this process's CPU time over the wall time)."""
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call()
    wall = time.perf_counter() - start
    return wall / calls, (time.process_time() - cpu) / wall


def contenders(workload, frameworks: list, products: bool, serial_loops: bool = False) -> dict:
    """name -> a function making one blocking call: fnx's and JAX's compiled ``workload``, with
    ``products`` (mlp_step and epoch) its matrix products alone on fnx's BLAS kernel (``blas_bound.py``), and
    with ``serial_loops`` fnx's code compiled with ``parallel_loops=0`` ("serial")."""
    data = workload.inputs(False)
    found = {}
    if serial_loops:
        found["serial"] = _compiled_serial(workload, frameworks[0], data)
    for name, F in zip(("fnx", "JAX"), frameworks):
        f, args = workload.traced(F), F.tree_map(F.put, data)
        found[name] = lambda F=F, f=f, args=args: F.block(f(*args))
    if products and workload.name in ("mlp_step", "epoch"):
        params, x, _ = data
        steps, x = (x.shape[0], x[0]) if workload.name == "epoch" else (1, x)
        step = blas_bound.kernel_calls(blas_bound.step_products(params, x))
        found["products"] = lambda: [blas_bound.run_step(step) for _ in range(steps)]
    return found


def _compiled_serial(workload, F, data):
    """A blocking call of fnx's ``workload`` compiled with every loop serial (``parallel_loops=0``)."""
    import fnx
    default = fnx.config.parallel_loops
    f, args = workload.traced(F), F.tree_map(F.put, data)
    try:
        fnx.config.update("parallel_loops", 0)
        f(*args)
        F.compiled()
    finally:
        fnx.config.update("parallel_loops", default)
    return lambda: F.block(f(*args))


def ratios(workload, frameworks: list, rounds: int, products: bool, serial_loops: bool = False) -> dict:
    """Per-round ratios to JAX of each contender, timed in turn (the order reversed every other round)."""
    calls = contenders(workload, frameworks, products, serial_loops)
    for call in calls.values():
        call()  # compile
    frameworks[0].compiled()  # fnx's first calls run on NumPy while it compiles: time the compiled code
    n = max(1, int(0.1 / max(seconds_per_call(call, 1) for call in calls.values())))
    times = {name: np.empty(rounds) for name in calls}
    for r in range(rounds):
        for name in (list(calls) if r % 2 == 0 else list(calls)[::-1]):
            times[name][r] = seconds_per_call(calls[name], n)
    return {name: t / times["JAX"] for name, t in times.items() if name != "JAX"}


def busy_slowdowns(workload, frameworks: list, rounds: int, serial_loops: bool = False) -> dict:
    """Per framework, the per-round ratio of its time beside a busy-looping process to its time without
    (the busy process stopped with SIGSTOP between its turns), the per-round ratio of its time beside the busy
    process to JAX's, and the median cores it used without and with the busy process; each round times all of
    them in turn."""
    calls = contenders(workload, frameworks, False, serial_loops)
    for call in calls.values():
        call()
    frameworks[0].compiled()
    n = max(1, int(0.1 / max(seconds_per_call(call, 1) for call in calls.values())))
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    os.kill(busy.pid, signal.SIGSTOP)
    times = {(name, state): np.empty(rounds) for name in calls for state in ("idle", "busy")}
    cores = {(name, state): np.empty(rounds) for name in calls for state in ("idle", "busy")}
    try:
        for r in range(rounds):
            for state in (("idle", "busy") if r % 2 == 0 else ("busy", "idle")):
                os.kill(busy.pid, signal.SIGCONT if state == "busy" else signal.SIGSTOP)
                time.sleep(0.3)  # a neighbour's load lasts: let fnx's OpenBLAS watcher (0.1 s looks) see it
                for name in (list(calls) if r % 2 == 0 else list(calls)[::-1]):
                    times[name, state][r], cores[name, state][r] = wall_and_cores(calls[name], n)
    finally:
        busy.kill()
    return {name: (times[name, "busy"] / times[name, "idle"], times[name, "busy"] / times["JAX", "busy"],
                   np.median(cores[name, "idle"]), np.median(cores[name, "busy"])) for name in calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp_step,elementwise,add_one,rnn,lenet,per_example,epoch")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--products", action="store_true",
                        help="also time the matrix products alone of mlp_step and epoch (the bound under fnx)")
    parser.add_argument("--default-config", action="store_true",
                        help="no thread caps and no pinning: each framework as a user runs it")
    parser.add_argument("--busy", action="store_true",
                        help="(default config) each framework's slowdown beside a busy-looping process")
    parser.add_argument("--serial-loops", action="store_true",
                        help="also time fnx with every loop serial (parallel_loops=0), alternating with the rest")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and not DEFAULT_CONFIG:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    try:
        frameworks = [load_framework("fnx", None), load_framework("jax", None)]
    except ImportError as e:
        sys.exit(f"paired.py compares fnx with JAX, which is not installed ({e}): pip install -e '.[bench]'")
    for name in args.workloads.split(","):
        workload = workloads.BY_NAME[name]
        if args.busy:
            for who, (r, jax, idle, busy) in busy_slowdowns(workload, frameworks, args.rounds,
                                                            args.serial_loops).items():
                q1, median, q3 = np.percentile(r, [25, 50, 75])
                against = f"  busy/JAX's busy {np.median(jax):.2f}" if who != "JAX" else ""
                print(f"{name:12s} {who:6s} busy/idle {median:.2f} (quartiles {q1:.2f}-{q3:.2f}, {args.rounds} rounds)"
                      f"{against}  cores used idle {idle:.2f}, busy {busy:.2f}", flush=True)
            continue
        target = f"  target <= {workload.target}" if workload.target else ""
        for who, r in ratios(workload, frameworks, args.rounds, args.products, args.serial_loops).items():
            q1, median, q3 = np.percentile(r, [25, 50, 75])
            print(f"{name:12s} {who + '/JAX':13s} {median:.3f} (quartiles {q1:.3f}-{q3:.3f}, {args.rounds} rounds)"
                  f"{target if who == 'fnx' else ''}", flush=True)

if __name__ == "__main__":
    main()
