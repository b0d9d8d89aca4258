"""``check_grads``: compare fnx's derivatives of a function with finite differences, as JAX's
``jax.test_util.check_grads`` does, for your own functions and custom rules.

Forward mode: the ``jvp`` along a random tangent must match the central difference
``(f(x + eps/2 t) - f(x - eps/2 t)) / eps``. Reverse mode: the ``vjp`` of a random cotangent ``c`` must satisfy
``<vjp(c), t> == <c, numerical jvp(t)>``. ``order=2`` (or more) checks the derivatives of those derivative
functions too. A mismatch raises ``AssertionError`` saying which mode, which order and by how much.

>>> import fnx.numpy as fnp
>>> check_grads(lambda x, y: fnp.sqrt(x * x + y * y), (1.0, 2.0), order=2)   # Ketkar 2017, listing 9-2
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .core.tree import tree_flatten, tree_map
from .transforms.autodiff import jvp, vjp

_EPS = 1e-4
_TOLERANCE = {np.dtype("float16"): 1e-1, np.dtype("float32"): 2e-2, np.dtype("float64"): 1e-5}


def _float_args(args: Sequence) -> tuple:
    def as_float(leaf):
        array = np.asarray(leaf)
        if array.dtype.kind != "f":
            raise TypeError(f"check_grads: arguments must be floats (pytrees of float arrays), got {array.dtype}")
        return array
    return tuple(tree_map(as_float, a) for a in args)


def _random_like(rng: np.random.Generator, tree: Any) -> Any:
    return tree_map(lambda a: rng.normal(size=np.shape(a)).astype(np.asarray(a).dtype), tree)


def _axpy(alpha: float, xs: Any, ys: Any) -> Any:
    return tree_map(lambda x, y: (alpha * np.asarray(x, np.float64) + y).astype(np.asarray(y).dtype), xs, ys)


def _inner(xs: Any, ys: Any) -> float:
    return float(sum(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64))
                     for x, y in zip(tree_flatten(xs)[0], tree_flatten(ys)[0], strict=True)))


def _numerical_jvp(f: Callable, args: tuple, tangents: tuple, eps: float) -> Any:
    plus = f(*_axpy(eps / 2, tangents, args))
    minus = f(*_axpy(-eps / 2, tangents, args))
    return tree_map(lambda p, m: (np.asarray(p, np.float64) - np.asarray(m, np.float64)) / eps, plus, minus)


def _tolerance(tree: Any, given: float | None) -> float:
    if given is not None:
        return given
    dtypes = {np.asarray(leaf).dtype for leaf in tree_flatten(tree)[0]}
    return max((_TOLERANCE.get(d, 1e-5) for d in dtypes), default=1e-5)


def _assert_close(what: str, actual: Any, expected: Any, atol: float, rtol: float) -> None:
    for a, e in zip(tree_flatten(actual)[0], tree_flatten(expected)[0], strict=True):
        a, e = np.asarray(a, np.float64), np.asarray(e, np.float64)
        if not np.allclose(a, e, atol=atol, rtol=rtol):
            gap = float(np.max(np.abs(a - e))) if a.size else 0.0
            raise AssertionError(f"check_grads: {what} differs from finite differences by up to {gap:.3g} "
                                 f"(atol={atol:g}, rtol={rtol:g})\n  fnx:       {a}\n  numerical: {e}")


def check_jvp(f: Callable, args: Sequence, atol: float | None = None, rtol: float | None = None,
              eps: float = _EPS, seed: int = 0, what: str = "jvp") -> None:
    """Check ``fnx.jvp(f, args, t)`` against central differences along a random tangent ``t``."""
    args = _float_args(args)
    tangents = _random_like(np.random.default_rng(seed), args)
    _, tangent_out = jvp(f, args, tangents)
    expected = _numerical_jvp(f, args, tangents, eps)
    _assert_close(what, tangent_out, expected, _tolerance(args, atol), _tolerance(args, rtol))


def check_vjp(f: Callable, args: Sequence, atol: float | None = None, rtol: float | None = None,
              eps: float = _EPS, seed: int = 0, what: str = "vjp") -> None:
    """Check ``fnx.vjp``: ``<vjp(c), t>`` against ``<c, (f(x + eps/2 t) - f(x - eps/2 t)) / eps>``."""
    args = _float_args(args)
    rng = np.random.default_rng(seed)
    tangents = _random_like(rng, args)
    out, pullback = vjp(f, *args)
    cotangent = _random_like(rng, out)
    backward = _inner(pullback(cotangent), tangents)
    forward = _inner(cotangent, _numerical_jvp(f, args, tangents, eps))
    _assert_close(what + " (inner product with a random tangent)", backward, forward, _tolerance(args, atol),
                  _tolerance(args, rtol))


def check_grads(f: Callable, args: Sequence, order: int, modes: Sequence[str] = ("fwd", "rev"),
                atol: float | None = None, rtol: float | None = None, eps: float | None = None) -> None:
    """Check the derivatives of ``f(*args)`` up to ``order`` in the ``modes`` ("fwd": jvp, "rev": vjp) against
    finite differences with step ``eps`` (default 1e-4), as JAX's ``check_grads``. Tolerances default by
    dtype (1e-5 for float64, 2e-2 for float32). ``args`` is a tuple of float pytrees.

    >>> import fnx.numpy as fnp
    >>> check_grads(lambda x: fnp.sin(x) * x, (np.linspace(0, 1, 4),), order=3)
    """
    if not set(modes) <= {"fwd", "rev"} or not modes:
        raise ValueError(f"check_grads: modes must be a non-empty subset of ('fwd', 'rev'), got {modes!r}")
    if order < 1:
        raise ValueError(f"check_grads: order must be >= 1, got {order}")
    eps = _EPS if eps is None else eps
    args = _float_args(args)
    _check(f, args, order, tuple(modes), atol, rtol, eps, 1)


def _check(f: Callable, args: tuple, order: int, modes: tuple, atol, rtol, eps: float, level: int) -> None:
    if "fwd" in modes:
        check_jvp(f, args, atol, rtol, eps, seed=level, what=f"jvp (order {level})")
        if level < order:
            tangent_tree = _random_like(np.random.default_rng(100 + level), args)

            def f_jvp(*primals):
                return jvp(f, primals, tuple(tangent_tree))[1]
            _check(f_jvp, args, order, modes, atol, rtol, eps, level + 1)
    if "rev" in modes:
        check_vjp(f, args, atol, rtol, eps, seed=level, what=f"vjp (order {level})")
        if level < order:
            cotangent = _random_like(np.random.default_rng(200 + level), f(*args))

            def f_vjp(*primals):
                return vjp(f, *primals)[1](cotangent)
            _check(f_vjp, args, order, modes, atol, rtol, eps, level + 1)


__all__ = ["check_grads", "check_jvp", "check_vjp"]
