"""What every backend's code writer shares: dtypes, typed literals and reductions' identities as source text,
and the module-level constants a generated module declares.

Numba (CPU and CUDA alike) reads a module global as a compile-time constant, so typed literals become globals
(``c0 = np.float32(0.5)``) rather than calls in a function body, which it would type and lower at every use.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def np_dtype(dtype: np.dtype) -> str:
    """The NumPy dtype as an expression in generated code: ``np.float32``."""
    return "np.bool_" if dtype == np.bool_ else f"np.{dtype.name}"


def _float_text(v: float) -> str:
    if np.isfinite(v):
        return repr(v)
    return "np.nan" if np.isnan(v) else ("np.inf" if v > 0 else "-np.inf")


def literal(value, dtype: np.dtype) -> str:
    """A typed constant: ``np.float32(2.0)``, ``np.float64(np.inf)``, ``np.complex64(complex(1.0, -np.inf))``,
    ``True``."""
    v = np.asarray(value, dtype).item()
    if dtype == np.bool_:
        return repr(bool(v))
    if dtype.kind == "c":
        return f"{np_dtype(dtype)}(complex({_float_text(v.real)}, {_float_text(v.imag)}))"
    if dtype.kind == "f":
        return f"{np_dtype(dtype)}({_float_text(v)})"
    return f"{np_dtype(dtype)}({v!r})"


def reduction_identity(name: str, dtype: np.dtype):
    """The starting value of a reduction: 0, 1, or the lowest (max) / highest (min) value of the dtype."""
    if name in ("reduce_sum", "reduce_prod"):
        return int(name == "reduce_prod")
    if dtype == np.bool_:
        return name == "reduce_min"
    lowest, highest = (-np.inf, np.inf) if dtype.kind == "f" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
    return lowest if name == "reduce_max" else highest


class Constants:
    """The typed literals of one generated module, each a module-level name (``c0``, ``c1``, ...)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # a typed literal's text -> its module-level name

    def name(self, text: str) -> str:
        """The module-level name of a typed literal such as ``np.float32(0.5)`` (``True``/``False`` as they are)."""
        if text in ("True", "False"):
            return text
        return self.names.setdefault(text, f"c{len(self.names)}")

    def source(self) -> str:
        """The lines declaring them."""
        return "".join(f"{name} = {text}\n" for text, name in self.names.items())


def select_n_element(eqn, args: list, select: Callable[[str, str, str], str]) -> str:
    """The element of ``select_n`` from its operands' elements ``args``; ``select(cond, a, b)`` writes the
    backend's ``a if cond else b``. An integer selector is clamped into range, as the primitive does."""
    which, *cases = args
    if eqn.invars[0].aval.dtype == np.bool_:
        return select(which, cases[1], cases[0])
    expr = cases[-1]
    for i in range(len(cases) - 2, -1, -1):
        expr = select(f"{which} <= {i}", cases[i], expr)
    return expr


def convert_element(eqn, args: list, pin: Callable[[str, np.dtype], str]) -> str:
    """The element of ``convert_element_type``: a comparison with 0 for bool, else ``pin``, the backend's cast
    (of the real part, from a complex to a real dtype)."""
    new = np.dtype(eqn.params["new_dtype"])
    if new == np.bool_:
        return f"({args[0]} != 0)"
    real_part = eqn.invars[0].aval.dtype.kind == "c" and new.kind != "c"
    return pin(f"({args[0]}).real" if real_part else args[0], new)
