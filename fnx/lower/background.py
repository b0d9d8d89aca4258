"""Background compilation: a jaxpr's native code is made while its first calls run on NumPy.

``compile_in_background(closed, donated, types, done)`` queues a compile and returns at once. One compile
thread of this process takes the queue in order; for each jaxpr it generates the module source, then, by
``fnx.config.background_compile``:

- ``"process"`` (the default): a compile worker process (``fnx.lower.cpu.compile_worker``, started at a
  jitted function's first call, ending with this process) compiles the module into the disk cache, and the
  thread loads the machine code from there. Numba's front end is Python, so a compiling thread holds the GIL
  most of the time; the worker runs on another core instead, and this process only pays for generating the
  source and loading the result. Machine code already in the disk cache is loaded by the thread directly.
- ``"thread"``: the thread compiles, sharing the GIL with the caller. So does ``"process"`` when the disk
  cache cannot be used (``fnx.lower.cpu.disk_cache``), since the worker hands its code over through it.

Each compile ends by calling ``done(executable)``, or ``done(None)`` if anything failed (the caller then
compiles in its own thread, where the error surfaces as it would without tiers). Importing this module does
not import Numba: a first call must not wait for Numba's import either.
"""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from typing import Callable, Sequence

import numpy as np

from ..config import config
from ..core.ir import ClosedJaxpr
from . import openblas

_jobs: "queue.Queue" = queue.Queue()  # compiles waiting for the compile thread, in the order of first calls
_unfinished = threading.Condition()  # guards _count and tells wait_for_compiles when it reaches 0
_count = 0  # compiles requested and not finished
_thread: threading.Thread | None = None
_worker: "_Worker | None" = None
_worker_lock = threading.Lock()  # jit's first calls and the compile thread may both start it
# a worker is replaced after this many compiles: Numba never frees machine code (numba/numba#5976), so a
# worker grows by ~2 MiB per compile; a new one starts in ~0.5 s
WORKER_COMPILES = 200
WORKER_TIMEOUT = 600.0  # seconds for one compile before the worker is taken for hung and killed


def arg_types(in_avals: Sequence, args: Sequence) -> list:
    """What Numba will see of ``args`` (the compiled function's inputs, consts first): ``("scalar", dtype)``
    for a rank-0 input (passed as a NumPy scalar) and ``("array", dtype, ndim, layout, readonly)`` otherwise,
    as plain values that a worker process can rebuild Numba types from."""
    types = []
    for aval, x in zip(in_avals, args):
        if aval.shape == ():
            types.append(("scalar", aval.dtype.str))
            continue
        x = np.asarray(x)
        layout = "C" if x.flags.c_contiguous else "F" if x.flags.f_contiguous else "A"
        types.append(("array", x.dtype.str, x.ndim, layout, not x.flags.writeable))
    return types


def compile_in_background(closed: ClosedJaxpr, donated: frozenset, types: list, done: Callable) -> None:
    """Queue ``closed`` for compiling for arguments of ``types`` (``arg_types``); ``done(executable or None)``
    is called from the compile thread when it has finished. One thread serves every compile, in the order
    they came."""
    global _count, _thread
    with _unfinished:
        _count += 1
        if _thread is None:
            _thread = threading.Thread(target=_serve, name="fnx-compile", daemon=True)
            _thread.start()
    _jobs.put((closed, donated, types, config.background_compile, done))


def _serve() -> None:
    global _count
    while True:
        job = _jobs.get()
        try:
            _compile(*job)
        finally:
            with _unfinished:
                _count -= 1
                _unfinished.notify_all()


def _compile(closed: ClosedJaxpr, donated: frozenset, types: list, mode: str, done: Callable) -> None:
    executable = None
    try:
        if mode == "process" and config.cache_dir:
            start_worker()  # usually running already (see TieredCode); else it starts while Numba imports here
        from .cpu import disk_cache
        from .cpu.compile import Executable, compile_for, load_cached_for, load_function, lower
        source, entry = lower(closed, donated)
        # machine code an earlier process left in the disk cache is loaded here, without the worker's round trip
        function = load_function(source, entry) if disk_cache.holds_module(source) else None
        if function is None or not load_cached_for(function, types):
            # the worker hands its machine code over through the disk cache: without one, compile here; nor
            # does a worker know the user's kernels ("uk.")
            if mode == "process" and disk_cache.folder() is not None and "uk." not in source and \
                    _compile_in_worker(source, entry, types, meanwhile=prepare_numba) is not None:
                return  # the worker failed: the caller compiles in process, where the error shows as usual
            function = load_function(source, entry)
            compile_for(function, types)  # after the worker: a load from Numba's disk cache
        executable = Executable(closed, function, source)
    except Exception:  # noqa: BLE001  (the caller compiles again in its own thread and sees the error)
        executable = None
    finally:
        done(executable)


def prepare_numba() -> None:
    """Fill Numba's typing and target contexts (its registries of types and implementations): 0.4-0.6 s of
    a process's first compile or load from the disk cache, which the compile thread does while the worker
    compiles, and the worker while it waits for its first request."""
    from numba.core.registry import cpu_target
    cpu_target.typing_context.refresh()
    cpu_target.target_context.refresh()


def match_blas_threads() -> None:
    """Match NumPy's OpenBLAS threads to the load (``fnx.lower.openblas``): one while the compile worker works
    beside this process. Called from the thread making the products: at every first-tier call, at a
    function's first compiled call and after ``block_until_compiled``."""
    openblas.adapt_threads(worker_busy=_count > 0 and config.background_compile == "process")


def wait_for_compiles(timeout: float | None = None) -> bool:
    """Wait until every background compile requested so far has finished; False if ``timeout`` seconds
    passed first."""
    with _unfinished:
        return _unfinished.wait_for(lambda: _count == 0, timeout)


class _Worker:
    """The compile worker process and the two pipes to it, for the cache settings it was started with."""

    def __init__(self) -> None:
        self.settings = _worker_settings()
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = {**os.environ, "FNX_CACHE_DIR": config.cache_dir, "FNX_CACHE_MAX_BYTES": str(config.cache_max_bytes),
               "FNX_COMPILE_AHEAD": str(int(config.compile_ahead))}
        # -I: neither the working directory nor PYTHON* variables decide what it imports (a numba.py planted
        # in the user's folder must not run); fnx's own folder goes last on its path
        bootstrap = (f"import sys; sys.path.append({package_root!r}); "
                     "from fnx.lower.cpu.compile_worker import main; main()")
        to_worker, from_worker = os.pipe(), os.pipe()  # (read end, write end) each
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", bootstrap, str(to_worker[0]), str(from_worker[1])],
                pass_fds=(to_worker[0], from_worker[1]), env=env, stdin=subprocess.DEVNULL)
        except OSError:
            os.close(to_worker[1])
            os.close(from_worker[0])
            raise
        finally:
            os.close(to_worker[0])
            os.close(from_worker[1])
        self.requests = Connection(to_worker[1], readable=False)
        self.replies = Connection(from_worker[0], writable=False)
        self.compiles = 0

    def compile(self, source: str, entry: str, types: list, meanwhile: Callable = lambda: None) -> str | None:
        """Have the worker compile ``entry`` of ``source`` into the disk cache, calling ``meanwhile()`` while it
        does: None, or the error's text."""
        self.compiles += 1
        self.requests.send((source, entry, types))
        meanwhile()
        if not self.replies.poll(WORKER_TIMEOUT):
            self.process.kill()
            return f"the compile worker took over {WORKER_TIMEOUT} s"
        return self.replies.recv()

    def retire(self) -> None:
        """Let it end: it exits when its pipe closes, and its memory is the system's again."""
        self.requests.close()
        self.replies.close()


def _worker_settings() -> tuple:
    return config.cache_dir, config.cache_max_bytes, config.compile_ahead


def _compile_in_worker(source: str, entry: str, types: list, meanwhile: Callable = lambda: None) -> str | None:
    """Compile in the worker (started again if it died, used its quota or has other cache settings), calling
    ``meanwhile()`` while it works: None, or what went wrong. Only the compile thread calls it (and tests), so
    requests never interleave."""
    global _worker
    with _worker_lock:
        if _worker is not None and (_worker.compiles >= WORKER_COMPILES or _worker.settings != _worker_settings()):
            _worker.retire()
            _worker = None
    try:
        worker = start_worker()
        return worker.compile(source, entry, types, meanwhile)
    except (EOFError, OSError) as e:  # the worker died (a crash in Numba or LLVM): start another next time
        with _worker_lock:
            _worker = None
        return f"the compile worker stopped: {e!r}"


def start_worker() -> "_Worker":
    """The live worker, started if there is none: jit starts it at a function's first call, so that its
    ~0.5 s start (Python, NumPy, Numba) is over by the time the compile is asked for."""
    global _worker
    with _worker_lock:
        if _worker is None or _worker.process.poll() is not None:
            _worker = _Worker()
        return _worker
