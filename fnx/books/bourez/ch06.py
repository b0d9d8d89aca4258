"""Bourez, chapter 6: units waiting on features fnx lacks (see each pending entry)."""
from ..registry import pending

pending("bourez", "6b", "Spatial transformer network", ("sampler",), __name__)
pending("bourez", "6c", "Recurrent spatial transformer", ("sampler",), __name__)
