"""Bourez, chapter 10: units waiting on features fnx lacks (see each pending entry)."""
from ..registry import pending

pending("bourez", "10", "Variational dropout RNNs on Penn Treebank", ("text", "recdrop"), __name__)
