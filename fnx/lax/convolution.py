"""Windowed primitives: ``conv_general_dilated`` (N-d convolution) and ``reduce_window`` (pooling).

Both slide a window over the spatial axes of an operand. The window arithmetic is shared:

* the operand is first *dilated* (``d - 1`` holes between neighbours) and *padded* (``(low, high)`` per axis,
  negative values crop), exactly as ``fnx.lax.pad`` with ``(low, high, d - 1)`` does;
* a window of ``k`` taps with dilation ``r`` spans ``(k - 1) * r + 1`` elements;
* along an axis of padded size ``n`` a window of span ``s`` placed every ``stride`` elements fits
  ``floor((n - s) / stride) + 1`` times (0 when ``n < s``).

Padding may be given as a string: ``"VALID"`` (none), ``"SAME"`` (output size ``ceil(n / stride)``, the
extra element on the high side) or ``"SAME_LOWER"`` (the extra element on the low side). As in XLA, ``n`` is
the operand's undilated size and the window's dilated span is used. The primitives themselves only ever see
explicit ``(low, high)`` pairs, so their params are plain tuples of ints.
"""
from __future__ import annotations

import functools
import math
from typing import Sequence

import numpy as np

from ..core import dtypes
from ..core.avals import ShapedArray
from ..core.errors import FnxTypeError
from ..core.primitive import def_primitive
from ._rules import describe, require_dtype_kind, same_dtype
from . import elementwise
from .elementwise import convert_element_type_p
from .structural import _pad_impl

# -- window arithmetic shared by both primitives -----------------------------------------------------------


def _span(size: int, dilation: int) -> int:
    """The number of elements ``size`` taps cover with ``dilation - 1`` holes between them."""
    return 0 if size == 0 else (size - 1) * dilation + 1


def _window_count(padded: int, span: int, stride: int) -> int:
    return (padded - span) // stride + 1 if padded >= span else 0


def _windowed_shape(sizes, windows, strides, padding, base_dilation, window_dilation) -> tuple:
    """The number of window positions along each axis after dilating and padding the operand."""
    return tuple(_window_count(_span(n, bd) + lo + hi, _span(k, wd), s) for n, k, s, (lo, hi), bd, wd
                 in zip(sizes, windows, strides, padding, base_dilation, window_dilation))


def padding_pairs(op: str, padding, sizes: Sequence[int], spans: Sequence[int],
                  strides: Sequence[int]) -> tuple:
    """``padding`` (a string or ``(low, high)`` pairs) as a tuple of int pairs, one per axis of ``sizes``.

    >>> padding_pairs("conv", "SAME", [5], [3], [2])
    ((1, 1),)
    """
    if isinstance(padding, str):
        kind = padding.upper()
        if kind == "VALID":
            return ((0, 0),) * len(sizes)
        if kind not in ("SAME", "SAME_LOWER"):
            raise FnxTypeError(f"{op}: padding must be 'VALID', 'SAME', 'SAME_LOWER' or (low, high) pairs, "
                               f"got {padding!r}")
        pairs = []
        for n, span, s in zip(sizes, spans, strides):
            total = max((-(-n // s) - 1) * s + span - n, 0)
            low = total // 2 if kind == "SAME" else total - total // 2
            pairs.append((low, total - low))
        return tuple(pairs)
    try:
        pairs = tuple((int(lo), int(hi)) for lo, hi in padding)
    except (TypeError, ValueError):
        raise FnxTypeError(f"{op}: padding must be a string or a sequence of (low, high) pairs, "
                           f"got {padding!r}") from None
    if len(pairs) != len(sizes):
        raise FnxTypeError(f"{op}: needs {len(sizes)} (low, high) padding pairs, got {padding!r}")
    return pairs


def _per_axis(op: str, what: str, values, count: int, default: int = 1) -> tuple:
    """``values`` (or ``default`` everywhere when None) as ``count`` positive ints."""
    out = (default,) * count if values is None else tuple(int(v) for v in values)
    if len(out) != count or any(v < 1 for v in out):
        raise FnxTypeError(f"{op}: {what} must be {count} positive ints, got {values!r}")
    return out


def _windows(x: np.ndarray, first_axis: int, windows, strides, window_dilation) -> np.ndarray:
    """A view of ``x`` with the windows over axes ``first_axis...``: shape ``(*lead, *positions, *taps)``."""
    axes = tuple(range(first_axis, x.ndim))
    spans = tuple(_span(k, d) for k, d in zip(windows, window_dilation))
    view = np.lib.stride_tricks.sliding_window_view(x, spans, axis=axes)
    pick = (slice(None),) * first_axis + tuple(slice(None, None, s) for s in strides) \
        + tuple(slice(None, None, d) for d in window_dilation)
    return view[pick]


def _operand(op: str, x):
    """An fnx Array or Tracer as it is; anything else as a NumPy array of a supported dtype."""
    if not (hasattr(x, "shape") and hasattr(x, "dtype")):
        x = np.asarray(x)
    dtypes.canonicalize(x.dtype, op)
    return x


def _cast(x, dtype: np.dtype):
    return x if x.dtype == dtype else convert_element_type_p.bind(x, new_dtype=dtype)


def _aval(x) -> ShapedArray:
    return ShapedArray(tuple(x.shape), np.dtype(x.dtype))


# -- conv_general_dilated ----------------------------------------------------------------------------------
#
# Dimension numbers are kept as three permutations (lhs, rhs, out). Each lists axis indices in the canonical
# order: lhs (batch, feature, spatial...), rhs (out feature, in feature, spatial...), out (batch, feature,
# spatial...). So ``np.transpose(lhs, lhs_perm)`` is the input in N, C, spatial layout.

_CONV = "conv_general_dilated"


def conv_dimension_numbers(ndim: int, dimension_numbers) -> tuple:
    """Canonical ``(lhs_perm, rhs_perm, out_perm)`` for operands of rank ``ndim``.

    ``dimension_numbers`` is None (N, C, spatial... everywhere), three layout strings such as
    ``("NHWC", "HWIO", "NHWC")`` or three permutations. In strings, ``N``/``C`` mark the batch and feature
    axes of lhs and out, ``O``/``I`` the output and input feature axes of rhs, and every other letter a
    spatial axis; the spatial axes are taken in the order they appear in the rhs string (that order is the
    order of ``window_strides``, ``padding`` and the dilations).

    >>> conv_dimension_numbers(4, ("NHWC", "HWIO", "NHWC"))
    ((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    """
    if dimension_numbers is None:
        identity = tuple(range(ndim))
        return identity, identity, identity
    if not isinstance(dimension_numbers, (tuple, list)) or len(dimension_numbers) != 3:
        raise FnxTypeError(f"{_CONV}: dimension_numbers must be three layout strings like "
                           f"('NCHW', 'OIHW', 'NCHW'), got {dimension_numbers!r}")
    if all(isinstance(s, str) for s in dimension_numbers):
        return _parse_layouts(ndim, *dimension_numbers)
    perms = tuple(tuple(int(i) for i in p) for p in dimension_numbers)
    if any(sorted(p) != list(range(ndim)) for p in perms):
        raise FnxTypeError(f"{_CONV}: dimension_numbers {dimension_numbers!r} are not three permutations "
                           f"of the {ndim} axes")
    return perms


def _parse_layouts(ndim: int, lhs_spec: str, rhs_spec: str, out_spec: str) -> tuple:
    specs = {"lhs": (lhs_spec, "NC"), "rhs": (rhs_spec, "OI"), "out": (out_spec, "NC")}
    for which, (spec, marks) in specs.items():
        if len(spec) != ndim or len(set(spec)) != ndim or not set(marks) <= set(spec):
            raise FnxTypeError(f"{_CONV}: the {which} layout {spec!r} must name each of the {ndim} axes once "
                               f"and include {marks[0]!r} and {marks[1]!r}")
    spatial = [c for c in rhs_spec if c not in "OI"]
    if set(spatial) != set(lhs_spec) - set("NC") or set(spatial) != set(out_spec) - set("NC"):
        raise FnxTypeError(f"{_CONV}: layouts {lhs_spec!r}, {rhs_spec!r}, {out_spec!r} do not name the same "
                           f"spatial axes")

    def perm(spec: str, marks: str) -> tuple:
        return tuple(spec.index(c) for c in [*marks, *spatial])

    return perm(lhs_spec, "NC"), perm(rhs_spec, "OI"), perm(out_spec, "NC")


def _conv_eval(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
               feature_group_count):
    dtype = same_dtype(_CONV, [lhs, rhs])
    require_dtype_kind(_CONV, lhs, "f", "float")
    lhs_perm, rhs_perm, out_perm = dimension_numbers
    nspatial = lhs.ndim - 2
    if rhs.ndim != lhs.ndim or lhs.ndim < 2 or any(sorted(p) != list(range(lhs.ndim)) for p in dimension_numbers):
        raise FnxTypeError(f"{_CONV}: lhs and rhs need the same rank (2 + spatial axes) matching "
                           f"dimension_numbers {dimension_numbers}, got {describe([lhs, rhs])}")
    if any(len(p) != nspatial for p in (window_strides, padding, lhs_dilation, rhs_dilation)) or \
            min((*window_strides, *lhs_dilation, *rhs_dilation), default=1) < 1:
        raise FnxTypeError(f"{_CONV}: window_strides {window_strides}, padding {padding} and dilations "
                           f"{lhs_dilation}, {rhs_dilation} need {nspatial} entries (strides/dilations >= 1)")
    batch, features = (lhs.shape[i] for i in lhs_perm[:2])
    out_features, in_features = (rhs.shape[i] for i in rhs_perm[:2])
    groups = feature_group_count
    if groups < 1 or features % groups or out_features % groups or in_features * groups != features:
        raise FnxTypeError(f"{_CONV}: lhs {lhs} has {features} input features (axis {lhs_perm[1]}) but rhs "
                           f"{rhs} takes {in_features} (axis {rhs_perm[1]}) per group and has {out_features} "
                           f"output features (axis {rhs_perm[0]}), with feature_group_count={groups}")
    if any(_span(lhs.shape[i], d) + lo + hi < 0 for i, (lo, hi), d in zip(lhs_perm[2:], padding, lhs_dilation)):
        raise FnxTypeError(f"{_CONV}: padding {padding} crops more than the whole input {lhs}")
    spatial = _windowed_shape([lhs.shape[i] for i in lhs_perm[2:]], [rhs.shape[i] for i in rhs_perm[2:]],
                              window_strides, padding, lhs_dilation, rhs_dilation)
    canonical = (batch, out_features, *spatial)
    shape = [0] * lhs.ndim
    for k, axis in enumerate(out_perm):
        shape[axis] = canonical[k]
    return ShapedArray(tuple(shape), dtype)


def _conv_impl(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
               feature_group_count):
    lhs_perm, rhs_perm, out_perm = dimension_numbers
    x, w = np.transpose(lhs, lhs_perm), np.transpose(rhs, rhs_perm)
    dtype = x.dtype
    config = [(0, 0, 0)] * 2 + [(lo, hi, d - 1) for (lo, hi), d in zip(padding, lhs_dilation)]
    x = _pad_impl(x, np.zeros((), dtype), padding_config=config)
    kernel = w.shape[2:]
    positions = _windowed_shape(x.shape[2:], kernel, window_strides, [(0, 0)] * len(kernel),
                                [1] * len(kernel), rhs_dilation)
    if 0 in positions:
        out = np.zeros((x.shape[0], w.shape[0], *positions), dtype)
    else:
        out = _grouped_correlation(_windows(x, 2, kernel, window_strides, rhs_dilation), w, feature_group_count)
    return np.transpose(out, np.argsort(out_perm)).astype(dtype, copy=False)


def _grouped_correlation(patches: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """Contract ``patches`` (N, C, *positions, *taps) with ``w`` (O, C / groups, *taps) to (N, O, *positions).

    Output feature block ``g`` only sees input feature block ``g`` (``feature_group_count``).
    """
    n, c, *rest = patches.shape
    o, cg, *taps = w.shape
    k = len(taps)
    positions, size = rest[:k], math.prod(rest[:k])
    # im2col per group, (groups, n * positions, cg * taps), times (groups, cg * taps, o / groups): one batched
    # BLAS product (NumPy's einsum took 19 ms of LeNet's 25 ms eager convolution on its batched path)
    columns = patches.reshape(n, groups, cg, *rest).transpose(1, 0, *range(3, 3 + k), 2, *range(3 + k, 3 + 2 * k))
    columns = columns.reshape(groups, n * size, cg * math.prod(taps))
    weights = w.reshape(groups, o // groups, cg * math.prod(taps)).transpose(0, 2, 1)
    out = np.matmul(columns, weights).reshape(groups, n, *positions, o // groups)
    return out.transpose(1, 0, 2 + k, *range(2, 2 + k)).reshape(n, o, *positions)


conv_general_dilated_p = def_primitive(_CONV, _conv_eval, _conv_impl)


def conv_general_dilated(lhs, rhs, window_strides: Sequence[int], padding: str | Sequence[tuple[int, int]],
                         lhs_dilation: Sequence[int] | None = None, rhs_dilation: Sequence[int] | None = None,
                         dimension_numbers=None, feature_group_count: int = 1, batch_group_count: int = 1,
                         preferred_element_type=None):
    """N-d convolution as in XLA: a cross-correlation (the kernel is not flipped).

    ``lhs`` is the input (batch N, features C, spatial...), ``rhs`` the kernel (out features O, in features
    C / feature_group_count, spatial...); the axis order of each is set by ``dimension_numbers`` (see
    ``conv_dimension_numbers``). ``lhs_dilation`` inserts holes between input elements (transposed
    convolution), ``rhs_dilation`` between kernel taps (atrous convolution). With ``feature_group_count=G``
    the features split into G groups convolved separately (G = C is a depthwise convolution). Operands are
    promoted to one float dtype (``preferred_element_type`` if given).

    >>> import numpy as np
    >>> x, k = np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3))
    >>> conv_general_dilated(x, k, (1, 1), "VALID").shape
    (1, 2, 2, 2)
    """
    if batch_group_count != 1:
        raise FnxTypeError(f"{_CONV}: batch_group_count={batch_group_count} is not supported (only 1)")
    lhs, rhs = _operand(_CONV, lhs), _operand(_CONV, rhs)
    dtype = dtypes.to_inexact(dtypes.result_type(np.dtype(lhs.dtype), np.dtype(rhs.dtype)))
    if preferred_element_type is not None:
        dtype = dtypes.canonicalize(preferred_element_type, _CONV)
        if dtype.kind != "f":
            raise FnxTypeError(f"{_CONV}: preferred_element_type must be a float dtype, got {dtype}")
    lhs, rhs = _cast(lhs, dtype), _cast(rhs, dtype)
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        raise FnxTypeError(f"{_CONV}: lhs and rhs need the same rank (2 + spatial axes), got "
                           f"{describe([_aval(lhs), _aval(rhs)])}")
    dn = conv_dimension_numbers(lhs.ndim, dimension_numbers)
    nspatial = lhs.ndim - 2
    strides = _per_axis(_CONV, "window_strides", window_strides, nspatial)
    lhs_dilation = _per_axis(_CONV, "lhs_dilation", lhs_dilation, nspatial)
    rhs_dilation = _per_axis(_CONV, "rhs_dilation", rhs_dilation, nspatial)
    spans = [_span(rhs.shape[i], d) for i, d in zip(dn[1][2:], rhs_dilation)]
    pads = padding_pairs(_CONV, padding, [lhs.shape[i] for i in dn[0][2:]], spans, strides)
    params = dict(window_strides=strides, padding=pads, lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
                  dimension_numbers=dn, feature_group_count=int(feature_group_count))
    _conv_eval(_aval(lhs), _aval(rhs), **params)  # eager calls skip abstract eval: check here for clear errors
    return conv_general_dilated_p.bind(lhs, rhs, **params)


def conv(lhs, rhs, window_strides: Sequence[int], padding: str | Sequence[tuple[int, int]]):
    """Convolution of an (N, C, spatial...) input with an (O, C, spatial...) kernel; see ``conv_general_dilated``.

    >>> import numpy as np
    >>> conv(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), (2, 2), "SAME").shape
    (1, 1, 3, 3)
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding)


# -- reduce_window -----------------------------------------------------------------------------------------

_REDUCE_WINDOW = "reduce_window"
_WINDOW_REDUCERS = {"max": (np.max, np.maximum), "min": (np.min, np.minimum), "sum": (np.sum, np.add)}


def _reduce_window_eval(operand, init_value, *, computation, window_dimensions, window_strides, padding,
                        base_dilation, window_dilation):
    dtype = same_dtype(_REDUCE_WINDOW, [operand, init_value])
    require_dtype_kind(_REDUCE_WINDOW, operand, "iuf", "integer or float")
    if computation not in _WINDOW_REDUCERS:
        raise FnxTypeError(f"{_REDUCE_WINDOW}: unknown computation {computation!r}")
    if init_value.shape != ():
        raise FnxTypeError(f"{_REDUCE_WINDOW}: init_value must be a scalar, got {init_value}")
    per_axis = (window_dimensions, window_strides, padding, base_dilation, window_dilation)
    if any(len(p) != operand.ndim for p in per_axis) or \
            min((*window_dimensions, *window_strides, *base_dilation, *window_dilation), default=1) < 1:
        raise FnxTypeError(f"{_REDUCE_WINDOW}: window_dimensions {window_dimensions}, window_strides "
                           f"{window_strides}, padding {padding} and dilations {base_dilation}, {window_dilation} "
                           f"need one entry per axis of {operand} (sizes, strides, dilations >= 1)")
    if any(_span(n, d) + lo + hi < 0 for n, (lo, hi), d in zip(operand.shape, padding, base_dilation)):
        raise FnxTypeError(f"{_REDUCE_WINDOW}: padding {padding} crops more than the whole operand {operand}")
    return ShapedArray(_windowed_shape(operand.shape, window_dimensions, window_strides, padding,
                                       base_dilation, window_dilation), dtype)


def _reduce_window_impl(operand, init_value, *, computation, window_dimensions, window_strides, padding,
                        base_dilation, window_dilation):
    operand = np.asarray(operand)
    config = [(lo, hi, d - 1) for (lo, hi), d in zip(padding, base_dilation)]
    x = _pad_impl(operand, init_value, padding_config=config)
    shape = _windowed_shape(x.shape, window_dimensions, window_strides, [(0, 0)] * x.ndim, [1] * x.ndim,
                            window_dilation)
    if 0 in shape:
        return np.zeros(shape, operand.dtype)
    reduce, combine = _WINDOW_REDUCERS[computation]
    view = _windows(x, 0, window_dimensions, window_strides, window_dilation)
    reduced = reduce(view, axis=tuple(range(x.ndim, 2 * x.ndim)))
    return combine(reduced, init_value).astype(operand.dtype, copy=False)


reduce_window_p = def_primitive(_REDUCE_WINDOW, _reduce_window_eval, _reduce_window_impl)


def _computation_name(computation) -> str:
    if isinstance(computation, str) and computation in _WINDOW_REDUCERS:
        return computation
    names = {elementwise.max: "max", elementwise.min: "min", elementwise.add: "sum"}
    if not isinstance(computation, str) and computation in names:
        return names[computation]
    raise FnxTypeError(f"{_REDUCE_WINDOW}: computation must be 'max', 'min', 'sum' or fnx.lax.max/min/add, "
                       f"got {computation!r}")


def _scalar_of(init_value, dtype: np.dtype):
    """``init_value`` as a scalar of ``dtype``: Python numbers are converted, arrays cast."""
    if isinstance(init_value, (bool, int, float)):
        try:
            return dtype.type(init_value)
        except (OverflowError, ValueError):
            raise FnxTypeError(f"{_REDUCE_WINDOW}: init_value {init_value!r} does not fit {dtype}") from None
    return _cast(_operand(_REDUCE_WINDOW, init_value), dtype)


def reduce_window(operand, init_value, computation, window_dimensions: Sequence[int],
                  window_strides: Sequence[int], padding: str | Sequence[tuple[int, int]],
                  base_dilation: Sequence[int] | None = None, window_dilation: Sequence[int] | None = None):
    """Reduce every window of ``operand`` with ``computation`` ("max", "min" or "sum"), starting from ``init_value``.

    The window has ``window_dimensions[i]`` taps along axis i (use 1 for batch/feature axes). Padded elements
    and the holes of ``base_dilation`` hold ``init_value``, so a max-pool pads with ``-inf`` and a sum-pool
    with 0. The result has one element per window position (see the module docstring for the sizes).

    >>> import numpy as np
    >>> x = np.arange(4.0).reshape(2, 2)
    >>> np.asarray(reduce_window(x, -np.inf, "max", (1, 2), (1, 1), "VALID")).tolist()
    [[1.0], [3.0]]
    """
    name = _computation_name(computation)
    operand = _operand(_REDUCE_WINDOW, operand)
    init_value = _scalar_of(init_value, np.dtype(operand.dtype))
    ndim = operand.ndim
    windows = _per_axis(_REDUCE_WINDOW, "window_dimensions", window_dimensions, ndim)
    strides = _per_axis(_REDUCE_WINDOW, "window_strides", window_strides, ndim)
    base_dilation = _per_axis(_REDUCE_WINDOW, "base_dilation", base_dilation, ndim)
    window_dilation = _per_axis(_REDUCE_WINDOW, "window_dilation", window_dilation, ndim)
    spans = [_span(k, d) for k, d in zip(windows, window_dilation)]
    pads = padding_pairs(_REDUCE_WINDOW, padding, operand.shape, spans, strides)
    params = dict(computation=name, window_dimensions=windows, window_strides=strides, padding=pads,
                  base_dilation=base_dilation, window_dilation=window_dilation)
    _reduce_window_eval(_aval(operand), _aval(init_value), **params)
    return reduce_window_p.bind(operand, init_value, **params)


# -- select_and_scatter_add and select_and_gather_add: the derivatives of a max/min reduce_window --------------
#
# In every window of a max/min reduce_window one tap receives the window's derivative: the first tap
# (row-major over the window) holding the window's max/min, a NaN counting as beyond everything (as argmax);
# a tap on padding or on a base-dilation hole stands for init_value, which also competes after every tap.
# ``select_and_scatter_add(source, operand, init)`` adds each window's ``source`` value to the operand
# element it chose (the vjp); ``select_and_gather_add(tangent, tangent_init, operand, init)`` reads
# ``tangent`` at that element, or ``tangent_init`` where init_value was chosen (the jvp). Each is linear in
# its first operand(s) and the transpose of the other. Both take the params of the reduce_window.

_SCATTER, _GATHER = "select_and_scatter_add", "select_and_gather_add"


def window_tap_indices(shape, out_shape, *, window_dimensions, window_strides, padding, base_dilation,
                       window_dilation) -> np.ndarray:
    """For every window, the flat index into ``concat(x.ravel(), [init])`` of each tap, then ``init``'s.

    Shape ``out_shape + (taps + 1,)``; a tap on padding or a dilation hole reads ``init`` (index ``x.size``).
    """
    size, ndim = int(np.prod(shape, dtype=np.int64)), len(shape)
    flat = np.zeros(tuple(out_shape) + tuple(window_dimensions), np.int64)
    outside = np.zeros(flat.shape, bool)
    row_stride = np.cumprod((1,) + tuple(shape[:0:-1]))[::-1]  # row-major strides of x, in elements
    for axis, (n, m, k, s, (lo, _), a, r) in enumerate(zip(shape, out_shape, window_dimensions, window_strides,
                                                           padding, base_dilation, window_dilation)):
        offset = np.arange(m)[:, None] * s + np.arange(k)[None, :] * r - lo  # position in the dilated operand
        index = offset // a
        holes = (offset % a != 0) | (index < 0) | (index >= n)
        grid = [1] * (2 * ndim)
        grid[axis], grid[ndim + axis] = m, k
        flat = flat + (index * row_stride[axis]).reshape(grid)
        outside = outside | holes.reshape(grid)
    flat = np.where(outside, size, flat).reshape(tuple(out_shape) + (int(np.prod(window_dimensions)),))
    return np.concatenate([flat, np.full(tuple(out_shape) + (1,), size, np.int64)], axis=-1)


def _tap_indices(shape: tuple, out_shape: tuple, window: dict) -> np.ndarray:
    """``window_tap_indices``, remembered (read-only) for shapes and params seen before: a training loop's
    pooling asks for the same ones every step, and making them took 15 ms of LeNet's eager step."""
    try:
        return _remembered_tap_indices(tuple(shape), tuple(out_shape), tuple(sorted(window.items())))
    except TypeError:  # a param that is not hashable
        return window_tap_indices(shape, out_shape, **window)


@functools.lru_cache(maxsize=32)
def _remembered_tap_indices(shape: tuple, out_shape: tuple, window: tuple) -> np.ndarray:
    indices = window_tap_indices(shape, out_shape, **dict(window))
    indices.flags.writeable = False
    return indices


def _chosen_elements(operand: np.ndarray, init, computation: str, window: dict) -> np.ndarray:
    """Per window, the flat index of the operand element receiving its derivative (``operand.size``: init)."""
    out_shape = _reduce_window_eval(_aval(operand), _aval(np.asarray(init)), computation=computation,
                                    **window).shape
    indices = _tap_indices(operand.shape, out_shape, window)
    values = np.concatenate([operand.ravel(), np.reshape(init, (1,))])[indices]
    pick = np.argmax if computation == "max" else np.argmin
    return np.take_along_axis(indices, pick(values, axis=-1)[..., None], -1)[..., 0]


def _select_eval(op: str, operand, init, computation: str, window: dict) -> ShapedArray:
    """The shape of the windows, after checking what both primitives need of the operand and init."""
    require_dtype_kind(op, operand, "f", "float")
    if computation not in ("max", "min"):
        raise FnxTypeError(f"{op}: computation must be 'max' or 'min', got {computation!r}")
    return _reduce_window_eval(operand, init, computation=computation, **window)


def _select_and_scatter_add_eval(source, operand, init, *, computation, **window):
    windows = _select_eval(_SCATTER, operand, init, computation, window)
    if source.shape != windows.shape or source.dtype != operand.dtype:
        raise FnxTypeError(f"{_SCATTER}: source must be {windows} (one value per window), got {source}")
    return ShapedArray(operand.shape, operand.dtype)


def _select_and_scatter_add_impl(source, operand, init, *, computation, **window):
    operand = np.asarray(operand)
    chosen = _chosen_elements(operand, init, computation, window)
    flat = np.zeros(operand.size + 1, operand.dtype)
    np.add.at(flat, chosen.ravel(), np.asarray(source).ravel())
    return flat[:operand.size].reshape(operand.shape)


def _select_and_gather_add_eval(tangent, tangent_init, operand, init, *, computation, **window):
    windows = _select_eval(_GATHER, operand, init, computation, window)
    if tangent.shape != operand.shape or tangent_init.shape != () or \
            {tangent.dtype, tangent_init.dtype} != {operand.dtype}:
        raise FnxTypeError(f"{_GATHER}: tangents must be laid out as the operand {operand} and a scalar, got "
                           f"{describe([tangent, tangent_init])}")
    return windows


def _select_and_gather_add_impl(tangent, tangent_init, operand, init, *, computation, **window):
    chosen = _chosen_elements(np.asarray(operand), init, computation, window)
    return np.concatenate([np.asarray(tangent).ravel(), np.reshape(tangent_init, (1,))])[chosen]


select_and_scatter_add_p = def_primitive(_SCATTER, _select_and_scatter_add_eval, _select_and_scatter_add_impl)
select_and_gather_add_p = def_primitive(_GATHER, _select_and_gather_add_eval, _select_and_gather_add_impl)
