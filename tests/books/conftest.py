"""Book tests: ``book_unit(book, id)`` runs one registered listing (quick) and asserts its checks hold.

They run every jitted function on its first tier (the traced jaxpr on the primitives' NumPy
implementations), never compiled: with fnx's default background compiling a unit's second call would start
a compile that the unit seldom lives to use (Ketkar's and LazyProgrammer's units took the same CPU either
way, 62-63 s, and the compile worker spent 57 s more beside them, waited for at each file's end), and
compiling everything in the call (the suite's ``"off"``) would take minutes. The book tests check the books'
numbers; compiled code is tested by the rest of the suite (tests/test_tiers.py checks that the two tiers
agree). Afterwards the fixture leaves no tier state for the tests that follow: it forgets the functions
called once (so a later ``block_until_compiled`` does not compile them). OpenBLAS keeps the suite's fixed
thread count: following the load would start fnx's load watcher, a thread that lives on and changes the
thread counts under later tests (tests/test_tiers.py checks them)."""
import pytest

import fnx
import fnx.transforms.jit as jit_module
from fnx.books import RunContext, get, run_listing


@pytest.fixture(autouse=True, scope="module")  # "package" would outlive tests/books: it has no __init__.py
def first_tier_only():
    before = fnx.config.background_compile
    called_once = set(jit_module._called_once)
    fnx.config.update("background_compile", "thread")  # tiers on, and no compile worker to start
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jit_module.TieredCode, "start_compile", lambda self: None)  # a second call compiles nothing
        yield
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
