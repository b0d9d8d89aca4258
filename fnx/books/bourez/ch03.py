"""Bourez, chapter 3: units waiting on features fnx lacks (see each pending entry)."""
from ..registry import pending

pending("bourez", "3", "Word2vec CBOW on text8", ("text",), __name__)
