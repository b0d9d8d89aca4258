"""Load SciPy's BLAS and LAPACK function tables without importing the rest of ``scipy.linalg``.

Numba calls BLAS and LAPACK through the function pointers that ``scipy.linalg.cython_blas`` and
``scipy.linalg.cython_lapack`` export, and its start (the first compile, or the first load from the disk
cache) imports ``scipy.linalg.cython_blas``. That import runs ``scipy/linalg/__init__.py`` first, which loads
all of scipy.linalg and, through it, SciPy's array-API layer and ``numpy.f2py``: 0.15-0.25 s here, a third of
a first call served from the disk cache. The two modules are self-contained extension modules, so
``preload_scipy_blas`` loads them alone and registers them in ``sys.modules``, where Numba's import (and its C
helpers' lookups) find them. If ``scipy.linalg`` itself is imported later, a one-shot import hook attaches
them to it as attributes, as its own import would have.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys

_MODULES = ("cython_blas", "cython_lapack")


def preload_scipy_blas() -> None:
    """Register SciPy's ``cython_blas`` and ``cython_lapack`` in ``sys.modules`` (nothing if SciPy is absent,
    or ``scipy.linalg`` is already imported)."""
    if "scipy.linalg" in sys.modules or importlib.util.find_spec("scipy") is None:
        return
    import scipy
    folder = [path + "/linalg" for path in scipy.__path__]
    loaded = {}
    for child in _MODULES:
        spec = importlib.machinery.PathFinder.find_spec(f"scipy.linalg.{child}", folder)
        if spec is None:  # an unusual SciPy: let Numba import scipy.linalg as usual
            return
        loaded[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded[spec.name])
    sys.modules.update(loaded)
    sys.meta_path.insert(0, _AttachOnImport())


class _AttachOnImport(importlib.abc.MetaPathFinder):
    """Finds ``scipy.linalg`` once, as the path finder does, and makes the preloaded modules its attributes."""

    def find_spec(self, name, path=None, target=None):
        if name != "scipy.linalg":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None:
            return None
        execute = spec.loader.exec_module

        def exec_module(module):
            for child in _MODULES:
                setattr(module, child, sys.modules[f"scipy.linalg.{child}"])
            execute(module)
        spec.loader.exec_module = exec_module
        return spec
