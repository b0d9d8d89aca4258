"""The kernel signatures programs commonly use, compiled into the disk cache before a program needs them.

A program's first compile also compiles the kernels it calls (``kernels*.py``, ``vecmath.py``) for its
argument types, once per install: 1.4 s of the benchmark MLP step's
4-5 s, 6.5 s of LeNet's 10-13 s (``benchmarks/compile_time.py``). The compile worker
(``compile_worker.serve``) compiles the signatures listed in ``kernel_signatures.py`` while it has nothing
else to do, one kernel at a time, looking for a request between kernels; a kernel already in the cache is
only loaded (milliseconds). The list is recorded from the benchmark workloads in float32 and float64
(``python benchmarks/kernel_signatures.py --write``), cheapest first.

A signature is kept as plain values: ``("array", dtype, ndim, layout, readonly)`` or ``("scalar", dtype)``
per argument, as ``fnx.lower.background.arg_types`` describes a program's arguments.
"""
from __future__ import annotations

from typing import Iterator

import numba
import numpy as np
from numba.core import types
from numba.core.caching import NullCache
from numba.core.registry import CPUDispatcher

from . import blas, kernels, kernels_arrays, kernels_decompositions, kernels_fft, vecmath

_MODULES = {"kernels": kernels, "kernels_arrays": kernels_arrays, "kernels_decompositions": kernels_decompositions,
            "kernels_fft": kernels_fft,
            "vecmath": vecmath, "blas": blas}


def dispatchers() -> Iterator[tuple[str, str, CPUDispatcher]]:
    """(module, name, dispatcher) for each disk-cached kernel of the kernel modules, vecmath's scalar
    functions (``exp_float32``...) included."""
    for module_name, module in _MODULES.items():
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and not isinstance(value._cache, NullCache):
                yield module_name, name, value
    for name, value in vecmath.SCALAR_FUNCTIONS.items():
        yield "vecmath", name, value


def _dispatcher(module: str, name: str) -> CPUDispatcher | None:
    found = getattr(_MODULES[module], name, None) if module in _MODULES else None
    return found if isinstance(found, CPUDispatcher) else \
        vecmath.SCALAR_FUNCTIONS.get(name) if module == "vecmath" else None


def encode(signature: tuple) -> tuple | None:
    """Numba argument types as plain values; None if one of them is neither an array nor a number."""
    found = []
    for t in signature:
        if isinstance(t, types.Array):
            found.append(("array", np.dtype(numba.np.numpy_support.as_dtype(t.dtype)).str, t.ndim, t.layout,
                          not t.mutable))
        elif isinstance(t, (types.Number, types.Boolean)):
            found.append(("scalar", np.dtype(numba.np.numpy_support.as_dtype(t)).str))
        else:
            return None
    return tuple(found)


def decode(signature: tuple) -> tuple:
    """The Numba argument types ``encode`` gave these plain values for."""
    return tuple(numba.from_dtype(np.dtype(t[1])) if t[0] == "scalar" else
                 types.Array(numba.from_dtype(np.dtype(t[1])), t[2], t[3], readonly=t[4]) for t in signature)


def used() -> list[tuple[str, str, tuple]]:
    """(module, kernel, encoded signature) of every kernel compiled or loaded in this process."""
    return [(module, name, encoded) for module, name, d in dispatchers() for s in d.signatures
            if (encoded := encode(s)) is not None]


def compile_ahead() -> Iterator[None]:
    """Compile (or load from the disk cache) the listed signatures not compiled in this process yet, one per
    step: the caller decides between steps whether to go on."""
    from .kernel_signatures import SIGNATURES
    for module, name, signature in SIGNATURES:
        dispatcher = _dispatcher(module, name)
        if dispatcher is None:  # a kernel renamed since the list was recorded
            continue
        wanted = decode(signature)
        if wanted in dispatcher.overloads:
            continue
        try:
            dispatcher.compile(wanted)
        except Exception:  # noqa: BLE001  (a stale entry must not stop the worker; programs compile it anyway)
            pass
        yield
