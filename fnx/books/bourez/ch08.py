"""Bourez, chapter 8: units waiting on features fnx lacks (see each pending entry)."""
from ..registry import pending

pending("bourez", "8a", "Sequence-to-sequence translation", ("text", "shapepoly"), __name__)
