"""Compiled complex work against NumPy, timed alternately in one process (CPU time, so that other processes on a
shared machine count less): a complex matrix product (BLAS zgemm/cgemm through Numba's np.dot), FFTs of a
power-of-two and of another length (fnx's radix-2 and Bluestein kernels against NumPy's pocketfft), and a
fused elementwise chain (NumPy's complex functions in Numba against NumPy's ufuncs).

``python benchmarks/complex_ops.py [--rounds 11]`` prints, per workload, the median per-call CPU time of each
and their ratio. Single-threaded BLAS (``OPENBLAS_NUM_THREADS=1``) so that both sides use one core.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("FNX_BACKGROUND_COMPILE", "off")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import fnx  # noqa: E402
import fnx.numpy as fnp  # noqa: E402


def _workloads():
    rng = np.random.default_rng(0)

    def c(*shape):
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    a, b, rows1024, rows1000, z = c(256, 256), c(256, 256), c(64, 1024), c(64, 1000), c(1000, 100)
    return {
        "matmul c128 256x256": (fnx.jit(lambda a, b: a @ b), np.matmul, (a, b)),
        "fft c128 64x1024": (fnx.jit(fnp.fft.fft), np.fft.fft, (rows1024,)),
        "fft c128 64x1000 (Bluestein)": (fnx.jit(fnp.fft.fft), np.fft.fft, (rows1000,)),
        "exp*conj+abs c128 1000x100": (fnx.jit(lambda z: fnp.abs(fnp.exp(z) * fnp.conj(z) + 1j)),
                                       lambda z: np.abs(np.exp(z) * np.conj(z) + 1j), (z,)),
    }


def _cpu_time_per_call(f, args, seconds: float = 0.1) -> float:
    calls, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        f(*args)
        calls += 1
    return (time.process_time() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    rounds = parser.parse_args().rounds
    for name, (compiled, reference, args) in _workloads().items():
        np.testing.assert_allclose(np.asarray(compiled(*args)), reference(*args), rtol=1e-9, atol=1e-9)
        times = {"fnx": [], "numpy": []}
        for r in range(rounds):
            order = [("fnx", compiled), ("numpy", reference)][:: 1 if r % 2 == 0 else -1]
            for label, f in order:
                times[label].append(_cpu_time_per_call(f, args))
        fnx_t, np_t = np.median(times["fnx"]), np.median(times["numpy"])
        print(f"{name:32s} fnx {fnx_t * 1e3:8.3f} ms   numpy {np_t * 1e3:8.3f} ms   fnx/numpy {fnx_t / np_t:5.2f}")


if __name__ == "__main__":
    main()
