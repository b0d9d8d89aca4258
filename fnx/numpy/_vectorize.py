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
from ._util import broadcast_shapes, is_weak, shape_of

_ARGUMENT = r"\((?:\w+(?:,\w+)*)?\)"  # "(m,n)" or "()"
_SIDE = re.compile(rf"{_ARGUMENT}(?:,{_ARGUMENT})*")


def _parse_side(text: str, signature: str) -> list[tuple[str, ...]]:
    """``"(m,n),(n)"`` -> ``[("m", "n"), ("n",)]``."""
    if not _SIDE.fullmatch(text):
        raise FnxTypeError(f"vectorize: invalid signature {signature!r} (expected e.g. '(m,n),(n)->(m)')")
    return [tuple(names.split(",")) if names else () for names in re.findall(r"\(([^()]*)\)", text)]


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
        shape = shape_of(x)
        if len(shape) < len(names):
            raise FnxTypeError(f"vectorize: argument {i} has shape {shape}, which has fewer than the "
                               f"{len(names)} core dimensions {names} of signature {signature!r}")
        for name, n in zip(names, shape[len(shape) - len(names):]):
            if sizes.setdefault(name, n) != n:
                raise FnxTypeError(f"vectorize: core dimension {name!r} of signature {signature!r} has "
                                   f"inconsistent sizes {sizes[name]} and {n} (argument {i} has shape {shape})")
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
        if len(shape) != len(names) or any(sizes.setdefault(name, n) != n for name, n in zip(names, shape)):
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


def _operand(x):
    """A vectorized argument: Python scalars stay as they are (weakly typed); anything else becomes an array."""
    return x if is_weak(x) else asarray(x)


def _loop(one_example: Callable, values: list, core: list, loop_shape: tuple):
    """``one_example`` applied over the loop axes of ``values``: one ``vmap`` per loop axis, outermost first."""
    from ..transforms.batching import vmap

    squeezed, axes = [], []
    for x, c in zip(values, core):
        x, x_axes = _squeeze_loop_axes(x, len(c), loop_shape)
        squeezed.append(x)
        axes.append(x_axes)
    looped = one_example
    for d in reversed(range(len(loop_shape))):
        looped = vmap(looped, in_axes=tuple(a[d] for a in axes), axis_size=loop_shape[d])
    return tree_map(asarray, looped(*squeezed))


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
        keys = [i for i in range(len(args)) if i not in excluded] + [k for k in kwargs if k not in excluded]
        values = [_operand(args[k] if isinstance(k, int) else kwargs[k]) for k in keys]
        core = in_core if in_core is not None else [()] * len(values)
        if len(core) != len(values):
            raise FnxTypeError(f"vectorize: signature {signature!r} has {len(core)} inputs, but the function "
                               f"was called with {len(values)} vectorized arguments")
        sizes = _bind_core_dims(values, core, signature)
        loop_shape = broadcast_shapes("vectorize", *[shape_of(x)[:len(shape_of(x)) - len(c)]
                                                     for x, c in zip(values, core)])
        mapped = [i for i, x in enumerate(values) if not is_weak(x)]  # Python scalars are closed over

        def one_example(*examples):
            full_args, full_kwargs = list(args), dict(kwargs)
            for i, x in zip(mapped, examples):
                if isinstance(keys[i], int):
                    full_args[keys[i]] = x
                else:
                    full_kwargs[keys[i]] = x
            out = pyfunc(*full_args, **full_kwargs)
            return _check_outputs(out, out_core, dict(sizes), signature)

        return _loop(one_example, [values[i] for i in mapped], [core[i] for i in mapped], loop_shape)
    return vectorized


__all__ = ["vectorize"]
