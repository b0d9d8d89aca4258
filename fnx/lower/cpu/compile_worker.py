"""The compile worker: a process that compiles generated modules so that the user's process does not wait.

``fnx.lower.background`` starts it as ``python -I -c "...; main()" READ_FD WRITE_FD`` (isolated: nothing in
the working directory is imported) and
sends it requests ``(source, entry, arg_types)`` over a pipe. For each, the worker writes and imports the
module through the same verified disk cache as the user's process (``disk_cache.load_module``), compiles the
entry for those argument types, which stores the machine code in Numba's disk cache, and answers ``None``,
or the error's text. The user's process then loads that machine code from the cache in a fraction of the
time. The worker ends when the pipe closes, that is when the user's process ends (after finishing the compile
at hand, which a later process then finds in the disk cache).
"""
from __future__ import annotations

import sys
import traceback
from multiprocessing.connection import Connection


def serve(requests: Connection, replies: Connection) -> None:
    """Answer compile requests until the other end closes the pipe."""
    from .compile import compile_for, load_function  # imports Numba: here, not when the worker is spawned
    while True:
        try:
            source, entry, arg_types = requests.recv()
        except (EOFError, OSError):
            return
        try:
            compile_for(load_function(source, entry), arg_types)
            reply = None
        except Exception:  # noqa: BLE001  (any failure goes back to the caller, which compiles in process)
            reply = traceback.format_exc()
        try:
            replies.send(reply)
        except OSError:  # the user's process has ended; what was compiled stays in the disk cache
            return


def main() -> None:
    """The worker's entry: the pipes' file descriptors are its two arguments."""
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
