"""The decompositions compiled against NumPy's, alternately in one process: stacks of small matrices and one
larger matrix, and jit(grad) of a loss through the SVD against the same grad run eagerly.

``python benchmarks/linalg_decompositions.py [--rounds 7]`` prints the median time per call of each and the
median of the per-round ratios fnx/reference (both call the same LAPACK routines; fnx's compiled kernel loops
over the stack in one native call, NumPy's gufunc loops in C too). The last case's reference is the eager
grad of a 64x(6, 4) SVD and pinv loss, its fnx the same grad jitted. On a loaded machine run it with
``OPENBLAS_NUM_THREADS=1``: Numba's ``np.linalg`` calls SciPy's OpenBLAS, whose threads fnx does not adapt to
the load (``fnx/lower/openblas.py`` adapts NumPy's), and two spinning threads made the 200x200 SVD 20-60x
slower than NumPy's at load 7 (18-44 ms against 15-30 ms with one thread).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

import numpy as np  # noqa: E402

import fnx  # noqa: E402
import fnx.numpy as fnp  # noqa: E402


def _timed(f, *args, repeat: int) -> float:
    """Seconds per call of ``f(*args)``, the best of three runs of ``repeat`` calls."""
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            f(*args)
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def _cases(rng) -> list:
    small, big = rng.standard_normal((256, 8, 8)), rng.standard_normal((200, 200))
    sym = small + np.swapaxes(small, -1, -2)
    return [
        ("eigh 256x(8,8)", fnx.jit(fnp.linalg.eigh), np.linalg.eigh, sym, 200),
        ("svd 256x(8,8)", fnx.jit(fnp.linalg.svd), np.linalg.svd, small, 200),
        ("qr 256x(8,8)", fnx.jit(fnp.linalg.qr), np.linalg.qr, small, 200),
        ("slogdet 256x(8,8)", fnx.jit(fnp.linalg.slogdet), np.linalg.slogdet, small, 200),
        ("svd (200,200)", fnx.jit(fnp.linalg.svd), np.linalg.svd, big, 10),
        ("eigh (200,200)", fnx.jit(fnp.linalg.eigh), np.linalg.eigh, big + big.T, 10),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    fnx.config.update("background_compile", "off")
    rng = np.random.default_rng(0)
    cases = _cases(rng)
    a = rng.standard_normal((64, 6, 4))
    loss = fnx.grad(lambda x: fnp.sum(fnp.linalg.svd(x, full_matrices=False).S ** 2 * fnp.arange(4.0))
                    + fnp.sum(fnp.linalg.pinv(x)))
    cases.append(("jit(grad) vs grad, svd+pinv", fnx.jit(loss), loss, a, 20))
    for name, compiled, reference, x, repeat in cases:
        compiled(x)  # compile
        ratios, times = [], {compiled: [], reference: []}
        for r in range(args.rounds):
            for f in ((compiled, reference) if r % 2 == 0 else (reference, compiled)):
                times[f].append(_timed(f, x, repeat=repeat))
            ratios.append(times[compiled][-1] / times[reference][-1])
        ours, theirs = times[compiled], times[reference]
        print(f"{name:26s} fnx {statistics.median(ours) * 1e3:8.3f} ms   reference "
              f"{statistics.median(theirs) * 1e3:8.3f} ms   ratio {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
