"""How many threads fnx's parallel loops run now: one number, matched to the load, that compiled code reads.

A large fused loop is compiled in a function of its own over a range of rows (``fnx.lower.cpu.codegen``),
called over every row or, from a ``numba.prange`` in a ``parallel=True`` function, over chunks of them. Each
time it runs, the compiled code reads ``COUNT`` (through the symbol ``fnx_loop_threads``,
``fnx.lower.cpu.threads``) and takes the parallel version, with that many of Numba's threads, only when it is
above one. ``fnx.lower.openblas``'s watcher sets it: one thread per core, one while fnx's compile worker
works. Unlike OpenBLAS's threads, which spin while they wait, it does not drop for other processes' load:
beside a busy-looping process the elementwise benchmark slowed 1.11x with two threads and 1.84x with one
(``paired.py --busy`` at load ~2). This module does not import Numba.
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
