"""The names of compiled code in the disk cache, computed without importing Numba.

A generated module is cached as ``fnx_<key>.py``, where the key hashes its source, fnx's kernel files and
fnx's and Numba's versions (``module_name``). The compile thread asks ``holds_module`` before it imports
Numba, so that a program not in the cache goes to the compile worker at once; ``disk_cache`` names and checks
the files themselves.
"""
from __future__ import annotations

import functools
import hashlib
import os
from importlib import metadata

from ..._version import __version__
from ...config import config

_CPU = os.path.dirname(os.path.abspath(__file__))
# the files whose code compiled programs inline or call: Numba's cache of a program must not outlive them
_KERNEL_FILES = ("array_ir.py", "blas.py", "kernels.py", "kernels_arrays.py", "kernels_collectives.py",
                 "kernels_decompositions.py", "kernels_fft.py", "op_codes.py", "threads.py", "vecmath.py")


def kernels_fingerprint() -> str:
    """A hash of the kernel modules: Numba's cache of generated code that inlines them must not outlive them."""
    digest = hashlib.sha256()
    for name in _KERNEL_FILES:
        with open(os.path.join(_CPU, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


@functools.cache
def versions() -> str:
    """What every cache key covers: fnx's and Numba's versions (Numba's read from its installed metadata, not
    imported), the kernel files, and how programs call kernels (by symbol: ``kernel_calls``)."""
    try:
        numba_version = metadata.version("numba")
    except metadata.PackageNotFoundError:  # Numba run from a source tree, with no installed metadata
        import numba
        numba_version = numba.__version__
    return f"{__version__}|{numba_version}|{kernels_fingerprint()}|calls by symbol"


def module_name(source: str) -> str:
    """The name (and file stem) of the module generated as ``source``: ``fnx_<hash>``, where the hash covers
    the source and ``versions()``.

    >>> module_name("x = 1").startswith("fnx_")
    True
    """
    return "fnx_" + hashlib.sha256(f"{versions()}|{source}".encode()).hexdigest()[:24]


def holds_module(source: str) -> bool:
    """Whether the cache folder has a file for the module ``source`` (its machine code may then be there too;
    ``disk_cache`` checks the folder and the files before anything is loaded)."""
    return bool(config.cache_dir) and os.path.exists(os.path.join(config.cache_dir, module_name(source) + ".py"))
