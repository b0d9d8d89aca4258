"""A griffe extension for the docs site (mkdocs.yml): the modules that build their public functions in a loop
at import (``sin = _elementwise(ew.sin_p, "sin")``) are read as static source elsewhere, where such a function
is an attribute without a docstring; this imports them and takes each such function as Python sees it, with
its signature and generated docstring. Nothing else of fnx is imported, so ``python -m fnx``'s module and the
optional backends are never run."""
from __future__ import annotations

import sys
from typing import Any

import griffe

GENERATED = ("fnx.numpy._elementwise", "fnx.lax.elementwise")


class GeneratedFunctions(griffe.Extension):
    """Replaces the attributes of GENERATED modules that are functions at run time with those functions."""

    def on_module(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        if mod.path not in GENERATED:
            return
        inspected = griffe.inspect(mod.path, filepath=mod.filepath, import_paths=sys.path)
        for name, member in inspected.members.items():
            current = mod.members.get(name)
            if not member.is_alias and member.is_function and (current is None or current.is_attribute):
                mod.set_member(name, member)
