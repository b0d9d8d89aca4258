"""A per-thread value that a ``with`` block sets for its duration (how fnx changes the behaviour of code it
calls without passing an argument through it: ``tracing.numpy_equations``, ``lax.debugging.muted``)."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any


class Scoped:
    """``value()`` is ``default`` unless a ``set(v)`` block is running in this thread (innermost wins).

    >>> depth = Scoped(0)
    >>> with depth.set(1):
    ...     depth.value()
    1
    >>> depth.value()
    0
    """

    def __init__(self, default: Any):
        self._local, self._default = threading.local(), default

    def value(self) -> Any:
        return getattr(self._local, "value", self._default)

    @contextmanager
    def set(self, value: Any):
        saved = self.value()
        self._local.value = value
        try:
            yield
        finally:
            self._local.value = saved
