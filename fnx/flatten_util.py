"""``ravel_pytree``: a pytree of arrays as one flat vector and back, as ``jax.flatten_util`` has it."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import numpy as fnp
from .core.tree import tree_flatten, tree_unflatten


def ravel_pytree(pytree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """The leaves of ``pytree`` raveled and concatenated into one 1-d array, and the function that rebuilds
    the pytree from such a vector.

    The vector has the leaves' promoted dtype; ``unravel`` gives each leaf back its own shape and dtype.
    Works eagerly and under tracing (``grad``, ``jit``), e.g. to hand a model's parameters to an optimizer
    that wants one vector.

    >>> import fnx.numpy as fnp
    >>> flat, unravel = ravel_pytree({"w": fnp.ones((2, 2)), "b": fnp.zeros(3)})
    >>> flat.shape
    (7,)
    >>> unravel(flat)["w"].shape
    (2, 2)
    """
    leaves, treedef = tree_flatten(pytree)
    leaves = [fnp.asarray(x) for x in leaves]
    shapes = [x.shape for x in leaves]
    dtypes = [x.dtype for x in leaves]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    dtype = fnp.result_type(*dtypes) if leaves else fnp.float64
    flat = fnp.concatenate([fnp.ravel(x).astype(dtype) for x in leaves]) if leaves else fnp.zeros(0, dtype)
    offsets = np.cumsum([0] + sizes)

    def unravel(vector):
        vector = fnp.asarray(vector)
        if vector.shape != (offsets[-1],):
            raise ValueError(f"ravel_pytree's unravel: expected a vector of shape ({offsets[-1]},), "
                             f"got {vector.shape}")
        parts = [fnp.reshape(vector[int(a):int(b)], s).astype(d)
                 for a, b, s, d in zip(offsets[:-1], offsets[1:], shapes, dtypes)]
        return tree_unflatten(treedef, parts)

    return flat, unravel
