"""``vectorize``: NumPy's ``np.vectorize`` built on ``fnx.vmap``.

A function written for one example (scalars, or arrays with the "core" shapes of a gufunc signature) is
applied across the leading "loop" axes of its arguments. The loop shapes are broadcast with NumPy's rules,
and each loop axis becomes one ``vmap``. An argument whose loop axis has size 1 (or is missing) is not
copied: it is passed to that ``vmap`` as unbatched (``in_axes=None``).
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Collection

from ..core.errors import FnxTypeError
from ..core.tree import tree_flatten, tree_map
from ._creation import asarray
from ._shape import reshape
from ._util import broadcast_shapes, is_weak

_CORE = re.compile(r"\((\w+(?:,\w+)*)?\)")


def _parse_side(text: str, signature: str) -> list[tuple[str, ...]]:
    """``"(m,n),(n)"`` -> ``[("m", "n"), ("n",)]``."""
    groups, pos = [], 0
    while pos < len(text):
        match = _CORE.match(text, pos)
        if match is None:
            raise FnxTypeError(f"vectorize: invalid signature {signature!r} (expected e.g. '(m,n),(n)->(m)')")
        groups.append(tuple(match.group(1).split(",")) if match.group(1) else ())
        pos = match.end()
        if pos < len(text):
            if text[pos] != ",":
                raise FnxTypeError(f"vectorize: invalid signature {signature!r} (expected e.g. '(m,n),(n)->(m)')")
            pos += 1
    return groups


def _parse_signature(signature: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The core dimension names of each input and each output of a gufunc signature."""
    text = re.sub(r"\s+", "", signature)
    if text.count("->") != 1:
        raise FnxTypeError(f"vectorize: invalid signature {signature!r} (expected e.g. '(m,n),(n)->(m)')")
    inputs, outputs = text.split("->")
    return _parse_side(inputs, signature), _parse_side(outputs, signature)


def _bind_core_dims(args: list, core_dims: list[tuple[str, ...]], signature: str) -> dict[str, int]:
    """The size of every named core dimension; an error if the arguments disagree or lack dimensions."""
    sizes: dict[str, int] = {}
    for i, (x, names) in enumerate(zip(args, core_dims)):
        if len(x.shape) < len(names):
            raise FnxTypeError(f"vectorize: argument {i} has shape {tuple(x.shape)}, which has fewer than the "
                               f"{len(names)} core dimensions {names} of signature {signature!r}")
        for name, n in zip(names, x.shape[len(x.shape) - len(names):]):
            if sizes.setdefault(name, n) != n:
                raise FnxTypeError(f"vectorize: core dimension {name!r} of signature {signature!r} has "
                                   f"inconsistent sizes {sizes[name]} and {n} (argument {i} has shape "
                                   f"{tuple(x.shape)})")
    return sizes


def _check_outputs(out, core_dims: list[tuple[str, ...]], sizes: dict[str, int], signature: str | None):
    """The per-example outputs of ``pyfunc`` must have the core shapes the signature promises."""
    if signature is None:
        for leaf in tree_flatten(out)[0]:
            if getattr(leaf, "shape", ()) != ():
                raise FnxTypeError(f"vectorize: without a signature the function must return scalars, got shape "
                                   f"{tuple(leaf.shape)}; pass a signature such as '(n)->(n)'")
        return out
    outs = out if len(core_dims) > 1 else (out,)
    if not isinstance(outs, tuple) or len(outs) != len(core_dims):
        raise FnxTypeError(f"vectorize: signature {signature!r} has {len(core_dims)} outputs, but the function "
                           f"returned {type(out).__name__}")
    for i, (o, names) in enumerate(zip(outs, core_dims)):
        shape = tuple(getattr(o, "shape", ()))
        bound = {name: sizes.setdefault(name, n) for name, n in zip(names, shape)}
        if len(shape) != len(names) or any(bound[name] != n for name, n in zip(names, shape)):
            raise FnxTypeError(f"vectorize: output {i} has shape {shape}, but signature {signature!r} expects "
                               f"core dimensions {names} with sizes {sizes}")
    return out


def _squeeze_loop_axes(x, n_core: int, loop_shape: tuple) -> tuple[Any, list]:
    """``x`` without its broadcast loop axes, and its ``in_axes`` entry (0 or None) for each loop axis."""
    own = tuple(x.shape[:len(x.shape) - n_core])
    padded = (1,) * (len(loop_shape) - len(own)) + own
    mapped = [n == size and n != 1 for n, size in zip(padded, loop_shape)]
    kept = tuple(n for n, keep in zip(padded, mapped) if keep)
    if kept != own:
        x = reshape(x, kept + tuple(x.shape[len(own):]))
    return x, [0 if keep else None for keep in mapped]


def vectorize(pyfunc: Callable | None = None, *, excluded: Collection[int | str] = frozenset(),
              signature: str | None = None) -> Callable:
    """Turn ``pyfunc``, written for one example, into a function over arrays, like ``np.vectorize``.

    Without ``signature`` every argument is a scalar example: the arguments are broadcast together and
    ``pyfunc`` is applied elementwise (it must return scalars, or a tuple of them). With a gufunc
    ``signature`` such as ``"(n),(n)->()"`` or ``"(m,n),(n)->(m)"`` the last dimensions of each argument
    are its core dimensions, passed whole to ``pyfunc``; the leading "loop" dimensions are broadcast.
    Named dimensions must agree in size everywhere. Several outputs: ``"(n)->(),()"`` (a tuple comes back).

    ``excluded``: positions or keyword names of arguments passed to ``pyfunc`` as they are (not vectorized).
    Python scalars are never vectorized either (they stay weakly typed). The loops run as ``fnx.vmap``, so
    the result works eagerly and under ``make_jaxpr``, ``grad`` and ``vmap``. Usable as a decorator, with or
    without arguments.

    >>> import fnx.numpy as fnp
    >>> fnp.vectorize(lambda x, y: fnp.where(x > y, x - y, x + y))(fnp.array([1.0, 5.0]), 2.0)
    Array([3., 3.], dtype=float64)
    >>> matvec = fnp.vectorize(fnp.dot, signature="(m,n),(n)->(m)")
    >>> matvec(fnp.ones((4, 2, 3)), fnp.arange(3.0)).shape
    (4, 2)
    """
    if pyfunc is None:
        return functools.partial(vectorize, excluded=excluded, signature=signature)
    in_core, out_core = _parse_signature(signature) if signature is not None else (None, None)
    excluded = frozenset(excluded)

    @functools.wraps(pyfunc)
    def vectorized(*args, **kwargs):
        from ..transforms.batching import vmap

        names = [i for i, a in enumerate(args) if i not in excluded and not is_weak(a)]
        names += [k for k, a in kwargs.items() if k not in excluded and not is_weak(a)]
        values = [asarray(args[n]) if isinstance(n, int) else asarray(kwargs[n]) for n in names]
        core = in_core if in_core is not None else [()] * len(values)
        if len(core) != len(values):
            raise FnxTypeError(f"vectorize: signature {signature!r} has {len(core)} inputs, but the function "
                               f"was called with {len(values)} vectorized arguments")
        sizes = _bind_core_dims(values, core, signature)
        loop_shape = broadcast_shapes("vectorize", *[tuple(x.shape[:len(x.shape) - len(c)])
                                                     for x, c in zip(values, core)])

        def one_example(*examples):
            full_args, full_kwargs = list(args), dict(kwargs)
            for n, x in zip(names, examples):
                if isinstance(n, int):
                    full_args[n] = x
                else:
                    full_kwargs[n] = x
            out = pyfunc(*full_args, **full_kwargs)
            return _check_outputs(out, out_core, dict(sizes), signature)

        squeezed, axes = zip(*[_squeeze_loop_axes(x, len(c), loop_shape) for x, c in zip(values, core)]) \
            if values else ((), ())
        looped = one_example
        for d in reversed(range(len(loop_shape))):
            looped = vmap(looped, in_axes=tuple(a[d] for a in axes), axis_size=loop_shape[d])
        return tree_map(asarray, looped(*squeezed))
    return vectorized


__all__ = ["vectorize"]
