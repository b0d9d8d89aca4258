"""How many threads fnx's parallel loops run now: one number, matched to the load, that compiled code reads.

A large fused loop is compiled in a function of its own over a range of rows (``fnx.lower.cpu.codegen``),
called over every row or, from a ``numba.prange`` in a ``parallel=True`` function, over chunks of them. Each
time it runs, the compiled code reads ``COUNT`` (through the symbol ``fnx_loop_threads``,
``fnx.lower.cpu.threads``) and takes the parallel version, with that many of Numba's threads, only when it is
above one. ``fnx.lower.openblas``'s watcher sets it by ``threads_for``: one thread per core, unless other
processes keep every core busy or fnx's compile worker works. This module does not import Numba.
"""
from __future__ import annotations

import ctypes
import os

COUNT = ctypes.c_int(os.cpu_count() or 1)  # read by compiled code at every parallel loop; a plain int store
_limit = os.cpu_count() or 1  # Numba's pool size (NUMBA_NUM_THREADS) once Numba has started


def set_limit(threads: int) -> None:
    """The most threads a loop may use: Numba's pool size (``fnx.lower.cpu.threads`` sets it)."""
    global _limit
    _limit = max(1, threads)
    COUNT.value = min(COUNT.value, _limit)


def follow(count: int) -> None:
    """Let parallel loops use ``count`` threads (at most Numba's pool size, at least one)."""
    COUNT.value = max(1, min(count, _limit))


def threads_for(other_cores: float, cores: int, worker_busy: bool) -> int:
    """The thread count for parallel loops: one while fnx's compile worker works or while other processes keep
    every core busy (``other_cores`` at least ``cores - 0.5``), otherwise one per core.

    Unlike OpenBLAS's threads, which spin while they wait, Numba's sleep, so beside one busy neighbour a second
    thread still gets a share of its core (the elementwise benchmark slowed 1.11x with two threads and 1.84x
    with one, ``paired.py --busy`` at load ~2); but with every core taken by other processes it only adds
    wake-ups and a wait for the slower half (at load 7-8, one thread ran the elementwise benchmark in 0.962
    against 1.085 ms, LeNet in 7.36 against 7.71 ms; at load ~4 the two were within 3%: docs/design.md,
    "Parallel loops follow the load").

    >>> threads_for(1.0, 2, False), threads_for(1.9, 2, False)
    (2, 1)
    """
    if worker_busy or other_cores >= cores - 0.5:
        return 1
    return cores
