"""Error of the float32 vecmath functions over every float32 argument (development time only).

    python tools/vecmath/exhaustive_float32.py tanh logistic      # 1-3 minutes per function

For each function: the largest error in ulps of the float32 result (the ulp of the reference, as in
tests/test_vecmath.py; subnormal results in units of the smallest subnormal) and where, the mean error over the
finite results, and the number of arguments whose nan / inf / zero (with its sign) differs from the reference.
The reference is the float64 function of the C library (logistic: 1 / (1 + exp(-x)) in float64) rounded from
its float64 value, which is far more accurate than a float32 ulp.
"""
from __future__ import annotations

import math
import sys
import time

import numba
import numpy as np

import fnx.lower.cpu.vecmath as vm

CHUNK = 1 << 24


@numba.njit
def _reference_logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


FUNCTIONS = {  # name: (vecmath function, float64 reference)
    "exp": (vm.exp, math.exp), "expm1": (vm.expm1, math.expm1), "log": (vm.log, math.log),
    "log1p": (vm.log1p, math.log1p), "tanh": (vm.tanh, math.tanh), "logistic": (vm.logistic, _reference_logistic),
    "sin": (vm.sin, math.sin), "cos": (vm.cos, math.cos), "erf": (vm.erf, math.erf),
}


def _checker(function, reference):
    """A Numba function measuring `function` against `reference` on the float32s start .. start + n - 1."""

    @numba.njit(error_model="numpy", nogil=True)
    def chunk(start, n, bits, out):
        for i in range(n):
            bits[i] = np.uint32(start + i)
        x = bits.view(np.float32)
        for i in range(n):
            out[i] = function(x[i])
        worst, worst_i, total, count, mismatches = 0.0, -1, 0.0, 0, 0
        for i in range(n):
            with_nan = math.isnan(out[i])
            ref = reference(np.float64(x[i])) if not math.isnan(x[i]) else x[i]
            if math.isnan(ref) or with_nan:
                mismatches += math.isnan(ref) != with_nan
                continue
            y = np.float64(out[i])
            ref32 = np.float32(ref)
            if math.isinf(ref32) or math.isinf(y) or ref == 0.0 or y == 0.0:
                mismatches += y != ref32 or np.signbit(y) != np.signbit(ref32)
                continue
            exponent = math.frexp(ref)[1]
            err = abs(y - ref) / math.ldexp(1.0, max(exponent - 24, -149))
            total += err
            count += 1
            if err > worst:
                worst, worst_i = err, i
        return worst, (x[worst_i] if worst_i >= 0 else np.float32(0)), total, count, mismatches
    return chunk


def measure(name: str) -> tuple:
    """(max ulp, its argument, mean ulp, special-value mismatches) over all 2**32 float32 arguments."""
    chunk = _checker(*FUNCTIONS[name])
    bits, out = np.empty(CHUNK, np.uint32), np.empty(CHUNK, np.float32)
    worst, where, total, count, mismatches = 0.0, None, 0.0, 0, 0
    for start in range(0, 1 << 32, CHUNK):
        w, at, t, c, m = chunk(start, min(CHUNK, (1 << 32) - start), bits, out)
        total, count, mismatches = total + t, count + c, mismatches + m
        if w > worst:
            worst, where = w, at
    return worst, where, total / count, mismatches


def main(names: list[str]) -> None:
    for name in names or list(FUNCTIONS):
        start = time.time()
        worst, where, mean, mismatches = measure(name)
        print(f"{name:9s} max {worst:.2f} ulp at {where!r}, mean {mean:.3f}, special mismatches {mismatches} "
              f"({time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
