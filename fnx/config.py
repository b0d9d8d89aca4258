"""fnx settings, all in one place (documented in docs/settings.md).

Each setting has an environment variable that sets its starting value, and can be changed at run time::

    import fnx
    fnx.config.update("default_float", "float32")
    fnx.config.default_float   # -> dtype('float32')
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import _memory

_FLOATS = ("float32", "float64")
# where jit compiles: a worker process, a thread of this process, or in the call itself (the caller waits)
_BACKGROUND_MODES = ("process", "thread", "off")
# fused loops of at least this many elements also get a parallel version, run while cores are free: below it
# a loop takes ~0.1 ms, and starting Numba's threads costs tens of microseconds (docs/settings.md)
PARALLEL_LOOPS = 1 << 18


class Config:
    """The process-wide settings object, reachable as ``fnx.config``."""

    def __init__(self) -> None:
        self.default_float = np.dtype("float64")
        self.cache_dir = ""
        self.cache_max_bytes = 0
        self.keep_freed_memory = 0
        self.parallel_loops = PARALLEL_LOOPS
        self.background_compile = "process"
        self.adapt_blas_threads = True
        self.compile_ahead = True
        self.debug_nans = self.debug_infs = False
        self._on_change: list = []  # caches that depend on the settings (e.g. type promotion)
        self._on_debug_change: list = []  # called when debug_nans or debug_infs changes (jit's call paths)
        self.update("default_float", os.environ.get("FNX_DEFAULT_FLOAT", "float64"))
        self.update("cache_dir", os.environ.get("FNX_CACHE_DIR", _default_cache_dir()))
        self.update("cache_max_bytes", os.environ.get("FNX_CACHE_MAX_BYTES", 1 << 30))
        self.update("keep_freed_memory", os.environ.get("FNX_KEEP_FREED_MEMORY", 1 << 30))
        self.update("parallel_loops", os.environ.get("FNX_PARALLEL_LOOPS", PARALLEL_LOOPS))
        self.update("background_compile", os.environ.get("FNX_BACKGROUND_COMPILE", "process"))
        self.update("adapt_blas_threads", os.environ.get("FNX_ADAPT_BLAS_THREADS", "1"))
        self.update("compile_ahead", os.environ.get("FNX_COMPILE_AHEAD", "1"))
        self.update("debug_nans", os.environ.get("FNX_DEBUG_NANS", "0"))
        self.update("debug_infs", os.environ.get("FNX_DEBUG_INFS", "0"))

    def update(self, name: str, value: Any) -> None:
        """Change one setting: ``fnx.config.update("default_float", "float32")``."""
        if name == "cache_dir":  # "" stays "": no disk cache (fnx warns once and compiles in memory)
            self.cache_dir = str(value) and os.path.abspath(os.path.expanduser(str(value)))
            return
        if name == "cache_max_bytes":
            if int(value) < 0:
                raise ValueError(f"fnx.config.update: cache_max_bytes must be a number of bytes >= 0, got {value!r}")
            self.cache_max_bytes = int(value)
            return
        if name == "keep_freed_memory":
            if int(value) < 0:
                raise ValueError(f"fnx.config.update: keep_freed_memory must be a number of bytes >= 0, got {value!r}")
            self.keep_freed_memory = int(value)
            _memory.setting_changed()
            return
        if name == "parallel_loops":
            if int(value) < 0:
                raise ValueError(f"fnx.config.update: parallel_loops must be a number of elements >= 0 (0: never), "
                                 f"got {value!r}")
            self.parallel_loops = int(value)
            return
        if name in ("adapt_blas_threads", "compile_ahead", "debug_nans", "debug_infs"):
            if str(value) not in ("0", "1", "True", "False"):
                raise ValueError(f"fnx.config.update: {name} must be True or False, got {value!r}")
            setattr(self, name, str(value) in ("1", "True"))
            if name.startswith("debug_"):
                for changed in self._on_debug_change:
                    changed()
            return
        if name == "background_compile":
            if value not in _BACKGROUND_MODES:
                raise ValueError(f"fnx.config.update: background_compile must be one of {_BACKGROUND_MODES}, "
                                 f"got {value!r}")
            self.background_compile = value
            return
        if name != "default_float":
            raise KeyError(f"fnx.config.update: unknown setting {name!r}; known: 'default_float', 'cache_dir', "
                           f"'cache_max_bytes', 'keep_freed_memory', 'parallel_loops', 'background_compile', "
                           f"'adapt_blas_threads', 'compile_ahead', 'debug_nans', 'debug_infs'")
        if str(np.dtype(value)) not in _FLOATS:
            raise ValueError(f"fnx.config.update: default_float must be one of {_FLOATS}, got {value!r}")
        self.default_float = np.dtype(value)
        for clear in self._on_change:
            clear()


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fnx")


config = Config()
