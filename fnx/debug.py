"""Looking at values inside transformed and compiled functions: ``fnx.debug.print`` and ``fnx.debug.callback``.

Python's ``print`` inside a jitted function runs once, while tracing, and shows tracers. These run when the
program runs: eagerly at once, under ``jit`` each time the compiled code reaches them (once per iteration in a
``scan`` or ``while_loop`` body), in program order. Under ``grad``/``jvp`` they see the primal values, under
``vmap`` each example in turn (as JAX's). Both bind ``debug_callback`` (fnx/lax/debugging.py); see
docs/debugging.md.
"""
from __future__ import annotations

import builtins
import sys
from typing import Callable, TextIO

import numpy as np

from .core.array import Array
from .core.tracing import Tracer
from .core.tree import tree_flatten, tree_unflatten
from .lax.debugging import debug_callback

__all__ = ["callback", "print"]


def _is_operand(leaf) -> bool:
    """Whether a leaf of the arguments is a value of the program (an array, a tracer, a number), rather than a
    static Python object passed through to the callback as it is (a string, None)."""
    return isinstance(leaf, (Array, Tracer, np.ndarray, np.generic, bool, int, float, complex))


class _Call:
    """A callback of the program's values: ``function`` applied to the arguments' tree, whose operand leaves
    arrive as NumPy arrays and whose other leaves were kept as they were."""

    def __init__(self, function: Callable, tree, leaves: list, operand: list, name: str = ""):
        self.function, self.tree, self.operand, self.name = function, tree, operand, name
        self.static = [None if o else leaf for leaf, o in zip(leaves, operand)]

    def __repr__(self) -> str:  # what a printed jaxpr shows
        return self.name or getattr(self.function, "__qualname__", type(self.function).__name__)

    def __call__(self, *values) -> None:
        it = iter(values)
        args, kwargs = tree_unflatten(self.tree, [next(it) if o else s for s, o in zip(self.static, self.operand)])
        self.function(*args, **kwargs)


def callback(function: Callable, *args, ordered: bool = True, **kwargs) -> None:
    """Call ``function(*args, **kwargs)`` when the program runs, with the arrays in ``args`` and ``kwargs``
    (pytrees) as NumPy arrays of their traced shapes and dtypes; other leaves (strings, None) pass as they are.
    Its return value is ignored. Eagerly it runs at once; under ``jit`` each time the compiled code gets there.
    Callbacks always run in program order: ``ordered`` is accepted for JAX's signature and changes nothing.

    >>> import fnx, fnx.numpy as fnp
    >>> seen = []
    >>> f = fnx.jit(lambda x: (fnx.debug.callback(seen.append, x * 2.0), x)[1])
    >>> _ = f(fnp.ones(2)); seen
    [array([2., 2.])]
    """
    _bind(function, args, kwargs)


def _bind(function: Callable, args, kwargs: dict, name: str = "") -> None:
    """``debug_callback`` of ``function`` over the operand leaves of ``args`` and ``kwargs``."""
    leaves, tree = tree_flatten((list(args), kwargs))
    operand = [_is_operand(leaf) for leaf in leaves]
    debug_callback(_Call(function, tree, leaves, operand, name), *[x for x, o in zip(leaves, operand) if o])


def print(fmt: str, *args, file: TextIO | None = None, ordered: bool = True,  # noqa: A001  (as jax.debug.print)
          **kwargs) -> None:
    """Print ``fmt.format(*args, **kwargs)`` when the program runs (``args``/``kwargs``: pytrees of arrays,
    formatted as NumPy arrays), to ``file`` (standard output by default, looked up when it prints, so that
    redirections apply). ``fmt`` must be a plain string, not an f-string: formatting waits for the values.
    Prints always come in program order: ``ordered`` is accepted for JAX's signature and changes nothing.

    >>> import fnx, fnx.numpy as fnp
    >>> @fnx.jit
    ... def f(x):
    ...     fnx.debug.print("x = {}", x)
    ...     y = x * fnp.arange(3.0)
    ...     fnx.debug.print("y = {y}", y=y)
    ...     return y
    >>> _ = f(fnp.asarray(2.0))
    x = 2.0
    y = [0. 2. 4.]
    """
    if not isinstance(fmt, str):
        raise TypeError(f"fnx.debug.print: the format must be a string, got {type(fmt).__name__}")

    def show(*values, **named) -> None:
        builtins.print(fmt.format(*values, **named), file=file or sys.stdout)
    _bind(show, args, kwargs, f"print({fmt!r})")
