"""Book tests: ``book_unit(book, id)`` runs one registered listing (quick) and asserts its checks hold."""
import pytest

from fnx.books import RunContext, get, run_listing


@pytest.fixture
def book_unit():
    def run(book: str, id: str):
        entry = get(book, id)
        if entry.kind == "pending":
            pytest.skip(f"{entry.name} waits on {', '.join(entry.blockers)}")
        outcome = run_listing(entry, RunContext(quick=True))
        assert outcome.ok, f"{outcome.row()}\n{outcome.error}\nfailed: " + "; ".join(
            f"{n}: book {entry.expect[n].book}, fnx {outcome.values.get(n)!r}" for n in outcome.failed)
        return outcome.values
    return run
