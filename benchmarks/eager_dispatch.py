"""How long one eager fnx.numpy call takes, next to NumPy (and JAX, if it is installed).

On small arrays this measures dispatch overhead: promotion, shape checks, binding a primitive and wrapping
the result. The issue's target: ``fnp.add(x, 1.0)`` on a 10-element float64 array within 3x of NumPy.
"""
from __future__ import annotations

import statistics
import timeit
from typing import Callable, NamedTuple

import numpy as np

import fnx.numpy as fnp

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # compare float64 with float64
except ImportError:
    jax = jnp = None


class Case(NamedTuple):
    """One operation timed three ways; each ``*_call`` takes no arguments."""

    name: str
    size: int
    numpy_call: Callable
    fnx_call: Callable
    jax_call: Callable | None


def make_case(name: str, size: int, op: Callable) -> Case:
    """``op(namespace, x)`` on a float64 array of ``size`` elements, for NumPy, fnx and JAX."""
    x_np = np.linspace(0.0, 1.0, size)
    x_fnx = fnp.asarray(x_np)
    jax_call = None
    if jnp is not None:
        x_jax = jnp.asarray(x_np)
        jax_call = lambda: op(jnp, x_jax).block_until_ready()  # noqa: E731  (JAX dispatches asynchronously)
    return Case(name, size, lambda: op(np, x_np), lambda: op(fnp, x_fnx), jax_call)


def cases(quick: bool) -> list[Case]:
    """The benchmarked calls; ``quick`` shrinks the large array so that a run takes a few seconds."""
    big = 10_000 if quick else 1_000_000
    return [
        make_case("add(x, 1.0)", 10, lambda ns, x: ns.add(x, 1.0)),
        make_case("sin(x)", 10, lambda ns, x: ns.sin(x)),
        make_case("sin(x)", big, lambda ns, x: ns.sin(x)),
        make_case("x[1:3]", 10, lambda ns, x: x[1:3]),
        make_case("sum(x)", 10, lambda ns, x: ns.sum(x)),
    ]


def loop_size(call: Callable, min_loop_seconds: float) -> int:
    """How many calls make a timing loop of at least ``min_loop_seconds`` (after one warm-up call)."""
    call()
    number = 1
    while timeit.timeit(call, number=number) < min_loop_seconds:
        number *= 2
    return number


def median_seconds(calls: list[Callable], repeat: int, min_loop_seconds: float) -> list[float]:
    """For each call, the median over ``repeat`` timing loops of the time per call.

    The loops of the different calls are interleaved, so that a busy machine slows them all alike and
    their ratios stay meaningful.
    """
    numbers = [loop_size(call, min_loop_seconds) for call in calls]
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(repeat):
        for call, number, times in zip(calls, numbers, samples):
            times.append(timeit.timeit(call, number=number) / number)
    return [statistics.median(times) for times in samples]


def _micro(seconds: float | None) -> str:
    return f"{seconds * 1e6:11.2f}" if seconds is not None else f"{'-':>11}"


def _row(name: str, size: int, t_np: float, t_fnx: float, t_jax: float | None) -> str:
    fnx_per_jax = f"{t_fnx / t_jax:8.2f}x" if t_jax is not None else f"{'-':>9}"
    return f"{name:<14}{size:>9}{_micro(t_np)}{_micro(t_fnx)}{_micro(t_jax)}{t_fnx / t_np:10.2f}x{fnx_per_jax}"


def run(quick: bool = False) -> list[dict]:
    """Time every case, print a table, and return its rows (times in seconds; ``jax`` is None without JAX)."""
    repeat, min_loop = (5, 0.01) if quick else (15, 0.05)
    print(f"eager dispatch: median time per call in microseconds (median of {repeat} interleaved loops)")
    print(f"{'case':<14}{'size':>9}{'NumPy':>11}{'fnx':>11}{'JAX':>11}{'fnx/NumPy':>11}{'fnx/JAX':>9}")
    rows = []
    for case in cases(quick):
        calls = [case.numpy_call, case.fnx_call] + ([case.jax_call] if case.jax_call else [])
        times = median_seconds(calls, repeat, min_loop)
        t_np, t_fnx, t_jax = times[0], times[1], (times[2] if case.jax_call else None)
        print(_row(case.name, case.size, t_np, t_fnx, t_jax))
        rows.append({"case": case.name, "size": case.size, "numpy": t_np, "fnx": t_fnx, "jax": t_jax})
    ratio = rows[0]["fnx"] / rows[0]["numpy"]
    verdict = "met" if ratio <= 3 else "NOT met"
    print(f"target: add(x, 1.0) on 10 elements within 3x of NumPy: {verdict} ({ratio:.2f}x)")
    if jax is None:
        print("(JAX is not installed: pip install -e '.[bench]' to add its column)")
    return rows
