"""Buduma's examples (fnx/books/buduma): every registered unit against the book's values and trends."""
import pytest

from fnx.books import listings


@pytest.mark.parametrize("id", [e.id for e in listings("buduma")])
def test_buduma(book_unit, id):
    book_unit("buduma", id)
