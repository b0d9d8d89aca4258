"""Save a pytree of arrays (parameters, optimizer state) to an ``.npz`` file and restore it, without pickle.

Each leaf is an array in the archive (``leaf_0``, ``leaf_1``, ... in ``tree_flatten`` order); the structure
is JSON text in the array ``__tree__``: dicts (string or int keys), lists, tuples and None are written as
such, namedtuples and dataclasses as their class name and field names. Loading uses ``allow_pickle=False``,
so a file cannot run code. ``restore(path)`` rebuilds dicts, lists and tuples, and namedtuples/dataclasses
as dicts of their fields; ``restore(path, like=tree)`` gives back the exact types of ``like`` (e.g. an
optimizer's state NamedTuples) after checking that the structure, shapes and dtypes match.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> save(path, {"layers": [{"w": np.ones((2, 3)), "b": np.zeros(3)}], "step": 7})
>>> restored = restore(path)
>>> restored["layers"][0]["w"].shape, restored["step"]
((2, 3), 7)
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .core.tree import PyTreeDef, tree_flatten, tree_unflatten

_FORMAT = "fnx-pytree-1"
_SCALARS = {bool: "bool", int: "int", float: "float"}


def _encode(td: PyTreeDef, leaves: list, counter: list) -> Any:
    """The JSON form of ``td``; Python scalar leaves are marked so they come back as scalars."""
    if td.node_type is None:
        leaf = leaves[counter[0]]
        counter[0] += 1
        return {"leaf": _SCALARS.get(type(leaf), "array")}
    children = [_encode(c, leaves, counter) for c in td.children]
    if td.node_type in (tuple, list):
        return {td.node_type.__name__: children}
    if td.node_type is type(None):
        return {"none": None}
    if td.node_type is dict:
        for key in td.aux:
            if type(key) not in (str, int):
                raise TypeError(f"fnx.serialization.save: dict keys must be str or int, got {key!r}")
        return {"dict": [[key, child] for key, child in zip(td.aux, children)]}
    fields = td.node_type._fields if hasattr(td.node_type, "_fields") else td.aux
    if not (isinstance(fields, tuple) and all(isinstance(f, str) for f in fields)):
        raise TypeError(f"fnx.serialization.save: cannot write a {td.node_type.__name__} node (only dicts, lists, "
                        "tuples, None, namedtuples and dataclasses)")
    return {"node": f"{td.node_type.__module__}.{td.node_type.__qualname__}", "fields": list(fields),
            "children": children}


def _decode(spec: dict, leaves, path: Path) -> Any:
    kind = next(iter(spec), None) if isinstance(spec, dict) else None
    if kind == "leaf":
        leaf = next(leaves)
        return leaf.item() if spec["leaf"] in ("bool", "int", "float") else leaf
    if kind in ("tuple", "list"):
        children = [_decode(c, leaves, path) for c in spec[kind]]
        return tuple(children) if kind == "tuple" else children
    if kind == "none":
        return None
    if kind == "dict":
        return {key: _decode(child, leaves, path) for key, child in spec["dict"]}
    if kind == "node":
        return {f: _decode(c, leaves, path) for f, c in zip(spec["fields"], spec["children"])}
    raise ValueError(f"fnx.serialization.restore: {path} has a malformed tree description ({str(spec)[:80]})")


def save(path: str | os.PathLike, tree: Any, compress: bool = False) -> None:
    """Write ``tree`` (a pytree of arrays and Python scalars) to the ``.npz`` file ``path`` (the name is kept as
    given; the file is written to a temporary name first and then renamed, so a crash leaves no half file).
    ``compress=True`` deflates the arrays."""
    leaves, treedef = tree_flatten(tree)
    arrays = {f"leaf_{i}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    for name, array in arrays.items():
        if array.dtype.hasobject:
            raise TypeError(f"fnx.serialization.save: leaf {name[5:]} is not an array of numbers "
                            f"({type(leaves[int(name[5:])]).__name__}); pickle is not used")
    description = {"format": _FORMAT, "tree": _encode(treedef, leaves, [0])}
    arrays["__tree__"] = np.array(json.dumps(description))
    path = Path(path).expanduser()
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:
        (np.savez_compressed if compress else np.savez)(file, **arrays)
    os.replace(partial, path)


def _read(path: Path) -> tuple[dict, list]:
    if not path.is_file():
        raise FileNotFoundError(f"fnx.serialization.restore: no checkpoint at {path.resolve()}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            description = json.loads(str(archive["__tree__"]))
            count = len(archive.files) - 1
            leaves = [archive[f"leaf_{i}"] for i in range(count)]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as err:
        raise ValueError(f"fnx.serialization.restore: {path} is not a checkpoint written by "
                         f"fnx.serialization.save ({type(err).__name__}: {err})") from None
    if not isinstance(description, dict) or description.get("format") != _FORMAT:
        raise ValueError(f"fnx.serialization.restore: {path} is not a checkpoint written by fnx.serialization.save")
    return description, leaves


def restore(path: str | os.PathLike, like: Any = None) -> Any:
    """The pytree saved at ``path``. With ``like`` (a pytree of the saved structure, e.g. freshly initialized
    parameters), the result has ``like``'s node types, and a structure, shape or dtype that differs raises
    ``ValueError`` naming the leaf.

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "p.npz")
    >>> save(path, (np.arange(3.0), None))
    >>> restore(path, like=(np.zeros(3), None))[0]
    array([0., 1., 2.])
    """
    path = Path(path).expanduser()
    description, leaves = _read(path)
    if like is None:
        return _decode(description["tree"], iter(leaves), path)
    like_leaves, like_def = tree_flatten(like)
    saved = json.dumps(description["tree"], sort_keys=True)
    if json.dumps(_encode(like_def, like_leaves, [0]), sort_keys=True) != saved:
        raise ValueError(f"fnx.serialization.restore: the tree in {path} does not have the structure of `like` "
                         f"({like_def})")
    for i, (leaf, expected) in enumerate(zip(leaves, like_leaves)):
        shape, dtype = np.shape(expected), np.asarray(expected).dtype
        if leaf.shape != shape or leaf.dtype != dtype:
            raise ValueError(f"fnx.serialization.restore: leaf {i} in {path} is {leaf.dtype}{list(leaf.shape)}, "
                             f"but `like` has {dtype}{list(shape)}")
    return tree_unflatten(like_def, [leaf.item() if type(e) in _SCALARS else leaf
                                     for leaf, e in zip(leaves, like_leaves)])


__all__ = ["restore", "save"]
