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

_FLOATS = ("float32", "float64")


class Config:
    """The process-wide settings object, reachable as ``fnx.config``."""

    def __init__(self) -> None:
        self.default_float = np.dtype("float64")
        self.cache_dir = ""
        self._on_change: list = []  # caches that depend on the settings (e.g. type promotion)
        self.update("default_float", os.environ.get("FNX_DEFAULT_FLOAT", "float64"))
        self.update("cache_dir", os.environ.get("FNX_CACHE_DIR", _default_cache_dir()))

    def update(self, name: str, value: Any) -> None:
        """Change one setting: ``fnx.config.update("default_float", "float32")``."""
        if name == "cache_dir":
            self.cache_dir = os.path.abspath(os.path.expanduser(str(value)))
            return
        if name != "default_float":
            raise KeyError(f"fnx.config.update: unknown setting {name!r}; known: 'default_float', 'cache_dir'")
        if str(np.dtype(value)) not in _FLOATS:
            raise ValueError(f"fnx.config.update: default_float must be one of {_FLOATS}, got {value!r}")
        self.default_float = np.dtype(value)
        for clear in self._on_change:
            clear()


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fnx")


config = Config()
