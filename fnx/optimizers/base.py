"""The optimizer protocol: a gradient transformation is a pair of pure functions ``init`` and ``update``.

``init(params) -> state`` builds the optimizer state (a pytree of arrays) for a parameter pytree;
``update(grads, state, params=None) -> (updates, new_state)`` turns gradients into *updates*, which
``apply_updates(params, updates)`` adds to the parameters. Small transformations (scale by a learning rate,
clip, add weight decay, ...) compose with ``chain``; every named optimizer is such a chain. Nothing is
mutated, so a whole training step can be traced, differentiated, vmapped and jitted.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from .. import numpy as fnp
from ..core.errors import FnxTypeError
from ..tree_util import tree_flatten, tree_map

Params = Any  # a pytree of arrays
Updates = Any  # a pytree of arrays with the structure of Params
OptState = Any  # a pytree of arrays (NamedTuples of arrays, tuples of those)


class GradientTransformation(NamedTuple):
    """An optimizer or a building block of one: ``init(params) -> state`` and
    ``update(grads, state, params=None) -> (updates, new_state)``.

    >>> import fnx.numpy as fnp, fnx.optimizers as optim
    >>> opt = optim.sgd(0.1)
    >>> params = {"w": fnp.array([1.0, 2.0])}
    >>> updates, state = opt.update({"w": fnp.array([1.0, -1.0])}, opt.init(params))
    >>> optim.apply_updates(params, updates)["w"]
    Array([0.9, 2.1], dtype=float64)
    """

    init: Callable[[Params], OptState]
    update: Callable[..., tuple[Updates, OptState]]


class EmptyState(NamedTuple):
    """The state of a stateless transformation (a pytree without leaves)."""


def check_trees(op: str, tree: Any, *others: Any, shapes: bool = True) -> None:
    """Raise ``FnxTypeError`` naming ``op`` unless every tree in ``others`` has the structure of ``tree``
    (and, with ``shapes=True``, the same leaf shapes)."""
    leaves, treedef = tree_flatten(tree)
    for other in others:
        other_leaves, other_def = tree_flatten(other)
        if other_def != treedef:
            raise FnxTypeError(f"{op}: pytree structures differ: {treedef} vs {other_def}")
        for a, b in zip(leaves, other_leaves):
            if shapes and np.shape(a) != np.shape(b):
                raise FnxTypeError(f"{op}: leaf shapes differ: {np.shape(a)} vs {np.shape(b)} in {treedef}")


def tree_map_checked(op: str, f: Callable, tree: Any, *rest: Any) -> Any:
    """``tree_map(f, tree, *rest)`` after ``check_trees(op, tree, *rest)``.

    >>> import fnx.numpy as fnp
    >>> tree_map_checked("demo", lambda a, b: a + b, {"w": fnp.ones(2)}, {"w": fnp.ones(2)})
    {'w': Array([2., 2.], dtype=float64)}
    """
    check_trees(op, tree, *rest)
    return tree_map(f, tree, *rest)


def cast_like(x, leaf):
    """``x`` (a scalar or array) converted to the dtype of ``leaf``, so float32 parameters stay float32."""
    return fnp.astype(fnp.asarray(x), fnp.asarray(leaf).dtype)


def require_params(op: str, params) -> None:
    """Raise a clear error when a transformation that needs the parameters is called without them."""
    if params is None:
        raise FnxTypeError(f"{op}: this transformation needs the parameters: call update(grads, state, params)")


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply ``transforms`` one after the other: each one's updates are the next one's gradients.

    The state is a tuple holding each transformation's state, in order.

    >>> import fnx.optimizers as optim
    >>> opt = optim.chain(optim.clip_by_global_norm(1.0), optim.scale_by_adam(), optim.scale(-1e-3))
    """

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params=None):
        if not isinstance(state, tuple) or len(state) != len(transforms):
            raise FnxTypeError(f"chain.update: expected a tuple of {len(transforms)} states (one per "
                               f"transformation), got {type(state).__name__}")
        new_state = []
        for transform, inner in zip(transforms, state):
            grads, inner = transform.update(grads, inner, params)
            new_state.append(inner)
        return grads, tuple(new_state)

    return GradientTransformation(init, update)


def apply_updates(params: Params, updates: Updates) -> Params:
    """``params + updates`` leaf by leaf, each result keeping its parameter's dtype.

    Shapes: ``updates`` has the structure and leaf shapes of ``params``.

    >>> import fnx.numpy as fnp
    >>> apply_updates({"w": fnp.ones(2, dtype="float32")}, {"w": fnp.array([0.5, -0.5])})["w"]
    Array([1.5, 0.5], dtype=float32)
    """
    return tree_map_checked("apply_updates", lambda p, u: cast_like(p + u, p), params, updates)


__all__ = ["EmptyState", "GradientTransformation", "OptState", "Params", "Updates", "apply_updates", "chain"]
