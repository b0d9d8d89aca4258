"""The operators and NumPy-style methods shared by ``Array`` and ``Tracer``.

Core knows nothing of ``fnx.numpy``; ``fnx.numpy`` installs itself here when imported (``set_namespace``),
and every operator and method forwards to the function of the same meaning there.
"""
from __future__ import annotations

_fnp = None  # the fnx.numpy module, installed by fnx.numpy on import


def set_namespace(module) -> None:
    global _fnp
    _fnp = module


def _binary(name: str, reflected: bool = False):
    if reflected:
        return lambda self, other: getattr(_fnp, name)(other, self)
    return lambda self, other: getattr(_fnp, name)(self, other)


def _method(name: str):
    def method(self, *args, **kwargs):
        return getattr(_fnp, name)(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"Same as ``fnx.numpy.{name}(self, ...)``."
    return method


def _shape_args(args: tuple) -> tuple:
    return args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


class ArrayMethods:
    """Mixin: needs ``.aval`` (a ShapedArray) on the instance."""

    __slots__ = ()
    __array_priority__ = 100  # so that ``ndarray + x`` defers to x.__radd__

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: len(self.aval.shape))
    size = property(lambda self: self.aval.size)
    T = property(lambda self: _fnp.transpose(self))
    mT = property(lambda self: _fnp.matrix_transpose(self))
    at = property(lambda self: _fnp.IndexUpdateHelper(self))

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of a 0-d array")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.aval.shape[0]))

    def __getitem__(self, index):
        return _fnp.getitem(self, index)

    def __array_function__(self, func, types, args, kwargs):  # np.sum(x) and friends: fnx/numpy/_numpy_protocol.py
        return _fnp._numpy_protocol.array_function(func, types, args, kwargs)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):  # np.sin(x), ndarray + x
        return _fnp._numpy_protocol.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_namespace__(self, /, *, api_version: str | None = None):
        """``fnx.numpy``, the Array API namespace of this array (``api_version``: ``"2023.12"``, or None)."""
        if api_version not in (None, "2021.12", "2022.12", "2023.12"):
            raise ValueError(f"__array_namespace__: fnx.numpy implements the Array API 2023.12, not {api_version!r}")
        return _fnp

    def to_device(self, device, /, *, stream=None):
        """This array on ``device`` (``fnx.numpy.to_device``)."""
        return _fnp.to_device(self, device, stream=stream)

    def reshape(self, *shape, order="C"):
        return _fnp.reshape(self, _shape_args(shape), order=order)

    def transpose(self, *axes):
        return _fnp.transpose(self, _shape_args(axes) or None)

    def astype(self, dtype, copy=True):
        return _fnp.astype(self, dtype)

    def flatten(self):
        return _fnp.ravel(self)


_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide", "floordiv": "floor_divide",
           "mod": "remainder", "pow": "power", "matmul": "matmul", "and": "bitwise_and", "or": "bitwise_or",
           "xor": "bitwise_xor", "lshift": "left_shift", "rshift": "right_shift", "divmod": "divmod"}
for _op, _fn in _BINARY.items():
    setattr(ArrayMethods, f"__{_op}__", _binary(_fn))
    setattr(ArrayMethods, f"__r{_op}__", _binary(_fn, reflected=True))
for _op, _fn in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater",
                 "ge": "greater_equal"}.items():
    setattr(ArrayMethods, f"__{_op}__", _binary(_fn))
for _op, _fn in {"neg": "negative", "pos": "positive", "abs": "abs", "invert": "invert"}.items():
    setattr(ArrayMethods, f"__{_op}__", _method(_fn))
for _name in ("sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "all", "any", "cumsum",
              "cumprod", "ravel", "squeeze", "swapaxes", "clip", "round", "dot", "nonzero", "sort", "argsort",
              "repeat", "take", "trace", "diagonal", "conj", "conjugate"):
    setattr(ArrayMethods, _name, _method(_name))
ArrayMethods.__hash__ = None
