"""Batching rule of the debugging primitive (fnx/lax/debugging.py).

As JAX's ``debug.callback``, a batched callback runs once per example, in example order, each time seeing the
example's slice of the batched operands (and the unbatched ones whole): under ``vmap``, ``fnx.debug.print``
prints one line per example. The program still holds one equation, whose callback loops over the batch.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ...lax.debugging import debug_callback_p
from .engine import batching_rules


class _PerExample:
    """``callback`` applied to each example of operands batched along ``dims`` (None: not batched)."""

    def __init__(self, callback: Callable, dims: list, size: int):
        self.callback, self.dims, self.size = callback, dims, size

    def __call__(self, *values) -> None:
        for i in range(self.size):
            self.callback(*[v if d is None else np.take(v, i, axis=d) for v, d in zip(values, self.dims)])


def _debug_callback(values, dims, *, axis_size, callback):
    debug_callback_p.bind(*values, callback=_PerExample(callback, list(dims), axis_size))
    return [], []


batching_rules[debug_callback_p] = _debug_callback
