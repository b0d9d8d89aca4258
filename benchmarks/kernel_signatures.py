"""Record the kernel signatures the benchmark workloads compile, for the compile worker to compile ahead.

    python benchmarks/kernel_signatures.py            # print them, with each one's compile time
    python benchmarks/kernel_signatures.py --write    # and write fnx/lower/cpu/kernel_signatures.py

Runs every jit workload in float32 and in float64 in a fresh process with empty caches, compiling in the
call, and lists each kernel signature compiled (``fnx.lower.cpu.common_kernels.used``) with the seconds Numba
spent on it (exclusive of nested compiles). The written list puts the cheapest first: the idle worker
compiles from the top and looks for a request between kernels, so a request waits for one cheap kernel more
often than for an expensive one, and the kernels every program uses (products, exp, log) are cached soonest.
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
TARGET = HERE.parent / "fnx" / "lower" / "cpu" / "kernel_signatures.py"
NAMES = ("mlp_step", "rnn", "lenet", "epoch", "per_example", "elementwise")


def _child(dtype: str) -> None:
    """In this fresh process: compile every workload in ``dtype``; print one JSON line per workload."""
    sys.path[:0] = [str(HERE.parent), str(HERE)]
    import workloads
    from worker import load_framework
    F = load_framework("fnx", None)
    from numba.core import event

    from fnx.lower.cpu import common_kernels
    stack, seconds = [], Counter()

    class Timer(event.Listener):
        def on_start(self, ev):
            stack.append([ev.data["dispatcher"], time.perf_counter(), 0.0])

        def on_end(self, ev):
            dispatcher, start, nested = stack.pop()
            spent = time.perf_counter() - start
            seconds[id(dispatcher)] += spent - nested
            if stack:
                stack[-1][2] += spent

    event.register("numba:compile", Timer())
    for name in NAMES:
        before = set(common_kernels.used())
        workload = workloads.BY_NAME[name]
        data = F.tree_map(lambda x: x.astype(dtype) if x.dtype.kind == "f" else x, workload.inputs(False))
        F.block(workload.traced(F)(*F.tree_map(F.put, data)))
        ids = {(m, k): id(d) for m, k, d in common_kernels.dispatchers()}
        new = [u for u in common_kernels.used() if u not in before]
        print(json.dumps([[m, k, s, seconds.pop(ids[m, k], 0.0)] for m, k, s in new]), flush=True)


def record() -> list:
    """(module, kernel, signature, seconds), cheapest first."""
    found: dict = {}
    for dtype in ("float32", "float64"):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "FNX_CACHE_DIR": os.path.join(cache, "fnx"), "FNX_BACKGROUND_COMPILE": "off",
                   "NUMBA_CACHE_DIR": os.path.join(cache, "numba")}
            out = subprocess.run([sys.executable, __file__, "--child", dtype], env=env, check=True,
                                 capture_output=True, text=True).stdout
        for line in out.splitlines():
            for module, kernel, signature, seconds in json.loads(line):
                found[module, kernel, json.dumps(signature)] = seconds
    return sorted(((m, k, json.loads(s), spent) for (m, k, s), spent in found.items()), key=lambda r: r[3])


def _literal(signature: list) -> str:
    return "(" + "".join(f"({', '.join(repr(v) for v in arg)}), " for arg in signature) + ")"


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {TARGET.relative_to(HERE.parent)}")
    args = parser.parse_args()
    rows = record()
    for module, kernel, signature, seconds in rows:
        print(f"{seconds:6.2f}s  {module}.{kernel}{_literal(signature)}")
    print(f"total {sum(r[3] for r in rows):.1f}s of compiling")
    if args.write:
        lines = "".join(f"    ({module!r}, {kernel!r}, {_literal(signature)}),\n"
                        for module, kernel, signature, _ in rows)
        TARGET.write_text('"""Kernel signatures the compile worker compiles ahead (``common_kernels.py``): written by\n'
                          '``python benchmarks/kernel_signatures.py --write`` from the benchmark workloads; do not edit."""\n'
                          f"SIGNATURES = [\n{lines}]\n")


if __name__ == "__main__":
    main()
