"""How long the matrix products alone of the MLP and RNN workloads take: the floor under fnx's time for them.

``python benchmarks/blas_bound.py`` (``--quick``: tiny sizes) times, on one thread pinned to one core, the
products a training step of ``mlp_step`` and of ``epoch`` needs (per layer: ``x @ W`` forward, ``h.T @ dy``
for the weight gradient and, above the first layer, ``dy @ W.T`` for the input's), and those of one RNN
pass forward and backward, through the BLAS kernel fnx's generated code calls.
Compare with ``run.py --threads 1``: when these products alone take about as long as JAX's whole step, a
fnx/JAX target below 1 is out of reach with this BLAS.
"""
from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import workloads  # noqa: E402
from fnx.lower.cpu import kernels  # noqa: E402


def step_products(params: list, x: np.ndarray) -> list:
    """The (a, b, transpose_a, transpose_b) operands of every product in one SGD step of the MLP ``params``."""
    rng = np.random.default_rng(0)
    products, h = [], x
    for i, (w, _) in enumerate(params):
        out = rng.standard_normal((h.shape[0], w.shape[1])).astype(np.float32)  # stands for h @ w and dy
        products += [(h, w, False, False), (h, out, True, False)]
        if i > 0:
            products.append((out, w, False, True))
        h = out
    return products


def rnn_products(params: dict, xs: np.ndarray) -> tuple[list, list]:
    """The products of the RNN's forward and backward pass, as fnx runs them (``fnx.lower.loop_motion``):
    in each step ``h @ wh`` forward and ``dz @ wh.T`` backward; once, over all steps, ``xs @ wx`` before the
    loop and the weight gradients ``xs.T @ dz`` and ``h.T @ dz`` after it. Returns (per step, once)."""
    steps, batch, n_in = xs.shape
    rng = np.random.default_rng(0)
    h = rng.standard_normal((batch, params["wh"].shape[0])).astype(np.float32)
    all_x = xs.reshape(steps * batch, n_in)
    all_h = rng.standard_normal((steps * batch, h.shape[1])).astype(np.float32)
    return ([(h, params["wh"], False, False), (h, params["wh"], False, True)],
            [(all_x, params["wx"], False, False), (all_x, all_h, True, False), (all_h, all_h, True, False)])


def kernel_calls(products: list) -> list:
    """The arguments of fnx's BLAS kernel for each (a, b, transpose_a, transpose_b) product."""
    return [(a, b, np.bool_(ta), np.bool_(tb)) for a, b, ta, tb in products]


def run_step(calls: list) -> None:
    """Compute every product of one step."""
    for call in calls:
        kernels.float_matmul(*call)


def seconds_per_step(products: list, steps: int = 20, repeat: int = 15) -> float:
    """The median over ``repeat`` loops of ``steps`` steps of the time per step."""
    calls = kernel_calls(products)
    times = []
    for _ in range(repeat + 1):  # the first loop warms up
        start = time.perf_counter()
        for _ in range(steps):
            run_step(calls)
        times.append((time.perf_counter() - start) / steps)
    return float(np.median(times[1:]))


def main(argv: list[str] | None = None) -> None:
    quick = "--quick" in (sys.argv[1:] if argv is None else argv)  # tiny sizes, one loop: a smoke run
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    loops = dict(steps=1, repeat=1) if quick else {}
    params, x, _ = workloads.mlp_step_inputs(quick)
    step = seconds_per_step(step_products(params, x), **loops)
    print(f"mlp_step: the 8 matrix products of a step take {step * 1e3:.2f} ms")
    params, xs, _ = workloads.epoch_inputs(quick)
    step = seconds_per_step(step_products(params, xs[0]), **loops)
    print(f"epoch:    the 5 matrix products of a step take {step * 1e3:.3f} ms, "
          f"{step * xs.shape[0] * 1e3:.1f} ms for the {xs.shape[0]} steps")
    params, xs = workloads.rnn_inputs(quick)
    per_step, once = rnn_products(params, xs)
    total = seconds_per_step(per_step, **loops) * xs.shape[0] + seconds_per_step(once, **loops)
    print(f"rnn:      the matrix products of the forward and backward pass take {total * 1e3:.2f} ms")

if __name__ == "__main__":
    main()
