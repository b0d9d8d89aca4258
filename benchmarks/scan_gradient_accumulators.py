"""The benchmark RNN's forward and gradient (``workloads.py``'s ``rnn``) with reverse mode summing the loop
constants' cotangents in float32 (before issue 16) against float64 (after), timed alternately in one process.

``python benchmarks/scan_gradient_accumulators.py [--rounds 15]`` prints the median time per call of each and
their ratio float64/float32, in CPU time. The float32 variant is traced with the accumulator's widening
switched off (``rules_control_flow._accumulator``); both are compiled before timing, on one thread."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.update({name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS")})
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import models_traced  # noqa: E402
from reduction_accumulators import alternated_medians  # noqa: E402
from worker import load_framework  # noqa: E402
from workloads import rnn_inputs  # noqa: E402
from fnx.transforms.autodiff import rules_control_flow  # noqa: E402


def compiled(F, narrow: bool):
    """The RNN's jitted value and gradient, traced and compiled with (narrow) float32 accumulators or not."""
    f = models_traced.rnn_value_and_grad(F)
    inputs = F.put(rnn_inputs(False))
    widen = rules_control_flow._accumulator
    if narrow:
        rules_control_flow._accumulator = lambda aval: aval
    try:
        F.block(f(*inputs))
        F.compiled()
        F.block(f(*inputs))
    finally:
        rules_control_flow._accumulator = widen
    return lambda: F.block(f(*inputs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    F = load_framework("fnx", None)
    # CPU time: the machine is shared, and wall time counts the other processes' turns
    a, b = alternated_medians(compiled(F, True), compiled(F, False), rounds, 0.1, time.process_time)
    print(f"rnn fwd+grad: float32 acc {a * 1e3:.3f} ms   float64 acc {b * 1e3:.3f} ms   ratio {b / a:.3f}")


if __name__ == "__main__":
    main()
