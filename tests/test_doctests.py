"""Every docstring example in fnx runs, and prints what its docstring shows (one test per docstring); so do
the ``pycon`` blocks of the documentation pages (docs/, one test per page, its blocks in order).

Examples run as ``doctest`` runs them (the module's globals, NORMALIZE_WHITESPACE and ELLIPSIS), in the test
process, so the jitted ones compile in the call (tests/conftest.py) and share the disk cache.

Left out: ``fnx.__main__`` (importing it runs the demo; ``python -m fnx`` is tests/test_demo.py's); the CUDA
backend's modules when numba-cuda is not installed (they have no examples; they import ``numba.cuda``); the
examples that place arrays on a GPU when no GPU, real or simulated, is found (the README's test command runs
Numba's CUDA simulator, where they run); and the lines marked ``+SKIP``: the loaders' examples that read the
user's own MNIST, CIFAR-10 or Kaggle files (each loader has a runnable example beside them, or a test in
tests/test_datasets.py), and ``keep_freed_memory``, which would change the test process's allocator
(tests/test_settings.py measures it in a process of its own)."""
import doctest
import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import pytest

import fnx

_OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
_NOT_IMPORTED = {"fnx.__main__": "importing it runs the demo"}
_NEEDS = {"fnx.lower.cuda.": "numba_cuda"}  # the CUDA backend's modules import numba.cuda (the cuda extra)
_NEEDS_GPU = {"fnx.core.array.DeviceArray", "fnx.device_put"}
_DOCS = Path(__file__).resolve().parent.parent / "docs"
_PYCON = re.compile(r"^```pycon\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _importable(name: str) -> bool:
    missing = any(name.startswith(prefix) and importlib.util.find_spec(package) is None for prefix, package in _NEEDS.items())
    return name not in _NOT_IMPORTED and not missing


def _docstrings() -> list:
    names = ["fnx"] + [m.name for m in pkgutil.walk_packages(fnx.__path__, "fnx.") if _importable(m.name)]
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = {}
    for name in names:
        for test in finder.find(importlib.import_module(name), name):
            if any(not example.options.get(doctest.SKIP) for example in test.examples):
                found.setdefault(test.name, test)  # a function re-exported by another module is found once
    return sorted(found.values(), key=lambda t: t.name)


DOCSTRINGS = _docstrings()


def test_examples_are_found():
    modules = {t.name.rsplit(".", 1)[0] for t in DOCSTRINGS}
    assert len(DOCSTRINGS) > 300 and {"fnx.numpy.linalg", "fnx.nn.layers", "fnx.optimizers.optimizers"} <= modules


@pytest.mark.parametrize("test", DOCSTRINGS, ids=lambda t: t.name)
def test_docstring_example(test):
    if test.name in _NEEDS_GPU and not fnx.devices("gpu"):
        pytest.skip("places an array on a GPU: run with NUMBA_ENABLE_CUDASIM=1")
    _run(test)


def _run(test: doctest.DocTest) -> None:
    report = []
    result = doctest.DocTestRunner(optionflags=_OPTIONS).run(test, out=report.append, clear_globs=True)
    assert result.attempted > 0
    if result.failed:
        pytest.fail("".join(report), pytrace=False)


def _page_examples(page: Path) -> str:
    """The page's pycon blocks, every other line blanked (so doctest's line numbers are the page's)."""
    text = page.read_text()
    lines = [""] * (text.count("\n") + 1)
    for block in _PYCON.finditer(text):
        first = text.count("\n", 0, block.start(1))
        for i, line in enumerate(block.group(1).split("\n")):
            lines[first + i] = line
    return "\n".join(lines)


PAGES = sorted(p for p in _DOCS.rglob("*.md") if "```pycon" in p.read_text())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(_DOCS)))
def test_docs_page_examples(page):
    _run(doctest.DocTestParser().get_doctest(_page_examples(page), {}, page.name, str(page), 0))
