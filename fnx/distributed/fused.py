"""Collectives over whole pytrees through one flat buffer per dtype (Horovod's tensor fusion).

A model's gradient is dozens of arrays; one collective per array pays MPI's latency dozens of times. These
functions ravel the leaves of each dtype into one buffer, run one collective on it and cut the result back
into the leaves' shapes. They work eagerly and under ``jit``, where the copies in and out are loops of the
compiled step. In a one-process world they return the tree itself and add nothing to the program.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import lax
from .. import numpy as fnp
from ..tree_util import tree_flatten, tree_unflatten
from .world import current


def _fused(tree: Any, collective: Callable) -> Any:
    """``tree`` with ``collective`` applied to one flat buffer per dtype of its leaves."""
    leaves, treedef = tree_flatten(tree)
    leaves = [fnp.asarray(x) for x in leaves]
    out = list(leaves)
    for dtype in dict.fromkeys(x.dtype for x in leaves):
        group = [i for i, x in enumerate(leaves) if x.dtype == dtype]
        flat = collective(fnp.concatenate([fnp.ravel(leaves[i]) for i in group]))
        start = 0
        for i in group:
            size = int(np.prod(leaves[i].shape))
            out[i] = fnp.reshape(flat[start:start + size], leaves[i].shape)
            start += size
    return tree_unflatten(treedef, out)


def mean(tree: Any) -> Any:
    """The mean over processes of every leaf of ``tree``, with one all_reduce per dtype.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.distributed.mean({"w": fnp.ones(2)})   # run alone; under mpiexec: the average over the ranks
    {'w': Array([1., 1.], dtype=float64)}
    """
    size = current().size
    if size == 1:
        return tree
    return _fused(tree, lambda flat: lax.psum(flat) / np.asarray(size, flat.dtype))


def sum(tree: Any) -> Any:  # noqa: A001  (the collective's name, as lax.psum)
    """The sum over processes of every leaf of ``tree``, with one all_reduce per dtype."""
    return tree if current().size == 1 else _fused(tree, lax.psum)


def broadcast(tree: Any, root: int = 0) -> Any:
    """Every leaf of ``tree`` as process ``root`` has it, with one broadcast per dtype: start every process
    from the same parameters."""
    return tree if current().size == 1 else _fused(tree, lambda flat: lax.bcast(flat, root))


def spread(tree: Any) -> Any:
    """Per leaf, the largest difference between processes (max minus min over processes, elementwise, then
    its maximum): zeros when every process holds the same values. Two all_reduces per dtype."""
    if current().size == 1:
        return _zeros_per_leaf(tree)
    highest, lowest = _fused(tree, lax.pmax), _fused(tree, lax.pmin)
    leaves_hi, treedef = tree_flatten(highest)
    leaves_lo, _ = tree_flatten(lowest)
    return tree_unflatten(treedef, [fnp.max(hi - lo) if np.size(hi) else fnp.zeros((), hi.dtype)
                                    for hi, lo in zip(leaves_hi, leaves_lo)])


def _zeros_per_leaf(tree: Any) -> Any:
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [fnp.zeros((), fnp.asarray(x).dtype) for x in leaves])
