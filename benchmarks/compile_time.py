"""Where a cold compile goes: each jit workload's first call in a fresh process with every cache empty.

``python benchmarks/compile_time.py [--workloads mlp_step,rnn] [--warm-kernels]`` runs each workload in a
process of its own with a new ``FNX_CACHE_DIR`` and a new ``NUMBA_CACHE_DIR`` (so Numba's caches of the shared
kernels, normally beside their sources, start empty too) and prints the first call's time split into:

- *fnx*: tracing, simplifying, fusing and writing the module (the first call minus Numba's compiles);
- *kernels*: Numba compiling the shared kernels (``kernels.py``, ``kernels_arrays.py``, ``vecmath.py``,
  ``blas.py``) and the NumPy implementations they use, exclusive of nested compiles;
- *generated*: Numba compiling the generated module's functions (typing, lowering, LLVM).

With ``--warm-kernels`` one process first fills a shared Numba cache, and each workload then starts with
the kernels cached but fnx's cache empty: the kernel library compiled once per install. Nothing asserts on a
time; the printed figures are what docs/design.md quotes.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATED_PREFIX = "fnx_"


def _measure(name: str) -> dict:
    """In this (fresh) process: the first call of workload ``name``, with Numba's compiles timed."""
    sys.path[:0] = [str(HERE.parent), str(HERE)]
    import workloads
    from worker import load_framework
    F = load_framework("fnx", None)
    from numba.core import event

    stack, exclusive = [], Counter()

    class CompileTimer(event.Listener):
        """Exclusive time of each Numba compile (a kernel compiled while typing its caller is its own)."""

        def on_start(self, ev):
            stack.append([ev.data["dispatcher"], time.perf_counter(), 0.0])

        def on_end(self, ev):
            dispatcher, start, nested = stack.pop()
            spent = time.perf_counter() - start
            module = dispatcher.py_func.__module__ or ""
            exclusive["generated" if module.startswith(GENERATED_PREFIX) else "kernels"] += spent - nested
            if stack:
                stack[-1][2] += spent

    event.register("numba:compile", CompileTimer())
    workload = workloads.BY_NAME[name]
    args = F.block(F.put(workload.inputs(False)))
    fn = workload.traced(F)
    start = time.perf_counter()
    F.block(fn(*args))
    first = time.perf_counter() - start
    start = time.perf_counter()
    F.block(fn(*args))
    return {"first": first, "second": time.perf_counter() - start, "kernels": exclusive["kernels"],
            "generated": exclusive["generated"], "fnx": first - exclusive["kernels"] - exclusive["generated"]}


def _run(name: str, numba_cache: str) -> dict:
    """One fresh process measuring ``name`` with an empty fnx cache and the Numba cache folder given."""
    with tempfile.TemporaryDirectory(prefix="fnx-compile-time-") as fnx_cache:
        env = {**os.environ, "FNX_CACHE_DIR": fnx_cache, "NUMBA_CACHE_DIR": numba_cache,
               "FNX_BACKGROUND_COMPILE": "off"}  # the first call waits for the compiled code
        out = subprocess.run([sys.executable, __file__, "--child", name], env=env, check=True,
                             capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    """Parse the command line; print one row per workload."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="mlp_step,rnn,lenet,epoch,per_example,elementwise")
    parser.add_argument("--warm-kernels", action="store_true", help="kernels cached, fnx's cache empty")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_measure(args.child)))
        return
    names = args.workloads.split(",")
    print(f"{'workload':12} {'first call':>10} {'fnx':>6} {'kernels':>8} {'generated':>10} {'2nd call':>9}")
    with tempfile.TemporaryDirectory(prefix="fnx-numba-cache-") as shared:
        if args.warm_kernels:
            for name in names:  # fill the shared kernel cache (the generated modules' entries go unused)
                _run(name, shared)
        for name in names:
            if args.warm_kernels:
                r = _run(name, shared)
            else:
                with tempfile.TemporaryDirectory(prefix="fnx-numba-cache-") as cold:
                    r = _run(name, cold)
            print(f"{name:12} {r['first']:9.2f}s {r['fnx']:5.2f}s {r['kernels']:7.2f}s {r['generated']:9.2f}s"
                  f" {r['second'] * 1e3:7.1f}ms", flush=True)


if __name__ == "__main__":
    main()
