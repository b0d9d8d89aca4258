"""fnx.numpy (imported as ``fnp``): NumPy's functions over fnx arrays, eager or traced.

Names and semantics follow the Python Array API standard (2023.12) plus NumPy's common aliases. Every
function accepts fnx Arrays, NumPy arrays and Python scalars, and works the same inside ``make_jaxpr``,
``jit``, ``grad`` and ``vmap``.
"""
from __future__ import annotations

import builtins as _builtins

import numpy as _np

from ..core import array_methods as _array_methods
from ..core.array import Array as ndarray  # noqa: F401  (isinstance checks as in NumPy)
from . import (_comparison, _creation, _elementwise, _indexing, _inspection, _linalg_functions,  # noqa: F401
               _numpy_protocol, _reductions, _scalar_types, _shape, _signal, _sorting, _vectorize)
from . import fft, linalg  # noqa: F401


def _export(module) -> None:
    """Publish the public functions defined in ``module`` (not what it imports)."""
    for name, value in vars(module).items():
        if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == module.__name__:
            globals()[name] = value


for _m in (_creation, _elementwise, _reductions, _shape, _indexing, _linalg_functions, _sorting, _vectorize, _comparison,
           _signal, _inspection):
    _export(_m)
__array_api_version__ = "2023.12"
__array_namespace_info__ = _inspection.__array_namespace_info__
IndexUpdateHelper = _indexing.IndexUpdateHelper

bool_ = _scalar_types.scalar_type("bool_")
int8, int16, int32, int64 = (_scalar_types.scalar_type(f"int{n}") for n in (8, 16, 32, 64))
uint8, uint16, uint32, uint64 = (_scalar_types.scalar_type(f"uint{n}") for n in (8, 16, 32, 64))
float32, float64 = _scalar_types.scalar_type("float32"), _scalar_types.scalar_type("float64")
dtype = _np.dtype
pi, e, inf, nan, newaxis, euler_gamma = _np.pi, _np.e, _np.inf, _np.nan, None, _np.euler_gamma
integer, floating, signedinteger, unsignedinteger, number, bool = (  # noqa: A001
    _np.integer, _np.floating, _np.signedinteger, _np.unsignedinteger, _np.number, _np.bool_)
issubdtype, promote_types = _np.issubdtype, _np.promote_types


def result_type(*args) -> _np.dtype:
    """The dtype NumPy 2 promotion gives ``args`` (arrays, dtypes, or Python scalars, which are weak)."""
    from ..core import dtypes
    return dtypes.result_type(*[type(a) if type(a) in (_builtins.bool, int, float) else
                                _np.dtype(getattr(a, "dtype", a)) for a in args])


def shape(x) -> tuple:
    """The shape of ``x``."""
    return tuple(x.shape) if hasattr(x, "shape") else _np.shape(x)


def ndim(x) -> int:
    """The number of dimensions of ``x``."""
    return len(shape(x))


def size(x) -> int:
    """The number of elements of ``x``."""
    return int(_np.prod(shape(x), dtype=_np.int64))


import sys as _sys  # noqa: E402

_array_methods.set_namespace(_sys.modules[__name__])
