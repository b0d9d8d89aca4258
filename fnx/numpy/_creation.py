"""Array creation: array/asarray, filled arrays, ranges, identity and triangular matrices, grids."""
from __future__ import annotations

import math
import numpy as np

from .. import lax
from ..config import config
from ..core import dtypes
from ..core.array import CPU, Array
from ..core.errors import FnxTypeError, check_size
from ..core.tracing import Tracer, is_tracing
from ._util import as_array, cast, common_dtype, is_weak, to_operand


def _contains_tracer(obj) -> bool:
    if isinstance(obj, Tracer):
        return True
    return isinstance(obj, (list, tuple)) and any(_contains_tracer(o) for o in obj)


def _default_dtype_of(value: np.ndarray) -> np.dtype:
    """NumPy infers float64 for Python floats; fnx uses the configured default float instead."""
    if value.dtype == np.float64:
        return config.default_float
    return dtypes.canonicalize(value.dtype, "array")


def array(obj, dtype=None, copy: bool = True):
    """An fnx Array from an array, a scalar or nested lists (which may hold arrays and traced values).

    >>> import fnx.numpy as fnp
    >>> fnp.array([[1, 2], [3, 4]], dtype="float32")
    Array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    target = dtypes.canonicalize(dtype, "array") if dtype is not None else None
    if isinstance(obj, (Array, Tracer)):
        return obj if target is None else cast(obj, target)
    if isinstance(obj, (list, tuple)) and _contains_tracer(obj):
        from ._shape import stack
        parts = [array(o) for o in obj]
        common = dtypes.result_type(*[p.dtype for p in parts])
        return stack([cast(p, target or common) for p in parts])
    if isinstance(obj, (list, tuple)) and any(isinstance(o, Array) for o in obj):
        obj = [np.asarray(o) if isinstance(o, Array) else o for o in obj]
    try:
        value = np.array(obj)
        if target is not None and target.kind in "iu" and value.dtype.kind == "f" and isinstance(obj, (list, tuple)):
            value = np.array(obj, dtype=target)  # [2**63 + 1, 1] exactly: NumPy infers float64 for it
    except (ValueError, OverflowError) as e:
        raise FnxTypeError(f"array: cannot make an array of {type(obj).__name__}: {e}") from None
    if value.dtype == object or value.dtype.kind in "cUSV":
        raise FnxTypeError(f"array: unsupported element type {value.dtype} (fnx arrays hold bool, ints and floats)")
    explicit = isinstance(obj, (np.ndarray, np.generic))  # keeps its dtype, if fnx supports it
    inferred = dtypes.canonicalize(value.dtype, "array") if explicit else _default_dtype_of(value)
    return Array._wrap(value.astype(target or inferred, copy=False))


def asarray(obj, dtype=None, copy: bool | None = None, *, device=None):
    """Like ``array``, but returns an fnx Array or traced value unchanged when no cast is asked for.

    ``copy=False`` is refused only where a cast is needed; an fnx Array never needs a copy (it is immutable).
    ``device`` places the result (``fnx.device_put``).

    >>> import fnx.numpy as fnp
    >>> fnp.asarray([1, 2, 3])
    Array([1, 2, 3], dtype=int64)
    >>> fnp.asarray(2.5, dtype='float32')
    Array(2.5, dtype=float32)
    """
    if copy is False and dtype is not None and hasattr(obj, "dtype") and \
            np.dtype(obj.dtype) != dtypes.canonicalize(dtype, "asarray"):
        raise ValueError(f"asarray: copy=False, but converting to {np.dtype(dtype)} needs a copy")
    return to_device(array(obj, dtype), device)


def to_device(x, device, /, *, stream=None):
    """``x`` placed on ``device`` (None or the CPU: ``x`` itself; a GPU: ``fnx.device_put``), as
    ``x.to_device(device)`` and ``array_api_compat.to_device``. ``stream`` is the standard's; fnx has none.

    >>> import fnx.numpy as fnp
    >>> fnp.to_device(fnp.ones(2), "cpu").device
    CPUDevice(id=0)
    """
    if device is None or device == CPU or device == "cpu":
        return x
    from .. import device_put
    return device_put(x, device)


def from_dlpack(x, /, *, device=None, copy: bool | None = None):
    """An fnx Array sharing the memory of ``x``, any object with ``__dlpack__`` (a NumPy array, a PyTorch CPU
    tensor...), or with ``copy=True`` a copy of it.

    The Array is immutable but the producer may not be: writing to ``x`` afterwards changes the Array too, as
    with any DLPack consumer (pass ``copy=True`` to be safe). fnx reads CPU buffers (``__dlpack_device__``
    ``(1, 0)``) of the dtypes it supports.

    >>> import numpy as np, fnx.numpy as fnp
    >>> a = np.arange(3.0)
    >>> b = fnp.from_dlpack(a)
    >>> np.shares_memory(np.asarray(b), a)
    True
    """
    if type(x) is Array and not copy:
        return to_device(x, device)
    try:
        value = np.from_dlpack(x, copy=copy)
    except (AttributeError, BufferError, RuntimeError, TypeError) as e:
        raise FnxTypeError(f"from_dlpack: cannot read {type(x).__name__} through DLPack: {e}") from None
    view = value.view()
    view.flags.writeable = False
    dtypes.canonicalize(view.dtype, "from_dlpack")
    return to_device(Array._wrap(view), device)


def _shape_tuple(shape, op: str) -> tuple:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(not isinstance(n, (int, np.integer)) or n < 0 for n in shape):
        raise FnxTypeError(f"{op}: shape must be non-negative integers, got {shape}")
    return tuple(int(n) for n in shape)


def _fill_dtype(fill_value, dtype, op: str) -> np.dtype:
    if dtype is not None:
        return dtypes.canonicalize(dtype, op)
    if is_weak(fill_value):
        return dtypes.dtype_of_scalar(fill_value)
    return np.dtype(fill_value.dtype)


def full(shape, fill_value, dtype=None, *, device=None):
    """An array of ``shape`` filled with ``fill_value`` (a scalar, or an array broadcast to ``shape``).

    >>> import fnx.numpy as fnp
    >>> fnp.full((2,), 7)
    Array([7, 7], dtype=int64)
    """
    return to_device(_filled("full", shape, fill_value, dtype), device)


def _filled(op: str, shape, fill_value, dtype):
    """``full``, with errors naming ``op`` (the function the user called)."""
    shape = _shape_tuple(shape, op)
    dtype = _fill_dtype(fill_value, dtype, op)
    check_size(op, shape, dtype)
    if is_weak(fill_value) or isinstance(fill_value, (np.generic, np.ndarray)):
        if not is_tracing():
            return Array._wrap(np.full(shape, fill_value, dtype=dtype))
        fill_value = np.asarray(fill_value, dtype=dtype)
    from ._util import broadcast_to_shape
    return broadcast_to_shape(cast(as_array(fill_value, op), dtype), shape)


def zeros(shape, dtype=None, *, device=None):
    """An array of zeros (default float dtype unless ``dtype`` is given).

    >>> import fnx.numpy as fnp
    >>> fnp.zeros((2, 3))
    Array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float64)
    >>> fnp.zeros(2, dtype='int32')
    Array([0, 0], dtype=int32)
    """
    return to_device(_filled("zeros", shape, 0, dtype or float), device)


def ones(shape, dtype=None, *, device=None):
    """An array of ones (default float dtype unless ``dtype`` is given).

    >>> import fnx.numpy as fnp
    >>> fnp.ones(3)
    Array([1., 1., 1.], dtype=float64)
    """
    return to_device(_filled("ones", shape, 1, dtype or float), device)


def empty(shape, dtype=None, *, device=None):
    """Same as ``zeros``: fnx arrays are immutable, so there is nothing to gain from uninitialized memory."""
    return to_device(_filled("empty", shape, 0, dtype or float), device)


def full_like(x, fill_value, dtype=None, shape=None, *, device=None):
    """An array shaped like ``x`` (or ``shape``) filled with ``fill_value``, of ``x``'s dtype unless given.

    >>> import fnx.numpy as fnp
    >>> fnp.full_like(fnp.array([1.0, 2.0]), 7.0)
    Array([7., 7.], dtype=float64)
    """
    return to_device(_filled_like("full_like", x, fill_value, dtype, shape), device)


def _filled_like(op: str, x, fill_value, dtype, shape):
    """``full_like``, with errors naming ``op``."""
    x = as_array(x, op)
    return _filled(op, x.shape if shape is None else shape, fill_value, dtype or x.dtype)


def zeros_like(x, dtype=None, shape=None, *, device=None):
    """Zeros shaped like ``x``.

    >>> import fnx.numpy as fnp
    >>> fnp.zeros_like(fnp.array([1, 2, 3]))
    Array([0, 0, 0], dtype=int64)
    """
    return to_device(_filled_like("zeros_like", x, 0, dtype, shape), device)


def ones_like(x, dtype=None, shape=None, *, device=None):
    """Ones shaped like ``x``.

    >>> import fnx.numpy as fnp
    >>> fnp.ones_like(fnp.array([[1.5], [2.5]]))
    Array([[1.],
           [1.]], dtype=float64)
    """
    return to_device(_filled_like("ones_like", x, 1, dtype, shape), device)


def empty_like(x, dtype=None, shape=None, *, device=None):
    """Same as ``zeros_like``."""
    return to_device(_filled_like("empty_like", x, 0, dtype, shape), device)


def _static_number(v, op: str):
    if isinstance(v, (Tracer,)):
        raise FnxTypeError(f"{op}: start, stop and step must be concrete numbers, not traced values; "
                           "the length of the result must be known when tracing")
    return v.item() if isinstance(v, (Array, np.ndarray, np.generic)) else v


def arange(start, stop=None, step=1, dtype=None, *, device=None):
    """Evenly spaced values in ``[start, stop)`` (NumPy's ``arange``).

    >>> import fnx.numpy as fnp
    >>> fnp.arange(5)
    Array([0, 1, 2, 3, 4], dtype=int64)
    """
    start, stop, step = (_static_number(v, "arange") for v in (start, stop, step))
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if step == 0:
        raise FnxTypeError("arange: step must not be zero")
    dt = dtypes.canonicalize(dtype, "arange") if dtype is not None else \
        dtypes.result_type(*(type(v) if is_weak(v) else np.dtype(type(v)) for v in (start, stop, step)))
    n = max(0, math.ceil((stop - start) / step))
    if device is not None:
        return to_device(arange(start, stop, step, dt), device)
    if not is_tracing():
        return Array._wrap(np.arange(start, stop, step, dtype=np.float64 if dt.kind == "f" else None).astype(dt))
    ramp = lax.iota(dt, n)
    if step != 1:
        ramp = lax.mul(ramp, dt.type(step))
    return ramp if start == 0 else lax.add(ramp, dt.type(start))


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype=None,
             axis: int = 0, *, device=None):
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive when ``endpoint``), as NumPy 2.

    Array ``start``/``stop`` broadcast together and the values run along ``axis``. The arithmetic is in the
    float type of the inputs (float32 stays float32); an integer ``dtype`` rounds towards -inf. ``retstep``
    also returns the step, in that float type.

    >>> import fnx.numpy as fnp
    >>> fnp.linspace(0.0, 1.0, 5)
    Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float64)
    """
    from ._elementwise import floor, where
    from ._shape import broadcast_arrays, moveaxis
    num = int(num)
    if num < 0:
        raise FnxTypeError(f"linspace: num must be non-negative, got {num}")
    start, stop = to_operand(start, "linspace"), to_operand(stop, "linspace")
    compute = common_dtype("linspace", start, stop, 0.0)  # the weak 0.0 makes integer inputs float
    start, stop = broadcast_arrays(*(cast(as_array(v, "linspace"), compute) for v in (start, stop)))
    div = num - 1 if endpoint else num
    delta = stop - start
    step = delta / div if div > 0 else delta * np.nan  # NumPy: no step for 0 values, or 1 with the endpoint
    out = lax.broadcasted_iota(compute, (num,) + start.shape, 0) * (step if div > 0 else delta) + start
    if endpoint and num > 1:
        out = where(lax.broadcasted_iota(np.int64, out.shape, 0) == num - 1, stop, out)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    if dtype is not None:
        dt = dtypes.canonicalize(dtype, "linspace")
        out = cast(floor(out) if dt.kind in "iu" else out, dt)
    out = to_device(out, device)
    return (out, step) if retstep else out


def logspace(start, stop, num: int = 50, endpoint: bool = True, base: float = 10.0, dtype=None, axis: int = 0):
    """``base ** linspace(start, stop, num, endpoint, axis=axis)``, cast to ``dtype`` when given.

    >>> import fnx.numpy as fnp
    >>> fnp.logspace(0.0, 2.0, 3)
    Array([  1.,  10., 100.], dtype=float64)
    """
    from ._elementwise import power
    out = power(base, linspace(start, stop, num, endpoint, axis=axis))
    return out if dtype is None else cast(out, dtypes.canonicalize(dtype, "logspace"))


def _matrix_shape(op: str, N: int, M: int | None) -> tuple:
    """``(N, M)`` (``M`` defaults to ``N``) as Python ints, checked non-negative."""
    shape = (N, N if M is None else M)
    if any(not isinstance(n, (int, np.integer)) or n < 0 for n in shape):
        raise FnxTypeError(f"{op}: matrix sizes must be non-negative integers, got N={N}, M={M}")
    return tuple(int(n) for n in shape)


def _index_grid(n: int, m: int):
    """The row and the column index of every element of an ``n x m`` matrix (int64, traced as iotas)."""
    return lax.broadcasted_iota(np.int64, (n, m), 0), lax.broadcasted_iota(np.int64, (n, m), 1)


def tri(N: int, M: int | None = None, k: int = 0, dtype=None):
    """Ones at and below the ``k``-th diagonal of an ``N x M`` matrix, zeros elsewhere.

    fnx refuses negative sizes, where NumPy returns an empty matrix.

    >>> import fnx.numpy as fnp
    >>> fnp.tri(2, dtype=int)
    Array([[1, 0],
           [1, 1]], dtype=int64)
    """
    rows, cols = _index_grid(*_matrix_shape("tri", N, M))
    return cast(cols <= rows + k, dtypes.canonicalize(dtype or float, "tri"))


def eye(N: int, M: int | None = None, k: int = 0, dtype=None, *, device=None):
    """An ``N x M`` matrix with ones on the ``k``-th diagonal.

    >>> import fnx.numpy as fnp
    >>> fnp.eye(2, 3, 1, dtype=int)
    Array([[0, 1, 0],
           [0, 0, 1]], dtype=int64)
    """
    return to_device(_eye("eye", N, M, k, dtype), device)


def identity(n: int, dtype=None):
    """The ``n x n`` identity matrix.

    >>> import fnx.numpy as fnp
    >>> fnp.identity(2)
    Array([[1., 0.],
           [0., 1.]], dtype=float64)
    """
    return _eye("identity", n, None, 0, dtype)


def _eye(op: str, N: int, M: int | None, k: int, dtype):
    """``eye``, with errors naming ``op`` (the function the user called)."""
    dt = dtypes.canonicalize(dtype or float, op)
    n, m = _matrix_shape(op, N, M)
    if not is_tracing():
        return Array._wrap(np.eye(n, m, k, dtype=dt))
    rows, cols = _index_grid(n, m)
    return cast(cols == rows + k, dt)


def _triangle(op: str, m, keep):
    """``m`` with the elements where ``keep(rows, cols)`` is False zeroed, on the last two axes.

    As NumPy, a 1-d ``m`` of length n is broadcast against an ``n x n`` mask (giving an ``n x n`` result).
    """
    from ._elementwise import where
    m = as_array(m, op)
    if m.ndim == 0:
        raise FnxTypeError(f"{op}: needs an array of at least 1 dimension, got shape {m.shape}")
    rows, cols = _index_grid(*(m.shape[-2:] if m.ndim > 1 else m.shape * 2))
    return where(keep(rows, cols), m, m.dtype.type(0))


def tril(m, k: int = 0):
    """``m`` with the elements above the ``k``-th diagonal zeroed (on the last two axes).

    >>> import fnx.numpy as fnp
    >>> fnp.tril(fnp.ones((2, 2), dtype=int))
    Array([[1, 0],
           [1, 1]], dtype=int64)
    """
    return _triangle("tril", m, lambda rows, cols: cols <= rows + k)


def triu(m, k: int = 0):
    """``m`` with the elements below the ``k``-th diagonal zeroed (on the last two axes).

    >>> import fnx.numpy as fnp
    >>> fnp.triu(fnp.ones((3, 3)))
    Array([[1., 1., 1.],
           [0., 1., 1.],
           [0., 0., 1.]], dtype=float64)
    """
    return _triangle("triu", m, lambda rows, cols: cols >= rows + k)


def diag(v, k: int = 0):
    """The ``k``-th diagonal of a matrix, or a matrix with vector ``v`` on its ``k``-th diagonal.

    >>> import fnx.numpy as fnp
    >>> fnp.diag(fnp.array([1, 2]), -1)
    Array([[0, 0, 0],
           [1, 0, 0],
           [0, 2, 0]], dtype=int64)
    """
    from ._elementwise import where
    from ._shape import diagonal
    v = as_array(v, "diag")
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise FnxTypeError(f"diag: needs a 1-d or 2-d array, got shape {v.shape}")
    n, zero = v.shape[0] + abs(k), v.dtype.type(0)
    # Element (i, j) of the diagonal holds v[min(i, j)]: v[i] above the main diagonal, v[j] below it.
    padded = lax.pad(v, zero, [(0, abs(k), 0)])
    along = lax.broadcast_in_dim(padded, (n, n), (0,) if k >= 0 else (1,))
    rows, cols = _index_grid(n, n)
    return where(cols == rows + k, along, zero)


def diagflat(v, k: int = 0):
    """``diag`` of the flattened ``v``."""
    return diag(as_array(v, "diagflat").reshape(-1), k)


def meshgrid(*xs, indexing: str = "xy", sparse: bool = False) -> list:
    """Coordinate matrices from coordinate vectors (``indexing`` "xy" Cartesian or "ij" matrix).

    >>> import fnx.numpy as fnp
    >>> [g.shape for g in fnp.meshgrid(fnp.arange(3), fnp.arange(2))]
    [(2, 3), (2, 3)]
    """
    from ._util import broadcast_to_shape
    if indexing not in ("xy", "ij"):
        raise FnxTypeError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [as_array(x, "meshgrid").reshape(-1) for x in xs]
    shape = [x.shape[0] for x in xs]
    if indexing == "xy" and len(xs) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, x in enumerate(xs):
        axis = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and len(xs) > 1 else i
        dims = [1] * len(xs)
        dims[axis] = x.shape[0]
        g = x.reshape(dims)
        out.append(g if sparse else broadcast_to_shape(g, tuple(shape)))
    return out


def copy(x):
    """A copy of ``x`` (fnx arrays are immutable, so this is ``x`` itself as an array)."""
    return as_array(x, "copy")
