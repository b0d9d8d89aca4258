"""Loops JAX programs write with ``lax``: ``map`` (a scan without a carry) and ``associative_scan`` (all prefix
combinations of an associative operator, in O(log n) whole-array steps)."""
from __future__ import annotations

from typing import Any, Callable

from ..core.errors import FnxTypeError
from ..core.tree import tree_flatten, tree_unflatten
from .control_flow import scan


def map(f: Callable, xs: Any, *, batch_size: int | None = None) -> Any:  # noqa: A001 (lax's name)
    """``f`` applied to each slice of ``xs`` (a pytree) along its leading axis, results stacked: a ``scan``
    with no carry, so one compiled loop under ``jit``. With ``batch_size``, ``f`` runs under ``vmap`` on
    batches of that many slices (the remainder as one smaller batch).

    >>> import fnx.numpy as fnp
    >>> map(lambda x: x * 2, fnp.arange(3))
    Array([0, 2, 4], dtype=int64)
    """
    if batch_size is None:
        return scan(lambda carry, x: (carry, f(x)), (), xs)[1]
    from ..transforms.batching import vmap  # lax sits below the transforms: imported when used
    from .. import lax
    leaves, tree = tree_flatten(xs)
    n = leaves[0].shape[0] if leaves else 0
    whole = n // batch_size * batch_size
    outs = []
    if whole:
        batches = [lax.reshape(_rows(x, 0, whole), (whole // batch_size, batch_size) + x.shape[1:])
                   for x in leaves]
        stacked = map(vmap(f), tree_unflatten(tree, batches))
        outs.append(_tree_apply(lambda y: lax.reshape(y, (whole,) + y.shape[2:]), stacked))
    if whole < n:
        outs.append(vmap(f)(tree_unflatten(tree, [_rows(x, whole, n) for x in leaves])))
    if len(outs) == 1:
        return outs[0]
    flat = [tree_flatten(o)[0] for o in outs]
    return tree_unflatten(tree_flatten(outs[0])[1], [lax.concatenate(list(p), 0) for p in zip(*flat)])


def _tree_apply(fn: Callable, tree: Any) -> Any:
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [fn(x) for x in leaves])


def associative_scan(fn: Callable, elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """Every prefix ``fn(...fn(fn(e[0], e[1]), e[2])..., e[i])`` of ``elems`` (a pytree of arrays of one length
    along ``axis``), for an associative ``fn`` of two pytrees of slices. Combines pairs, recurses on half the
    length and fills in the rest: O(log n) array-at-once steps (``cumsum`` is the scan of ``add``). With
    ``reverse``, the prefixes run from the end.

    >>> import fnx.numpy as fnp
    >>> associative_scan(fnp.add, fnp.arange(1, 6))
    Array([ 1,  3,  6, 10, 15], dtype=int64)
    """
    from .. import lax
    leaves, tree = tree_flatten(elems)
    if not leaves:
        return elems
    ndim = leaves[0].ndim
    if not -ndim <= axis < ndim:
        raise FnxTypeError(f"associative_scan: axis {axis} is out of range for arrays of rank {ndim}")
    axis %= ndim
    if len({x.shape[axis] for x in leaves}) != 1:
        raise FnxTypeError(f"associative_scan: elems must have one length along axis {axis}, got shapes "
                           f"{[tuple(x.shape) for x in leaves]}")
    front = [lax.transpose(x, _to_front(ndim, axis)) for x in leaves]  # the scanned axis first
    if reverse:
        front = [lax.rev(x, (0,)) for x in front]

    def combine(a: list, b: list) -> list:
        out, out_tree = tree_flatten(fn(tree_unflatten(tree, a), tree_unflatten(tree, b)))
        if out_tree != tree:
            raise FnxTypeError(f"associative_scan: fn returned structure {out_tree}, expected {tree}")
        return out

    out = _prefixes(combine, front)
    if reverse:
        out = [lax.rev(x, (0,)) for x in out]
    back = _to_front(ndim, axis)
    inverse = [back.index(i) for i in range(ndim)]
    return tree_unflatten(tree, [lax.transpose(x, inverse) for x in out])


def _rows(x, start: int, limit: int, stride: int = 1):
    """Rows ``start:limit:stride`` (axis 0) of ``x``."""
    from .. import lax
    return lax.slice(x, (start,) + (0,) * (x.ndim - 1), (limit,) + tuple(x.shape[1:]), (stride,) + (1,) * (x.ndim - 1))


def _to_front(ndim: int, axis: int) -> tuple:
    return (axis,) + tuple(i for i in range(ndim) if i != axis)


def _prefixes(combine: Callable, xs: list) -> list:
    """The inclusive prefixes of ``xs`` (flat lists of arrays scanned along axis 0)."""
    from .. import lax
    n = xs[0].shape[0]
    if n < 2:
        return xs
    every_other = lambda x, start: _rows(x, start, n // 2 * 2, stride=2)  # noqa: E731  (n // 2 rows)
    pairs = combine([every_other(x, 0) for x in xs], [every_other(x, 1) for x in xs])
    odd = _prefixes(combine, pairs)  # prefixes ending at 1, 3, 5, ...
    rest = [_rows(x, 2, n, stride=2) for x in xs]  # elements 2, 4, ...
    head = [_rows(o, 0, rest[0].shape[0]) for o in odd]
    even = [lax.concatenate([_rows(x, 0, 1), e], 0) for x, e in zip(xs, combine(head, rest))]
    return [_interleave(e, o, n) for e, o in zip(even, odd)]


def _interleave(even, odd, n: int):
    """``even[0], odd[0], even[1], odd[1], ...`` along axis 0, ``n`` rows in all."""
    from .. import lax
    if odd.shape[0] < even.shape[0]:
        odd = lax.concatenate([odd, _rows(even, 0, 1)], 0)  # a filler row, cut off below
    k = even.shape[0]
    pairs = lax.concatenate([lax.reshape(even, (k, 1) + even.shape[1:]), lax.reshape(odd, (k, 1) + odd.shape[1:])], 1)
    return _rows(lax.reshape(pairs, (2 * k,) + even.shape[1:]), 0, n)
