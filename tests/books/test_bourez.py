"""Bourez's listings (fnx/books/bourez): every registered unit against the book's printed values and trends."""
import pytest

from fnx.books import listings


@pytest.mark.parametrize("id", [e.id for e in listings("bourez")])
def test_bourez(book_unit, id):
    book_unit("bourez", id)
