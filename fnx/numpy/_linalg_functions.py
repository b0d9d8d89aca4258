"""Products of arrays: dot, matmul (``@``), vdot, inner, outer, tensordot, einsum, vecdot, trace, kron, cross.

Every contraction lowers to the ``dot_general`` primitive (output axes: batch, lhs free, rhs free) plus
transposes, reshapes, broadcasts, sums and diagonals. As in NumPy, Python scalars count as arrays here
(``dot(2, int8_array)`` is int64), and bool products are logical: ``dot(a, b) = any(a & b)``.
"""
from __future__ import annotations

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.errors import FnxTypeError
from ._util import as_array, broadcast_to_shape, cast, normalize_axis

_INT64 = np.dtype("int64")


def _arrays(op: str, *xs) -> list:
    """The operands as arrays of their common dtype (NumPy 2 promotion)."""
    xs = [as_array(x, op) for x in xs]
    dtype = dtypes.result_type(*[x.dtype for x in xs])
    return [cast(x, dtype) for x in xs]


def _contract(a, b, contract: tuple, batch: tuple = ((), ())):
    """``dot_general`` of two same-dtype arrays; bools contract in int64 and come back as ``sum != 0``."""
    dims = (contract, batch)
    if a.dtype.kind != "b":
        return lax.dot_general(a, b, dims)
    return lax.ne(lax.dot_general(cast(a, _INT64), cast(b, _INT64), dims), np.int64(0))


def _reshape(x, shape: tuple):
    return x if tuple(x.shape) == tuple(shape) else lax.reshape(x, shape)


def _mismatch(op: str, a, b, why: str) -> FnxTypeError:
    return FnxTypeError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit: {why}")


def _check_product_options(precision, preferred_element_type, op: str) -> None:
    """JAX's product options: ``precision`` is checked (fnx multiplies at full precision on the CPU);
    ``preferred_element_type`` must be None (cast the operands instead)."""
    lax.check_precision(precision, op)
    if preferred_element_type is not None:
        raise FnxTypeError(f"{op}: preferred_element_type is not supported by fnx.numpy; cast the operands")


def dot(a, b, precision=None, preferred_element_type=None):
    """NumPy's ``dot``: the sum product of the last axis of ``a`` and the second-to-last of ``b``.

    Shapes: ``(..., k) . (k,) -> (...)`` and ``(..., k) . (B..., k, m) -> (..., B..., m)``; a 0-d operand
    multiplies elementwise.

    >>> import fnx.numpy as fnp
    >>> fnp.dot(fnp.array([[1., 2.], [3., 4.]]), fnp.array([5., 6.]))
    Array([17., 39.], dtype=float64)
    """
    _check_product_options(precision, preferred_element_type, "dot")
    a, b = _arrays("dot", a, b)
    if a.ndim == 0 or b.ndim == 0:
        from ._elementwise import multiply
        return multiply(a, b)
    b_axis = 0 if b.ndim == 1 else b.ndim - 2
    if a.shape[-1] != b.shape[b_axis]:
        raise _mismatch("dot", a, b, f"axis size {a.shape[-1]} of the first must equal axis size "
                                     f"{b.shape[b_axis]} of the second")
    return _contract(a, b, ((a.ndim - 1,), (b_axis,)))


def matmul(a, b, precision=None, preferred_element_type=None):
    """The matrix product ``a @ b`` with NumPy's rules.

    ``(..., n, k) @ (..., k, m) -> (..., n, m)`` with the leading (batch) axes broadcast. A 1-d ``a`` is a row
    and a 1-d ``b`` a column; their added axis is removed from the result. 0-d operands are an error.

    >>> import fnx.numpy as fnp
    >>> (fnp.ones((5, 2, 3)) @ fnp.ones(3)).shape
    (5, 2)
    """
    _check_product_options(precision, preferred_element_type, "matmul")
    a, b = _arrays("matmul", a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise _mismatch("matmul", a, b, "operands must have at least one dimension (use multiply for scalars)")
    a2 = a if a.ndim > 1 else _reshape(a, (1,) + a.shape)
    b2 = b if b.ndim > 1 else _reshape(b, b.shape + (1,))
    if a2.shape[-1] != b2.shape[-2]:
        raise _mismatch("matmul", a, b, f"the last axis of the first ({a2.shape[-1]}) must equal the "
                                        f"{'only' if b.ndim == 1 else 'second-to-last'} axis of the second "
                                        f"({b2.shape[-2]})")
    try:
        batch = tuple(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]))
    except ValueError:
        raise _mismatch("matmul", a, b, "their batch axes cannot be broadcast together") from None
    if b2.ndim == 2:  # (..., n, k) @ (k, m): the batch axes are free axes of a, nothing to broadcast
        out = _contract(a2, b2, ((a2.ndim - 1,), (0,)))
    else:
        a2, b2 = broadcast_to_shape(a2, batch + a2.shape[-2:]), broadcast_to_shape(b2, batch + b2.shape[-2:])
        nb = len(batch)
        out = _contract(a2, b2, ((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb))))
    shape = batch + ((a.shape[-2],) if a.ndim > 1 else ()) + ((b.shape[-1],) if b.ndim > 1 else ())
    return _reshape(out, shape)


def vdot(a, b, precision=None, preferred_element_type=None):
    """The dot product of ``a`` and ``b`` flattened (they must have the same size).

    >>> import fnx.numpy as fnp
    >>> int(fnp.vdot(fnp.array([[1, 2], [3, 4]]), fnp.array([[1, 1], [1, 1]])))
    10
    """
    _check_product_options(precision, preferred_element_type, "vdot")
    a, b = _arrays("vdot", a, b)
    if a.size != b.size:
        raise _mismatch("vdot", a, b, f"sizes {a.size} and {b.size} differ")
    return _contract(_reshape(a, (a.size,)), _reshape(b, (b.size,)), ((0,), (0,)))


def inner(a, b, precision=None, preferred_element_type=None):
    """The sum product over the last axes: ``(..., k), (B..., k) -> (..., B...)``; 0-d operands multiply.

    >>> import fnx.numpy as fnp
    >>> int(fnp.inner(fnp.array([1, 2, 3]), fnp.array([0, 1, 0])))
    2
    """
    _check_product_options(precision, preferred_element_type, "inner")
    a, b = _arrays("inner", a, b)
    if a.ndim == 0 or b.ndim == 0:
        from ._elementwise import multiply
        return multiply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise _mismatch("inner", a, b, f"last axes of sizes {a.shape[-1]} and {b.shape[-1]} differ")
    return _contract(a, b, ((a.ndim - 1,), (b.ndim - 1,)))


def outer(a, b):
    """The outer product of ``a`` and ``b`` flattened: ``out[i, j] = a[i] * b[j]``.

    >>> import fnx.numpy as fnp
    >>> fnp.outer(fnp.array([1, 2]), fnp.array([1, 10, 100])).shape
    (2, 3)
    """
    from ._elementwise import multiply
    a, b = _arrays("outer", a, b)
    return multiply(_reshape(a, (a.size, 1)), _reshape(b, (1, b.size)))


def _tensordot_axes(a, b, axes) -> tuple:
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= min(a.ndim, b.ndim):
            raise _mismatch("tensordot", a, b, f"cannot contract {n} axes")
        return tuple(range(a.ndim - n, a.ndim)), tuple(range(n))
    try:
        axes_a, axes_b = axes
    except (TypeError, ValueError):
        raise FnxTypeError(f"tensordot: axes must be an int or a pair of axis sequences, got {axes!r}") from None
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes_a = tuple(normalize_axis("tensordot", int(i), a.ndim) for i in axes_a)
    axes_b = tuple(normalize_axis("tensordot", int(i), b.ndim) for i in axes_b)
    if len(axes_a) != len(axes_b) or len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise _mismatch("tensordot", a, b, f"axes {axes_a} and {axes_b} must be distinct and pair up")
    return axes_a, axes_b


def tensordot(a, b, axes=2, precision=None, preferred_element_type=None):
    """Sum products over pairs of axes: the last ``axes`` of ``a`` with the first ``axes`` of ``b``, or the
    axes listed in ``axes = (axes_of_a, axes_of_b)``. Result: free axes of ``a``, then free axes of ``b``.

    >>> import fnx.numpy as fnp
    >>> fnp.tensordot(fnp.ones((2, 3, 4)), fnp.ones((4, 3, 5)), axes=([1, 2], [1, 0])).shape
    (2, 5)
    """
    _check_product_options(precision, preferred_element_type, "tensordot")
    a, b = _arrays("tensordot", a, b)
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise _mismatch("tensordot", a, b, f"axis {i} of the first (size {a.shape[i]}) and axis {j} of the "
                                               f"second (size {b.shape[j]}) differ")
    return _contract(a, b, (axes_a, axes_b))


def vecdot(x1, x2, axis: int = -1):
    """The dot product of vectors along ``axis``, with the other axes broadcast (NumPy 2's ``vecdot``).

    >>> import fnx.numpy as fnp
    >>> fnp.vecdot(fnp.ones((4, 3)), fnp.arange(3.0))
    Array([3., 3., 3., 3.], dtype=float64)
    """
    from ._shape import broadcast_arrays, moveaxis
    x1, x2 = _arrays("vecdot", x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise _mismatch("vecdot", x1, x2, "operands must have at least one dimension")
    if -min(x1.ndim, x2.ndim) <= axis < 0 and x1.shape[axis] != x2.shape[axis]:
        raise _mismatch("vecdot", x1, x2, f"their axes {axis} differ in size (vecdot broadcasts the other axes "
                        "only, as the Array API says)")
    try:
        x1, x2 = broadcast_arrays(x1, x2)
    except FnxTypeError:
        raise _mismatch("vecdot", x1, x2, "they cannot be broadcast together") from None
    axis = normalize_axis("vecdot", axis, x1.ndim)
    x1, x2 = moveaxis(x1, axis, -1), moveaxis(x2, axis, -1)
    batch = tuple(range(x1.ndim - 1))
    return _contract(x1, x2, ((x1.ndim - 1,), (x1.ndim - 1,)), (batch, batch))


def trace(x, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None):
    """The sum of the ``offset`` diagonal of the matrices on ``axis1``/``axis2`` (small ints sum in int64).

    >>> import fnx.numpy as fnp
    >>> int(fnp.trace(fnp.array([[1, 2], [3, 4]])))
    5
    """
    from ._reductions import sum as sum_
    from ._shape import diagonal
    x = as_array(x, "trace")
    if x.ndim < 2:
        raise FnxTypeError(f"trace: needs at least 2 dimensions, got shape {x.shape}")
    return sum_(diagonal(x, offset, axis1, axis2), axis=-1, dtype=dtype)


def kron(a, b):
    """The Kronecker product: blocks ``a[i, j] * b`` (any ranks; the shorter shape gets leading 1s).

    >>> import fnx.numpy as fnp
    >>> fnp.kron(fnp.eye(2), fnp.ones((2, 3))).shape
    (4, 6)
    """
    from ._elementwise import multiply
    a, b = _arrays("kron", a, b)
    nd = max(a.ndim, b.ndim)
    sa, sb = (1,) * (nd - a.ndim) + a.shape, (1,) * (nd - b.ndim) + b.shape
    # a on the even axes and b on the odd ones, so that the product's row-major order is the block order
    blocks = multiply(_reshape(a, tuple(v for n in sa for v in (n, 1))),
                      _reshape(b, tuple(v for n in sb for v in (1, n))))
    return _reshape(blocks, tuple(n * m for n, m in zip(sa, sb)))


def cross(a, b, axis: int = -1):
    """The cross product of 3-vectors along ``axis``; the other axes broadcast.

    >>> import fnx.numpy as fnp
    >>> fnp.cross(fnp.array([1, 0, 0]), fnp.array([0, 1, 0]))
    Array([0, 0, 1], dtype=int64)
    """
    from ._shape import moveaxis, stack
    a, b = _arrays("cross", a, b)
    if a.ndim == 0 or b.ndim == 0 or a.shape[normalize_axis("cross", axis, a.ndim)] != 3 or \
            b.shape[normalize_axis("cross", axis, b.ndim)] != 3:
        raise _mismatch("cross", a, b, f"both need 3-vectors along axis {axis}")
    a, b = moveaxis(a, axis, -1), moveaxis(b, axis, -1)
    (a0, a1, a2), (b0, b1, b2) = (a[..., i] for i in range(3)), (b[..., i] for i in range(3))
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(c, -1, axis)


# -- einsum ------------------------------------------------------------------------------------------------
# Labels are strings: a subscript letter, or ".k" for the k-th of the broadcast ("...") axes, counted so that
# the ellipsis axes of all operands line up on the right as in broadcasting.

def _split_term(op: str, term: str) -> tuple[str, str | None]:
    """``term`` as (letters before '...', letters after); the second is None without an ellipsis."""
    head, ellipsis, tail = term.partition("...")
    if "." in head + tail or not all(c.isascii() and c.isalpha() for c in head + tail):
        raise FnxTypeError(f"{op}: invalid subscripts {term!r} (use letters and at most one '...')")
    return head, tail if ellipsis else None


def _term_labels(head: str, tail: str | None, n_ellipsis: int, total: int) -> list:
    if tail is None:
        return list(head)
    return list(head) + [f".{k}" for k in range(total - n_ellipsis, total)] + list(tail)


def _parse_einsum(subscripts: str, shapes: list) -> tuple[list, list]:
    """Per-operand label lists and the output label list of ``subscripts`` for operands of ``shapes``."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes) or "->" in output:
        raise FnxTypeError(f"einsum: subscripts {subscripts!r} do not match {len(shapes)} operand(s)")
    parts = [_split_term("einsum", t) for t in terms]
    counts = []
    for (head, tail), shape in zip(parts, shapes):
        n = len(shape) - len(head) - len(tail or "")
        if n < 0 or (tail is None and n):
            raise FnxTypeError(f"einsum: term {head + ('...' + tail if tail is not None else '')!r} does not "
                               f"fit an operand of shape {tuple(shape)}")
        counts.append(n)
    total = max(counts, default=0)
    labels = [_term_labels(h, t, n, total) for (h, t), n in zip(parts, counts)]
    if arrow:
        head, tail = _split_term("einsum", output)
        if tail is None and total:
            raise FnxTypeError(f"einsum: output {output!r} needs '...' for the broadcast axes of the operands")
        out = _term_labels(head, tail, total, total)
        seen = {lab for term in labels for lab in term}
        if len(set(out)) != len(out) or not set(out) <= seen:
            raise FnxTypeError(f"einsum: output {output!r} repeats a label or uses one not in the inputs")
    else:  # implicit: broadcast axes, then the letters used once, in alphabetical (ASCII) order
        flat = [lab for term in labels for lab in term]
        out = [f".{k}" for k in range(total)] + sorted(c for c in set(flat) if len(c) == 1 and flat.count(c) == 1)
    return labels, out


def _label_sizes(labels: list, shapes: list) -> dict:
    """The size of every label: equal everywhere, or 1 in some operands (those broadcast)."""
    sizes: dict = {}
    for term, shape in zip(labels, shapes):
        within: dict = {}
        for lab, n in zip(term, shape):
            if within.setdefault(lab, n) != n:
                raise FnxTypeError(f"einsum: label {lab!r} is repeated in one operand of shape {tuple(shape)} "
                                   f"over axes of different sizes")
            seen = sizes.get(lab, 1)
            if seen not in (1, n) and n != 1:
                raise FnxTypeError(f"einsum: label {lab!r} has sizes {seen} and {n} in operands of shapes "
                                   f"{[tuple(s) for s in shapes]}")
            sizes[lab] = n if seen == 1 else seen
    return sizes


def _take_diagonals(x, labels: list):
    """Collapse repeated labels of one operand (``'ii'``) to their diagonal, placed last."""
    from ._shape import diagonal
    while len(set(labels)) != len(labels):
        i = next(k for k, lab in enumerate(labels) if labels.count(lab) > 1)
        j = labels.index(labels[i], i + 1)
        x = diagonal(x, 0, i, j)
        labels = [lab for k, lab in enumerate(labels) if k not in (i, j)] + [labels[i]]
    return x, labels


def _sum_except(x, labels: list, keep: set):
    """Sum out the axes whose labels are not in ``keep``."""
    axes = tuple(k for k, lab in enumerate(labels) if lab not in keep)
    if not axes:
        return x, labels
    return lax.reduce_sum(x, axes), [lab for lab in labels if lab in keep]


def _stretch(x, labels: list, sizes: dict):
    """Broadcast the size-1 axes of ``x`` whose label is larger elsewhere."""
    shape = tuple(sizes[lab] for lab in labels)
    return lax.broadcast_in_dim(x, shape, range(len(shape))) if shape != tuple(x.shape) else x


def einsum(subscripts: str, *operands, precision=None, preferred_element_type=None):
    """Einstein summation, as NumPy's ``einsum``: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Supports implicit output (letters used once, alphabetically), ``...`` for broadcast axes and repeated
    labels within one operand (``"ii"`` is the trace, ``"ii->i"`` the diagonal). Operands are contracted
    pairwise from left to right with ``dot_general``; a label is summed as soon as no later operand or the
    output needs it.

    >>> import fnx.numpy as fnp
    >>> fnp.einsum("ij,j->i", fnp.array([[1., 2.], [3., 4.]]), fnp.array([5., 6.]))
    Array([17., 39.], dtype=float64)
    """
    _check_product_options(precision, preferred_element_type, "einsum")
    if not isinstance(subscripts, str) or not operands:
        raise FnxTypeError("einsum: expected a subscripts string followed by at least one operand")
    xs = _arrays("einsum", *operands)
    is_bool = xs[0].dtype.kind == "b"
    if is_bool:
        xs = [cast(x, _INT64) for x in xs]
    labels, out = _parse_einsum(subscripts, [x.shape for x in xs])
    sizes = _label_sizes(labels, [x.shape for x in xs])
    terms = [_take_diagonals(x, lab) for x, lab in zip(xs, labels)]
    acc, acc_labels = terms[0]
    for k, (x, x_labels) in enumerate(terms[1:], start=1):
        later = set(out).union(*[lab for _, lab in terms[k + 1:]])
        acc, acc_labels = _sum_except(acc, acc_labels, later | set(x_labels))
        x, x_labels = _sum_except(x, x_labels, later | set(acc_labels))
        acc, x = _stretch(acc, acc_labels, sizes), _stretch(x, x_labels, sizes)
        shared = [lab for lab in acc_labels if lab in x_labels]
        batch = [lab for lab in shared if lab in later]
        contract = [lab for lab in shared if lab not in later]
        dims = (tuple(map(acc_labels.index, contract)), tuple(map(x_labels.index, contract)))
        batch_dims = (tuple(map(acc_labels.index, batch)), tuple(map(x_labels.index, batch)))
        acc = lax.dot_general(acc, x, (dims, batch_dims))
        acc_labels = batch + [lab for lab in acc_labels if lab not in shared] + \
            [lab for lab in x_labels if lab not in shared]
    acc, acc_labels = _sum_except(acc, acc_labels, set(out))
    perm = tuple(acc_labels.index(lab) for lab in out)
    if perm != tuple(range(len(perm))):
        acc = lax.transpose(acc, perm)
    return lax.ne(acc, np.int64(0)) if is_bool else acc

