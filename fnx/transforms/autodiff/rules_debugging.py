"""Derivative rules of the debugging primitive (fnx/lax/debugging.py).

``debug_callback`` has no outputs, so nothing flows through it: it is marked not differentiable, and forward
mode binds it on the primal values (so ``jvp`` and ``grad`` print the primals, once, as JAX does).
"""
from __future__ import annotations

from ...lax.debugging import debug_callback_p
from .engine import nondifferentiable

nondifferentiable.mark(debug_callback_p)
