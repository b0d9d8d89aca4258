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
from .core.primitive import Primitive, def_primitive, primitives, rules_of as _rules_of
from .core.tracing import eval_jaxpr, make_jaxpr
from .core.tree import register_pytree_node, tree_flatten, tree_leaves, tree_map, tree_structure, tree_unflatten

from .transforms.autodiff import (custom_jvp, custom_vjp, grad, hessian, jacfwd, jacobian, jacrev, jvp, linearize, stop_gradient,
                                  value_and_grad, vjp)
from .transforms.batching import vmap
from .transforms.jit import block_until_compiled, jit
from .transforms.checkpoint import checkpoint, remat
from .transforms.eval_shape import ShapeDtypeStruct, eval_shape

from ._version import __version__  # noqa: E402,F401


def rules_of(primitive: str) -> list:
    """Every rule of the primitive named ``primitive`` (shape, impl, jvp, vjp, batching, CPU lowering, ...), each
    with the file and line that registered it and where its code is, read from the rule tables.

    >>> import fnx
    >>> for site in fnx.rules_of("tanh"):
    ...     print(site)
    abstract eval    fnx/lax/elementwise.py:...  (code at fnx/lax/elementwise.py:...)
    impl             fnx/lax/elementwise.py:...
    jvp              fnx/transforms/autodiff/rules_elementwise.py:...
    vjp              fnx/transforms/autodiff/rules_elementwise.py:...
    batching         fnx/transforms/batching/rules_elementwise.py:...
    CPU lowering     fnx/lower/cpu/rules_elementwise.py:...
    """
    from .lower.cpu import program  # noqa: F401  (the CPU rules register when the backend loads)
    return _rules_of(primitive)


def devices(platform: str | None = None) -> list:
    """The devices fnx can place arrays on: the CPU, then the GPUs when the CUDA backend finds any (the
    ``cuda`` extra, numba-cuda; its simulator with ``NUMBA_ENABLE_CUDASIM=1``). ``platform``: "cpu" or "gpu".

    >>> import fnx
    >>> fnx.devices("cpu")
    [CPUDevice(id=0)]
    """
    from .lower.devices import all_devices
    return all_devices(platform)


def device_put(x, device: Device | str | None = None, *, soft_placement: bool = False):
    """``x`` (a pytree of arrays) as fnx Arrays on ``device`` (a Device, "cpu", "gpu" or "gpu:<n>"; the CPU by
    default). A GPU that is not there is a ``DeviceError``, or with ``soft_placement`` a warning and the CPU.

    >>> import fnx, numpy as np
    >>> x = fnx.device_put(np.arange(3.0), "gpu")
    >>> x.device
    GPUDevice(id=0)
    """
    from .lower.devices import resolve
    target = resolve(device, soft_placement)
    if target.platform == "cpu":
        return tree_map(lambda v: v if type(v) is Array else numpy.asarray(v._value if isinstance(v, Array) else v), x)
    from .lower.cuda.compile import put
    return tree_map(lambda v: put(v, target), x)


# imported on first use (``fnx.nn.relu`` after ``import fnx``), so that ``import fnx`` stays fast
_LAZY_SUBMODULES = ("datasets", "debug", "flatten_util", "nn", "optimizers", "scipy", "serialization", "test_util",
                    "text", "training")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)  # the import also sets the attribute
    raise AttributeError(f"module 'fnx' has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))


__all__ = ["Array", "block_until_compiled", "check_jaxpr", "checkpoint", "ClosedJaxpr", "config", "custom_jvp",
           "custom_vjp", "datasets", "debug", "def_primitive", "Device", "device_put", "devices", "eval_jaxpr",
           "eval_shape", "flatten_util", "grad", "hessian", "jacfwd", "jacobian", "jacrev", "Jaxpr", "jit", "jvp",
           "lax", "linearize", "make_jaxpr", "nn", "numpy", "optimizers", "Primitive", "primitives", "random",
           "register_pytree_node", "remat", "rules_of", "scipy", "serialization", "ShapeDtypeStruct", "stop_gradient",
           "test_util", "text", "training", "tree", "tree_flatten", "tree_leaves", "tree_map", "tree_structure",
           "tree_unflatten", "tree_util", "value_and_grad", "vjp", "vmap"]
