"""Pytree utilities (``fnx.tree_util``), as in ``jax.tree_util``."""
from .core.tree import (PyTreeDef, register_pytree_node, tree_all, tree_flatten, tree_leaves,  # noqa: F401
                        tree_map, tree_reduce, tree_structure, tree_unflatten)

__all__ = ["PyTreeDef", "register_pytree_node", "tree_all", "tree_flatten", "tree_leaves", "tree_map",
           "tree_reduce", "tree_structure", "tree_unflatten"]
