"""Cold start: how long a new process waits for its first result and for compiled speed, fnx beside JAX.

    python benchmarks/cold_start.py                       # every workload, 3 fresh processes per framework
    python benchmarks/cold_start.py --workloads mlp_step --steps 200 --rounds 5
    python benchmarks/cold_start.py --warm                # a second process per sample, on the first's cache
    python benchmarks/cold_start.py --tiers               # fnx's first tier against its compiled code
    python benchmarks/cold_start.py --timeline            # also when fnx's compile steps happened (and CPU
                                                          # seconds: the compile thread's, the worker's)
    python benchmarks/cold_start.py --frameworks fnx:process,fnx:thread,jax   # fnx's background modes
    python benchmarks/cold_start.py --frameworks fnx@/tmp/old,fnx --workloads lenet   # two checkouts of fnx
    python benchmarks/cold_start.py --frameworks fnx,fnx:ahead   # fnx:ahead: its common kernels cached first

``fnx:ahead`` starts from a cache holding only the kernels the idle compile worker compiles ahead
(``fnx.lower.cpu.common_kernels``), as a later program of an install finds it.

Each sample is a fresh Python process that imports the framework, makes a workload's inputs and calls it
``--steps`` times (the MLP step feeds its new parameters back, as training does). fnx runs with every cache
empty (a new ``FNX_CACHE_DIR`` and ``NUMBA_CACHE_DIR``), JAX with its compilation cache off; with ``--warm``
each sample first runs once to fill its caches and is timed in a second process. fnx and JAX processes
alternate, so a busy moment of the machine falls on both. Times count from the start of the process's script:
- import: the framework imported;
- first result: the first call has returned;
- compiled: the first call that ran compiled code has returned (JAX: the first call);
- N steps: all calls done (the wall time a user waits for N steps).

``--tiers`` times, in this one process and alternately, each workload's fnx first tier (its jaxpr on the
primitives' NumPy implementations) and its compiled code, and prints what the first tier costs per call.
"""
from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import numpy as np  # noqa: E402

import workloads  # noqa: E402
from worker import load_framework  # noqa: E402

EVENTS = ("import", "first result", "compiled", "steps")


def child(framework: str, name: str, steps: int) -> dict:
    """Run ``steps`` calls of workload ``name`` in this (fresh) process: seconds from START to each event."""
    F = load_framework(framework, None)
    seen = {"import": time.perf_counter() - START}
    workload = workloads.BY_NAME[name]
    f, args = workload.traced(F), F.tree_map(F.put, workload.inputs(False))
    if framework == "fnx":  # whether the next call runs compiled code
        is_compiled = lambda: any(e.code is not None and e.code.executable is not None  # noqa: E731
                                  for e in f._entries.values())
    else:
        is_compiled = lambda: True  # noqa: E731
    for _ in range(steps):
        compiled_before = is_compiled()
        out = F.block(f(*args))
        now = time.perf_counter() - START
        seen.setdefault("first result", now)
        if compiled_before:
            seen.setdefault("compiled", now)
        if name == "mlp_step":
            args = (out[1],) + tuple(args[1:])
    seen["steps"] = time.perf_counter() - START
    if framework == "fnx":  # what the compile thread and the worker did, and when
        from fnx.lower import background
        seen["timeline"] = [(event, when - START, cpu) for event, when, cpu in background.timeline]
    return seen


def sample(framework: str, name: str, steps: int, warm: bool) -> dict:
    """One fresh process's events (with ``warm``, a second process on the caches the first one filled)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, FNX_CACHE_DIR=os.path.join(cache, "fnx"), NUMBA_CACHE_DIR=os.path.join(cache, "nb"))
        env.pop("FNX_BACKGROUND_COMPILE", None)  # the default configuration, unless a mode is named
        framework, _, checkout = framework.partition("@")  # fnx@/path: the fnx of another checkout
        framework, _, mode = framework.partition(":")
        script = __file__
        if checkout:
            script = os.path.join(checkout, "benchmarks", "cold_start.py")
            env["PYTHONPATH"] = checkout
        if mode == "ahead":  # the common kernels compiled into the cache first, as the idle worker does
            subprocess.run([sys.executable, "-c", "from fnx.lower.cpu import common_kernels\n"
                            "for _ in common_kernels.compile_ahead(): pass"], env=env, check=True)
        elif mode:
            env["FNX_BACKGROUND_COMPILE"] = mode
        command = [sys.executable, script, "--child", framework, name, str(steps)]
        if warm:  # fill the caches: fnx compiling in the call, so that the process ends with its cache full
            subprocess.run(command[:-1] + ["1"], env=dict(env, FNX_BACKGROUND_COMPILE="off"), check=True,
                           capture_output=True)
        done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        return json.loads(done.stdout.splitlines()[-1])


def cold_starts(names: list, frameworks: list, steps: int, rounds: int, warm: bool, timeline: bool) -> None:
    print(f"{'warm' if warm else 'cold'} starts, {steps} steps, seconds from the process's start "
          f"(min of {rounds} processes per framework, alternating)")
    print(f"{'workload':<13}{'framework':<12}" + "".join(f"{e:>14}" for e in EVENTS))
    for name in names:
        found = {fw: [] for fw in frameworks}
        for r in range(rounds):
            for fw in (frameworks if r % 2 == 0 else frameworks[::-1]):
                found[fw].append(sample(fw, name, steps, warm))
        for fw in frameworks:
            cells = [min(s.get(e, np.inf) for s in found[fw]) for e in EVENTS]
            print(f"{name:<13}{fw:<12}" + "".join(f"{c:>14.3f}" for c in cells))
        if timeline:  # each fnx process's compile steps: seconds from its start (CPU seconds)
            for fw in frameworks:
                for s in found[fw]:
                    steps = ", ".join(f"{e} {t:.2f} ({cpu:.2f})" for e, t, cpu in s.get("timeline", []))
                    if steps:
                        print(f"{'':<13}{fw:<12}{steps}")
        for fw in frameworks:
            if fw.startswith("fnx") and "jax" in frameworks:
                ratios = [min(s.get(e, np.inf) for s in found[fw]) / min(s.get(e, np.inf) for s in found["jax"])
                          for e in EVENTS]
                print(f"{name:<13}{fw + '/JAX':<12}" + "".join(f"{r:>14.2f}" for r in ratios))


def tiers(names: list, rounds: int) -> None:
    """The first tier's and the compiled code's time per call, alternately in this process."""
    import fnx
    F = load_framework("fnx", None)
    print(f"fnx's first tier against its compiled code (min of {rounds} alternating loops)")
    print(f"{'workload':<13}{'first tier':>14}{'compiled':>14}{'ratio':>8}")
    for name in names:
        workload = workloads.BY_NAME[name]
        f, args = workload.traced(F), workload.inputs(False)
        f(*args)
        fnx.block_until_compiled()
        entry = next(iter(f._entries.values()))
        values = [np.asarray(c) for c in entry.consts] + [np.asarray(x) for x in fnx.tree_leaves(args)]
        calls = {"first tier": lambda: entry.code._first_tier(*values),
                 "compiled": lambda: entry.code.compiled().call(*values)}
        best = {k: np.inf for k in calls}
        for r in range(rounds):
            for k, call in calls.items():
                start = time.perf_counter()
                n = 0
                while time.perf_counter() - start < 0.2 or n < 2:
                    call()
                    n += 1
                best[k] = min(best[k], (time.perf_counter() - start) / n)
        print(f"{name:<13}{best['first tier'] * 1e3:>12.2f}ms{best['compiled'] * 1e3:>12.2f}ms"
              f"{best['first tier'] / best['compiled']:>8.1f}")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp_step,rnn,lenet,epoch,per_example,elementwise")
    parser.add_argument("--frameworks", default="fnx,jax")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", action="store_true")
    parser.add_argument("--tiers", action="store_true")
    parser.add_argument("--timeline", action="store_true")
    args = parser.parse_args()
    names = args.workloads.split(",")
    if args.tiers:
        tiers(names, args.rounds)
    else:
        cold_starts(names, args.frameworks.split(","), args.steps, args.rounds, args.warm, args.timeline)


if __name__ == "__main__":
    main()
