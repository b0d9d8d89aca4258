"""A vocabulary: tokens <-> integer ids, with reserved ids for padding and unknown tokens.

Ids 0.. go to the ``specials`` (by default ``"<pad>"`` = 0 and ``"<unk>"`` = 1), then to the tokens by
decreasing count (ties: first seen first), keeping at most ``max_size`` tokens seen at least ``min_count``
times. Unknown tokens encode to the id of ``unk`` (the books' "unknown token" of their fixed-size
vocabularies: Bourez 2017, chapters 4 and 5).

>>> vocab = Vocabulary.from_tokens("a b a c a b".split(), max_size=2)
>>> vocab.tokens
['<pad>', '<unk>', 'a', 'b']
>>> vocab.encode(["a", "c", "b"]), vocab.decode([2, 1, 3])
([2, 1, 3], ['a', '<unk>', 'b'])
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence


class Vocabulary:
    """A fixed list of tokens, each with its id (its position); ``unk`` names the special unknown tokens
    encode to (None: unknown tokens raise ``KeyError``)."""

    def __init__(self, tokens: Sequence[str], unk: str | None = "<unk>"):
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise ValueError("Vocabulary: tokens must be distinct")
        if unk is not None and unk not in self.index:
            raise ValueError(f"Vocabulary: the unknown token {unk!r} is not among the tokens")
        self.unk = unk

    @classmethod
    def from_tokens(cls, tokens: Iterable[str], max_size: int | None = None, min_count: int = 1,
                    specials: Sequence[str] = ("<pad>", "<unk>"), unk: str | None = "<unk>") -> "Vocabulary":
        """The vocabulary of the most frequent ``tokens`` (see the module doc)."""
        counts = Counter(tokens)
        ranked = [t for t, n in sorted(counts.items(), key=lambda item: -item[1])  # stable: ties keep first-seen order
                  if n >= min_count and t not in specials]
        return cls(list(specials) + ranked[:max_size], unk)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """The ids of ``tokens``; unknown ones get the id of ``unk``."""
        if self.unk is None:
            return [self.index[t] for t in tokens]
        unk = self.index[self.unk]
        return [self.index.get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The tokens of ``ids``."""
        return [self.tokens[int(i)] for i in ids]


__all__ = ["Vocabulary"]
