"""A small English-like text corpus that ships with fnx, for the books' text listings run offline.

The corpus is generated (no third-party text, no licence question): sentences drawn from a small grammar of
about a hundred words by ``generate_corpus(seed, sentences)``, using ``fnx.random`` so it is the same on every
platform. ``load_corpus()`` returns the shipped copy (``data/tiny_corpus.txt``: seed 0, 2,000 sentences, one
per line, about 80 KB), which ``generate_corpus()`` reproduces exactly. It stands in for the books' external
texts (Shakespeare, text8, Penn Treebank): words repeat with a Zipf-like skew, and sentences have structure a
recurrent model can learn.

>>> lines = load_corpus().splitlines()
>>> len(lines), lines[0] == generate_corpus(0, 1)
(2000, True)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import random as fr

_DATA = Path(__file__).parent / "data" / "tiny_corpus.txt"

_WORDS = {
    "det": "the the the a a this that every one some".split(),
    "adj": "old young quick slow small large red green quiet loud happy tired bright dark gentle clever".split(),
    "animal": "cat dog fox bird horse mouse owl rabbit wolf bear".split(),
    "person": "farmer child teacher sailor king queen baker doctor".split(),
    "thing": "river stone garden house tree road hill boat window field".split(),
    "verb": "sees finds follows watches chases carries meets leaves".split(),
    "intrans": "sleeps runs sings waits walks rests".split(),
    "prep": "near under over behind beside across".split(),
    "time": ["today", "at night", "in the morning", "in winter", "after the rain", "again"],
}

_TEMPLATES = [
    "det adj animal verb det thing .",
    "det person verb det adj animal prep det thing .",
    "det animal intrans prep det adj thing time .",
    "det adj person intrans time .",
    "det person with det animal verb det thing .",
    "det animal verb det person , and det person intrans .",
]


def _pick(u: float, options: list[str], skew: float = 1.0) -> str:
    """An option chosen by ``u`` in [0, 1) with Zipf-like weights ``1 / rank ** skew``."""
    weights = 1.0 / np.arange(1, len(options) + 1) ** skew
    return options[int(np.searchsorted(np.cumsum(weights) / weights.sum(), u, side="right"))]


def generate_corpus(seed: int = 0, sentences: int = 2000) -> str:
    """``sentences`` generated sentences, one per line (no trailing newline), from an ``fnx.random`` key.

    >>> generate_corpus(0, 2) == generate_corpus(0, 2) != generate_corpus(1, 2)
    True
    """
    slots = max(len(t.split()) for t in _TEMPLATES)
    draws = np.asarray(fr.uniform(fr.key(seed), (sentences, slots + 1), dtype="float64"))
    lines = []
    for row in draws:
        template = _TEMPLATES[int(row[0] * len(_TEMPLATES))].split()
        words = [_pick(u, _WORDS[t]) if t in _WORDS else t for u, t in zip(row[1:], template)]
        lines.append(" ".join(words))
    return "\n".join(lines)


def load_corpus() -> str:
    """The shipped corpus (see the module doc) as one string, sentences separated by newlines."""
    return _DATA.read_text(encoding="utf-8")


__all__ = ["generate_corpus", "load_corpus"]
