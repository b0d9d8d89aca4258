"""Parallel loops' thread count in compiled code: ``use_loop_threads()``, an intrinsic generated code calls.

Generated code runs a large fused loop as ``if th.use_loop_threads() > 1: <parallel function> else:
th.run_serial(<loop function>, <arguments, all rows>)``. The intrinsic reads ``fnx.lower.loop_threads.COUNT``,
which fnx keeps matched to the load, and when it is above one hands it to Numba's ``set_num_threads`` for the
calling thread (Numba's thread count is per calling thread, so it is set where the loop starts, not by fnx's
watcher thread). Both are reached by symbol
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


@intrinsic
def nonneg(typingctx, index):
    """(Numba code only) ``index``, promised non-negative (``llvm.assume``): indexing with it then needs no
    wraparound for negative indices, which would otherwise keep a loop over ``range(lo, hi)`` from vectorizing
    as well as one over ``range(n)`` (1.83 against 0.93 ms for the elementwise benchmark's loop)."""
    def codegen(context, builder, signature, args):
        assume = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [ir.IntType(1)]),
                                                "llvm.assume")
        builder.call(assume, [builder.icmp_signed(">=", args[0], args[0].type(0))])
        return args[0]
    return index(index), codegen


@intrinsic
def run_serial(typingctx, function, arguments):
    """(Numba code only) Call the jitted ``function`` with the tuple ``arguments``, never inlined.

    A parallel loop's body runs this way (``fnx.lower.cpu.codegen``): inlined into Numba's prange function, the
    elementwise benchmark's loop kept its ~24 polynomial constants in no register (each reloaded through a
    64-bit address every iteration: 93-102 instructions per 8 elements against 57) and took 1.33-1.42 ms of CPU
    per call on one thread against 0.93-1.0 ms compiled in a function of its own."""
    signature = typingctx.resolve_function_type(function, tuple(arguments.types), {})

    def codegen(context, builder, _, args):
        compiled = function.dispatcher.overloads[signature.args]
        context.add_linking_libs([compiled.library])
        callee = cgutils.get_or_insert_function(
            builder.module, context.call_conv.get_function_type(signature.return_type, signature.args),
            compiled.fndesc.mangled_name)
        values = [builder.extract_value(args[1], i) for i in range(len(signature.args))]
        status, _ = context.call_conv.call_function(builder, callee, signature.return_type, signature.args, values,
                                                    attrs=("noinline",))
        with cgutils.if_unlikely(builder, status.is_error):
            context.call_conv.return_status_propagate(builder, status)
        return context.get_dummy_value()
    return types.none(function, arguments), codegen
