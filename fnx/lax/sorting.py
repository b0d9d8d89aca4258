"""The multi-operand ``sort`` primitive: sort several arrays of one shape along an axis by their leading keys.

``sort_p`` takes operands of one shape (their dtypes may differ) and returns them all reordered by the same
permutation: the one that sorts the first ``num_keys`` operands lexicographically along ``dimension`` (the
first key decides, the second breaks its ties, and so on). NaNs sort after everything else, as in NumPy.
With an ``iota`` as the last operand this is an argsort; with a values array it is a key-value sort.
"""
from __future__ import annotations

import numpy as np

from ..core.avals import ShapedArray, aval_of
from ..core.errors import FnxTypeError
from ..core.primitive import def_primitive
from ._rules import describe, normalize_axes


def _sort_eval(*operands: ShapedArray, dimension: int, is_stable: bool, num_keys: int) -> list:
    if not operands:
        raise FnxTypeError("sort: needs at least one operand")
    if len({op.shape for op in operands}) != 1:
        raise FnxTypeError(f"sort: operands must have one shape, got {describe(operands)}")
    if not 1 <= num_keys <= len(operands):
        raise FnxTypeError(f"sort: num_keys={num_keys} must be between 1 and the number of operands "
                           f"({len(operands)})")
    normalize_axes("sort", (dimension,), operands[0].ndim)
    if any(op.dtype.kind == "c" for op in operands[:num_keys]):
        raise FnxTypeError(f"sort: complex numbers have no order, got keys {describe(operands[:num_keys])} (sort "
                           "by their abs or real parts)")
    return list(operands)


def _sort_impl(*operands, dimension: int, is_stable: bool, num_keys: int) -> list:
    operands = [np.asarray(op) for op in operands]
    _sort_eval(*map(aval_of, operands), dimension=dimension, is_stable=is_stable, num_keys=num_keys)
    if len(operands) == 1:
        return [np.sort(operands[0], axis=dimension, kind="stable")]
    if num_keys == 1:
        perm = np.argsort(operands[0], axis=dimension, kind="stable")
    else:  # np.lexsort (stable) takes the primary key last
        perm = np.lexsort(operands[num_keys - 1::-1], axis=dimension)
    return [np.take_along_axis(op, perm, axis=dimension) for op in operands]


sort_p = def_primitive("sort", _sort_eval, _sort_impl, multiple_results=True)


def _ndim(x) -> int:
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def sort(operand_or_tuple, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """Sort an array, or a tuple of arrays of one shape by their first ``num_keys`` arrays, along ``dimension``.

    A single array gives a single sorted array; a tuple gives a tuple, every member reordered by the
    permutation that sorts the keys lexicographically (NaNs last). The sort is always stable.

    >>> import numpy as np
    >>> keys, vals = sort((np.array([2, 1, 2]), np.array([10, 20, 30])))
    >>> vals
    Array([20, 10, 30], dtype=int64)
    """
    single = not isinstance(operand_or_tuple, (tuple, list))
    operands = (operand_or_tuple,) if single else tuple(operand_or_tuple)
    if not operands:
        raise FnxTypeError("sort: needs at least one operand")
    ndim = _ndim(operands[0])
    if -ndim <= dimension < ndim:
        dimension %= ndim
    out = sort_p.bind(*operands, dimension=int(dimension), is_stable=bool(is_stable), num_keys=int(num_keys))
    return out[0] if single else tuple(out)


def sort_key_val(keys, values, dimension: int = -1) -> tuple:
    """``(sorted keys, values reordered the same way)`` along ``dimension``; equal keys keep their order.

    >>> import numpy as np
    >>> sort_key_val(np.array([3, 1, 2]), np.array([0.3, 0.1, 0.2]))[1]
    Array([0.1, 0.2, 0.3], dtype=float64)
    """
    return sort((keys, values), dimension, is_stable=True, num_keys=1)

