"""A griffe extension for the docs site (mkdocs.yml): docstring examples (``>>>`` lines and the output after
them) become fenced ``pycon`` code blocks, since Markdown would read ``>>>`` as nested quotes. The docstrings
stay plain doctests, as tests/test_doctests.py runs them."""
from __future__ import annotations

import re
from typing import Any

import griffe

_PROMPT = re.compile(r"^(\s*)>>>( |$)")


def fence_examples(text: str) -> str:
    """``text`` with each run of doctest lines (a ``>>>`` line up to the next blank line) fenced as pycon."""
    out: list[str] = []
    indent = None
    for line in text.splitlines():
        if indent is None and (m := _PROMPT.match(line)):
            indent = m.group(1)
            out += ["", f"{indent}```pycon"]
        elif indent is not None and not line.strip():
            out.append(f"{indent}```")
            indent = None
        out.append(line)
    if indent is not None:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fences the examples of every docstring, once the package is loaded (so also of the functions that
    generated_functions.py adds)."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value and "```pycon" not in obj.docstring.value:
            obj.docstring.value = fence_examples(obj.docstring.value)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self.on_object(obj=pkg)
