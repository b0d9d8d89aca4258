"""A restricted unpickler for the data sets published as pickles, so that a crafted file cannot run code:
CIFAR-10 python batches, ``mnist.pkl.gz`` (deeplearning.net's MNIST), and the object arrays of Keras's
``imdb.npz`` (NumPy pickles arrays of lists).

A CIFAR-10 batch is a pickled dict of lists, bytes, strings, ints and one NumPy uint8 array; ``mnist.pkl.gz``
a tuple of (images, labels) tuples of float32 and int64 arrays; an object array of ``imdb.npz`` holds lists of
ints (one review as word ids). Unpickling an array
names three globals (``numpy.core.multiarray._reconstruct``, ``numpy.ndarray`` and ``numpy.dtype``; with
protocol 5 ``numpy._core.numeric._frombuffer``; a protocol-2 pickle written by Python 3 also names
``_codecs.encode`` for its bytes). Those names resolve here to stand-ins that only record what was asked for
and validate it; the array is then built with ``np.frombuffer`` from the recorded bytes, dtype and shape, so
neither NumPy's own ``__setstate__`` nor any other callable ever sees the file's values. Every other global is
refused, and every failure becomes a ``DataFileError`` naming the loader and the file. An object array is
admitted only with ``objects=True`` and only when every element is a list of ints.
"""
from __future__ import annotations

import io
import math
import pickle
import re
from pathlib import Path

import numpy as np

from ._files import DataFileError

_PLAIN_DTYPE = re.compile(r"[<>|=]?[biuf][1248]")
_DTYPE_STATE_TAIL = (None, None, None, -1, -1, 0)  # names, fields, subarray, elsize, alignment, flags
_OBJECT_STATE_TAIL = (None, None, None, -1, -1, 63)  # the same for NumPy's object dtype


class _Refused(pickle.UnpicklingError):
    """The pickle holds something the data set's format never holds."""


def _text(value, what: str) -> str:
    """``value`` as str: Python 2's strings arrive as bytes (the batches are read with ``encoding='bytes'``)."""
    if isinstance(value, bytes):
        return value.decode("latin1")
    if isinstance(value, str):
        return value
    raise _Refused(f"{what} is a {type(value).__name__}, not a string")


class _PickledDtype:
    """Stands for ``numpy.dtype(spec)`` while unpickling; only plain bool, integer and float dtypes."""

    allowed = _PLAIN_DTYPE
    tail = _DTYPE_STATE_TAIL

    def __init__(self, spec, align=False, copy=True):
        spec = _text(spec, "a dtype")
        if not self.allowed.fullmatch(spec):
            raise _Refused(f"it asks for numpy.dtype({spec!r}); the data set holds only plain numeric arrays")
        self.dtype = np.dtype(spec)

    def __setstate__(self, state):
        tail = _OBJECT_STATE_TAIL if self.dtype.hasobject else self.tail
        if not isinstance(state, tuple) or len(state) != 8 or state[0] != 3 or state[2:] != tail:
            raise _Refused(f"it gives a dtype the state {state!r}; a plain {self.dtype} dtype has "
                           f"(3, <byte order>, {', '.join(map(repr, tail))})")
        order = _text(state[1], "a byte order")
        if order not in ("<", ">", "|", "="):
            raise _Refused(f"it gives a dtype the byte order {order!r}")
        self.dtype = self.dtype.newbyteorder(order)


def _shape(value) -> tuple[int, ...]:
    if not isinstance(value, tuple) or not all(type(n) is int and n >= 0 for n in value):
        raise _Refused(f"it gives an array the shape {value!r}")
    return value


class _ObjectDtype(_PickledDtype):
    """Like ``_PickledDtype``, and also NumPy's object dtype (``"O8"``)."""

    allowed = re.compile(rf"{_PLAIN_DTYPE.pattern}|O8")


def _int_lists(values, shape: tuple) -> np.ndarray:
    """An object array of ``shape`` holding ``values``, each a list of ints (checked)."""
    if not isinstance(values, list) or len(values) != math.prod(shape):
        raise _Refused(f"it gives an object array of shape {shape} something other than {math.prod(shape)} values")
    for value in values:
        if not isinstance(value, list) or not all(type(v) is int for v in value):
            raise _Refused(f"an element of an object array is a {type(value).__name__}, not a list of ints")
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def _array(raw, dtype, shape, fortran: bool) -> np.ndarray:
    """The array of ``shape`` and ``dtype`` whose elements are the bytes ``raw``, after checking they match."""
    if isinstance(dtype, _PickledDtype) and dtype.dtype.hasobject:
        return _int_lists(raw, _shape(shape))
    if not isinstance(dtype, _PickledDtype) or not isinstance(raw, (bytes, bytearray)):
        raise _Refused("it builds an array from something other than a numeric dtype and bytes")
    shape = _shape(shape)
    if len(raw) != math.prod(shape) * dtype.dtype.itemsize:
        raise _Refused(f"it declares a {dtype.dtype} array of shape {shape} but gives {len(raw)} bytes")
    return np.frombuffer(raw, dtype.dtype).reshape(shape, order="F" if fortran else "C")


class _PickledArray:
    """Stands for the empty array ``_reconstruct`` makes; the array proper comes with its state (BUILD)."""

    array: np.ndarray | None = None

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) != 5 or state[0] != 1 or type(state[3]) is not bool:
            raise _Refused("it gives an array a state other than (1, shape, dtype, is_fortran, bytes)")
        self.array = _array(state[4], state[2], state[1], state[3])


_NDARRAY = object()  # stands for numpy.ndarray: only ever the first argument of _reconstruct


def _reconstruct(subtype, shape, typecode) -> _PickledArray:
    if subtype is not _NDARRAY or shape != (0,):
        raise _Refused("it calls numpy's _reconstruct other than as pickled ndarrays do")
    return _PickledArray()


def _frombuffer(raw, dtype, shape, order) -> _PickledArray:
    pickled = _PickledArray()
    pickled.array = _array(raw, dtype, shape, _text(order, "an array order") == "F")
    return pickled


def _latin1(text, encoding):
    """``_codecs.encode(text, 'latin1')``, how Python 3 writes bytes in a protocol-2 pickle; no other codec."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused(f"it calls _codecs.encode with the codec {encoding!r}; only latin1 makes bytes")
    return text.encode("latin1")


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,   # NumPy 1 (the published batches)
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,  # NumPy 2
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,        # pickle protocol 5
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _PickledDtype,
    ("_codecs", "encode"): _latin1,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, objects: bool):
        super().__init__(io.BytesIO(data), encoding="bytes")
        self.allowed = {**_ALLOWED, **({("numpy", "dtype"): _ObjectDtype} if objects else {})}

    def find_class(self, module: str, name: str):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise _Refused(f"it asks for the global {module}.{name}, which the data set never holds; "
                           f"it was refused, not run") from None


def _plain(value):
    """A loaded value with stand-ins replaced by what they stand for, inside tuples and lists too."""
    if isinstance(value, _PickledArray):
        if value.array is None:
            raise _Refused("it starts an array but never gives its contents")
        return value.array
    if isinstance(value, _PickledDtype):
        raise _Refused("it holds a bare dtype")
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return value


def unpickle(data: bytes, file: Path, op: str, what: str, objects: bool = False):
    """The value pickled in ``data`` (read from ``file``), NumPy arrays rebuilt, dict keys as str;
    ``DataFileError`` naming ``op``, ``file`` and ``what`` the file should be if it holds anything else."""
    try:
        value = _plain(_Unpickler(data, objects).load())
        if isinstance(value, dict):
            return {_text(k, "a key"): _plain(v) for k, v in value.items()}
        return value
    except Exception as err:  # an unpickler fed arbitrary bytes can raise almost anything: name the file
        raise DataFileError(f"{op}: {file} is not a valid {what}: "
                            f"{err if isinstance(err, _Refused) else f'{type(err).__name__}: {err}'}") from err


def load_batch(file: Path, op: str) -> dict:
    """The dict pickled in the CIFAR-10 batch ``file``; ``DataFileError`` if it is anything else."""
    batch = unpickle(file.read_bytes(), file, op, "CIFAR-10 python batch")
    if not isinstance(batch, dict):
        raise DataFileError(f"{op}: {file} is not a valid CIFAR-10 python batch: it holds a "
                            f"{type(batch).__name__}, not a dict")
    return batch
