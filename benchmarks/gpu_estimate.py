"""On paper, until a GPU is lent: each benchmark workload's time per call on an H100, from the CUDA backend's
plan of it (fnx/lower/cuda/program.py): kernel launches, bytes moved and floating-point work per call.

Usage: ``NUMBA_ENABLE_CUDASIM=1 python benchmarks/gpu_estimate.py [--quick]`` (planning launches nothing: the
simulator only lets numba.cuda import where no GPU is). The model, per step of the plan:

* device time: max(LAUNCH_LATENCY per launch, bytes / BANDWIDTH + flops / its rate), the rate MATMUL_RATE for
  products and convolutions (fnx's kernels are plain shared-memory tiles on the CUDA cores, no tensor cores)
  and ELEMENTWISE_RATE for the rest; bytes are each step's inputs read once and outputs written once;
* host time: fnx's own, *measured* here by running the call in the simulator with every kernel launch stubbed
  out (the jit call path, the plan walk, buffer views and the pool: Python on the simulator's device arrays,
  which are as much Python objects as Numba's), plus HOST_PER_LAUNCH per launch (Numba-CUDA types the
  arguments and calls the driver from Python); launches are asynchronous, so a call takes the larger of host
  and device time, plus the synchronizations (a while predicate, a cond index, host-routed equations).
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import workloads  # noqa: E402
from worker import load_framework  # noqa: E402

BANDWIDTH = 3.35e12 * 0.8  # H100 SXM HBM3: 3.35 TB/s peak, ~80% reached by streaming kernels
MATMUL_RATE = 10e12  # of the 67 TFLOP/s FP32 CUDA-core peak: one FMA per two shared-memory loads, ~15%
ELEMENTWISE_RATE = 30e12  # elementwise work beside its memory traffic (transcendentals in SFU): rarely binding
LAUNCH_LATENCY = 3e-6  # a small kernel's time on the device, launch to completion
HOST_PER_LAUNCH = 20e-6  # Numba-CUDA's Python dispatch per launch
PCIE = 25e9  # host <-> device, effective, for host-routed equations
SYNC = 10e-6  # a synchronization's round trip


def nbytes(vars_) -> int:
    from fnx.core.ir import Var
    return sum(math.prod(v.aval.shape) * v.aval.dtype.itemsize for v in vars_ if isinstance(v, Var))


def cost(program) -> dict:
    """Totals of one run of ``program``: launches, steps, bytes, flops, device and host seconds, syncs."""
    from fnx.lower.cuda.rules_convolution import _SelectStep
    from fnx.lower.cuda.rules_linalg import MatmulStep
    from fnx.lower.cuda.steps import HostStep, ProgramStep, ViewStep
    total = dict(launches=0, steps=0, bytes=0, flops=0, device=0.0, host=0.0, syncs=0, host_routed=0)
    for step in program.steps:
        total["steps"] += 1
        if isinstance(step, ProgramStep):
            parts = [(cost(p), n) for p, n in step.parts]
            if step.one_of:
                parts = [max(parts, key=lambda part: part[0]["device"])]
                total["syncs"] += 1
            for sub, n in parts:
                for key in total:
                    total[key] += sub[key] * n
            continue
        if isinstance(step, ViewStep):
            continue
        moved = nbytes(step.inputs) + nbytes(step.outputs)
        if isinstance(step, HostStep):
            total["host_routed"] += 1
            total["syncs"] += 1
            total["host"] += moved / PCIE + SYNC
            continue
        dense = isinstance(step, MatmulStep) or (step.flops and not isinstance(step, _SelectStep)
                                                 and type(step).__name__ == "IndexStep")
        rate = MATMUL_RATE if dense else ELEMENTWISE_RATE
        total["launches"] += step.launches
        total["bytes"] += moved
        total["flops"] += step.flops
        total["device"] += max(LAUNCH_LATENCY * step.launches, moved / BANDWIDTH + step.flops / rate)
        total["host"] += HOST_PER_LAUNCH * step.launches
    return total


class _NoLaunch:
    """A kernel whose launches do nothing (to time the host's side of a call alone)."""

    def __getitem__(self, config):
        return lambda *args: None


def host_seconds(function, args, calls: int) -> float:
    """fnx's own host time per call of ``function`` on the GPU, kernels stubbed out (median of ``calls``)."""
    from fnx.lower.cuda import runtime, steps
    saved = runtime.compile_kernel, steps.compile_kernel
    runtime.compile_kernel = steps.compile_kernel = lambda source, name: _NoLaunch()
    try:
        function(*args)
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            function(*args)
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]
    finally:
        runtime.compile_kernel, steps.compile_kernel = saved


def estimate(workload, quick: bool) -> dict:
    """The cost of one call of ``workload``'s jitted function, planned for the first GPU."""
    import fnx
    from fnx.lower.cuda.compile import CudaExecutable
    F = load_framework("fnx", None, "gpu")
    function, args = workload.traced(F), workload.inputs(quick)
    closed = fnx.make_jaxpr(function)(*args)
    total = cost(CudaExecutable(closed.jaxpr, closed.consts, fnx.devices("gpu")[0]).program)
    total["fnx host"] = host_seconds(function, F.put(args), 3 if total["steps"] > 200 else 15)
    total["host"] += total["fnx host"]
    total["seconds"] = max(total["device"], total["host"]) + total["syncs"] * SYNC
    return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the workloads' tiny sizes")
    args = parser.parse_args(argv)
    print(f"{'workload':<13}{'steps':>6}{'launches':>9}{'MB moved':>10}{'GFLOP':>8}{'device ms':>11}"
          f"{'fnx host ms':>13}{'host ms':>9}{'syncs':>7}{'host-routed':>13}{'est. ms':>9}")
    for w in workloads.WORKLOADS:
        t = estimate(w, args.quick)
        print(f"{w.name:<13}{t['steps']:>6}{t['launches']:>9}{t['bytes'] / 1e6:>10.1f}{t['flops'] / 1e9:>8.2f}"
              f"{t['device'] * 1e3:>11.3f}{t['fnx host'] * 1e3:>13.3f}{t['host'] * 1e3:>9.3f}{t['syncs']:>7}"
              f"{t['host_routed']:>13}{t['seconds'] * 1e3:>9.3f}")


if __name__ == "__main__":
    main()
