"""fnx beyond one process: the MPI world, collectives over pytrees and data-parallel training.

Launch the same script on N processes (``mpiexec -n N python train.py``, or ``srun`` under Slurm; see
docs/distributed.md); each process then sees its ``rank`` and the ``size`` of the world. Nothing here imports
MPI until a collective or ``initialize`` needs it, and out of an MPI launch the world is this process alone,
where every collective returns its operand, so a script written for N processes runs unchanged alone.

>>> import fnx, fnx.numpy as fnp, fnx.distributed as dist
>>> world = dist.world()                   # dist.initialize() under mpiexec (an error without it)
>>> world.rank, world.size                 # run alone: a world of one process
(0, 1)
>>> params = dist.broadcast({"w": fnp.ones(2)})   # rank 0's parameters everywhere
>>> optimizer = dist.data_parallel(fnx.optimizers.adam(1e-3))
>>> xb, yb = dist.shard(fnp.zeros((64, 3)), fnp.zeros(64))  # this rank's rows of the global batch
>>> xb.shape                               # under mpiexec -n 2: (32, 3)
(64, 3)
"""
from __future__ import annotations

from .data_parallel import check_consistent, data_parallel, shard
from .fused import broadcast, mean, spread, sum  # noqa: A004
from .world import DistributedError, World, current as world, launcher_variable

__all__ = ["DistributedError", "World", "broadcast", "check_consistent", "data_parallel", "initialize", "mean",
           "shard", "spread", "sum", "world"]


def initialize() -> World:
    """The MPI world this process was launched into: its ``rank``, ``size``, ``local_rank`` and
    ``local_size`` (the processes on this node, e.g. to pin each to a core).

    Raises DistributedError when the process was not started by an MPI launcher, or when mpi4py is missing
    (``pip install 'fnx[mpi]'``). Use ``world()`` instead for code that should also run alone.
    """
    if launcher_variable() is None:
        raise DistributedError("fnx.distributed.initialize: this process was not started by an MPI launcher "
                               "(none of PMI_SIZE, OMPI_COMM_WORLD_SIZE, PMIX_RANK is set); run it as "
                               "`mpiexec -n 2 python script.py` (or with srun under Slurm), or call "
                               "fnx.distributed.world() to run alone as a one-process world")
    return world()
