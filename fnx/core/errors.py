"""Error types and the lookup of the user's own line, so that every error can say where it came from."""
from __future__ import annotations

import os
import sys

_FNX_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_frame_summary() -> str:
    """Return ``file:line (code)`` of the innermost stack frame outside the fnx package, or ''."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_FNX_DIR + os.sep):
            import linecache
            code = linecache.getline(filename, frame.f_lineno).strip()
            return f"{filename}:{frame.f_lineno}" + (f" ({code})" if code else "")
        frame = frame.f_back
    return ""


def _with_location(message: str) -> str:
    where = user_frame_summary()
    return f"{message}\n  at {where}" if where else message


class FnxTypeError(TypeError):
    """Bad shapes or dtypes given to an fnx operation; the message names the operation, the operands and the user's line."""

    def __init__(self, message: str):
        super().__init__(_with_location(message))


class DeletedArrayError(RuntimeError):
    """An Array was used after it was deleted (donated to a jitted function, or ``Array.delete()``)."""

    def __init__(self, message: str):
        super().__init__(_with_location(message))


class ConcretizationError(TypeError):
    """A traced value was used where a concrete Python value is needed (``bool``, ``int``, an index, NumPy)."""

    def __init__(self, what: str, aval, hint: str):
        super().__init__(_with_location(
            f"{what} of a traced value {aval} is not possible: under tracing its value is unknown. {hint}"))
