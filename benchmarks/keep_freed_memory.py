"""What glibc keeping freed memory (``fnx.config.keep_freed_memory``, fnx/_memory.py) buys, in one process.

``python benchmarks/keep_freed_memory.py [--rounds 15]``: the jitted per-example gradients of
``workloads.per_example`` (a 51 MB result per call) and the epoch scan, timed in alternating rounds with the
policy on (1 GiB kept) and off (glibc's defaults, kept memory trimmed), so the machine's drift cancels.
Prints the median per-round time of each and the ratio off/on.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import fnx  # noqa: E402
from fnx._memory import keep_freed_memory  # noqa: E402

import workloads  # noqa: E402
from worker import load_framework  # noqa: E402


def _loop_time(fn, args, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fnx.tree_util.tree_leaves(fn(*args))
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--workloads", default="per_example,epoch")
    args = parser.parse_args()
    for name in args.workloads.split(","):
        w = workloads.BY_NAME[name]
        F = load_framework("fnx", None)
        inputs = F.put(w.inputs(False))
        fn = w.traced(F)
        fn(*inputs)
        fnx.block_until_compiled()
        fn(*inputs)
        times = {1 << 30: [], 0: []}
        for r in range(args.rounds):
            for limit in ((1 << 30, 0) if r % 2 == 0 else (0, 1 << 30)):
                keep_freed_memory(limit)
                fn(*inputs)  # one call to settle the allocator in its new mode
                times[limit].append(_loop_time(fn, inputs, args.calls))
        on, off = (statistics.median(times[k]) * 1e3 for k in (1 << 30, 0))
        print(f"{name:12s} kept: {on:7.2f} ms   glibc default: {off:7.2f} ms   default/kept: {off / on:4.2f}x")


if __name__ == "__main__":
    main()
