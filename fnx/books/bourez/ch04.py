"""Bourez, chapter 4: units waiting on features fnx lacks (see each pending entry)."""
from ..registry import pending

pending("bourez", "4", "Text generation with RNN, LSTM and GRU", ("text", "truncgrad", "shapepoly"), __name__)
