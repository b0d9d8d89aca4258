"""Book tests: ``book_unit(book, id)`` runs one registered listing (quick) and asserts its checks hold.

They run jitted functions the way ``python -m fnx book`` does, with fnx's default background compiling
(``"process"``, not the suite's ``"off"``): a unit calls most of its jitted functions once, so they run on the
NumPy tier and are never compiled, which keeps the book tests to seconds instead of the minutes their cold
compiles take (compiled code is tested by the rest of the suite). Afterwards the fixture leaves no tier state
for the tests that follow: it waits for the compiles the units' second calls started, and forgets the
functions called once (so a later ``block_until_compiled`` does not compile them). OpenBLAS keeps the suite's
fixed thread count: following the load would start fnx's load watcher, a thread that lives on and changes
the thread counts under later tests (tests/test_tiers.py checks them)."""
import pytest

import fnx
import fnx.transforms.jit as jit_module
from fnx.books import RunContext, get, run_listing
from fnx.lower.background import wait_for_compiles


@pytest.fixture(autouse=True, scope="module")  # "package" would outlive tests/books: it has no __init__.py
def background_compile():
    before = fnx.config.background_compile
    called_once = set(jit_module._called_once)
    fnx.config.update("background_compile", "process")
    yield
    assert wait_for_compiles(timeout=600)
    for code in set(jit_module._called_once) - called_once:
        jit_module._called_once.discard(code)
    fnx.config.update("background_compile", before)


@pytest.fixture
def book_unit():
    def run(book: str, id: str):
        entry = get(book, id)
        if entry.kind == "pending":
            pytest.skip(f"{entry.name} waits on {', '.join(entry.blockers)}")
        if entry.gpu:
            pytest.skip(f"{entry.name} runs on a GPU: tests/test_cuda_books.py runs it on the simulator")
        outcome = run_listing(entry, RunContext(quick=True))
        assert outcome.ok, f"{outcome.row()}\n{outcome.error}\nfailed: " + "; ".join(
            f"{n}: book {entry.expect[n].book}, fnx {outcome.values.get(n)!r}" for n in outcome.failed)
        return outcome.values
    return run
