"""Timers for instrumented generated code (``Lowered.profile``, fnx/lower/cpu/profile.py).

``now()`` reads the monotonic clock in nanoseconds (``clock_gettime(CLOCK_MONOTONIC)``, a vDSO call: ~13 ns),
``add(address, slot, start)`` adds the time since ``start`` to counter ``slot`` of an int64 array at
``address`` (``[time, count]`` pairs), and counts one run. The address is a global of the instrumented module,
which is compiled in memory, never cached: an address means nothing in another process.
"""
from __future__ import annotations

import numba
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_CLOCK_MONOTONIC = 1  # Linux's number for it


@intrinsic
def now(typingctx):
    """The monotonic clock, in nanoseconds (an int64)."""
    def codegen(context, builder, signature, args):
        i64, i32 = ir.IntType(64), ir.IntType(32)
        timespec = ir.LiteralStructType([i64, i64])
        clock = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i32, [i32, timespec.as_pointer()]), "clock_gettime")
        ts = cgutils.alloca_once(builder, timespec)
        builder.call(clock, [i32(_CLOCK_MONOTONIC), ts])
        seconds = builder.load(cgutils.gep_inbounds(builder, ts, 0, 0))
        nanoseconds = builder.load(cgutils.gep_inbounds(builder, ts, 0, 1))
        return builder.add(builder.mul(seconds, i64(1_000_000_000)), nanoseconds)
    return types.int64(), codegen


@intrinsic
def _counters(typingctx, address):
    """The int64 array at ``address``, as a pointer."""
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], ir.IntType(64).as_pointer())
    return types.CPointer(types.int64)(types.int64), codegen


@numba.njit(inline="always")
def add(address, slot, start):
    """Add the nanoseconds since ``start`` to the time of ``slot``, and one to its count."""
    elapsed = now() - start
    counters = numba.carray(_counters(address), (2 * slot + 2,))
    counters[2 * slot] += elapsed
    counters[2 * slot + 1] += 1
