"""Ketkar's listings (fnx/books/ketkar): every registered unit against the book's printed values and trends."""
import pytest

from fnx.books import listings


@pytest.mark.parametrize("id", [e.id for e in listings("ketkar")])
def test_ketkar(book_unit, id):
    book_unit("ketkar", id)
