"""The CPU kernels of user-defined primitives (``fnx.extend.def_primitive(..., cpu_kernel=...)``).

Generated code calls a kernel as ``uk.<primitive name>(operands...)``: this module is ``uk``, and each
registered kernel one of its attributes. A fingerprint of each kernel's code goes into the source of every
module that calls it, so that the disk cache (keyed by that source) never serves machine code compiled with an
older version of the kernel. Such modules compile in the user's process: a compile worker has not run the
user's program, so it does not know the kernel.
"""
from __future__ import annotations

import hashlib
import inspect

from typing import Callable

from ...core.ir import Eqn
from ...core.primitive import Primitive

fingerprints: dict[str, str] = {}  # kernel name -> hash of its Python source (or bytecode)


def _fingerprint(kernel) -> str:
    function = getattr(kernel, "py_func", kernel)
    try:
        text = inspect.getsource(function).encode()
    except (OSError, TypeError):  # defined where no source file is kept (an interactive session)
        text = function.__code__.co_code + repr(function.__code__.co_consts).encode()
    return hashlib.sha256(text).hexdigest()[:16]


def register(prim: Primitive, kernel) -> Callable:
    """Keep ``kernel`` (a ``numba.njit`` function taking the operands, rank-0 ones as scalars, and returning the
    output, a scalar for a rank-0 output) for ``prim``; returns the CPU rule that calls it."""
    globals()[prim.name] = kernel
    fingerprints[prim.name] = _fingerprint(kernel)

    def rule(w, eqn: Eqn) -> None:
        w.assign(eqn.outvars[0], f"uk.{prim.name}({', '.join(w.atom(x) for x in eqn.invars)})")

    return rule


def header(body: str) -> str:
    """The import and fingerprint lines a generated module's ``body`` needs, if it calls user kernels."""
    used = sorted(name for name in fingerprints if f"uk.{name}(" in body)
    if not used:
        return ""
    prints = ", ".join(f"{name}={fingerprints[name]}" for name in used)
    return f"from fnx.lower.cpu import user_kernels as uk  # kernels: {prints}\n"
