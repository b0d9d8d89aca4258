"""Two checkouts' generated code for the same workload, timed alternately in one process (CPU and wall time).

``python benchmarks/generated_ab.py --other /work/main --workloads elementwise,rnn,lenet [--rounds 7]``: each
checkout (this one and ``--other``) writes the module it generates for each workload in a process of its own
(``PYTHONPATH=<checkout>``); this process imports both modules, checks that they agree, and times their entry
functions in turn, with fnx's parallel loops held to one thread and then to two (OpenBLAS to one). It prints
the medians per version and the median of the per-round ratios this/other. Code-generation changes can be
compared this way on a loaded machine, where wall-time ratios across runs mean little: both sides run within
the same second, and CPU time does not count the time the threads wait for a core.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

DUMP = """
import pickle, sys
sys.path[:0] = [{benchmarks!r}]
import numpy as np, fnx, workloads
from worker import load_framework
F = load_framework("fnx", None)
w = workloads.BY_NAME[{name!r}]
f, args = w.traced(F), F.tree_map(F.put, w.inputs(False))
text = f.lower(*args).as_text()
open({source!r}, "w").write("# Generated" + text.split("# Generated", 1)[1])
pickle.dump([np.asarray(x) for x in fnx.tree_leaves(args)], open({inputs!r}, "wb"))
"""


def generate(checkout: Path, name: str, folder: Path, label: str) -> tuple[Path, Path]:
    """Write ``checkout``'s generated module for workload ``name`` and the workload's flat inputs."""
    source, inputs = folder / f"{name}_{label}.py", folder / f"{name}_inputs.pkl"
    code = DUMP.format(benchmarks=str(checkout / "benchmarks"), name=name, source=str(source), inputs=str(inputs))
    env = dict(os.environ, PYTHONPATH=str(checkout), FNX_CACHE_DIR=str(folder / f"cache_{label}"))
    subprocess.run([sys.executable, "-c", code], env=env, cwd=checkout, check=True)  # "-c" imports from the cwd
    return source, inputs


def entry(source: Path):
    """The generated module's entry function ``f0``."""
    spec = importlib.util.spec_from_file_location(source.stem, source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f0


def time_pair(functions: dict, args: list, rounds: int) -> dict:
    """label -> [(CPU seconds, wall seconds) per call, best of 3 loops, per round]; the order alternates."""
    start = time.process_time()
    next(iter(functions.values()))(*args)
    calls = max(1, int(0.05 / max(time.process_time() - start, 1e-6)))
    found = {label: [] for label in functions}
    for r in range(rounds):
        for label in (list(functions) if r % 2 == 0 else list(functions)[::-1]):
            best = []
            for _ in range(3):
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(calls):
                    functions[label](*args)
                best.append(((time.process_time() - cpu) / calls, (time.perf_counter() - wall) / calls))
            found[label].append(min(best))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, help="the other checkout's folder")
    parser.add_argument("--workloads", default="elementwise")
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    import numba
    import numpy as np

    import fnx
    from fnx.lower import loop_threads, openblas
    from fnx.lower.cpu import threads
    fnx.config.update("adapt_blas_threads", False)
    openblas.set_threads(1)
    threads.launch()
    with tempfile.TemporaryDirectory() as folder:
        for name in options.workloads.split(","):
            sources = {label: generate(Path(checkout).resolve(), name, Path(folder), label)[0]
                       for label, checkout in (("this", HERE.parent), ("other", options.other))}
            args = pickle.load(open(Path(folder) / f"{name}_inputs.pkl", "rb"))
            functions = {label: entry(source) for label, source in sources.items()}
            for a, b in zip(functions["this"](*args), functions["other"](*args)):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
            for count in (1, 2):
                loop_threads.follow(count)
                numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))
                t = {label: np.array(v) for label, v in time_pair(functions, args, options.rounds).items()}
                print(f"{name:12s} loop threads {count}: CPU ms this {np.median(t['this'][:, 0]) * 1e3:.3f} "
                      f"other {np.median(t['other'][:, 0]) * 1e3:.3f} "
                      f"(this/other {np.median(t['this'][:, 0] / t['other'][:, 0]):.3f}); wall ms this "
                      f"{np.median(t['this'][:, 1]) * 1e3:.3f} other {np.median(t['other'][:, 1]) * 1e3:.3f} "
                      f"(this/other {np.median(t['this'][:, 1] / t['other'][:, 1]):.3f})", flush=True)


if __name__ == "__main__":
    main()
