"""What a book listing is checked against: its printed value(s) (``Value``) or a trend (``Falls``,
``Between``, ``Below``).

Each check compares one value a unit computed with what the book shows, and renders the book's side for the
runner's table. ``Value(68.0)`` is exact; ``Value(0.447, rtol=1e-2)`` holds within a tolerance (books print
rounded numbers); ``Value(right, printed=book)`` holds when the book printed something wrong, and shows both.

>>> Value([1.0, 2.0]).holds(np.array([1.0, 2.0]), {})
True
>>> Falls().holds([0.9, 0.5, 0.2], {})
True
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np


def show(value: Any, width: int = 48) -> str:
    """A one-line rendering of a number, array or sequence, cut to ``width`` characters."""
    if isinstance(value, str):
        text = value
    else:
        array = np.asarray(value)
        if array.dtype.kind == "f":
            text = np.array2string(array, precision=10, separator=",", threshold=8, max_line_width=10**6)
        else:
            text = np.array2string(array, separator=",", threshold=8, max_line_width=10**6)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


class Check:
    """One expectation on one value. ``holds(actual, values)`` sees the unit's other ``values`` too (for
    comparisons between them); ``book`` is the text shown as the book's value."""

    tolerance = 0.0
    trend = False

    def holds(self, actual: Any, values: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    @property
    def book(self) -> str:
        raise NotImplementedError

    def render(self, actual: Any, width: int = 30) -> str:
        """The unit's value as shown in the runner's table."""
        return show(actual, width)


class Value(Check):
    """The unit's value equals ``expected`` (the book's number, or the right one when the book is wrong):
    exactly when ``rtol`` and ``atol`` are 0, else to ``numpy.allclose(rtol, atol)``. Shapes must agree.
    ``printed``: what the book printed, when it differs from ``expected`` (shown beside it)."""

    def __init__(self, expected: Any, rtol: float = 0.0, atol: float = 0.0, printed: Any = None):
        self.expected, self.rtol, self.atol, self.printed = expected, rtol, atol, printed
        self.tolerance = max(rtol, atol)

    def holds(self, actual: Any, values: Mapping[str, Any]) -> bool:
        a, e = np.asarray(actual), np.asarray(self.expected)
        if a.shape != e.shape:
            return False
        if self.tolerance == 0.0:
            return bool(np.array_equal(a, e))
        return bool(np.allclose(a, e, rtol=self.rtol, atol=self.atol, equal_nan=True))

    @property
    def book(self) -> str:
        right = show(self.expected)
        return right if self.printed is None else f"{show(self.printed, 24)} (right: {right})"


class Falls(Check):
    """A sequence (a loss per step or epoch) whose last value is below ``fraction`` times its first."""

    trend = True

    def __init__(self, fraction: float = 1.0, printed: Any = None):
        self.fraction, self.printed = fraction, printed

    def holds(self, actual: Any, values: Mapping[str, Any]) -> bool:
        seq = np.asarray(actual, dtype=float)
        return bool(np.all(np.isfinite(seq)) and seq[-1] < self.fraction * seq[0])

    @property
    def book(self) -> str:
        rule = "falls" if self.fraction == 1.0 else f"falls below {self.fraction:g} x its start"
        return rule if self.printed is None else f"{show(self.printed, 24)}; {rule}"

    def render(self, actual: Any, width: int = 30) -> str:
        seq = np.asarray(actual, dtype=float)
        return f"{seq[0]:.5g} -> {seq[-1]:.5g}"


class Between(Check):
    """A number within [``low``, ``high``] (the book's level with a stated margin on the stand-in data)."""

    trend = True

    def __init__(self, low: float, high: float, printed: Any = None):
        self.low, self.high, self.printed = low, high, printed

    def holds(self, actual: Any, values: Mapping[str, Any]) -> bool:
        return bool(self.low <= float(actual) <= self.high)

    @property
    def book(self) -> str:
        rule = f"in [{self.low:g}, {self.high:g}]"
        return rule if self.printed is None else f"{show(self.printed, 24)}; {rule}"


class Below(Check):
    """A number below the unit's value named ``other`` (e.g. the loss after training below the one before)."""

    trend = True

    def __init__(self, other: str, printed: Any = None):
        self.other, self.printed = other, printed

    def holds(self, actual: Any, values: Mapping[str, Any]) -> bool:
        return bool(float(actual) < float(values[self.other]))

    @property
    def book(self) -> str:
        rule = f"< {self.other}"
        return rule if self.printed is None else f"{show(self.printed, 24)}; {rule}"
