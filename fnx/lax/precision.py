"""``lax.Precision``: the precision argument of JAX's products, accepted for compatibility.

On the CPU fnx multiplies float32 and float64 at their full precision whatever is asked (XLA on the CPU does
too); the argument is checked, so a misspelt precision is an error as in JAX, and otherwise has no effect.
"""
from __future__ import annotations

import enum

from ..core.errors import FnxTypeError


class Precision(enum.Enum):
    """Precision of a matrix product: ``DEFAULT`` (also ``"bfloat16"``), ``HIGH`` (``"tensorfloat32"``),
    ``HIGHEST`` (``"float32"``)."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2


_NAMES = {"default": Precision.DEFAULT, "fastest": Precision.DEFAULT, "bfloat16": Precision.DEFAULT,
          "high": Precision.HIGH, "tensorfloat32": Precision.HIGH, "bfloat16_3x": Precision.HIGH,
          "highest": Precision.HIGHEST, "float32": Precision.HIGHEST}


def check_precision(precision, op: str):
    """``precision`` (None, a ``Precision``, its name, or a pair for the two operands) as ``Precision``
    values; anything else is an error naming ``op``.

    >>> check_precision("highest", "dot")
    <Precision.HIGHEST: 2>
    """
    if precision is None or isinstance(precision, Precision):
        return precision
    if isinstance(precision, str) and precision.lower() in _NAMES:
        return _NAMES[precision.lower()]
    if isinstance(precision, (tuple, list)) and len(precision) == 2:
        return tuple(check_precision(p, op) for p in precision)
    raise FnxTypeError(f"{op}: precision must be None, a lax.Precision, one of {sorted(_NAMES)} or a pair of "
                       f"them, got {precision!r}")
