"""What recording the user's line on every traced equation costs (``Eqn.source``, for ``debug_nans``' errors).

``python benchmarks/trace_source.py [--rounds 15]``: traces (``make_jaxpr``) a function of 3,000 small
fnx.numpy operations, and its gradient, with the recording on (``debug_nans`` on: traces record lines, as every
trace did before they were recorded only for debug_nans and debug_infs) and off (the default), alternately in
one process, and prints the medians of the CPU time per equation and the per-round ratio on/off; then the same
for an eager ``grad`` (which records no line) with and without the replay bookkeeping of the transforms
(``core.tracing.replayed``).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import fnx  # noqa: E402
import fnx.numpy as fnp  # noqa: E402

OPS = 1000  # each step is three operations


def chain(x):
    for _ in range(OPS):
        x = fnp.sin(x) * 1.01 + x
    return fnp.sum(x)


def per_equation(f, record: bool) -> float:
    """CPU seconds per equation of tracing ``f``, with or without the user's line recorded."""
    fnx.config.update("debug_nans", record)
    try:
        start = time.process_time()
        closed = fnx.make_jaxpr(f)(fnp.ones(4))
        assert (closed.eqns[0].source is not None) == record
        return (time.process_time() - start) / len(closed.eqns)
    finally:
        fnx.config.update("debug_nans", False)


def eager_grad_per_equation(replay: bool) -> float:
    """CPU seconds per traced equation of an eager ``grad`` (a concrete trace and the backward pass), with the
    transforms' replay bookkeeping (``core.tracing.replayed``) or without it."""
    from fnx.transforms.autodiff import engine
    saved = engine.replayed
    if not replay:
        engine.replayed = lambda eqns: eqns
    try:
        start = time.process_time()
        fnx.grad(chain)(fnp.ones(4))
        return (time.process_time() - start) / (3 * OPS + 1)
    finally:
        engine.replayed = saved


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    for name, f in (("trace", chain), ("trace grad", fnx.grad(chain))):
        on, off = [], []
        for r in range(rounds):
            for record in ((True, False) if r % 2 == 0 else (False, True)):
                (on if record else off).append(per_equation(f, record))
        ratio = np.median(np.array(on) / np.array(off))
        print(f"{name:<11} per equation: {np.median(on) * 1e6:.2f} us recorded, {np.median(off) * 1e6:.2f} us "
              f"not (+{(np.median(on) - np.median(off)) * 1e6:.2f} us, ratio {ratio:.3f})")
    on, off = [], []
    for r in range(rounds):
        for replay in ((True, False) if r % 2 == 0 else (False, True)):
            (on if replay else off).append(eager_grad_per_equation(replay))
    print(f"eager grad  per equation: {np.median(on) * 1e6:.2f} us with replay bookkeeping, "
          f"{np.median(off) * 1e6:.2f} us without (ratio {np.median(np.array(on) / np.array(off)):.3f})")


if __name__ == "__main__":
    main()
