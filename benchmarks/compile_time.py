"""Where a cold compile goes: each jit workload's first call in a fresh process with every cache empty.

``python benchmarks/compile_time.py [--workloads mlp_step,rnn] [--warm-kernels]`` runs each workload in a
process of its own with a new ``FNX_CACHE_DIR`` and ``NUMBA_CACHE_DIR`` (so Numba's caches of the shared kernels
start empty too, wherever they are kept), compiling in the call (``FNX_BACKGROUND_COMPILE=off``), and prints
the first call's CPU seconds (``time.thread_time``: the compile runs in the calling thread, and CPU time
is what stays comparable while other jobs load the machine), counted after Numba's typing and target contexts
are filled, as the compile worker fills them before its first request, split into:

- *fnx*: tracing, simplifying, fusing and writing the module (the first call minus Numba's compiles);
- *kernels*: Numba compiling the shared kernels (``kernels.py``, ``kernels_arrays.py``, ``vecmath.py``,
  ``blas.py``) and the NumPy implementations they use, exclusive of nested compiles;
- *generated*: Numba compiling the generated module's functions (typing, lowering, LLVM).

With ``--warm-kernels`` a first pass fills the kernels' caches, and each workload then starts with the kernels
cached but no generated module: the kernel library compiled once per install. The last columns count the
generated module's loop nests and lines (every function of it: the entry, loop bodies, parallel loops).
Nothing asserts on a time; the printed figures are what docs/design.md quotes.
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

    from fnx.lower.background import prepare_numba
    prepare_numba()  # as the compile worker does before its first request: not counted

    stack, exclusive, per_kernel = [], Counter(), Counter()

    class CompileTimer(event.Listener):
        """Exclusive time of each Numba compile (a kernel compiled while typing its caller is its own)."""

        def on_start(self, ev):
            stack.append([ev.data["dispatcher"], time.thread_time(), 0.0])

        def on_end(self, ev):
            dispatcher, start, nested = stack.pop()
            spent = time.thread_time() - start
            module = dispatcher.py_func.__module__ or ""
            generated = module.startswith(GENERATED_PREFIX)
            exclusive["generated" if generated else "kernels"] += spent - nested
            if not generated:
                per_kernel[dispatcher.py_func.__name__] += spent - nested
            if stack:
                stack[-1][2] += spent

    event.register("numba:compile", CompileTimer())
    workload = workloads.BY_NAME[name]
    args = F.block(F.put(workload.inputs(False)))
    fn = workload.traced(F)
    start = time.thread_time()
    F.block(fn(*args))
    first = time.thread_time() - start
    start = time.perf_counter()
    F.block(fn(*args))
    source = next(iter(fn._entries.values())).code.executable.source
    return {"first": first, "second": time.perf_counter() - start, "kernels": exclusive["kernels"],
            "generated": exclusive["generated"], "fnx": first - exclusive["kernels"] - exclusive["generated"],
            "loops": sum(line.lstrip().startswith("for ") for line in source.splitlines()),
            "lines": len(source.splitlines()), "per_kernel": dict(per_kernel.most_common())}


def _run(name: str, caches: str | None) -> dict:
    """One fresh process measuring ``name``: every cache empty, or (``caches``, a folder) the kernels' caches
    kept there while the generated modules' are removed."""
    with tempfile.TemporaryDirectory(prefix="fnx-compile-time-") as fresh:
        folder = caches or fresh
        for path in Path(folder).rglob(GENERATED_PREFIX + "*"):  # the generated modules and their caches
            path.unlink()
        env = {**os.environ, "FNX_CACHE_DIR": os.path.join(folder, "fnx"),
               "NUMBA_CACHE_DIR": os.path.join(folder, "numba"),  # kernels' caches when fnx does not place them
               "FNX_BACKGROUND_COMPILE": "off"}  # the first call waits for the compiled code
        out = subprocess.run([sys.executable, __file__, "--child", name], env=env, check=True,
                             capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    """Parse the command line; print one row per workload."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="mlp_step,rnn,lenet,epoch,per_example,elementwise")
    parser.add_argument("--warm-kernels", action="store_true", help="kernels cached, fnx's cache empty")
    parser.add_argument("--per-kernel", action="store_true", help="also each kernel's exclusive compile time")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_measure(args.child)))
        return
    names = args.workloads.split(",")
    print(f"{'workload':12} {'first call':>10} {'fnx':>6} {'kernels':>8} {'generated':>10} {'2nd call':>9}"
          f" {'loops':>6} {'lines':>6}   (CPU seconds; the 2nd call's wall time)")
    with tempfile.TemporaryDirectory(prefix="fnx-kernel-caches-") as shared:
        caches = shared if args.warm_kernels else None
        if caches:
            for name in names:  # fill the kernels' caches
                _run(name, caches)
        for name in names:
            r = _run(name, caches)
            print(f"{name:12} {r['first']:9.2f}s {r['fnx']:5.2f}s {r['kernels']:7.2f}s {r['generated']:9.2f}s"
                  f" {r['second'] * 1e3:7.1f}ms {r['loops']:6d} {r['lines']:6d}", flush=True)
            if args.per_kernel:
                print("    " + ", ".join(f"{k} {t:.2f}" for k, t in r["per_kernel"].items() if t >= 0.01))


if __name__ == "__main__":
    main()
