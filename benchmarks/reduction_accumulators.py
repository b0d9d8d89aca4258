"""float32 sums with a float32 accumulator (fnx's fused loops before issue 16) against a float64 one (after),
timed alternately in one process: the loop nests are written as codegen.py writes them.

``python benchmarks/reduction_accumulators.py [--rounds 15]`` prints, per case, the median time per call of
each and their ratio float64/float32."""
from __future__ import annotations

import argparse
import time

import numba
import numpy as np


@numba.njit(error_model="numpy", nogil=True)
def full_sum_f32(x):
    acc = np.float32(0)
    for i in range(x.shape[0]):
        acc = acc + x[i]
    return acc


@numba.njit(error_model="numpy", nogil=True)
def full_sum_f64(x):
    acc = np.float64(0)
    for i in range(x.shape[0]):
        acc = acc + x[i]
    return np.float32(acc)


@numba.njit(error_model="numpy", nogil=True)
def column_sums_f32(x):
    acc = np.zeros(x.shape[1], np.float32)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            acc[j] = acc[j] + x[i, j]
    return acc


@numba.njit(error_model="numpy", nogil=True)
def column_sums_f64(x):
    acc = np.zeros(x.shape[1], np.float64)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            acc[j] = acc[j] + x[i, j]
    out = np.empty(x.shape[1], np.float32)
    for j in range(x.shape[1]):
        out[j] = np.float32(acc[j])
    return out


CASES = {
    "bias gradient (32, 128) column sums": (column_sums_f32, column_sums_f64, (32, 128)),
    "column sums (10**6, 4)": (column_sums_f32, column_sums_f64, (10 ** 6, 4)),
    "loss sum (32 * 10,)": (full_sum_f32, full_sum_f64, (320,)),
    "full sum (10**7,)": (full_sum_f32, full_sum_f64, (10 ** 7,)),
}


def per_call(f, seconds: float = 0.05, clock=time.perf_counter) -> float:
    """Seconds per call of ``f()`` by ``clock``, over a loop of about ``seconds``."""
    calls, start = 0, clock()
    while clock() - start < seconds:
        f()
        calls += 1
    return (clock() - start) / calls


def alternated_medians(narrow, wide, rounds: int, seconds: float = 0.05, clock=time.perf_counter) -> tuple:
    """The median times per call of ``narrow()`` and ``wide()``, timed in alternating order round by round."""
    times = {narrow: [], wide: []}
    for r in range(rounds):
        for f in ((narrow, wide) if r % 2 == 0 else (wide, narrow)):
            times[f].append(per_call(f, seconds, clock))
    return np.median(times[narrow]), np.median(times[wide])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    for name, (narrow, wide, shape) in CASES.items():
        x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        narrow(x), wide(x)  # compile
        a, b = alternated_medians(lambda: narrow(x), lambda: wide(x), rounds)
        print(f"{name:<38} float32 acc {a * 1e6:10.2f} us   float64 acc {b * 1e6:10.2f} us   ratio {b / a:.3f}")


if __name__ == "__main__":
    main()
