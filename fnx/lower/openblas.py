"""NumPy's bundled OpenBLAS, found without importing Numba: its handle, and its thread count matched to load.

fnx's compiled products call this library (``cpu/blas.py``), and the first tier's products reach it through
NumPy. Its threads spin while they wait for each other, so when another process holds a core, two threads
make products many times slower than one: the first tier of the benchmark RNN (100 steps of 32x128
products) took 2235 ms per call beside a busy-looping process with OpenBLAS's two threads, 91 ms with one.

So once fnx runs code (``adapt_threads``), a watcher thread looks every 0.1 s at how many cores other
processes kept busy (``/proc/stat`` less this process's own CPU time) and gives OpenBLAS its own thread count
less those cores, at least one; while fnx's compile worker works, one. OpenBLAS's setting is global: NumPy
products of the same process follow it too, and a limit set later by other means (threadpoolctl) is
overridden; ``fnx.config.update("adapt_blas_threads", False)`` (``FNX_ADAPT_BLAS_THREADS=0``) turns this off.
The count fnx starts from, and never exceeds, is OpenBLAS's own (``OPENBLAS_NUM_THREADS``). fnx's parallel loops
(``fnx.lower.loop_threads``) use one thread per core, and one while the compile worker works or other
processes keep every core busy (``loop_threads.threads_for``).
"""
from __future__ import annotations

import ctypes
import functools
import glob
import os
import threading
import time

import numpy as np

from ..config import config
from . import loop_threads

SAMPLE_SECONDS = 0.1
_own_count: int | None = None  # OpenBLAS's thread count before fnx changed it
_other_cores = 0.0  # the cores other processes kept busy over the last look
_worker_busy = False
_started = False


@functools.lru_cache(maxsize=None)
def numpy_openblas() -> ctypes.CDLL | None:
    """NumPy's bundled ``scipy-openblas64`` (already loaded by NumPy), or None when this NumPy has none."""
    root = os.path.dirname(np.__file__)
    for pattern in ("../numpy.libs/libscipy_openblas64_*", ".dylibs/libscipy_openblas64_*"):
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            library = ctypes.CDLL(path)
            if hasattr(library, "scipy_cblas_sgemm64_") and hasattr(library, "scipy_cblas_dgemm64_"):
                return library
    return None


def get_threads() -> int | None:
    """How many threads NumPy's OpenBLAS runs; None without that library."""
    library = numpy_openblas()
    if library is None or not hasattr(library, "scipy_openblas_get_num_threads64_"):
        return None
    return library.scipy_openblas_get_num_threads64_()


@functools.lru_cache(maxsize=None)
def scipy_openblas() -> ctypes.CDLL | None:
    """SciPy's own bundled ``scipy-openblas`` (32-bit integers), which Numba's ``np.linalg`` calls (the compiled
    decompositions: ``kernels_decompositions``), or None when this SciPy has none."""
    try:
        import scipy
    except ImportError:
        return None
    for path in sorted(glob.glob(os.path.join(os.path.dirname(scipy.__file__), "../scipy.libs/libscipy_openblas-*"))):
        library = ctypes.CDLL(path)
        if hasattr(library, "scipy_openblas_set_num_threads"):
            return library
    return None


def set_threads(count: int) -> None:
    """Make NumPy's OpenBLAS, and SciPy's, run ``count`` threads (a global setting their next call reads: safe
    while another thread multiplies, OpenMathLib/OpenBLAS#3917)."""
    if get_threads() not in (None, count):
        numpy_openblas().scipy_openblas_set_num_threads64_(ctypes.c_int(count))
        library = scipy_openblas()
        if library is not None:
            library.scipy_openblas_set_num_threads(ctypes.c_int(count))


def threads_for(other_cores: float, cores: int, own_count: int, worker_busy: bool) -> int:
    """The thread count for OpenBLAS: one while fnx's compile worker works, otherwise its own count less the
    cores other processes keep busy (rounded), and at least one."""
    if worker_busy:
        return 1
    return max(1, min(own_count, cores - int(other_cores + 0.5)))


def adapt_threads(worker_busy: bool) -> None:
    """Match OpenBLAS's threads to the load now, and from now on (the watcher starts at the first call);
    ``worker_busy``: whether fnx's compile worker is working."""
    global _own_count, _worker_busy, _started
    _worker_busy = worker_busy
    if not config.adapt_blas_threads:
        return
    if not _started:
        _started = True
        _own_count = get_threads()
        if cpu_seconds() is not None:
            threading.Thread(target=_watch, name="fnx-threads", daemon=True).start()
    _follow(_other_cores, os.cpu_count() or 1)


def _follow(other_cores: float, cores: int) -> None:
    """OpenBLAS's and the parallel loops' thread counts for this load."""
    if _own_count is not None:
        set_threads(threads_for(other_cores, cores, _own_count, _worker_busy))
    loop_threads.follow(loop_threads.threads_for(other_cores, cores, _worker_busy))


def cpu_seconds() -> tuple[float, float] | None:
    """(CPU seconds all cores were busy, CPU seconds of this process) so far; None without /proc/stat."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle and iowait
    own = os.times()
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), own.user + own.system


def _watch() -> None:
    """Every SAMPLE_SECONDS: the cores other processes kept busy meanwhile, and the thread counts to match."""
    global _other_cores
    cores = os.cpu_count() or 1
    last, last_time = cpu_seconds(), time.monotonic()
    while True:
        time.sleep(SAMPLE_SECONDS)
        now, now_time = cpu_seconds(), time.monotonic()
        _other_cores = max(0.0, (now[0] - last[0]) - (now[1] - last[1])) / max(now_time - last_time, 1e-3)
        if config.adapt_blas_threads:
            _follow(_other_cores, cores)
        last, last_time = now, now_time
