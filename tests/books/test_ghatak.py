"""Ghatak's listings (fnx/books/ghatak): every registered unit against the book's printed values and trends."""
import pytest

from fnx.books import listings


@pytest.mark.parametrize("id", [e.id for e in listings("ghatak")])
def test_ghatak(book_unit, id):
    book_unit("ghatak", id)
