"""``fnx.tree``: the pytree functions under short names, as ``jax.tree`` has them.

>>> import fnx
>>> fnx.tree.map(lambda x: x * 2, {"w": 1, "b": (2, 3)})
{'b': (4, 6), 'w': 2}
>>> fnx.tree.reduce(lambda a, b: a + b, [1, 2, 3])
6
"""
from .core.tree import tree_all as all  # noqa: A001 (jax.tree's names)
from .core.tree import tree_flatten as flatten
from .core.tree import tree_leaves as leaves
from .core.tree import tree_map as map  # noqa: A001
from .core.tree import tree_reduce as reduce
from .core.tree import tree_structure as structure
from .core.tree import tree_unflatten as unflatten

__all__ = ["all", "flatten", "leaves", "map", "reduce", "structure", "unflatten"]
