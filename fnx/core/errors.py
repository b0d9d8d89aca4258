"""Error types and the lookup of the user's own line, so that every error can say where it came from."""
from __future__ import annotations

import os
import sys

import numpy as np

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


_is_fnx_code: dict = {}  # code object -> whether it is code of the fnx package


def user_frame(depth: int = 2) -> tuple | None:
    """Where the innermost frame outside the fnx package is, starting ``depth`` frames up (1: the caller), as
    ``(code object, instruction offset)``, or None. Cheap enough to run for every traced equation: it reads no
    path and no line number (``source_line`` turns the pair into ``file:line (code)`` when an error needs it)."""
    frame = sys._getframe(depth)
    known = _is_fnx_code
    while frame is not None:
        code = frame.f_code
        inside = known.get(code)
        if inside is None:
            if len(known) > 65536:  # code objects made on the fly (exec): keep the memo bounded
                known.clear()
            inside = known[code] = os.path.abspath(code.co_filename).startswith(_FNX_DIR + os.sep)
        if not inside:
            return code, frame.f_lasti
        frame = frame.f_back
    return None


def source_line(where: tuple | None) -> str:
    """``file:line (code)`` for a ``user_frame`` result, as ``user_frame_summary`` writes it; '' for None."""
    if where is None:
        return ""
    import linecache
    code, offset = where
    line = next((n for start, end, n in code.co_lines() if start <= offset < end), None) or code.co_firstlineno
    text = linecache.getline(code.co_filename, line).strip()
    return f"{code.co_filename}:{line}" + (f" ({text})" if text else "")


def _with_location(message: str) -> str:
    where = user_frame_summary()
    return f"{message}\n  at {where}" if where else message


class FnxTypeError(TypeError):
    """Bad shapes or dtypes given to an fnx operation; the message names the operation, the operands and the user's line."""

    def __init__(self, message: str):
        super().__init__(_with_location(message))


class FnxLinAlgError(FnxTypeError, np.linalg.LinAlgError):
    """A linear algebra failure (a singular matrix) of an eager operation: caught by ``except LinAlgError`` as
    NumPy's, and by ``except FnxTypeError`` as fnx's other operation errors."""


class FnxValueError(FnxTypeError, ValueError):
    """A bad value for an operation's argument (an axis of the wrong size): caught by ``except ValueError`` as
    NumPy's, and by ``except FnxTypeError`` as fnx's other operation errors."""


class FnxIndexError(FnxTypeError, IndexError):
    """An index that does not fit an array (too many entries): caught by ``except IndexError`` as NumPy's, and
    by ``except FnxTypeError``."""


class FnxAxisError(FnxIndexError, ValueError):
    """An axis out of an array's range: caught by ``except IndexError`` and ``except ValueError`` as NumPy's
    ``AxisError`` (the Array API asks for an IndexError), and by ``except FnxTypeError``."""


class DeletedArrayError(RuntimeError):
    """An Array was used after it was deleted (donated to a jitted function, or ``Array.delete()``)."""

    def __init__(self, message: str):
        super().__init__(_with_location(message))


class ConcretizationError(TypeError):
    """A traced value was used where a concrete Python value is needed (``bool``, ``int``, an index, NumPy)."""

    def __init__(self, what: str, aval, hint: str):
        super().__init__(_with_location(
            f"{what} of a traced value {aval} is not possible: under tracing its value is unknown. {hint}"))


class ArraySizeError(ValueError):
    """An array larger than memory can address (more than 2**63 bytes), refused before anything is allocated."""

    def __init__(self, message: str):
        super().__init__(_with_location(message))


_MAX_BYTES = 2 ** 63 - 1  # NumPy's limit too: byte counts are signed 64-bit


def readable_bytes(n: int) -> str:
    """``n`` bytes in binary units: ``'8.0 TiB'``."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"):
        if n < 1024 or unit == "ZiB":
            return f"{n} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024


def check_size(op: str, shape, dtype) -> None:
    """Raise ``ArraySizeError`` naming ``op`` if an array of ``shape`` and ``dtype`` (None: count elements)
    could not be addressed, before anyone tries to allocate it: ``check_size("zeros", (2**32, 2**32),
    "float64")`` raises (2**67 bytes)."""
    size = 1 if dtype is None else np.dtype(dtype).itemsize
    for n in shape:
        size *= int(n)
    if size > _MAX_BYTES:
        what = f"would have {size} elements, more than an array can index (2**63)" if dtype is None else \
            f"and dtype {np.dtype(dtype)} would take {size} bytes ({readable_bytes(size)}), more than memory " \
            "can address (2**63 bytes)"
        raise ArraySizeError(f"{op}: an array of shape {tuple(int(n) for n in shape)} {what}")


def compiled_failure(where: str, jaxpr, error: Exception) -> Exception:
    """The error to raise for ``error``, raised while running the compiled code (or first tier) of ``jaxpr``:
    the same exception type, its message prefixed by ``where`` (``jit(f)``), with the operations that can raise
    it (singular ``inv``/``solve``) or the largest values (a failed allocation), and the user's line."""
    culprits = _culprits(jaxpr, error)
    inputs = ", ".join(str(v.aval) for v in jaxpr.invars)
    message = _with_location(f"{where}: {type(error).__name__}: {error}"
                             + f" ({culprits or 'inputs ' + inputs})")
    try:
        return type(error)(message)
    except TypeError:  # an exception type that takes other arguments
        return RuntimeError(message)


_RAISING = {"inv": "a singular matrix", "solve": "a singular matrix"}


def _culprits(jaxpr, error: Exception) -> str:
    eqns = list(_equations(jaxpr))
    if isinstance(error, MemoryError):
        sized = [(_nbytes(v.aval), e, v) for e in eqns for v in e.outvars]
        if not sized:
            return ""
        nbytes, eqn, v = max(sized, key=lambda t: t[0])
        return f"allocating its largest value, {v.aval} ({readable_bytes(nbytes)}), from {eqn.primitive.name}"
    suspects = [f"in {e.primitive.name} of {', '.join(str(x.aval) for x in e.invars)}" for e in eqns
                if e.primitive.name in _RAISING and "LinAlgError" in type(error).__name__]
    return " or ".join(dict.fromkeys(suspects))


def _equations(jaxpr):
    """Every equation of ``jaxpr`` and of the sub-jaxprs in its equations' params (loop bodies, branches)."""
    for eqn in jaxpr.eqns:
        yield eqn
        for value in eqn.params.values():
            for sub in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    yield from _equations(inner)


def _nbytes(aval) -> int:
    size = aval.dtype.itemsize
    for n in aval.shape:
        size *= n
    return size
