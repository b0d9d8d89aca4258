"""The Array API's inspection namespace (``fnx.numpy.__array_namespace_info__()``) and its data type functions:
``isdtype``, ``can_cast``, ``finfo`` and ``iinfo`` (standard 2023.12, "Inspection" and "Data Type Functions").

Dtypes are read by kind (``np.dtype.kind``), so complex dtypes fall into ``'complex floating'`` as soon as
``fnx.core.dtypes`` supports them, with nothing to change here.
"""
from __future__ import annotations

import numpy as np

from ..config import config
from ..core import dtypes
from ..core.array import CPU, Device
from ..core.errors import FnxTypeError

# the standard's dtype kinds, as sets of NumPy kind letters
_KINDS = {"bool": "b", "signed integer": "i", "unsigned integer": "u", "integral": "iu", "real floating": "f",
          "complex floating": "c", "numeric": "iufc"}


def _dtype(dtype, op: str) -> np.dtype:
    """``dtype`` (a dtype, a callable dtype name such as ``fnp.float32``, or an array) as a NumPy dtype."""
    try:
        if not isinstance(dtype, (np.dtype, type, str)) and hasattr(dtype, "dtype"):
            dtype = dtype.dtype  # an array
        return np.dtype(dtype)
    except TypeError:
        raise FnxTypeError(f"{op}: {dtype!r} is not a dtype or an array") from None


def isdtype(dtype, kind) -> bool:
    """Whether ``dtype`` is of ``kind``: a dtype, one of the standard's kind names (``'bool'``,
    ``'signed integer'``, ``'unsigned integer'``, ``'integral'``, ``'real floating'``, ``'complex floating'``,
    ``'numeric'``), or a tuple of those (any of them).

    >>> import fnx.numpy as fnp
    >>> fnp.isdtype(fnp.float32, "real floating"), fnp.isdtype(fnp.int8, ("bool", "unsigned integer"))
    (True, False)
    """
    dt = _dtype(dtype, "isdtype")
    if isinstance(kind, tuple):
        return any(isdtype(dt, k) for k in kind)
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise FnxTypeError(f"isdtype: unknown kind {kind!r}; kinds are {', '.join(map(repr, _KINDS))}")
        return dt.kind in _KINDS[kind]
    return dt == _dtype(kind, "isdtype")


def can_cast(from_, to, /) -> bool:
    """Whether the standard's promotion rules turn ``from_`` (a dtype or an array) into ``to`` without loss
    (NumPy's ``'safe'`` casting): bool -> ints -> floats -> complex, never from float to int.

    >>> import fnx.numpy as fnp
    >>> fnp.can_cast(fnp.int8, fnp.int16), fnp.can_cast(fnp.float64, fnp.float32), fnp.can_cast(fnp.int64, fnp.float64)
    (True, False, True)
    """
    return bool(np.can_cast(_dtype(from_, "can_cast"), _dtype(to, "can_cast"), casting="safe"))


class FloatInfo:
    """``np.finfo`` with the standard's attributes as Python numbers: ``bits``, ``eps``, ``max``, ``min``,
    ``smallest_normal`` and ``dtype`` (the real dtype); NumPy's others (``tiny``, ``resolution``...) as NumPy's."""

    __module__ = "fnx.numpy"

    def __init__(self, info: np.finfo):
        self._info, self.bits, self.dtype = info, info.bits, info.dtype
        self.eps, self.max, self.min, self.smallest_normal = map(float, (info.eps, info.max, info.min,
                                                                         info.smallest_normal))

    def __getattr__(self, name: str):
        return getattr(self._info, name)

    def __repr__(self) -> str:
        return f"finfo(bits={self.bits}, eps={self.eps}, max={self.max}, min={self.min}, dtype={self.dtype})"


def finfo(type, /) -> FloatInfo:  # noqa: A002  (the standard's name)
    """Machine limits of a floating dtype (real or complex; for complex, of its real part): ``bits``, ``eps``,
    ``max``, ``min``, ``smallest_normal``, ``dtype``. ``type`` is a dtype or an array.

    >>> import fnx.numpy as fnp
    >>> fnp.finfo(fnp.float32).eps
    1.1920928955078125e-07
    """
    dt = _dtype(type, "finfo")
    if dt.kind not in "fc":
        raise FnxTypeError(f"finfo: needs a floating dtype, got {dt}")
    return FloatInfo(np.finfo(dtypes.canonicalize(dt, "finfo")))


def iinfo(type, /) -> np.iinfo:  # noqa: A002
    """Machine limits of an integer dtype: ``bits``, ``max``, ``min``, ``dtype``. ``type`` is a dtype or an
    array.

    >>> import fnx.numpy as fnp
    >>> fnp.iinfo(fnp.int8).max
    127
    """
    dt = _dtype(type, "iinfo")
    if dt.kind not in "iu":
        raise FnxTypeError(f"iinfo: needs an integer dtype, got {dt}")
    return np.iinfo(dtypes.canonicalize(dt, "iinfo"))


class Info:
    """What ``fnx.numpy.__array_namespace_info__()`` returns: the library's capabilities, devices and dtypes."""

    __module__ = "fnx.numpy"

    def capabilities(self) -> dict:
        """Boolean indexing and data-dependent shapes (``nonzero``, ``unique_*``) work, eagerly: under
        ``jit`` such shapes need a static ``size=`` (docs/array_api.md)."""
        return {"boolean indexing": True, "data-dependent shapes": True}

    def default_device(self) -> Device:
        """The CPU: arrays are made there unless ``device=`` says otherwise."""
        return CPU

    def devices(self) -> list:
        """The CPU, then the GPUs the CUDA backend finds (``fnx.devices()``)."""
        from ..lower.devices import all_devices
        return all_devices()

    def default_dtypes(self, *, device: Device | None = None) -> dict:
        """The dtypes a Python float, complex and int become, and that of indices (``fnx.config.default_float``
        decides the floats; a complex default appears when fnx supports complex dtypes)."""
        defaults = {"real floating": config.default_float, "integral": dtypes.DEFAULT_INT,
                    "indexing": dtypes.DEFAULT_INT}
        complex_default = np.result_type(config.default_float, np.complex64)
        if complex_default in dtypes.SUPPORTED_DTYPES:
            defaults["complex floating"] = complex_default
        return defaults

    def dtypes(self, *, device: Device | None = None, kind=None) -> dict:
        """The supported dtypes by name, all of them or those of ``kind`` (as in ``isdtype``).

        >>> import fnx.numpy as fnp
        >>> list(fnp.__array_namespace_info__().dtypes(kind="real floating"))
        ['float32', 'float64']
        """
        return {dt.name: dt for dt in dtypes.SUPPORTED_DTYPES if kind is None or isdtype(dt, kind)}


def __array_namespace_info__() -> Info:
    """The Array API inspection namespace of ``fnx.numpy``.

    >>> import fnx.numpy as fnp
    >>> fnp.__array_namespace_info__().default_device()
    CPUDevice(id=0)
    """
    return Info()
