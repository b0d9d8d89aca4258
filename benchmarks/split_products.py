"""Beside a busy neighbour, can fnx's products use a second core? OpenBLAS's threads against a split over Numba's.

``python benchmarks/split_products.py [--rounds 9] [--own-session]`` times the matrix products of one
``mlp_step`` and one ``epoch`` step (``blas_bound.step_products``) three ways, alternating in one process, with
a busy-looping process stopped and continued between turns (as ``paired.py --busy``):

- ``openblas1``: NumPy's OpenBLAS on one thread (what fnx's load watcher picks beside a busy neighbour);
- ``openblas2``: on two threads (its choice on an idle machine); they spin while they wait for each other;
- ``split``: each product of at least ``--split-from`` multiply-adds cut into column blocks, one per Numba
  thread (a ``prange``), each block a one-thread OpenBLAS product. Numba's threads sleep while they wait.

It prints the milliseconds per step and the cores used (CPU time over wall time) idle and busy. fnx's
slowdown beside a busy neighbour is the gain it loses from the second core (``paired.py --busy``); only a way
to keep using it, at a share of the neighbour's core, can bring that slowdown under JAX's. A split that runs
on this machine near ``openblas2`` idle and under ``openblas1`` busy would be that way (docs/design.md,
"Parallel loops follow the load"). ``--own-session`` starts the neighbour in a session of its own: where the
kernel groups processes by session for scheduling (``/proc/sys/kernel/sched_autogroup_enabled``), the
neighbour then holds its core whatever the number of fnx's threads.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import types  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

import blas_bound  # noqa: E402
import workloads  # noqa: E402
from fnx.lower import openblas  # noqa: E402
from fnx.lower.cpu import blas, threads  # noqa: E402

SGEMM = blas._EXTERNAL[types.float32]  # fnx's name for NumPy's OpenBLAS sgemm, as compiled code calls it
NO_TRANS, TRANS = blas.NO_TRANS, blas.TRANS


@intrinsic
def _offset(typingctx, pointer, count):
    """``pointer + count`` elements."""
    def codegen(context, builder, signature, args):
        return builder.gep(args[0], [args[1]])
    return pointer(pointer, types.int64), codegen


@numba.njit(parallel=True, nogil=True)
def split_product(a, b, transpose_a, transpose_b, out, parts):
    """``out[:] = op(a) @ op(b)`` (C-contiguous float32), its columns cut in ``parts`` blocks over Numba's
    threads, each a one-thread OpenBLAS product."""
    m, n = out.shape
    k = a.shape[0] if transpose_a else a.shape[1]
    for p in numba.prange(parts):
        lo, hi = n * p // parts, n * (p + 1) // parts
        b_block = _offset(blas._data(b), lo * b.shape[1] if transpose_b else lo)
        SGEMM(blas.ROW_MAJOR, TRANS if transpose_a else NO_TRANS, TRANS if transpose_b else NO_TRANS, m, hi - lo,
              k, np.float32(1.0), blas._data(a), a.shape[1], b_block, b.shape[1], np.float32(0.0),
              _offset(blas._data(out), lo), n)


@numba.njit(nogil=True)
def whole_product(a, b, transpose_a, transpose_b, out):
    """``out[:] = op(a) @ op(b)`` in one OpenBLAS call (on its current thread count)."""
    blas.gemm(a, b, transpose_a, transpose_b, out, 1.0, 0.0)


def step_calls(name: str) -> list:
    """(a, b, transpose_a, transpose_b, out) for every product of one step of workload ``name``."""
    params, x, _ = workloads.BY_NAME[name].inputs(False)
    x = x[0] if name == "epoch" else x
    products = blas_bound.step_products([(w.astype(np.float32), c) for w, c in params], x.astype(np.float32))
    return [(a, b, ta, tb, np.empty((a.shape[1] if ta else a.shape[0], b.shape[0] if tb else b.shape[1]),
                                    np.float32)) for a, b, ta, tb in products]


def run(mode: str, calls: list, split_from: int) -> None:
    """One step's products the way ``mode`` names."""
    for a, b, ta, tb, out in calls:
        if mode == "split" and out.shape[0] * out.shape[1] * (a.shape[0] if ta else a.shape[1]) >= split_from:
            split_product(a, b, ta, tb, out, numba.config.NUMBA_NUM_THREADS)
        else:
            whole_product(a, b, ta, tb, out)


def wall_and_cores(call, repeat: int) -> tuple[float, float]:
    time.sleep(0.15)  # OpenBLAS's idle threads spin ~0.11 s after a product
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        call()
    wall = time.perf_counter() - start
    return wall / repeat, (time.process_time() - cpu) / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--split-from", type=int, default=1 << 22, help="multiply-adds from which a product is split")
    parser.add_argument("--own-session", action="store_true", help="the busy neighbour in a session of its own")
    args = parser.parse_args()
    modes = ("openblas1", "openblas2", "split")
    threads_for = {"openblas1": 1, "openblas2": 2, "split": 1}
    for name in ("mlp_step", "epoch"):
        calls = step_calls(name)
        for a, b, ta, tb, out in calls:  # compile, and check the split against NumPy
            split_product(a, b, ta, tb, out, 2)
            assert np.allclose(out, (a.T if ta else a) @ (b.T if tb else b), rtol=1e-4, atol=1e-3)
        repeat = max(1, int(0.1 / wall_and_cores(lambda: run("openblas1", calls, args.split_from), 1)[0]))
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=args.own_session)
        os.kill(busy.pid, signal.SIGSTOP)
        found = {(mode, state): [] for mode in modes for state in ("idle", "busy")}
        try:
            for r in range(args.rounds):
                for state in (("idle", "busy") if r % 2 == 0 else ("busy", "idle")):
                    os.kill(busy.pid, signal.SIGCONT if state == "busy" else signal.SIGSTOP)
                    for mode in (modes if r % 2 == 0 else modes[::-1]):
                        openblas.set_threads(threads_for[mode])
                        found[mode, state].append(wall_and_cores(lambda: run(mode, calls, args.split_from), repeat))
        finally:
            busy.kill()
        for mode in modes:
            (idle, idle_cores), (busy_ms, busy_cores) = (np.median(found[mode, s], axis=0) for s in ("idle", "busy"))
            print(f"{name:8s} {mode:9s} idle {idle * 1e3:7.3f} ms ({idle_cores:.2f} cores)  busy {busy_ms * 1e3:7.3f} ms "
                  f"({busy_cores:.2f} cores)  busy/idle {busy_ms / idle:.2f}", flush=True)


if __name__ == "__main__":
    main()
