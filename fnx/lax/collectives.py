"""Collective primitives over the processes of an MPI run: all_reduce, all_gather, reduce_scatter, bcast.

Every process of the world (``fnx.distributed.world``) must apply the same collectives in the same order,
as with MPI itself; fnx keeps that order: lowering never removes or merges a collective (they are
``effectful``), and the compiled code calls them in the order of the jaxpr's equations, the same order in
which the eager implementations run. Out of an MPI launch the world is this process alone, and each
collective is what it is over one process: all_reduce returns its operand, all_gather stacks it once.

* ``all_reduce_p(x, op)``: the elementwise sum, max or min of ``x`` over all processes (``op`` one of
  ``"sum"``, ``"max"``, ``"min"``); a mean is a sum divided by the size (``pmean``).
* ``all_gather_p(x, size)``: every process's ``x`` stacked on a new first axis of length ``size``.
* ``reduce_scatter_p(x, size)``: ``x`` of shape ``(size, ...)``; process ``r`` gets the sum over processes
  of their ``x[r]`` (all_gather's transpose).
* ``bcast_p(x, root, size)``: process ``root``'s ``x``, on every process.

``size`` is a param, the world's size when the primitive was bound, so that shape rules stay pure.
"""
from __future__ import annotations

import numpy as np

from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.primitive import def_primitive, effectful
from ..core.tree import tree_map

DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.int64))
REDUCE_OPS = ("sum", "max", "min")


def _world():
    from ..distributed.world import current  # not at import: fnx.distributed builds on fnx
    return current()


def _aval(x) -> ShapedArray:
    """``x`` (an aval, or an eager operand) described by its shape and dtype only."""
    return ShapedArray(tuple(x.shape), x.dtype)


def _check_dtype(name: str, x) -> None:
    if x.dtype not in DTYPES:
        raise FnxTypeError(f"{name}: collectives take float32, float64, int32 or int64 operands, got {_aval(x)}")


def _operand(shape_rule, x, **params) -> np.ndarray:
    """An eager operand as a C-contiguous array, checked by the collective's shape rule (eager calls skip
    the shape rules)."""
    x = np.asarray(x, order="C")
    shape_rule(x, **params)
    return x


def _all_reduce_eval(x, *, op):
    _check_dtype("all_reduce", x)
    if op not in REDUCE_OPS:
        raise FnxTypeError(f"all_reduce: op must be one of {REDUCE_OPS}, got {op!r}")
    return ShapedArray(x.shape, x.dtype)


def _all_reduce_impl(x, *, op):
    x, world = _operand(_all_reduce_eval, x, op=op), _world()
    if not world.is_mpi:
        return x.copy()
    from mpi4py import MPI
    out = np.empty_like(x)
    world.comm.Allreduce(x, out, op={"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op])
    return out


def _all_gather_eval(x, *, size):
    _check_dtype("all_gather", x)
    return ShapedArray((size, *x.shape), x.dtype)


def _all_gather_impl(x, *, size):
    x, world = _operand(_all_gather_eval, x, size=size), _world()
    _same_size("all_gather", size, world)
    if not world.is_mpi:
        return x[None].copy()
    out = np.empty((size, *x.shape), x.dtype)
    world.comm.Allgather(x, out)
    return out


def _reduce_scatter_eval(x, *, size):
    _check_dtype("reduce_scatter", x)
    if x.ndim == 0 or x.shape[0] != size:
        raise FnxTypeError(f"reduce_scatter: needs an operand whose first axis is the world size {size}, "
                           f"got {_aval(x)}")
    return ShapedArray(x.shape[1:], x.dtype)


def _reduce_scatter_impl(x, *, size):
    x, world = _operand(_reduce_scatter_eval, x, size=size), _world()
    _same_size("reduce_scatter", size, world)
    if not world.is_mpi:
        return x[0].copy()
    out = np.empty(x.shape[1:], x.dtype)
    world.comm.Reduce_scatter_block(x, out)
    return out


def _bcast_eval(x, *, root, size):
    _check_dtype("bcast", x)
    if not 0 <= root < size:
        raise FnxTypeError(f"bcast: root {root} is not a rank of a world of {size} processes")
    return ShapedArray(x.shape, x.dtype)


def _bcast_impl(x, *, root, size):
    x, world = _operand(_bcast_eval, x, root=root, size=size), _world()
    _same_size("bcast", size, world)
    out = x.copy()
    if world.is_mpi:
        world.comm.Bcast(out, root=root)
    return out


def _same_size(name: str, size: int, world) -> None:
    if size != world.size:
        raise FnxTypeError(f"{name}: traced for a world of {size} processes, run in one of {world.size}")


all_reduce_p = def_primitive("all_reduce", _all_reduce_eval, _all_reduce_impl)
all_gather_p = def_primitive("all_gather", _all_gather_eval, _all_gather_impl)
reduce_scatter_p = def_primitive("reduce_scatter", _reduce_scatter_eval, _reduce_scatter_impl)
bcast_p = def_primitive("bcast", _bcast_eval, _bcast_impl)
effectful.update((all_reduce_p, all_gather_p, reduce_scatter_p, bcast_p))


def world_size() -> int:
    """The number of processes that collectives run over (1 out of an MPI launch)."""
    return _world().size


def world_rank() -> int:
    """This process's rank among them (0 out of an MPI launch)."""
    return _world().rank


# -- the public functions (fnx.lax): each takes an array or a pytree of arrays ------------------------------

def all_reduce(x, op: str = "sum"):
    """The elementwise ``op`` ("sum", "mean", "max" or "min") of ``x`` over all processes, on every process.

    ``x`` is an array or a pytree of arrays (float32/64, int32/64); shapes are kept. Usable eagerly and under
    ``jit``, ``grad`` and ``vmap``. Out of an MPI launch (one process) it returns ``x``.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.lax.all_reduce(fnp.ones(3), "sum")   # run alone; under mpiexec -n 4: [4., 4., 4.]
    Array([1., 1., 1.], dtype=float64)
    """
    if op == "mean":
        return pmean(x)
    return tree_map(lambda leaf: all_reduce_p.bind(leaf, op=op), x)


def psum(x):
    """The sum of ``x`` over all processes (JAX's ``psum`` over an MPI world): ``all_reduce(x, "sum")``."""
    return all_reduce(x, "sum")


def pmean(x):
    """The mean of ``x`` over all processes: the sum divided by the world size."""
    size = world_size()
    return tree_map(lambda leaf: all_reduce_p.bind(leaf, op="sum") / size, x)


def pmax(x):
    """The elementwise maximum of ``x`` over all processes."""
    return all_reduce(x, "max")


def pmin(x):
    """The elementwise minimum of ``x`` over all processes."""
    return all_reduce(x, "min")


def all_gather(x):
    """Every process's ``x`` stacked on a new first axis: shape ``(world size, *x.shape)``, in rank order."""
    size = world_size()
    return tree_map(lambda leaf: all_gather_p.bind(leaf, size=size), x)


def reduce_scatter(x):
    """``x`` of shape ``(world size, ...)``: process ``r`` gets the sum over processes of their ``x[r]``, of
    shape ``x.shape[1:]`` (JAX's ``psum_scatter``; all_gather's transpose)."""
    size = world_size()
    return tree_map(lambda leaf: reduce_scatter_p.bind(leaf, size=size), x)


def bcast(x, root: int = 0):
    """Process ``root``'s ``x`` on every process (MPI's broadcast)."""
    size = world_size()
    return tree_map(lambda leaf: bcast_p.bind(leaf, root=int(root), size=size), x)
