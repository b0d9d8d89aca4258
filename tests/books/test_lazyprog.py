"""LazyProgrammer's examples (fnx/books/lazyprog): every registered unit against the book's values and trends."""
import pytest

from fnx.books import listings


@pytest.mark.parametrize("id", [e.id for e in listings("lazyprog")])
def test_lazyprog(book_unit, id):
    book_unit("lazyprog", id)
