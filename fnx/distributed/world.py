"""The processes fnx computes with: one process alone, or the MPI world it was launched into.

This module is the only place that imports ``mpi4py``, and only when a collective or ``initialize`` first
needs the world under an MPI launcher, so ``import fnx`` works without MPI installed. A process counts as
launched by MPI when its launcher left its environment variables (MPICH/Hydra and Slurm's PMI ``PMI_SIZE``,
Open MPI's ``OMPI_COMM_WORLD_SIZE``, PMIx's ``PMIX_RANK``); otherwise the world is this process alone, and
every collective is the identity of a one-process world (a sum over one rank is the value itself).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from ..core.errors import _with_location

_LAUNCHER_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE")
MISSING_MPI = ("fnx.distributed: this process was started by an MPI launcher ({variable} is set) but mpi4py "
               "cannot be imported ({error}); install fnx's MPI extra: pip install 'fnx[mpi]'")


class DistributedError(RuntimeError):
    """The MPI world cannot be reached (mpi4py missing, no MPI launcher), or processes disagree; the message
    names the operation and the user's line."""

    def __init__(self, message: str):
        super().__init__(_with_location(message))


@dataclass(frozen=True)
class World:
    """The processes of one run: this one's ``rank`` among ``size``, and its ``local_rank`` among the
    ``local_size`` processes on its node (for choosing a device or a core). ``comm`` is the mpi4py
    communicator, None for a process alone."""

    rank: int
    size: int
    local_rank: int
    local_size: int
    comm: Any = None

    @property
    def device(self):
        """The device this process computes on: the CPU, fnx's one device (with GPUs, ``local_rank`` would pick
        one per process)."""
        from ..core.array import CPU
        return CPU

    @property
    def is_mpi(self) -> bool:
        """Whether collectives go through MPI (an MPI world, even of one process)."""
        return self.comm is not None


_world: World | None = None


def launcher_variable() -> str | None:
    """The first MPI launcher variable set in this process's environment, or None."""
    return next((v for v in _LAUNCHER_VARIABLES if v in os.environ), None)


def current() -> World:
    """The world of this process, found once: MPI's under an MPI launcher, otherwise this process alone.

    Raises DistributedError under a launcher when mpi4py cannot be imported.
    """
    global _world
    if _world is None:
        variable = launcher_variable()
        _world = _mpi_world(variable) if variable else World(0, 1, 0, 1)
    return _world


def _mpi_world(variable: str) -> World:
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise DistributedError(MISSING_MPI.format(variable=variable, error=e)) from e
    comm = MPI.COMM_WORLD
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    world = World(comm.Get_rank(), comm.Get_size(), node.Get_rank(), node.Get_size(), comm)
    node.Free()
    _abort_on_uncaught_exceptions(comm)
    _share_cores(world.local_size)
    return world


def _share_cores(local_size: int) -> None:
    """Give each of a node's processes its share of the cores for OpenBLAS, unless OPENBLAS_NUM_THREADS says
    otherwise: every process's OpenBLAS would run a thread per core, and they spin while they wait."""
    if local_size > 1 and "OPENBLAS_NUM_THREADS" not in os.environ:
        from ..lower import openblas
        openblas.set_threads(max(1, (os.cpu_count() or 1) // local_size))


def _abort_on_uncaught_exceptions(comm) -> None:
    """An exception that ends one process ends the run (MPI_Abort, after the usual traceback): the other
    processes would otherwise wait forever in their next collective (as ``python -m mpi4py`` does). The error
    is written first on one line of its own: the abort can end the job before mpiexec has forwarded the end of
    a long traceback, which is where Python puts the message."""
    previous = sys.excepthook

    def hook(kind, value, traceback) -> None:
        sys.stderr.write(f"fnx.distributed: rank {comm.Get_rank()} raised {kind.__name__}: {value}\n")
        sys.stderr.flush()
        previous(kind, value, traceback)
        sys.stderr.flush()
        comm.Abort(1)
    sys.excepthook = hook
