"""``eval_shape``: the shapes and dtypes a function would return, found by tracing, computing nothing."""
from __future__ import annotations

from typing import Any, Callable

from ..core.avals import ShapedArray
from ..core.tracing import trace_to_jaxpr
from ..core.tree import tree_unflatten

ShapeDtypeStruct = ShapedArray  # JAX's name for an array's shape and dtype: ``ShapeDtypeStruct((3,), "float32")``


def eval_shape(fun: Callable, *args: Any, **kwargs: Any) -> Any:
    """The pytree of ``ShapeDtypeStruct`` (``.shape``, ``.dtype``) that ``fun(*args, **kwargs)`` returns.

    ``args`` are arrays or anything with ``.shape`` and ``.dtype`` (e.g. ``ShapeDtypeStruct``), so no data is
    needed; ``kwargs`` are passed as they are.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.eval_shape(lambda x: fnp.sum(x, axis=0), fnx.ShapeDtypeStruct((3, 4), "float32"))
    ShapedArray(f32[4])
    """
    closed, out_tree = trace_to_jaxpr(lambda *a: fun(*a, **kwargs), args)
    return tree_unflatten(out_tree, closed.out_avals)
