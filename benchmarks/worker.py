"""Run the jit workloads with ONE framework in this process and write the measurements as JSON.

``run.py`` launches it once per framework and round (``python benchmarks/worker.py --framework fnx ...``),
so that frameworks never share a process, and first calls can be timed in fresh processes with a cold or
a warm disk cache. For each workload it records the first call's time (trace + compile + run), the
samples of the time per call, and whether the result matches the float64 NumPy reference. A
workload that fails records ``error`` and the others still run.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import timeit
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]  # fnx from the checkout, and the modules next to this one

import numpy as np  # noqa: E402

import workloads  # noqa: E402


def _identity(x):
    return x


def _already_compiled(timeout: float | None = None) -> bool:
    return True


def load_framework(name: str, jax_cache: str | None, device: str = "cpu") -> SimpleNamespace:
    """The namespace ``F`` the traced models use, plus ``put`` (NumPy data -> framework arrays), ``block``
    (wait for results) and ``version``. ``jax_cache`` is JAX's persistent cache directory (None: disabled);
    ``device`` is where fnx places the data (and so runs: "gpu" is the CUDA backend)."""
    if name == "fnx":
        import fnx

        def block(tree):
            for leaf in fnx.tree_leaves(tree):
                leaf.block_until_ready()
            return tree
        return SimpleNamespace(np=fnx.numpy, lax=fnx.lax, jit=fnx.jit, grad=fnx.grad, vmap=fnx.vmap,
                               value_and_grad=fnx.value_and_grad, tree_map=fnx.tree_map,
                               put=lambda tree: fnx.device_put(tree, device), block=block,
                               compiled=fnx.block_until_compiled, version=fnx.__version__)
    if name == "jax":
        import jax
        jax.config.update("jax_platforms", "cpu")
        if jax_cache:
            jax.config.update("jax_compilation_cache_dir", jax_cache)
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
            jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
        else:
            jax.config.update("jax_enable_compilation_cache", False)
        return SimpleNamespace(np=jax.numpy, lax=jax.lax, jit=jax.jit, grad=jax.grad, vmap=jax.vmap,
                               value_and_grad=jax.value_and_grad, tree_map=jax.tree_util.tree_map,
                               put=jax.device_put, block=jax.block_until_ready, compiled=_already_compiled,
                               version=jax.__version__)
    if name == "numpy":
        return SimpleNamespace(put=_identity, block=_identity, compiled=_already_compiled, version=np.__version__)
    raise ValueError(f"unknown framework {name!r}: expected numpy, fnx or jax")


def _loop_size(call: Callable, min_loop_seconds: float) -> int:
    """How many calls make a timing loop of at least ``min_loop_seconds``."""
    number = 1
    while timeit.timeit(call, number=number) < min_loop_seconds:
        number *= 2
    return number


def time_samples(call: Callable, repeat: int, min_loop_seconds: float) -> list[float]:
    """``repeat`` measurements of the time per call, each the mean over a loop of at least ``min_loop_seconds``."""
    number = _loop_size(call, min_loop_seconds)
    return [timeit.timeit(call, number=number) / number for _ in range(repeat)]


def measure(workload: workloads.Workload, F: SimpleNamespace, framework: str, expected: list | None,
            quick: bool, repeat: int, min_loop_seconds: float) -> dict:
    """First-call time, timing samples and the correctness check of one workload (``error`` if it fails)."""
    try:
        fn = workload.numpy_fn if framework == "numpy" else workload.traced(F)
        args = F.block(F.put(workload.inputs(quick)))
        start = time.perf_counter()
        result = F.block(fn(*args))
        first_call = time.perf_counter() - start
        F.compiled()  # fnx's first calls run on NumPy while the compiled code is made: wait for it
        until_compiled = time.perf_counter() - start
        mismatch = None if expected is None else workloads.compare(workloads.leaves(result), expected,
                                                                    workload.tolerance)
        samples = time_samples(lambda: F.block(fn(*args)), repeat, min_loop_seconds) if repeat else []
        return {"first_call": first_call, "until_compiled": until_compiled, "samples": samples,
                "mismatch": mismatch}
    except Exception as e:  # noqa: BLE001  (a missing feature must not stop the other workloads)
        message = re.sub(r" at 0x[0-9a-f]+", "", " ".join(f"{type(e).__name__}: {e}".split()))
        return {"error": message[:300]}  # without addresses, so that equal errors of two processes read alike


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, measure the chosen workloads, and write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--framework", required=True, choices=["numpy", "fnx", "jax"])
    parser.add_argument("--out", required=True, help="where to write the JSON results")
    parser.add_argument("--reference", help=".npz of float64 reference results (from run.py); omit: no check")
    parser.add_argument("--workloads", default=",".join(w.name for w in workloads.WORKLOADS))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="timing loops per workload (0: first call only)")
    parser.add_argument("--min-loop", type=float, default=0.05, help="seconds per timing loop, at least")
    parser.add_argument("--jax-cache", help="JAX's persistent compilation cache directory (default: disabled)")
    parser.add_argument("--device", default="cpu", help="fnx's device: cpu, or gpu (the CUDA backend)")
    args = parser.parse_args(argv)

    F = load_framework(args.framework, args.jax_cache, args.device)
    references = np.load(args.reference) if args.reference else None
    results = {}
    for name in args.workloads.split(","):
        workload = workloads.BY_NAME[name]
        expected = None
        if references is not None:
            expected = [references[f"{name}/{i}"] for i in range(int(references[f"{name}/count"]))]
        results[name] = measure(workload, F, args.framework, expected, args.quick, args.repeat, args.min_loop)
    Path(args.out).write_text(json.dumps({"framework": args.framework, "version": F.version, "results": results}))


if __name__ == "__main__":
    main()
