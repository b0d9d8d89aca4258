"""The debugging primitive: ``debug_callback``, a call into Python from traced and compiled code.

``debug_callback_p(*operands, callback)`` has no outputs and calls ``callback(*numpy_values)`` when it runs:
at once eagerly, each time the compiled code reaches it under ``jit`` (once per iteration inside a loop body),
in program order with the other callbacks. It is ``effectful``, so dead-code elimination keeps it although
nothing uses its (absent) results. ``fnx.debug.print`` and ``fnx.debug.callback`` bind it.

Each value reaches the callback as a NumPy array of its traced shape and dtype (a rank-0 array for a scalar),
the same in every tier, so a printed value looks the same eagerly, on the first tier and compiled.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..core.ir import Jaxpr, map_sub_jaxprs
from ..core.primitive import def_primitive, effectful
from ..core.scoped import Scoped


def _abstract_eval(*avals, callback):
    return []


def _impl(*values, callback):
    callback(*[np.asarray(v) for v in values])
    return []


debug_callback_p = def_primitive("debug_callback", _abstract_eval, _impl, multiple_results=True)
effectful.add(debug_callback_p)


def debug_callback(callback: Callable, *operands) -> None:
    """Call ``callback(*operands)`` (as NumPy arrays) when the program runs, eagerly or compiled.

    ``operands`` are arrays or tracers; ``callback`` returns nothing that is used.

    >>> import fnx, fnx.numpy as fnp
    >>> fnx.lax.debug_callback(lambda x: print("got", x), fnp.arange(3))
    got [0 1 2]
    """
    if not _muted.value():
        debug_callback_p.bind(*operands, callback=callback)


_muted = Scoped(False)  # this thread's debug callbacks are dropped (``muted``)


def muted():
    """A context in which this thread binds no debug callback: for a transform that runs the user's function
    again on values it already computed (reverse mode's recomputations in ``checkpoint`` and ``custom_vjp``), so
    that it prints once.

    >>> import fnx, fnx.numpy as fnp
    >>> with muted():
    ...     fnx.debug.print("not printed {}", fnp.ones(2))
    """
    return _muted.set(True)


def without_callbacks(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` without its ``debug_callback`` equations, also in the jaxprs its equations hold: for a
    computation run a second time, such as the forward pass that a jitted function's compiled backward pass
    recomputes, so that ``grad(jit(f))`` prints once, as ``grad(f)`` does. (They have no outputs: nothing else
    changes.)"""
    eqns = [map_sub_jaxprs(e, without_callbacks) for e in jaxpr.eqns if e.primitive is not debug_callback_p]
    return Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, jaxpr.outvars)
