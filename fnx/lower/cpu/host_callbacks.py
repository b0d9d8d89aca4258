"""Python callbacks that compiled code calls (``debug_callback``: ``fnx.debug.print`` and ``fnx.debug.callback``).

Generated code cannot hold a Python function: its source is hashed for the disk cache and may be compiled in
another process. It holds an int instead, a key into this process's table, and calls ``hc.call(key, ...)``
inside a ``numba.objmode()`` block (Numba's way back into the interpreter, which takes the GIL again). The key
is given out when the code is generated in this process, so the table always holds the callback the code was
generated for, even when the machine code comes from the disk cache. Entries stay for the life of the process
(a callback is small: a format string and a tree structure).
"""
from __future__ import annotations

import threading
from typing import Callable, Sequence

import numpy as np

from ...core.avals import ShapedArray

_table: list[tuple[Callable, tuple]] = []  # key -> (callback, avals of its operands)
_keys: dict[tuple, int] = {}  # (id of the callback, avals) -> key
_lock = threading.Lock()


def register(callback: Callable, avals: Sequence[ShapedArray]) -> int:
    """The key that generated code passes to ``call`` to reach ``callback`` with operands of ``avals``."""
    with _lock:
        signature = (id(callback), tuple(avals))
        if signature not in _keys:
            _keys[signature] = len(_table)
            _table.append((callback, tuple(avals)))
        return _keys[signature]


def call(key: int, *values) -> None:
    """Run callback ``key`` on the values compiled code passes: each made a NumPy array of its traced shape and
    dtype (Numba hands over rank-0 values as Python scalars), and a copy, since compiled code may later
    overwrite an array it owns."""
    callback, avals = _table[key]
    callback(*[np.array(v, dtype=a.dtype).reshape(a.shape) for v, a in zip(values, avals)])
