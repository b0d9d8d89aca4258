"""``checkpoint`` (alias ``remat``): reverse mode that recomputes a function's forward pass instead of storing it.

Built on ``custom_vjp``: the forward pass keeps only the function's arguments; the backward pass runs
``vjp`` of the function on them again, so the function's intermediate values are not held between the
forward and backward passes of ``grad`` (they are made again, once, when its cotangents are needed).
"""
from __future__ import annotations

import functools
from typing import Callable, Sequence

from ..lax.debugging import muted
from .autodiff import custom_vjp, vjp


def checkpoint(fun: Callable, *, prevent_cse: bool = True, policy: Callable | None = None,
               static_argnums: int | Sequence[int] = ()) -> Callable:
    """``fun`` with its reverse-mode derivative computed by rerunning ``fun`` on its saved arguments.

    Same values and derivatives as ``fun``; only what reverse mode stores changes. As in JAX, ``policy`` and
    ``prevent_cse`` are accepted; fnx saves nothing but the arguments whatever the policy. Differentiate with
    respect to the arguments (values ``fun`` closes over get no cotangent through it); forward mode (``jvp``,
    ``jacfwd``) does not go through a checkpointed function.

    >>> import fnx, fnx.numpy as fnp
    >>> f = fnx.checkpoint(lambda x: fnp.sin(fnp.sin(x)))
    >>> float(fnx.grad(f)(1.0)) == float(fnx.grad(lambda x: fnp.sin(fnp.sin(x)))(1.0))
    True
    """
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if static:
        @functools.wraps(fun)
        def with_static(*args):
            fixed = {i: a for i, a in enumerate(args) if i in static}
            dynamic = [a for i, a in enumerate(args) if i not in static]
            return checkpoint(_with_fixed(fun, fixed, len(args)))(*dynamic)
        return with_static

    remat = custom_vjp(fun)
    remat.defvjp(lambda *args: (fun(*args), args), lambda args, ct: _recomputed_vjp(fun, args, ct))
    return remat


def _recomputed_vjp(fun: Callable, args: tuple, ct):
    """The cotangents of ``fun``'s arguments, its forward pass run again (its debug prints muted: they ran)."""
    with muted():
        _, pullback = vjp(fun, *args)
    return pullback(ct)


def _with_fixed(fun: Callable, fixed: dict, n: int) -> Callable:
    """``fun`` of the positions not in ``fixed`` (whose values are given)."""
    def partial(*dynamic):
        it = iter(dynamic)
        return fun(*[fixed[i] if i in fixed else next(it) for i in range(n)])
    return partial


remat = checkpoint
