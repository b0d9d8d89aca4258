"""The compile worker: a process that compiles generated modules so that the user's process does not wait.

``fnx.lower.background`` starts it as ``python -I -c "...; main()" READ_FD WRITE_FD`` (isolated: nothing in
the working directory is imported) and
sends it requests ``(source, entry, arg_types)`` over a pipe. For each, the worker writes and imports the
module through the same verified disk cache as the user's process (``disk_cache.load_module``), compiles the
entry for those argument types, which stores the machine code in Numba's disk cache, and answers ``None``,
``background.UNCACHED`` (no usable disk cache: the user's process compiles itself) or the error's text, with
the times of its steps. The user's process then loads that machine code from the cache in a fraction of the time. The
worker ends when the pipe closes, after the kernel or module at hand, when the user's process retires it; at
exit that process kills it, after ``background.EXIT_SECONDS`` if it is compiling a module asked for (its cache
writes are atomic).

Between requests it compiles the kernel signatures programs commonly use into the disk cache
(``common_kernels``; ``FNX_COMPILE_AHEAD=0`` turns this off), one kernel at a time: before each it waits
``SAMPLE_SECONDS`` for a request, and goes on only if none came and a core was idle meanwhile, so that a
request waits for one kernel at most and a user's code running on every core does not share them with it.
"""
from __future__ import annotations

import os
import sys
import time
import traceback
import warnings
from multiprocessing.connection import Connection

from .. import openblas
from ..background import UNCACHED

SAMPLE_SECONDS = 0.1


def serve(requests: Connection, replies: Connection, ahead: bool = True) -> None:
    """Answer compile requests until the other end closes the pipe; with ``ahead``, compile common kernels
    while there is none. Each answer is ``(None or the error's text, events)``: ``events`` are ``(what,
    time.perf_counter(), CPU seconds)`` of this worker since its last answer, for ``background.timeline``."""
    from . import common_kernels
    from .compile import prepare_numba  # imports Numba: here, not when the worker is spawned
    prepare_numba()  # part of any first compile: done before the first request comes, if it is not there yet
    events = [_event("worker ready")]
    kernels = common_kernels.compile_ahead() if ahead else iter(())
    while True:
        while _idle(requests) and next(kernels, False) is not False:
            pass
        try:
            source, entry, arg_types = requests.recv()
        except (EOFError, OSError):
            return
        events.append(_event("worker got source"))
        reply = _compile(source, entry, arg_types, events)
        events.append(_event("module done"))
        try:
            replies.send((reply, events))
        except OSError:  # the user's process has ended; what was compiled stays in the disk cache
            return
        events = []


def _compile(source: str, entry: str, arg_types: list, events: list) -> str | None:
    """Compile ``entry`` of ``source`` into the disk cache: None, ``UNCACHED`` or the error's text. Appends to
    ``events`` when the last of fnx's kernels it compiled was done."""
    from numba.core import event

    from . import disk_cache
    from .compile import compile_for, load_function
    if disk_cache.folder() is None:  # (the user's process gives the warning)
        return UNCACHED
    kernels = []

    class KernelCompiles(event.Listener):
        def on_start(self, e) -> None:
            pass

        def on_end(self, e) -> None:
            if not (e.data["dispatcher"].py_func.__module__ or "").startswith("fnx_"):  # not the module's own
                kernels.append(_event("kernels done"))
    try:
        with event.install_listener("numba:compile", KernelCompiles()):
            compile_for(load_function(source, entry), arg_types)
    except Exception:  # noqa: BLE001  (any failure goes back to the caller, which compiles in process)
        return traceback.format_exc()
    events.extend(kernels[-1:])
    return None


def _event(what: str) -> tuple:
    return what, time.perf_counter(), time.process_time()


def _idle(requests: Connection) -> bool:
    """Wait until a request comes (False) or a core was idle for ``SAMPLE_SECONDS`` (True)."""
    cores = os.cpu_count() or 1
    while True:
        before, start = openblas.cpu_seconds(), time.monotonic()
        if requests.poll(SAMPLE_SECONDS):
            return False
        after = openblas.cpu_seconds()
        if before is None or after is None:  # no /proc/stat: take the core to be free
            return True
        busy = (after[0] - before[0]) / max(time.monotonic() - start, 1e-3)  # the cores anything kept busy
        if busy < cores - 0.5:
            return True


def main() -> None:
    """The worker's entry: the pipes' file descriptors are its two arguments."""
    warnings.simplefilter("ignore")  # the user's process warns about its cache and its code itself
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False),
          ahead=os.environ.get("FNX_COMPILE_AHEAD", "1") != "0")
