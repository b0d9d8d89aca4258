"""Compile a generated module with Numba, through a module cached on disk under the hash of its source.

``program.lower`` writes the module's source (without Numba); here it becomes a module ``fnx_<hash>``
registered in ``sys.modules``, whose functions are compiled with ``cache=True``; ``disk_cache`` keeps its file
and Numba's machine code in fnx's cache folder and checks them before use. A second process that traces the
same function produces the same source, finds the same module and loads the machine code Numba cached.
"""
from __future__ import annotations

import warnings

from ._scipy_blas import preload_scipy_blas

preload_scipy_blas()  # before Numba starts: it imports SciPy's BLAS module, and with it all of scipy.linalg

from ..._memory import apply_policy  # noqa: E402

apply_policy()  # compiled code is what needs fnx's memory policy (fnx/_memory.py): applied now, not at import

import numba
import numpy as np
from numba.core.compiler_lock import global_compiler_lock
from numba.core.errors import NumbaIRAssumptionWarning
from numba.core.registry import cpu_target

from ...core.ir import ClosedJaxpr
from . import disk_cache  # noqa: I001  (first: it places the kernel modules' Numba caches, so before them)
from . import threads
from .program import lower

# Numba's SSA pass emits this "please report" warning when it inlines vecmath's pow/sin/cos/erf into a loop
# in its IR (a pedantic check of variable scopes; the compiled code is right, as the tests check): not the
# user's concern.
warnings.filterwarnings("ignore", message="variable '.*' is not in scope", category=NumbaIRAssumptionWarning)


class Executable:
    """A compiled jaxpr: ``executable.call(*flat_numpy_inputs)`` returns the sequence of outputs."""

    def __init__(self, closed: ClosedJaxpr, function, source: str):
        self.function, self.source = function, source
        self.out_avals = closed.out_avals
        consts = [np.asarray(c)[()] if np.ndim(c) == 0 else np.asarray(c) for c in closed.consts]
        # generated code takes and returns rank-0 values as Numba scalars, not 0-d arrays
        scalar_in = [i for i, a in enumerate(closed.in_avals) if a.shape == ()]
        scalar_out = [(i, a.dtype) for i, a in enumerate(self.out_avals) if a.shape == ()]
        self._consts, self._scalar_in, self._scalar_out = consts, scalar_in, scalar_out
        # the common case has nothing to adapt: call the Numba function with no layer in between
        self.call = function if not (consts or scalar_in or scalar_out) else self._adapted_call

    def _adapted_call(self, *args):
        if self._scalar_in:
            args = list(args)
            for i in self._scalar_in:
                if type(args[i]) is np.ndarray:
                    args[i] = args[i][()]
        outs = list(self.function(*self._consts, *args))
        for i, dtype in self._scalar_out:
            outs[i] = np.asarray(outs[i], dtype)
        return outs


def load_function(source: str, entry: str):
    """The Numba dispatcher of function ``entry`` of the generated module ``source`` (not compiled yet)."""
    prepare(source)
    return getattr(disk_cache.load_module(source), entry)


def prepare(source: str) -> None:
    """Start what the machine code of the generated module ``source`` calls into, before it is loaded."""
    if "parallel=True" in source:  # Numba's thread pool, for parallel loops
        threads.launch()


def prepare_numba() -> None:
    """Fill Numba's typing and target contexts (its registries of types and implementations): 0.4-0.6 s of
    a process's first compile or load from the disk cache, which the compile thread does while the worker
    compiles, and the worker while it waits for its first request."""
    cpu_target.typing_context.refresh()
    cpu_target.target_context.refresh()


def compile_for(function, arg_types: list) -> None:
    """Compile ``function`` for the arguments ``arg_types`` describes (``fnx.lower.background.arg_types``),
    or load that machine code from Numba's disk cache."""
    function.compile(tuple(_numba_types(arg_types)))


def _numba_types(arg_types: list) -> list:
    return [numba.from_dtype(np.dtype(t[1])) if t[0] == "scalar" else
            numba.types.Array(numba.from_dtype(np.dtype(t[1])), t[2], t[3], readonly=t[4]) for t in arg_types]


def load_cached_for(function, arg_types: list) -> bool:
    """Load ``function``'s machine code for ``arg_types`` from Numba's disk cache as ``compile_for`` would, but
    never compile: False if the cache does not hold it. (The cache branch of Numba's ``Dispatcher.compile``,
    numba/core/dispatcher.py.)"""
    signature = tuple(_numba_types(arg_types))
    with global_compiler_lock:
        if function.overloads.get(signature) is None:
            found = function._cache.load_overload(signature, function.targetctx)
            if found is None:
                return False
            function.targetctx.insert_user_function(found.entry_point, found.fndesc, [found.library])
            function.add_overload(found)
    return True


def compile_jaxpr(closed: ClosedJaxpr, donated: frozenset = frozenset()) -> Executable:
    """The lowering pipeline after tracing (``fnx.jit`` traces, then calls ``Executable.call``): simplify, fuse
    and write (``lower``), then load the module; Numba compiles at the first call, or in the background
    (``fnx.lower.background`` runs the same steps)."""
    source, entry = lower(closed, donated)
    return Executable(closed, load_function(source, entry), source)
