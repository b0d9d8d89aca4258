"""Un-jitted ``grad`` over many tiny operations: fnx against autograd, per operation, in one process.

``python benchmarks/eager_grad.py [--blocks 273] [--rounds 15]`` needs autograd (``pip install -e
'.[bench]'``). One program, written once against a NumPy-like namespace, chains ``11 * blocks`` tiny
operations (sin, multiply, add, tanh, negative, exp, sum, indexing) on a 3-element float64 vector and a
scalar. Each round times ``fnx.grad`` and ``autograd.grad`` of it in turn (the order reversed every other
round), and the eager forward pass alone with fnx, NumPy and autograd's wrapped NumPy. It prints the median
time per operation of each and the median of the per-round ratios fnx/autograd. The issue's target: fnx's
eager grad costs no more per operation than autograd's.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

import numpy as np  # noqa: E402

import fnx  # noqa: E402
import fnx.numpy as fnp  # noqa: E402

OPS_PER_BLOCK = 11  # the namespace-level operations of one block of ``program`` (fnx records 12 equations)


def program(ns, params, blocks: int):
    """A scalar loss from ``blocks`` repetitions of 11 tiny operations on ``params = (x, w)``, a vector and a
    scalar, through the NumPy-like namespace ``ns``."""
    h, w = params
    acc = 0.0
    for _ in range(blocks):
        h = ns.sin(h) * w + 0.1            # sin, multiply, add
        h = ns.tanh(h * h)                 # multiply, tanh
        acc = acc + ns.sum(ns.exp(-h))     # negative, exp, sum, add
        h = h + h[0]                       # index, add
    return acc


def contenders(blocks: int) -> dict[str, Callable[[], object]]:
    """name -> a call running the program once: the two gradients and the three forward passes."""
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        sys.exit("eager_grad.py compares with autograd: pip install -e '.[bench]'")

    x, w = np.array([0.3, -0.2, 0.5]), np.array(0.9)
    fx, fw = fnp.asarray(x), fnp.asarray(w)

    def loss_with(ns):
        return lambda params: program(ns, params, blocks)
    return {
        "fnx grad": lambda: fnx.grad(loss_with(fnp))((fx, fw)),
        "autograd grad": lambda: autograd.grad(loss_with(anp))((x, w)),
        "fnx forward": lambda: loss_with(fnp)((fx, fw)),
        "NumPy forward": lambda: loss_with(np)((x, w)),
        "autograd forward": lambda: loss_with(anp)((x, w)),
    }


def check(blocks: int) -> None:
    """fnx's and autograd's gradients must agree (to rounding) before their times mean anything."""
    calls = contenders(blocks)
    g_fnx, g_ag = calls["fnx grad"](), calls["autograd grad"]()
    for a, b in zip(g_fnx, g_ag):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-9, atol=1e-12)


def seconds_per_call(call: Callable, min_seconds: float) -> float:
    calls, start = 0, time.perf_counter()
    while True:
        call()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / calls


def run(blocks: int = 273, rounds: int = 15, min_seconds: float = 0.1) -> dict[str, float]:
    """Time every contender alternately; print and return the median microseconds per operation."""
    check(min(blocks, 20))
    calls = contenders(blocks)
    names = list(calls)
    for call in calls.values():
        call()  # warm up (fnx's fast paths learn their dtypes on a first call)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            samples[name].append(seconds_per_call(calls[name], min_seconds))
    ops = OPS_PER_BLOCK * blocks
    per_op = {name: statistics.median(s) / ops * 1e6 for name, s in samples.items()}
    print(f"eager grad over {ops} tiny operations: median us per operation over {rounds} alternating rounds")
    for name in names:
        print(f"  {name:<18}{per_op[name]:8.2f} us")
    eqns = len(fnx.make_jaxpr(lambda p: program(fnp, p, blocks))((fnp.zeros(3), fnp.zeros(()))).eqns)
    print(f"  (fnx records {eqns} equations: {per_op['fnx grad'] * ops / eqns:.2f} us per equation of its grad)")
    ratio = statistics.median(a / b for a, b in zip(samples["fnx grad"], samples["autograd grad"]))
    fwd = statistics.median(a / b for a, b in zip(samples["fnx forward"], samples["autograd forward"]))
    print(f"  fnx/autograd: grad {ratio:.2f}x, forward {fwd:.2f}x (median of per-round ratios)")
    print(f"target: eager grad per operation <= autograd's: {'met' if ratio <= 1 else 'NOT met'} ({ratio:.2f}x)")
    return per_op


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=273, help="blocks of 11 operations (default 273: 3,003)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--min-seconds", type=float, default=0.1, help="minimum length of one timing loop")
    args = parser.parse_args()
    run(args.blocks, args.rounds, args.min_seconds)


if __name__ == "__main__":
    main()
