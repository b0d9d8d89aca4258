"""Gather and scatter along the leading axes.

fnx uses one simple normal form instead of XLA's general dimension numbers: ``indices`` has shape
``batch + (k,)`` and picks, for every batch position, one element of the first ``k`` axes of the operand;
the remaining axes are taken whole::

    gather(x, idx)[b...] = x[idx[b..., 0], ..., idx[b..., k-1], ...]     shape: batch + x.shape[k:]

``fnx.numpy`` brings every NumPy advanced index to this form with transposes. Out-of-bounds indices are
clamped by gather and dropped by scatter, as in JAX (eager ``fnx.numpy`` indexing checks bounds first).
"""
from __future__ import annotations

import numpy as np

from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.primitive import def_primitive
from ._rules import same_dtype

SCATTER_MODES = ("set", "add", "mul", "min", "max")


def _check_indices(name: str, x, indices) -> int:
    if indices.dtype.kind not in "iu" or indices.ndim < 1 or not 0 <= indices.shape[-1] <= x.ndim:
        raise FnxTypeError(f"{name}: indices must be integers of shape batch + (k,) with k <= {x.ndim}, "
                           f"got {indices} for operand {x}")
    return indices.shape[-1]


def _gather_eval(x, indices):
    k = _check_indices("gather", x, indices)
    return ShapedArray(indices.shape[:-1] + x.shape[k:], x.dtype)


def _index_tuple(x: np.ndarray, indices: np.ndarray, clip: bool) -> tuple:
    k = indices.shape[-1]
    cols = [indices[..., j].astype(np.int64) for j in range(k)]
    if clip:
        cols = [np.clip(c, 0, max(n - 1, 0)) for c, n in zip(cols, x.shape)]
    return tuple(cols)


def _gather_impl(x, indices):
    x, indices = np.asarray(x), np.asarray(indices)
    if indices.shape[-1] == 0:  # no indexed axes: every batch position takes all of x
        return np.broadcast_to(x, indices.shape[:-1] + x.shape).copy()
    if 0 in x.shape[:indices.shape[-1]]:
        return np.zeros(indices.shape[:-1] + x.shape[indices.shape[-1]:], x.dtype)
    return x[_index_tuple(x, indices, clip=True)]


gather_p = def_primitive("gather", _gather_eval, _gather_impl)


def _scatter_eval(x, indices, updates, *, mode):
    k = _check_indices("scatter", x, indices)
    same_dtype("scatter", [x, updates])
    if mode not in SCATTER_MODES:
        raise FnxTypeError(f"scatter: mode must be one of {SCATTER_MODES}, got {mode!r}")
    expected = indices.shape[:-1] + x.shape[k:]
    if updates.shape != expected:
        raise FnxTypeError(f"scatter: updates {updates} must have shape {expected} for operand {x} and indices {indices}")
    return x


_UFUNC = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}
_UFUNC_AT = {mode: ufunc.at for mode, ufunc in _UFUNC.items()}


def _scatter_impl(x, indices, updates, *, mode):
    out = np.array(x)
    indices, updates = np.asarray(indices), np.asarray(updates)
    k = indices.shape[-1]
    if k == 0:  # every batch position addresses all of x
        for update in updates.reshape((-1,) + out.shape):
            out = update.copy() if mode == "set" else _UFUNC[mode](out, update)
        return out
    inside = np.all((indices >= 0) & (indices < np.array(out.shape[:k], dtype=np.int64)), axis=-1)
    idx = _index_tuple(out, indices[inside], clip=False)
    if mode == "set":
        out[idx] = updates[inside]
    else:
        _UFUNC_AT[mode](out, idx, updates[inside])
    return out


scatter_p = def_primitive("scatter", _scatter_eval, _scatter_impl)


def gather(operand, indices):
    """``operand[indices[..., 0], ..., indices[..., k-1]]`` (see fnx.lax.indexing); out-of-bounds indices clamp."""
    return gather_p.bind(operand, indices)


def scatter(operand, indices, updates, mode: str = "set"):
    """Write (or add/mul/min/max) ``updates`` at ``indices`` of the leading axes; out-of-bounds ones are dropped."""
    return scatter_p.bind(operand, indices, updates, mode=mode)


def scatter_add(operand, indices, updates):
    """``scatter`` with ``mode="add"``: duplicates accumulate."""
    return scatter(operand, indices, updates, "add")
