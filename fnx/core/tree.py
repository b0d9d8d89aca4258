"""Pytrees: nested tuples, lists, dicts, None, namedtuples, dataclasses and registered classes.

A pytree is flattened into its *leaves* (everything that is not a container) and a *treedef* that can
rebuild it: ``tree_unflatten(treedef, leaves)``.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Hashable, NamedTuple

_registry: dict[type, tuple[Callable, Callable]] = {}


def register_pytree_node(cls: type, flatten: Callable, unflatten: Callable) -> None:
    """Make instances of ``cls`` pytree nodes.

    ``flatten(obj) -> (children, aux_data)`` and ``unflatten(aux_data, children) -> obj``; ``aux_data`` must
    be hashable and comparable.

    >>> class Pair:
    ...     def __init__(self, a, b): self.a, self.b = a, b
    >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))
    """
    _registry[cls] = (flatten, unflatten)
    _leaf_types.discard(cls)


_leaf_types: set[type] = set()  # types met as leaves: neither registered, nor namedtuples, nor dataclasses


register_pytree_node(tuple, lambda t: (t, None), lambda _, c: tuple(c))
register_pytree_node(list, lambda t: (t, None), lambda _, c: list(c))
register_pytree_node(type(None), lambda t: ((), None), lambda _, c: None)
register_pytree_node(dict, lambda d: (tuple(d[k] for k in sorted(d, key=_sort_key)), tuple(sorted(d, key=_sort_key))),
                     lambda keys, c: dict(zip(keys, c)))


def _sort_key(k):
    return (type(k).__name__, k)


def _node_rules(x) -> tuple[Callable, Callable] | None:
    rules = _registry.get(type(x))
    if rules is not None or type(x) in _leaf_types:  # the fast answers: a jitted call flattens every argument
        return rules
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):  # namedtuple
        return (lambda t: (tuple(t), None), lambda _, c, cls=type(x): cls(*c))
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        names = tuple(f.name for f in dataclasses.fields(x))
        return (lambda d: (tuple(getattr(d, n) for n in names), names),
                lambda ns, c, cls=type(x): cls(**dict(zip(ns, c))))
    _leaf_types.add(type(x))
    return None


class PyTreeDef(NamedTuple):
    """The structure of a pytree: the node type, its aux data, and the children's structures (None for a leaf)."""

    node_type: type | None
    aux: Hashable
    children: tuple

    @property
    def num_leaves(self) -> int:
        return 1 if self.node_type is None else sum(c.num_leaves for c in self.children)

    def __repr__(self) -> str:
        if self.node_type is None:
            return "*"
        inner = ", ".join(map(repr, self.children))
        return f"PyTreeDef({self.node_type.__name__}({inner}))" if self.aux is None else \
            f"PyTreeDef({self.node_type.__name__}[{self.aux}]({inner}))"


_LEAF = PyTreeDef(None, None, ())


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    """Split a pytree into its list of leaves and its structure.

    >>> tree_flatten({"b": (1, 2), "a": 3})
    ([3, 1, 2], PyTreeDef(dict[('a', 'b')](*, PyTreeDef(tuple(*, *)))))
    """
    leaves: list = []
    return leaves, _flatten(tree, is_leaf, leaves)


# Module-level recursion, not a nested function calling itself: such a closure is a reference cycle, which
# would keep the leaves (a jitted function's outputs: megabytes) alive until the garbage collector runs.
def _flatten(x, is_leaf, leaves: list) -> PyTreeDef:
    rules = None if (is_leaf is not None and is_leaf(x)) else _node_rules(x)
    if rules is None:
        leaves.append(x)
        return _LEAF
    children, aux = rules[0](x)
    return PyTreeDef(type(x), aux, tuple([_flatten(c, is_leaf, leaves) for c in children]))


def tree_unflatten(treedef: PyTreeDef, leaves) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaves``.

    >>> import fnx
    >>> leaves, treedef = fnx.tree_flatten({"w": 1.0, "b": 2.0})
    >>> fnx.tree_unflatten(treedef, [10.0, 20.0])
    {'b': 10.0, 'w': 20.0}
    """
    return _build(treedef, iter(leaves))


def _build(td: PyTreeDef, it):
    if td.node_type is None:
        return next(it)
    children = [_build(c, it) for c in td.children]
    rules = _registry.get(td.node_type)
    if rules is None:  # namedtuple or dataclass
        if issubclass(td.node_type, tuple):
            return td.node_type(*children)
        return td.node_type(**dict(zip(td.aux, children)))
    return rules[1](td.aux, children)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The leaves of a pytree, left to right (dict keys in sorted order).

    >>> import fnx
    >>> fnx.tree_leaves({"b": [1.0, 2.0], "a": 3.0, "c": None})
    [3.0, 1.0, 2.0]
    """
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The structure of a pytree.

    >>> import fnx
    >>> fnx.tree_structure((1.0, {"x": 2.0}))
    PyTreeDef(tuple(*, PyTreeDef(dict[('x',)](*))))
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f: Callable, tree: Any, *rest: Any, is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Apply ``f`` to the leaves of ``tree`` (and the matching leaves of ``rest``), keeping the structure.

    >>> tree_map(lambda x, y: x + y, {"w": 1, "b": 2}, {"w": 10, "b": 20})
    {'b': 22, 'w': 11}
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = []
    for r in rest:
        r_leaves, r_def = tree_flatten(r, is_leaf)
        if r_def != treedef:
            raise ValueError(f"tree_map: pytree structures differ: {treedef} and {r_def}")
        others.append(r_leaves)
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])


_NO_INITIAL = object()


def tree_reduce(function: Callable, tree: Any, initializer: Any = _NO_INITIAL,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Fold ``function(accumulated, leaf)`` over the leaves of ``tree``, left to right, as ``functools.reduce``.

    >>> tree_reduce(lambda a, b: a + b, {"w": [1, 2], "b": 3})
    6
    """
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INITIAL:
        if not leaves:
            raise TypeError("tree_reduce: a tree with no leaves needs an initializer")
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Whether every leaf of ``tree`` is true (``all`` over the leaves)."""
    return all(tree_leaves(tree, is_leaf))
