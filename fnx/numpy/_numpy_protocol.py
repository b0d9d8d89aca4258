"""NumPy's own functions on fnx arrays: ``np.sum(x)``, ``np.mean(x)``, ``np.sin(x)``, ``x + np_array``.

``Array`` and ``Tracer`` implement NumPy's dispatch protocols (``__array_function__``, NEP 18, and
``__array_ufunc__``, NEP 13) by calling the ``fnx.numpy`` function of the same name, so the result is an fnx
array and the call works under ``jit``, ``grad`` and ``vmap`` as ``fnx.numpy``'s does (where JAX arrays leave
``np.sin(x)`` to NumPy, which fails on a tracer). A NumPy function with no ``fnx.numpy`` counterpart runs
on NumPy with the arrays' values (a NumPy result) when they are concrete, and fails with a clear error on
traced values. NumPy-only keywords such as ``out=`` are refused: fnx arrays are immutable.
"""
from __future__ import annotations

import numpy as np

from ..core.errors import FnxTypeError

_REDUCERS = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min", "logical_and": "all",
             "logical_or": "any"}


def _namespace():
    from .. import numpy as fnp
    return fnp


def _counterpart(func):
    """The fnx.numpy function of the same name and submodule as the NumPy function ``func``, or None."""
    module = _namespace()
    for part in (func.__module__ or "numpy").split(".")[1:]:
        if part.startswith("_"):  # numpy._core.fromnumeric and friends: the top-level namespace
            break
        module = getattr(module, part, None)
    found = getattr(module, func.__name__, None) if module is not None else None
    return found if callable(found) else None


def _is_traced(tree) -> bool:
    from ..core.tracing import Tracer
    from ..core.tree import tree_leaves
    return any(isinstance(leaf, Tracer) for leaf in tree_leaves(tree, is_leaf=lambda v: isinstance(v, Tracer)))


def _on_numpy(name: str, call, args: tuple, kwargs: dict):
    """Run ``call`` on the arrays' values (concrete arrays only)."""
    if _is_traced((args, kwargs)):
        raise FnxTypeError(f"numpy.{name} has no fnx.numpy counterpart, so it cannot take a traced value; "
                           "use fnx.numpy's functions inside jit, grad and vmap")
    from ..core.array import Array
    from ..core.tree import tree_map
    return call(*tree_map(lambda v: np.asarray(v) if isinstance(v, Array) else v, (args, kwargs),
                          is_leaf=lambda v: isinstance(v, Array)))


def _refuse_out(name: str, kwargs: dict) -> dict:
    if kwargs.get("out") is not None:
        raise FnxTypeError(f"numpy.{name} with out=: fnx arrays are immutable; use the returned value")
    return {k: v for k, v in kwargs.items() if k != "out"}


def array_function(func, types, args: tuple, kwargs: dict):
    """``__array_function__``: NumPy's ``func`` as fnx.numpy's function of the same name."""
    ours = _counterpart(func)
    if ours is None:
        return _on_numpy(func.__name__, lambda a, k: func(*a, **k), args, kwargs)
    return ours(*args, **_refuse_out(func.__name__, kwargs))


def array_ufunc(ufunc, method: str, inputs: tuple, kwargs: dict):
    """``__array_ufunc__``: a NumPy ufunc call (or its ``reduce``) as the fnx.numpy function."""
    fnp = _namespace()
    kwargs = _refuse_out(ufunc.__name__, kwargs)
    if method == "__call__" and callable(getattr(fnp, ufunc.__name__, None)):
        return getattr(fnp, ufunc.__name__)(*inputs, **kwargs)
    if method == "reduce" and ufunc.__name__ in _REDUCERS:
        return getattr(fnp, _REDUCERS[ufunc.__name__])(*inputs, **{"axis": 0, **kwargs})
    return _on_numpy(f"{ufunc.__name__}.{method}", lambda a, k: getattr(ufunc, method)(*a, **k), inputs, kwargs)
