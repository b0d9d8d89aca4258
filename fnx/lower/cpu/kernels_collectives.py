"""Collectives in compiled code: kernels that call MPI through C symbols fnx owns, bound per process.

Generated code calls ``all_reduce``, ``all_gather``, ``reduce_scatter`` and ``bcast`` here; they call the C
functions ``fnx_mpi_all_reduce`` ... by name, as ``blas.py`` does for gemm, because disk-cached machine code
cannot hold an address: the MPI library loads elsewhere in the next process, and its handles (communicator,
datatypes, ops) are plain ints in MPICH but pointers in Open MPI. What a name reaches is chosen per process:

* at import, a stub that fails (``UNBOUND``): the compile worker, which only compiles, never calls them;
* ``bind(world)`` (called when code that uses a collective is generated, so before that code is loaded):
  for an MPI world, small C functions compiled here (not cached: they hold this process's MPI addresses
  and handles, ~0.3 s once per process) that call ``MPI_Allreduce``, ``MPI_Allgather``,
  ``MPI_Reduce_scatter_block`` and ``MPI_Bcast`` on the world's communicator; for a process alone, cached
  functions that copy (the collectives of a one-process world).

Operands are C-contiguous; element types are codes (``DTYPE_CODES``), reductions ``OP_CODES``.
"""
from __future__ import annotations

import ctypes

import llvmlite.binding as llvm
import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from . import disk_cache  # noqa: F401  (first: it keeps this module's Numba caches in fnx's cache folder)

DTYPE_CODES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.int32): 2, np.dtype(np.int64): 3}
OP_CODES = {"sum": 0, "max": 1, "min": 2}
UNBOUND = -12345  # what the import-time stubs return
_ITEMSIZES = tuple(np.int64(d.itemsize) for d in sorted(DTYPE_CODES, key=DTYPE_CODES.get))
_MAX_COUNT = np.int64(2**31 - 1)  # MPI's counts are C ints

_i32, _i64, _ptr = types.int32, types.int64, types.voidptr
# name -> signature: (send, recv, count, dtype, op) / (send, recv, count, dtype) / (buffer, count, dtype, root)
_SIGNATURES = {
    "all_reduce": _i32(_ptr, _ptr, _i64, _i32, _i32),
    "all_gather": _i32(_ptr, _ptr, _i64, _i32),
    "reduce_scatter": _i32(_ptr, _ptr, _i64, _i32, _i32),
    "bcast": _i32(_ptr, _i64, _i32, _i32),
}
_ALL_REDUCE, _ALL_GATHER, _REDUCE_SCATTER, _BCAST = (types.ExternalFunction(f"fnx_mpi_{name}", signature)
                                                    for name, signature in _SIGNATURES.items())
_bound_to: str | None = None
_keep_alive: list = []  # the C functions the names are bound to


@intrinsic
def _address(typingctx, array):
    """The data pointer of an array, as a ``void *``."""
    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.bitcast(data, context.get_value_type(types.voidptr))
    return types.voidptr(array), codegen


@numba.njit(cache=True)
def _check_count(n):
    if n > _MAX_COUNT:
        raise ValueError("fnx collective: more than 2**31 - 1 elements in one MPI call")


@numba.njit(cache=True)
def _check(status):
    if status != 0:
        raise RuntimeError("fnx collective: MPI returned an error, or the collective ran in a process that fnx "
                           "had not bound to its world")


@numba.njit(cache=True, nogil=True)
def all_reduce(x, out, dtype, op):
    """``out[:] = op`` of ``x`` over the world (C-contiguous arrays of one shape and dtype)."""
    _check_count(x.size)
    _check(_ALL_REDUCE(_address(x), _address(out), x.size, dtype, op))


@numba.njit(cache=True, nogil=True)
def all_gather(x, out, dtype):
    """``out[r] = x`` of process ``r`` (``out`` of shape ``(size, *x.shape)``)."""
    _check_count(out.size)
    _check(_ALL_GATHER(_address(x), _address(out), x.size, dtype))


@numba.njit(cache=True, nogil=True)
def reduce_scatter(x, out, dtype):
    """``out[:] =`` the sum over processes of their ``x[rank]`` (``x`` of shape ``(size, *out.shape)``)."""
    _check_count(x.size)
    _check(_REDUCE_SCATTER(_address(x), _address(out), out.size, dtype, 0))


@numba.njit(cache=True, nogil=True)
def bcast(buffer, dtype, root):
    """``buffer[:] =`` process ``root``'s buffer, in place."""
    _check_count(buffer.size)
    _check(_BCAST(_address(buffer), buffer.size, dtype, root))


# -- what the names reach -----------------------------------------------------------------------------------

def _stub(signature, body):
    return numba.cfunc(signature, cache=True)(body)


def _unbound_functions() -> dict:
    return {"all_reduce": _stub(_SIGNATURES["all_reduce"], lambda s, r, n, d, o: UNBOUND),
            "all_gather": _stub(_SIGNATURES["all_gather"], lambda s, r, n, d: UNBOUND),
            "reduce_scatter": _stub(_SIGNATURES["reduce_scatter"], lambda s, r, n, d, o: UNBOUND),
            "bcast": _stub(_SIGNATURES["bcast"], lambda b, n, d, root: UNBOUND)}


@numba.njit(cache=True)
def _copy_bytes(send, recv, count, dtype):
    nbytes = count * _ITEMSIZES[dtype]
    numba.carray(recv, nbytes, np.uint8)[:] = numba.carray(send, nbytes, np.uint8)
    return np.int32(0)


def _single_process_functions() -> dict:
    """A one-process world: every collective but bcast copies its operand, bcast leaves it."""
    return {"all_reduce": _stub(_SIGNATURES["all_reduce"], lambda s, r, n, d, o: _copy_bytes(s, r, n, d)),
            "all_gather": _stub(_SIGNATURES["all_gather"], lambda s, r, n, d: _copy_bytes(s, r, n, d)),
            "reduce_scatter": _stub(_SIGNATURES["reduce_scatter"], lambda s, r, n, d, o: _copy_bytes(s, r, n, d)),
            "bcast": _stub(_SIGNATURES["bcast"], lambda b, n, d, root: np.int32(0))}


def _mpi_functions(comm) -> dict:
    """C functions calling this process's MPI library on ``comm`` (an mpi4py communicator)."""
    from mpi4py import MPI
    lib = ctypes.CDLL(MPI.__file__)  # its MPI_* symbols come from the MPI library mpi4py was loaded with

    def handle(kind):
        return ctypes.c_int32 if MPI._sizeof(kind) == 4 else ctypes.c_int64

    comm_t, type_t, op_t, vp, c_int = handle(MPI.Comm), handle(MPI.Datatype), handle(MPI.Op), ctypes.c_void_p, \
        ctypes.c_int
    allreduce, allgather = lib.MPI_Allreduce, lib.MPI_Allgather
    scatter, broadcast = lib.MPI_Reduce_scatter_block, lib.MPI_Bcast
    allreduce.argtypes = [vp, vp, c_int, type_t, op_t, comm_t]
    allgather.argtypes = [vp, c_int, type_t, vp, c_int, type_t, comm_t]
    scatter.argtypes = [vp, vp, c_int, type_t, op_t, comm_t]
    broadcast.argtypes = [vp, c_int, type_t, c_int, comm_t]
    for f in (allreduce, allgather, scatter, broadcast):
        f.restype = ctypes.c_int
    world = MPI._handleof(comm)
    mpi_types = {np.dtype(np.float32): MPI.FLOAT, np.dtype(np.float64): MPI.DOUBLE, np.dtype(np.int32): MPI.INT32_T,
                 np.dtype(np.int64): MPI.INT64_T}
    dtypes = tuple(MPI._handleof(mpi_types[d]) for d in sorted(DTYPE_CODES, key=DTYPE_CODES.get))
    ops = tuple(MPI._handleof(getattr(MPI, op.upper())) for op in sorted(OP_CODES, key=OP_CODES.get))
    return {
        "all_reduce": numba.cfunc(_SIGNATURES["all_reduce"])(
            lambda s, r, n, d, o: allreduce(s, r, n, dtypes[d], ops[o], world)),
        "all_gather": numba.cfunc(_SIGNATURES["all_gather"])(
            lambda s, r, n, d: allgather(s, n, dtypes[d], r, n, dtypes[d], world)),
        "reduce_scatter": numba.cfunc(_SIGNATURES["reduce_scatter"])(
            lambda s, r, n, d, o: scatter(s, r, n, dtypes[d], ops[o], world)),
        "bcast": numba.cfunc(_SIGNATURES["bcast"])(lambda b, n, d, root: broadcast(b, n, dtypes[d], root, world)),
    }


def _bind_names(functions: dict, to: str) -> None:
    global _bound_to
    for name, function in functions.items():
        llvm.add_symbol(f"fnx_mpi_{name}", function.address)
    _keep_alive.append(functions)
    _bound_to = to


def bind(world) -> None:
    """Bind the collectives' names to ``world``'s (a ``fnx.distributed.world.World``), once per process."""
    if _bound_to is None:
        if world.is_mpi:
            _bind_names(_mpi_functions(world.comm), "mpi")
        else:
            _bind_names(_single_process_functions(), "single process")


def bound_to() -> str | None:
    """What the names reach in this process: "mpi", "single process", or None (the failing stubs)."""
    return _bound_to


for _name, _function in _unbound_functions().items():
    llvm.add_symbol(f"fnx_mpi_{_name}", _function.address)
