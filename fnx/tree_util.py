"""Pytree utilities (``fnx.tree_util``), as in ``jax.tree_util``."""
from .core.tree import (PyTreeDef, register_pytree_node, tree_flatten, tree_leaves, tree_map,  # noqa: F401
                        tree_structure, tree_unflatten)

__all__ = ["PyTreeDef", "register_pytree_node", "tree_flatten", "tree_leaves", "tree_map", "tree_structure",
           "tree_unflatten"]
