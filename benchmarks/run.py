"""Run fnx's benchmarks: ``python benchmarks/run.py`` (add ``--quick`` for tiny sizes). See benchmarks/README.md.

The jit workloads run in one process per framework (``worker.py``), in rounds: round 1 starts every
framework with an empty compilation cache (cold first calls), later rounds reuse the cache (first calls from
disk) and add timing samples, so that the frameworks' timings are interleaved over the whole run. Then the
eager-dispatch benchmark runs in this process.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# Run from a checkout without installing: put the repo root (for fnx) and this folder on the path.
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import numpy as np  # noqa: E402

import fnx  # noqa: E402
import workloads  # noqa: E402

WORKER_TIMEOUT_SECONDS = 3600


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` shows them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def write_references(path: Path, chosen: list, quick: bool) -> None:
    """Save the float64 NumPy results of the chosen workloads, which every worker checks its results against."""
    arrays = {}
    for workload in chosen:
        result = workloads.reference(workload, quick)
        arrays[f"{workload.name}/count"] = np.array(len(result))
        arrays.update({f"{workload.name}/{i}": a for i, a in enumerate(result)})
    np.savez(path, **arrays)


def cache_state(framework: str, round_index: int) -> str:
    """What the first calls of ``framework`` measure in this round: "cold", "warm", or "" (not reported).

    fnx: round 1 starts from an empty cache directory, later rounds reuse it. JAX: round 1 runs with its
    compilation cache disabled, round 2 fills an empty cache (not reported), later rounds read it.
    """
    if framework == "numpy":
        return ""
    if round_index == 0:
        return "cold"
    return "warm" if framework == "fnx" or round_index >= 2 else ""


def thread_limits(threads: int, xla_flags: str) -> dict:
    """Environment variables that cap the threads of BLAS, OpenMP, Numba and XLA at ``threads``."""
    env = {name: str(threads) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                           "NUMBA_NUM_THREADS")}
    eigen = "" if threads > 1 else " --xla_cpu_multi_thread_eigen=false"  # XLA has no flag for a thread count
    env["XLA_FLAGS"] = f"{xla_flags}{eigen}".strip()
    return env


def _pinning(threads: int | None):
    """A function pinning the calling process to ``threads`` cores (None: no pinning, or no way to pin).

    The environment variables do not bind everything: XLA runs elementwise work on two threads whatever its
    flags say (1.5 ms of CPU time per 0.83 ms call). Pinning makes the cap hold for every framework.
    """
    if not threads or not hasattr(os, "sched_setaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))[:threads]
    return lambda: os.sched_setaffinity(0, cores)


def run_worker(framework: str, round_index: int, names: list, args, tmp: Path) -> dict:
    """One worker process: its results per workload (every workload an error if the process failed)."""
    out = tmp / f"{framework}-{round_index}.json"
    command = [sys.executable, str(HERE / "worker.py"), "--framework", framework, "--out", str(out),
               "--reference", str(tmp / "reference.npz"), "--workloads", ",".join(names),
               "--repeat", str(args.repeat), "--min-loop", str(args.min_loop)] + (["--quick"] if args.quick else [])
    if framework == "jax" and round_index > 0:
        command += ["--jax-cache", str(tmp / "jax-cache")]
    if framework == "fnx":
        command += ["--device", args.device]
    env = dict(os.environ, FNX_CACHE_DIR=str(args.cache_dir or tmp / "fnx-cache"), JAX_PLATFORMS="cpu")
    if args.threads:
        env.update(thread_limits(args.threads, env.get("XLA_FLAGS", "")))
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_SECONDS,
                              preexec_fn=_pinning(args.threads))
        failure = None if done.returncode == 0 else (done.stderr.strip().splitlines() or ["no output"])[-1]
    except subprocess.TimeoutExpired:
        failure = f"the {framework} process took over {WORKER_TIMEOUT_SECONDS} s"
    if failure is not None:
        return {name: {"error": f"{framework} process failed: {failure}"} for name in names}
    return json.loads(out.read_text())["results"]


def collect(frameworks: list, names: list, args, tmp: Path) -> dict:
    """Run every round; per framework and workload: pooled samples, first calls by cache state, problems."""
    merged = {fw: {name: {"samples": [], "cold": [], "warm": [], "cold compiled": [], "warm compiled": [],
                          "errors": [], "mismatches": []}
                   for name in names} for fw in frameworks}
    for r in range(args.rounds):
        order = frameworks[r % len(frameworks):] + frameworks[:r % len(frameworks)]  # rotate who goes first
        print(f"round {r + 1}/{args.rounds}: {', '.join(order)} (load {load_average()})", flush=True)
        for fw in order:
            for name, result in run_worker(fw, r, names, args, tmp).items():
                entry = merged[fw][name]
                if "error" in result:
                    entry["errors"].append(result["error"])
                    continue
                entry["samples"] += result["samples"]
                if result["mismatch"]:
                    entry["mismatches"].append(result["mismatch"])
                state = cache_state(fw, r)
                if state:
                    entry[state].append(result["first_call"])
                    entry[state + " compiled"].append(result["until_compiled"])
    return merged


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b is not None else "-"


def _median(entry: dict | None) -> float | None:
    return statistics.median(entry["samples"]) if entry and entry["samples"] and not entry["errors"] else None


def _target(workload: workloads.Workload, t_fnx: float | None, t_jax: float | None, quick: bool) -> str:
    if workload.target_seconds is not None:
        bound, value, text = workload.target_seconds, t_fnx, f"<={_time(workload.target_seconds)}"
    else:
        bound, value, text = workload.target, (t_fnx / t_jax if t_fnx and t_jax else None), f"<={workload.target}x"
    if quick or value is None:
        return text
    return f"{text} {'met' if value <= bound else 'NOT met'}"


def _notes(merged: dict, name: str) -> list[str]:
    notes = []
    for fw, per_workload in merged.items():
        entry = per_workload[name]
        notes += [f"error: {fw}: {e}" for e in sorted(set(entry["errors"]))]
        notes += [f"MISMATCH: {fw}: {m}" for m in sorted(set(entry["mismatches"]))]
    return notes


def print_times(merged: dict, chosen: list, quick: bool) -> None:
    """The steady-state table: median time per call and the ratios, with the target and problems per row."""
    print(f"\n{'workload':<13}{'NumPy':>11}{'fnx':>11}{'JAX':>11}{'fnx/NumPy':>10}{'fnx/JAX':>9}  "
          f"{'target (fnx/JAX)':<20}check")
    for w in chosen:
        t_np, t_fnx, t_jax = (_median(merged.get(fw, {}).get(w.name)) for fw in ("numpy", "fnx", "jax"))
        notes = _notes(merged, w.name)
        row = (f"{w.name:<13}{_time(t_np):>11}{_time(t_fnx):>11}{_time(t_jax):>11}{_ratio(t_fnx, t_np):>10}"
               f"{_ratio(t_fnx, t_jax):>9}  {_target(w, t_fnx, t_jax, quick):<20}")
        print(row + ("ok" if not notes else notes[0][:160]))
        for note in notes[1:]:
            print(f"{'':<{len(row)}}{note[:160]}")


def print_first_calls(merged: dict, chosen: list, quick: bool) -> None:
    """The first-call tables, cold and from the disk cache: the first result, and when compiled code runs."""
    def first(fw: str, name: str, state: str) -> float | None:
        values = merged.get(fw, {}).get(name, {}).get(state)
        return min(values) if values else None

    for title, suffix in (("first call (trace + run; fnx: on NumPy while it compiles)", ""),
                          ("until compiled code runs (from the first call's start)", " compiled")):
        print(f"\n{title}, in a fresh process\n"
              f"{'workload':<13}{'fnx cold':>11}{'fnx warm':>11}{'JAX cold':>11}{'JAX warm':>11}"
              f"{'cold fnx/JAX':>14}{'warm fnx/JAX':>14}")
        for w in chosen:
            cells = [first(fw, w.name, state + suffix) for fw in ("fnx", "jax") for state in ("cold", "warm")]
            print(f"{w.name:<13}" + "".join(f"{_time(c):>11}" for c in cells) +
                  f"{_ratio(cells[0], cells[2]):>14}{_ratio(cells[1], cells[3]):>14}")
    mlp = "mlp_step"
    if not quick and any(w.name == mlp for w in chosen):
        for state, bound in workloads.FIRST_CALL_TARGETS.items():
            value = first("fnx", mlp, state + " compiled")
            verdict = "-" if value is None else ("met" if value <= bound else "NOT met")
            print(f"target: {mlp} runs compiled code, {state}, <= {bound} s after its first call: {verdict} "
                  f"({_time(value)})")


def print_legend(args, frameworks: list) -> None:
    per_fw = args.rounds * args.repeat
    print(f"\ntimes: median of {per_fw} timing loops per framework ({args.repeat} in each of {args.rounds} "
          f"processes), each loop >= {args.min_loop} s; check: every result against float64 NumPy")
    print("cold: empty cache directory (fnx), compilation cache disabled (JAX); warm: a later process reading "
          "the cache\nthe first workload's first call is also the process's first compile; later ones are not")
    if "jax" not in frameworks:
        print("(JAX is not installed or not selected: pip install -e '.[bench]' to add its columns)")


def parse(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repeats: a smoke run")
    parser.add_argument("--frameworks", help="comma-separated, from numpy,fnx,jax (default: those installed)")
    parser.add_argument("--workloads", default=",".join(w.name for w in workloads.WORKLOADS),
                        help="comma-separated workload names (default: all)")
    parser.add_argument("--rounds", type=int, help="processes per framework (default 3, or 2 with --quick)")
    parser.add_argument("--repeat", type=int, help="timing loops per workload and process (default 5; 1 quick)")
    parser.add_argument("--min-loop", type=float, help="seconds per timing loop, at least (default 0.1)")
    parser.add_argument("--cache-dir", help="fnx cache directory to use instead of a fresh one (cold is then "
                                            "not cold): lets a repeated --quick run skip compiling")
    parser.add_argument("--threads", type=int, help="cap BLAS/OpenMP/Numba/XLA threads in the workers "
                                                       "(default: each library's own choice)")
    parser.add_argument("--skip-eager", action="store_true", help="only the jit workloads")
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"],
                        help="where fnx runs: gpu needs a CUDA GPU and numba-cuda (JAX stays on the CPU)")
    args = parser.parse_args(argv)
    if args.device == "gpu" and not fnx.devices("gpu"):
        parser.error("--device gpu: no GPU here (fnx.devices() lists only the CPU; install the cuda extra)")
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.repeat = args.repeat if args.repeat is not None else (1 if args.quick else 5)
    args.min_loop = args.min_loop or (0.001 if args.quick else 0.1)
    installed = ["numpy", "fnx"] + (["jax"] if importlib.util.find_spec("jax") else [])
    args.frameworks = args.frameworks.split(",") if args.frameworks else installed
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the jit workloads and the eager-dispatch benchmark; print the tables. Returns the exit status:
    1 if a workload failed or gave a wrong result in some framework."""
    args = parse(argv)
    chosen = [workloads.BY_NAME[name] for name in args.workloads.split(",")]
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"fnx {fnx.__version__}, NumPy {np.__version__}, Python {platform.python_version()}"
          f"{' (quick)' if args.quick else ''}, threads: {args.threads or 'default'}; "
          f"load average {load_average()}")
    for w in chosen:
        print(f"  {w.name:<13}{w.description}")
    tmp = Path(tempfile.mkdtemp(prefix="fnx-bench-"))
    try:
        write_references(tmp / "reference.npz", chosen, args.quick)
        merged = collect(args.frameworks, [w.name for w in chosen], args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_times(merged, chosen, args.quick)
    print_first_calls(merged, chosen, args.quick)
    print_legend(args, args.frameworks)
    print(f"load average at the end: {load_average()}\n", flush=True)
    if not args.skip_eager:
        import eager_dispatch  # imports JAX (with 64-bit floats) if installed: after the workers, in this process
        eager_dispatch.run(quick=args.quick)
    failed = any(e["errors"] or e["mismatches"] for per in merged.values() for e in per.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
