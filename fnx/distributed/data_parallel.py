"""Data-parallel training: every process holds the whole model and trains on its shard of each batch.

The recipe (Horovod's, and ``jax.pmap`` with ``psum``'s):

1. start every process from rank 0's parameters (``fused.broadcast``);
2. each process takes its rows of the global batch (``shard``);
3. each computes the gradient of the mean loss over its rows, and the gradients are averaged with one
   all_reduce over a flat buffer (``data_parallel(optimizer)`` does it first thing in ``update``);
4. each applies the same update to the same parameters, so parameters and optimizer states stay identical
   on every process (``check_consistent`` verifies it when asked).

With equal shards the average of the per-shard mean gradients is the gradient of the mean loss over the
global batch, so N processes follow the trajectory of one process on the same batches, up to the rounding
of summing in another order.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..optimizers.base import GradientTransformation
from ..tree_util import tree_flatten
from . import fused
from .world import DistributedError, current


def shard(*batch: Any) -> tuple:
    """This process's rows of each array of a global batch: rows ``[r*B/N, (r+1)*B/N)`` of the leading axis
    (B rows, N processes, rank r). Every array needs the same B, divisible by N.

    >>> import fnx, numpy as np
    >>> xb, yb = fnx.distributed.shard(np.zeros((64, 3)), np.arange(64))
    >>> xb.shape, yb[:3]         # run alone; under mpiexec -n 2: (32, 3) and rank 1 gets [32 33 34]
    ((64, 3), array([0, 1, 2]))
    """
    world = current()
    rows = {np.shape(a)[0] if np.ndim(a) else None for a in batch}
    if len(rows) != 1 or None in rows or next(iter(rows)) % world.size:
        shapes = ", ".join(f"{getattr(a, 'dtype', type(a).__name__)}{list(np.shape(a))}" for a in batch)
        raise DistributedError(f"fnx.distributed.shard: needs arrays with one leading length divisible by the "
                               f"{world.size} processes, got {shapes}")
    size = next(iter(rows)) // world.size
    start = world.rank * size
    return tuple(a[start:start + size] for a in batch)


def data_parallel(optimizer: GradientTransformation) -> GradientTransformation:
    """``optimizer`` applied to the gradient averaged over processes (one fused all_reduce per dtype).

    Use it in place of the optimizer in a jitted training step; with one process it is ``optimizer``.

    >>> import fnx, fnx.numpy as fnp
    >>> optimizer = fnx.distributed.data_parallel(fnx.optimizers.sgd(0.1))
    >>> params = {"w": fnp.ones(2)}
    >>> updates, state = optimizer.update({"w": fnp.full(2, 0.5)}, optimizer.init(params), params)
    >>> updates["w"]             # run alone: sgd's update; under mpiexec, of the ranks' mean gradient
    Array([-0.05, -0.05], dtype=float64)
    """
    def update(grads, state, params=None):
        return optimizer.update(fused.mean(grads), state, params)
    return GradientTransformation(optimizer.init, update)


def check_consistent(tree: Any, what: str = "parameters", tolerance: float = 0.0) -> None:
    """Raise DistributedError unless every process holds the same ``tree`` (to ``tolerance``, elementwise).

    Every process must call it (it is two collectives per dtype). Data parallelism keeps parameters
    identical by construction; a difference means processes diverged (different data order in a random
    augmentation, a process that skipped a step, non-deterministic reductions).
    """
    spreads, _ = tree_flatten(fused.spread(tree))
    leaves, _ = tree_flatten(tree)
    differing = [(i, float(s)) for i, s in enumerate(spreads) if float(s) > tolerance]
    if differing:
        detail = ", ".join(f"leaf {i} {getattr(leaves[i], 'dtype', '')}{list(np.shape(leaves[i]))} by {s:.3g}"
                           for i, s in differing[:5])
        raise DistributedError(f"fnx.distributed.check_consistent: the {what} differ between the {current().size} "
                               f"processes: {detail}")
