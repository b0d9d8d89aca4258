"""Bourez, chapter 11: units waiting on features fnx lacks (see each pending entry)."""
from ..registry import pending

pending("bourez", "11b", "Deep Q-learning and A3C on Gym", ("gym",), __name__)
