"""A word (or character) tokenizer with Keras's ``Tokenizer`` semantics, as documented in Keras 2's
``keras.preprocessing.text``.

``fit_on_texts`` counts words; ``word_index`` numbers them from 1 by decreasing count (ties keep the order
of first appearance; 0 is left for padding), with the ``oov_token``, if any, first (index 1).
``texts_to_sequences`` keeps only words with an index below ``num_words`` (all when None); the others, and
words never seen, become the OOV index, or are dropped without an ``oov_token``.

>>> tok = Tokenizer(num_words=4, oov_token="<unk>")
>>> tok.fit_on_texts(["The cat sat.", "The cat ran, the dog sat!"])
>>> [(w, tok.word_index[w]) for w in ("<unk>", "the", "cat", "sat", "ran", "dog")]
[('<unk>', 1), ('the', 2), ('cat', 3), ('sat', 4), ('ran', 5), ('dog', 6)]
>>> tok.texts_to_sequences(["the dog sat on the cat"])
[[2, 1, 1, 1, 2, 3]]
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text: str, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " ") -> list[str]:
    """The words of ``text``: lower-cased (``lower``), every character of ``filters`` replaced by ``split``,
    then split on ``split`` with empty words dropped (Keras's function of the same name).

    >>> text_to_word_sequence("Hello, World!  Again.")
    ['hello', 'world', 'again']
    """
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


class Tokenizer:
    """Keras's ``Tokenizer(num_words, filters, lower, split, char_level, oov_token)``; see the module doc.

    Attributes after ``fit_on_texts``: ``word_counts`` (word -> count, in first-seen order), ``word_docs``
    (word -> number of texts holding it), ``word_index`` (word -> index from 1), ``index_word`` (the inverse),
    ``document_count``.
    """

    def __init__(self, num_words: int | None = None, filters: str = DEFAULT_FILTERS, lower: bool = True,
                 split: str = " ", char_level: bool = False, oov_token: str | None = None):
        if num_words is not None and num_words < 1:
            raise ValueError(f"Tokenizer: num_words must be a positive int or None, got {num_words!r}")
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token = char_level, oov_token
        self.word_counts: dict[str, int] = {}
        self.word_docs: Counter = Counter()
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}
        self.document_count = 0

    def _words(self, text: str | Sequence[str]) -> list[str]:
        if not isinstance(text, str):  # already a list of tokens
            return list(text)
        if self.char_level:
            return list(text.lower() if self.lower else text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[str | Sequence[str]]) -> None:
        """Count the words of ``texts`` (strings, or lists of tokens) and rebuild ``word_index``."""
        for text in texts:
            words = self._words(text)
            self.document_count += 1
            for word in words:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            self.word_docs.update(set(words))
        ranked = sorted(self.word_counts, key=self.word_counts.__getitem__, reverse=True)  # a stable sort
        if self.oov_token is not None:
            ranked = [self.oov_token] + [w for w in ranked if w != self.oov_token]
        self.word_index = {word: i for i, word in enumerate(ranked, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}

    def _kept(self, index: int) -> bool:
        return self.num_words is None or index < self.num_words

    def texts_to_sequences(self, texts: Iterable[str | Sequence[str]]) -> list[list[int]]:
        """Each text as the list of its words' indices (see the module doc for ``num_words`` and OOV)."""
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        sequences = []
        for text in texts:
            ids = [self.word_index.get(word) for word in self._words(text)]
            ids = [i if i is not None and self._kept(i) else oov for i in ids]
            sequences.append([i for i in ids if i is not None])
        return sequences

    def sequences_to_texts(self, sequences: Iterable[Sequence[int]]) -> list[str]:
        """The inverse of ``texts_to_sequences``: indices back to words joined by ``split`` (or nothing for
        ``char_level``); indices not kept become the OOV token, or are dropped."""
        joiner = "" if self.char_level else self.split
        texts = []
        for sequence in sequences:
            words = [self.index_word.get(int(i)) if self._kept(int(i)) else self.oov_token for i in sequence]
            texts.append(joiner.join(w for w in words if w is not None))
        return texts

    def texts_to_matrix(self, texts: Iterable[str | Sequence[str]], mode: str = "binary") -> np.ndarray:
        """A (texts, num_words) float64 matrix (``num_words`` defaults to ``len(word_index) + 1``): ``"binary"``
        1 where the word occurs, ``"count"`` its count, ``"freq"`` its count over the text's length."""
        if mode not in ("binary", "count", "freq"):
            raise ValueError(f"Tokenizer.texts_to_matrix: mode must be 'binary', 'count' or 'freq', got {mode!r}")
        sequences = self.texts_to_sequences(texts)
        width = self.num_words or len(self.word_index) + 1
        matrix = np.zeros((len(sequences), width))
        for row, sequence in zip(matrix, sequences):
            np.add.at(row, np.asarray(sequence, dtype=np.int64), 1.0)
            if mode == "binary":
                np.minimum(row, 1.0, out=row)
            elif mode == "freq" and sequence:
                row /= len(sequence)
        return matrix


__all__ = ["DEFAULT_FILTERS", "Tokenizer", "text_to_word_sequence"]
