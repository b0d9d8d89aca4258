"""Generated code calls fnx's array kernels by their symbols, instead of taking in a copy of their code.

Numba links every function a compiled function calls into the caller's LLVM module, where LLVM optimizes and
emits it again: in every program, each kernel it calls is compiled anew (LeNet's module took 3.1 s with its
window and transposition kernels linked, 2.05 s with them only declared). Here a generated module's functions
(``fnx_<hash>``) only declare the array kernels they call (a kernel of ``_CALLED`` with an array argument),
and the JIT resolves each declaration to the kernel's machine code, which its own library already holds
(compiled once per install, or loaded from the kernels' disk cache). Scalar kernels, vecmath's functions and
calls between kernels stay linked: they must inline into the loops that call them to vectorize.

The machine code of such a module names each kernel's symbol, which Numba's cache of the module does not
track, and which changes when a kernel is compiled again (Numba's names carry a per-process counter:
``disk_cache._distinct_function_names``); an unresolved symbol ends the process inside LLVM when the code is
loaded. So each compiled function of a generated module has a record of the kernels it calls,
``(module, kernel, argument types, symbol)``, which ``disk_cache`` stores in the function's sealed data file
(``record``), and before that machine code is loaded, ``resolve`` compiles or loads each kernel for those
argument types and compares its symbol: when one differs the cached code is not loaded (the module is
compiled again).
"""
from __future__ import annotations

import importlib
import re
import sys
import threading

from numba.core import types
from numba.core.codegen import CPUCodeLibrary
from numba.core.registry import CPUDispatcher, cpu_target

# the kernel modules whose array kernels generated code calls by symbol (not vecmath: its functions must inline)
_CALLED = ("fnx.lower.cpu.kernels", "fnx.lower.cpu.kernels_arrays", "fnx.lower.cpu.kernels_collectives",
           "fnx.lower.cpu.kernels_decompositions", "fnx.lower.cpu.kernels_fft")
# a generated module's functions: Numba's mangled names start with the module's (``fnx_`` and 24 hex digits)
_GENERATED = re.compile(r"_ZN28fnx_[0-9a-f]{24}")
_lock = threading.Lock()
_kernels: dict[str, tuple] = {}  # symbol -> (module, kernel, argument types) of each kernel a module calls
_records: dict[str, tuple] = {}  # symbol of a generated function -> the kernels its machine code calls


class Mismatch(Exception):
    """A cached module calls a kernel whose symbol in this process differs from the recorded one."""


def record(symbol: str) -> tuple:
    """The kernels that the generated function of mangled name ``symbol``, compiled in this process, calls by
    symbol: a tuple of ``(module, kernel, argument types, kernel symbol)`` (empty if it calls none, or if it
    was not compiled here). Asked once, when its machine code is saved: ``record(cres.fndesc.mangled_name)``."""
    with _lock:
        return _records.pop(symbol, ())


def resolve(calls: tuple) -> None:
    """Compile or load each kernel of ``calls`` (a ``record``) for its argument types; raise ``Mismatch``
    naming the first whose symbol here is not the recorded one (then the machine code that calls it must not
    be loaded)."""
    engine = cpu_target.target_context.codegen()._engine
    for module, name, argtypes, symbol in calls:
        if module not in _CALLED:
            raise Mismatch(f"{module} is not a kernel module")
        dispatcher = getattr(importlib.import_module(module), name)
        dispatcher.compile(argtypes)
        found = dispatcher.overloads[argtypes].fndesc.mangled_name
        if found != symbol or not engine.is_symbol_defined(found):
            raise Mismatch(f"it calls {module}.{name}{argtypes} as {symbol}, which is {found} in this process")


def _callable(library) -> tuple | None:
    """``(module, kernel, argument types, symbol)`` if ``library`` is an array kernel's own, else None."""
    for module in filter(None, map(sys.modules.get, _CALLED)):
        for value in list(vars(module).values()):
            if not isinstance(value, CPUDispatcher):
                continue
            for argtypes, compiled in list(value.overloads.items()):
                if compiled.library is library:
                    if not any(isinstance(t, types.Array) for t in argtypes):
                        return None
                    return module.__name__, value.py_func.__name__, argtypes, compiled.fndesc.mangled_name
    return None


def _finalize(self) -> None:
    """``CPUCodeLibrary.finalize`` for a generated module's function: its array kernels are not linked in but
    recorded, so that their declarations resolve to the kernels' own machine code."""
    own = [f.name for f in self._final_module.functions if not f.is_declaration]
    if not any(_GENERATED.match(name) for name in own):
        return _numba_finalize(self)
    linked = []
    with _lock:
        for library in self._linking_libraries:
            kernel = _callable(library)
            if kernel is None:
                linked.append(library)
            else:
                _kernels[kernel[3]] = kernel[:3]
    self._linking_libraries = linked
    _numba_finalize(self)
    calls = tuple((*_kernels[f.name], f.name) for f in self._final_module.functions
                  if f.is_declaration and f.name in _kernels)
    with _lock:
        for name in filter(_GENERATED.match, own):
            _records.setdefault(name, calls)


_numba_finalize = CPUCodeLibrary.finalize
CPUCodeLibrary.finalize = _finalize
