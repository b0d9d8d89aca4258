"""``fnx.Array``: an immutable array that lives on a device: a NumPy buffer on the CPU (``Array``), a device
buffer elsewhere (``DeviceArray``, made by a backend such as ``fnx.lower.cuda``)."""
from __future__ import annotations

import numpy as np

from .array_methods import ArrayMethods
from .avals import ShapedArray
from .errors import DeletedArrayError


class Device:
    """A place where arrays live. ``fnx.devices()`` lists them; the CPU is always there, a GPU (platform
    ``"gpu"``) when a backend for it is available."""

    __slots__ = ("platform", "id")

    def __init__(self, platform: str, id: int = 0):
        self.platform, self.id = platform, id

    def __repr__(self) -> str:
        return f"{self.platform.upper()}Device(id={self.id})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Device) and (self.platform, self.id) == (other.platform, other.id)

    def __hash__(self) -> int:
        return hash((self.platform, self.id))


CPU = Device("cpu")
# platform -> a function waiting for the device's queued work (a backend registers it: core knows none)
synchronize: dict = {}


class _DeletedBuffer:
    """What a deleted Array holds instead of its NumPy buffer: any use of it raises DeletedArrayError."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason

    def _fail(self, *args, **kwargs):
        raise DeletedArrayError(f"this Array {self.reason}: it can no longer be used")

    __getattr__ = __array__ = __bool__ = __int__ = __float__ = __index__ = __complex__ = _fail
    __len__ = __iter__ = __getitem__ = __format__ = _fail

    def __repr__(self) -> str:
        return f"<deleted: {self.reason}>"


class Array(ArrayMethods):
    """An immutable n-d array. Convert with ``np.asarray(a)``; update functionally with ``a.at[i].set(v)``.

    >>> import fnx.numpy as fnp
    >>> a = fnp.arange(3.0)
    >>> a * 2
    Array([0., 2., 4.], dtype=float64)
    """

    __slots__ = ("_value",)

    def __init__(self, value):
        self._value = np.array(value)  # always a private copy: nobody else can mutate it
        if not self._value.dtype.isnative:  # compiled code takes native byte order only (docs/failures.md)
            self._value = self._value.astype(self._value.dtype.newbyteorder("="))

    @classmethod
    def _wrap(cls, value: np.ndarray) -> "Array":
        """Wrap a NumPy array that nobody else holds, without copying."""
        self = object.__new__(cls)
        self._value = value
        return self

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray(self._value.shape, self._value.dtype)

    shape = property(lambda self: self._value.shape)
    dtype = property(lambda self: self._value.dtype)
    ndim = property(lambda self: self._value.ndim)
    size = property(lambda self: self._value.size)

    @property
    def device(self) -> Device:
        return CPU

    def devices(self) -> set:
        return {CPU}

    def block_until_ready(self) -> "Array":
        """Wait until the value is computed (CPU arrays always are) and return self."""
        return self

    def __array__(self, dtype=None, copy=None):
        if copy or (dtype is not None and np.dtype(dtype) != self._value.dtype):
            return np.array(self._value, dtype=dtype)
        view = self._value.view()
        view.flags.writeable = False  # the buffer is shared: NumPy code must not change it
        return view

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """The buffer as a DLPack capsule: shared (zero-copy) and marked read-only for a consumer of DLPack 1.0
        or later (``np.from_dlpack`` in NumPy >= 2.1); a copy with ``copy=True``, or for an older consumer,
        which cannot be told that the buffer must not be written, unless it asks ``copy=False`` (then it gets
        the buffer itself and must not write to it)."""
        shared = max_version is not None and max_version[0] >= 1
        buffer = self.__array__() if shared else self._value
        if copy or (copy is None and not shared):
            buffer = np.array(buffer)
        return buffer.__dlpack__(stream=stream, max_version=max_version, dl_device=dl_device)

    def __dlpack_device__(self) -> tuple:
        """``(device type, device id)`` of the buffer ``__dlpack__`` exports: DLPack's ``(1, 0)``, the CPU (a
        ``DeviceArray`` exports its host copy)."""
        return self._value.__dlpack_device__()

    def delete(self, reason: str = "was deleted") -> None:
        """Free the buffer now; any later use of this Array raises ``DeletedArrayError`` (as in JAX)."""
        self._value = _DeletedBuffer(reason)

    def is_deleted(self) -> bool:
        """Whether the Array was deleted, by ``delete()`` or by donating it to a jitted function."""
        return type(self._value) is _DeletedBuffer

    def __repr__(self) -> str:
        value = self._value
        if type(value) is _DeletedBuffer:
            return f"Array({value!r})"
        scalar = value.ndim == 0 and value.dtype.kind != "c"  # NumPy's 2.+4.j, not Python's (2+4j), as JAX shows
        # a 0-d value as its NumPy scalar prints: the shortest digits of its own dtype (float32 0.1 is "0.1")
        body = str(value[()]) if scalar else np.array2string(value, separator=", ", prefix="Array(")
        return f"Array({body}, dtype={value.dtype})"

    def __str__(self) -> str:
        return str(self._value)

    def __format__(self, spec: str) -> str:
        return format(self._value.item() if self._value.ndim == 0 else self._value, spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __index__(self) -> int:
        return self._value.__index__()

    def __complex__(self) -> complex:
        return complex(self._value)

    def __setitem__(self, index, value):
        raise TypeError("fnx arrays are immutable: use x = x.at[index].set(value) to get an updated copy")

    def __reduce__(self):
        return (Array, (self._value,))

    def __copy__(self) -> "Array":
        return self

    def __deepcopy__(self, memo) -> "Array":
        return self

    def item(self, *args):
        """The element as a Python scalar (NumPy's ``item``)."""
        return self._value.item(*args)

    def tolist(self):
        """Nested Python lists, as NumPy's ``tolist``."""
        return self._value.tolist()

    def copy(self) -> "Array":
        return self


class DeviceArray(Array):
    """An immutable array whose buffer lives on a device other than the CPU (a GPU's memory).

    ``buffer`` is the backend's device array: it has ``shape``, ``dtype`` and ``copy_to_host()``. Results of
    jitted functions that ran on the device stay there; the value comes back to the host only when asked for
    (``np.asarray``, printing, ``float()``), once (the host copy is kept: the array is immutable). Eager
    fnx.numpy operations read that host copy and give CPU results; wrap them in ``jit`` to stay on the device.

    >>> import fnx, numpy as np
    >>> x = fnx.device_put(np.ones(3), fnx.devices("gpu")[0])
    >>> x.device, np.asarray(x)
    (GPUDevice(id=0), array([1., 1., 1.]))
    """

    __slots__ = ("_buffer", "_device", "_host", "__weakref__")

    def __init__(self, buffer, device: Device):
        self._buffer, self._device, self._host = buffer, device, None

    @property
    def _value(self) -> np.ndarray:
        if self._host is None:
            if self._buffer is None:
                raise DeletedArrayError("this Array was deleted: it can no longer be used")
            self._host = np.asarray(self._buffer.copy_to_host()).reshape(self._buffer.shape)
        return self._host

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray(tuple(self._buffer.shape), np.dtype(self._buffer.dtype))

    shape = property(lambda self: tuple(self._buffer.shape))
    dtype = property(lambda self: np.dtype(self._buffer.dtype))
    ndim = property(lambda self: len(self._buffer.shape))
    size = property(lambda self: int(np.prod(self._buffer.shape, dtype=np.int64)))

    @property
    def device(self) -> Device:
        return self._device

    def devices(self) -> set:
        return {self._device}

    def block_until_ready(self) -> "DeviceArray":
        """Wait until the kernels computing this array have run (launches return before), and return self."""
        synchronize[self._device.platform]()
        return self

    def delete(self, reason: str = "was deleted") -> None:
        """Free the device buffer now; any later use raises ``DeletedArrayError``."""
        self._buffer = self._host = None

    def is_deleted(self) -> bool:
        return self._buffer is None

    def __repr__(self) -> str:
        return "Array(<deleted>)" if self._buffer is None else super().__repr__()

    def __reduce__(self):  # pickles as a CPU Array: a device buffer means nothing in another process
        return (Array, (self._value,))
