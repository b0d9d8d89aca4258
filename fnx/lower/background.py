"""Background compilation: a jaxpr's native code is made while its first calls run on NumPy.

``compile_in_background(closed, donated, types, done)`` queues a compile and returns at once. One compile
thread of this process takes the queue in order; for each jaxpr it generates the module source (without
importing Numba: ``fnx.lower.cpu.program``), then, by ``fnx.config.background_compile``:

- ``"process"`` (the default): a compile worker process (``fnx.lower.cpu.compile_worker``, started when a
  function is jitted, stopped and waited for when this process exits) compiles the module into the disk
  cache, and the thread loads the machine code from there. Numba's front end is Python, so a compiling thread
  holds the GIL most of the time; the worker runs on another core instead, and this process only pays for
  generating the source and loading the result. Machine code already in the disk cache is loaded by the thread
  directly; otherwise the source goes to the worker, and this process fills Numba's contexts while it works.
- ``"thread"``: the thread compiles, sharing the GIL with the caller. So does ``"process"`` when the disk
  cache cannot be used (``fnx.lower.cpu.disk_cache``), since the worker hands its code over through it.

Each compile ends by calling ``done(executable)``, or ``done(None)`` if anything failed (the caller then
compiles in its own thread, where the error surfaces as it would without tiers). Importing this module does
not import Numba: a first call must not wait for Numba's import either.
"""
from __future__ import annotations

import atexit
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
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
# at exit, seconds a worker compiling a module asked for may take to finish it before it is killed (one doing
# nothing else, or compiling ahead, is killed at once): its disk cache writes are atomic, so a killed compile
# only leaves that work to a later process
EXIT_SECONDS = 0.5
UNCACHED = "the disk cache cannot be used"  # the worker's answer when there is no disk cache to hand code over in
_retired: list[subprocess.Popen] = []  # workers told to end, not yet seen ended
_exiting = False  # set at exit: no worker starts after that
# (event, time.perf_counter(), CPU seconds) of this process's recent compiles and its worker's, for
# benchmarks/cold_start.py --timeline: one clock for both (Linux's CLOCK_MONOTONIC); the CPU seconds of the
# thread noting it here, of the whole worker there
timeline: deque = deque(maxlen=256)


def note(event: str) -> None:
    """Record that ``event`` happened now in ``timeline``."""
    timeline.append((event, time.perf_counter(), time.thread_time()))


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
    note("compile queued")
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
        from .cpu.cache_keys import holds_module
        from .cpu.program import lower
        source, entry = lower(closed, donated)  # imports no Numba
        function = None
        if holds_module(source):  # machine code an earlier process left in the cache: loaded without the worker
            from .cpu.compile import load_cached_for, load_function
            function = load_function(source, entry)
            function = function if load_cached_for(function, types) else None
        if function is None:
            # the worker hands its machine code over through the disk cache (without one it answers UNCACHED and
            # this thread compiles); nor does a worker know the user's kernels ("uk.")
            if mode == "process" and config.cache_dir and "uk." not in source:
                error = _compile_in_worker(source, entry, types, meanwhile=_prepare_numba)
                if error is not None and error != UNCACHED:
                    return  # the worker failed: the caller compiles in process, where the error shows as usual
            from .cpu.compile import compile_for, load_function
            function = load_function(source, entry)
            compile_for(function, types)  # after the worker: a load from Numba's disk cache
        from .cpu.compile import Executable
        executable = Executable(closed, function, source)
        note("loaded")
    except Exception:  # noqa: BLE001  (the caller compiles again in its own thread and sees the error)
        executable = None
    finally:
        done(executable)


def _prepare_numba() -> None:
    """Import Numba and fill its contexts (``compile.prepare_numba``): done while the worker compiles."""
    from .cpu.compile import prepare_numba
    prepare_numba()
    note("numba ready")


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
        # FNX_BACKGROUND_COMPILE=off: nothing the worker imports may start a worker of its own (jit starts one)
        env = {**os.environ, "FNX_CACHE_DIR": config.cache_dir, "FNX_CACHE_MAX_BYTES": str(config.cache_max_bytes),
               "FNX_COMPILE_AHEAD": str(int(config.compile_ahead)), "FNX_BACKGROUND_COMPILE": "off"}
        # -I: neither the working directory nor PYTHON* variables decide what it imports (a numba.py planted
        # in the user's folder must not run); fnx's own folder goes last on its path
        bootstrap = (f"import sys; sys.path.append({package_root!r}); "
                     "from fnx.lower.cpu.compile_worker import main; main()")
        note("worker started")
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
        self.busy = False  # compiling a module this process asked for

    def compile(self, source: str, entry: str, types: list, meanwhile: Callable = lambda: None) -> str | None:
        """Have the worker compile ``entry`` of ``source`` into the disk cache, calling ``meanwhile()`` while it
        does: None, or the error's text."""
        self.compiles += 1
        note("request sent")
        self.busy = True
        try:
            self.requests.send((source, entry, types))
            meanwhile()
            if not self.replies.poll(WORKER_TIMEOUT):
                self.process.kill()
                self.retire()
                return f"the compile worker took over {WORKER_TIMEOUT} s"
            error, events = self.replies.recv()
        finally:
            self.busy = False
        timeline.extend(events)
        return error

    def retire(self) -> None:
        """Let it end: it exits when its pipe closes (after the kernel or module at hand), and its memory is the
        system's again. Its process is waited for later (``_stop_workers`` at the latest)."""
        self.requests.close()
        self.replies.close()
        _retired[:] = [p for p in _retired if p.poll() is None] + [self.process]


def _stop_workers() -> None:
    """At exit, end the workers and wait for them: a process left running would go on using a core, and
    ``subprocess`` reports it (``ResourceWarning: subprocess N is still running``). A worker compiling a module
    gets ``EXIT_SECONDS`` to finish it; the others are killed at once (one still starting would take ~0.7 s
    to see its pipe closed)."""
    global _worker, _exiting
    with _worker_lock:
        _exiting = True
        busy = _worker.process if _worker is not None and _worker.busy else None
        if _worker is not None:
            _worker.retire()
            _worker = None
    for process in _retired:
        if process is not busy:
            process.kill()
    deadline = time.monotonic() + EXIT_SECONDS
    for process in _retired:
        try:
            process.wait(max(deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


atexit.register(_stop_workers)


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
            if _worker is not None:
                _worker.retire()
            _worker = None
        return f"the compile worker stopped: {e!r}"


def start_worker() -> "_Worker":
    """The live worker, started if there is none: ``jit`` starts it when a function is jitted, so that its
    ~0.7 s of CPU (Python, NumPy, Numba) overlaps what comes before the compile is asked for. OSError once
    this process is exiting."""
    global _worker
    with _worker_lock:
        if _exiting:
            raise OSError("the process is exiting")
        if _worker is None or _worker.process.poll() is not None:
            _worker = _Worker()
        return _worker
