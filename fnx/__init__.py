"""fnx: a JAX-style functional array library. Trace pure functions, transform them, compile them with Numba.

>>> import fnx, fnx.numpy as fnp
>>> print(fnx.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(fnp.ones(3, dtype="float32")))
{ lambda ; a:f32[3]. let
    b:f32[3] = sin a
    c:f32[3] = mul b 2.0:f32[]
  in (c,) }
"""
from __future__ import annotations

import importlib as _importlib

from . import numpy, lax, random, tree, tree_util  # noqa: F401  (public submodules)
from .config import config
from .core.array import Array, Device
from .core.ir import ClosedJaxpr, Jaxpr, check_jaxpr
from .core.primitive import Primitive, def_primitive, primitives
from .core.tracing import eval_jaxpr, make_jaxpr
from .core.tree import register_pytree_node, tree_flatten, tree_leaves, tree_map, tree_structure, tree_unflatten

from .transforms.autodiff import (custom_jvp, custom_vjp, grad, hessian, jacfwd, jacobian, jacrev, jvp, linearize, stop_gradient,
                                  value_and_grad, vjp)
from .transforms.batching import vmap
from .transforms import control_flow as _control_flow_rules  # noqa: F401  (scan/cond/while rules)
from .transforms.jit import block_until_compiled, jit
from .transforms.checkpoint import checkpoint, remat
from .transforms.eval_shape import ShapeDtypeStruct, eval_shape

from ._version import __version__  # noqa: E402,F401


def devices(platform: str | None = None) -> list:
    """The devices fnx can place arrays on (the CPU today)."""
    from .core.array import CPU
    return [CPU] if platform in (None, "cpu") else []


def device_put(x, device: Device | None = None):
    """``x`` (a pytree of arrays) as fnx Arrays on ``device`` (the CPU by default)."""
    return tree_map(lambda v: v if isinstance(v, Array) else numpy.asarray(v), x)


# imported on first use (``fnx.nn.relu`` after ``import fnx``), so that ``import fnx`` stays fast
_LAZY_SUBMODULES = ("datasets", "flatten_util", "nn", "optimizers", "scipy")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)  # the import also sets the attribute
    raise AttributeError(f"module 'fnx' has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))


__all__ = ["Array", "ClosedJaxpr", "ShapeDtypeStruct", "checkpoint", "eval_shape", "remat", "tree", "block_until_compiled", "Device", "Jaxpr", "Primitive", "check_jaxpr", "config", "custom_jvp", "custom_vjp",
           "def_primitive",
           "device_put", "devices", "eval_jaxpr", "grad", "hessian", "jacfwd", "jacobian", "jacrev", "jit", "jvp", "lax",
           "linearize", "make_jaxpr", "numpy", "primitives", "random", "register_pytree_node", "stop_gradient",
           "tree_flatten", "tree_leaves", "tree_map", "tree_structure", "tree_unflatten", "tree_util",
           "value_and_grad", "vjp", "vmap"]
