"""Parallel loops' thread count in compiled code: ``use_loop_threads()``, an intrinsic generated code calls.

Generated code runs a large fused loop as ``if th.use_loop_threads() > 1: <parallel function> else: <serial
loop>``. The intrinsic reads ``fnx.lower.loop_threads.COUNT``, which fnx keeps matched to the load, and when it
is above one hands it to Numba's ``set_num_threads`` for the calling thread (Numba's thread count is per
calling thread, so it is set where the loop starts, not by fnx's watcher thread). Both are reached by symbol
name, never by address, so machine code cached on disk stays valid in the next process: importing this module
binds ``fnx_loop_threads``, and ``launch()`` starts Numba's thread pool, which binds ``set_num_threads``; both
must happen before cached code that calls them is loaded (``compile.load_function`` sees to it).
"""
from __future__ import annotations

import ctypes
import os

import numba
from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .. import loop_threads

binding.add_symbol("fnx_loop_threads", ctypes.addressof(loop_threads.COUNT))
loop_threads.set_limit(numba.config.NUMBA_NUM_THREADS)


def launch() -> None:
    """Start Numba's thread pool (its own ``workqueue`` unless ``NUMBA_THREADING_LAYER`` names one: OpenMP's
    threads spin at every barrier, and on a shared 2-core machine a loop went from 0.5 ms to 6 ms with them)."""
    from numba.np.ufunc.parallel import _launch_threads
    if "NUMBA_THREADING_LAYER" not in os.environ:
        numba.config.THREADING_LAYER = "workqueue"
    _launch_threads()


@intrinsic
def use_loop_threads(typingctx):
    """(Numba code only) How many threads a parallel loop should use now; when above one, Numba's thread count
    for the calling thread is set to it."""
    def codegen(context, builder, signature, args):
        int32 = ir.IntType(32)
        cell = builder.module.globals.get("fnx_loop_threads") or \
            cgutils.add_global_variable(builder.module, int32, "fnx_loop_threads")
        count = builder.load(cell)
        with builder.if_then(builder.icmp_signed(">", count, int32(1))):
            set_threads = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [int32]),
                                                         "set_num_threads")
            builder.call(set_threads, [count])
        return builder.sext(count, ir.IntType(64))
    return types.int64(), codegen
