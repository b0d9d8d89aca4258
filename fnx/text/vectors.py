"""Pre-trained word vectors from a text file the user has: GloVe's format (``word v1 ... vd`` per line,
space-separated), which is also word2vec's text format after its ``count dim`` header line.

Nothing is downloaded. The reader is bounded: it stops after ``max_words`` lines, refuses lines over
``max_line_bytes``, and raises ``DataFileError`` naming the file and the line for a malformed line or a
dimension that changes; a missing file is a ``FileNotFoundError`` naming the path.

>>> vectors = load_word_vectors("~/data/glove.6B.100d.txt", max_words=50000)    # doctest: +SKIP
>>> vectors["king"].shape, len(vectors)                                         # doctest: +SKIP
((100,), 50000)
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import numpy as np

from ..datasets._files import GZIP_MAGIC, DataFileError, gzip_errors

_OP = "load_word_vectors"


class WordVectors:
    """Words and their vectors: ``words`` (a list), ``vectors`` (n, dim), ``index`` (word -> row)."""

    def __init__(self, words: list[str], vectors: np.ndarray):
        self.words, self.vectors = words, vectors
        self.index = {word: i for i, word in enumerate(words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.index[word]]

    @property
    def dim(self) -> int:
        """The length of each vector."""
        return self.vectors.shape[1]

    def embedding_matrix(self, word_index: Mapping[str, int], num_words: int | None = None) -> np.ndarray:
        """A (num_words, dim) matrix whose row ``i`` is the vector of the word with index ``i`` in
        ``word_index`` (a ``Tokenizer``'s), zeros for words without a vector and row 0 (padding): the initial
        table of an ``nn.embedding``. ``num_words`` defaults to ``max index + 1``; larger indices are skipped.

        >>> wv = WordVectors(["a", "b"], np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> wv.embedding_matrix({"b": 1, "c": 2})
        array([[0., 0.],
               [3., 4.],
               [0., 0.]])
        """
        rows = max(word_index.values(), default=0) + 1 if num_words is None else num_words
        matrix = np.zeros((rows, self.dim), dtype=self.vectors.dtype)
        for word, i in word_index.items():
            if i < rows and word in self.index:
                matrix[i] = self[word]
        return matrix


def _lines(file: Path, max_line_bytes: int) -> Iterator[bytes]:
    """The lines of ``file`` (through gzip if compressed), each read up to ``max_line_bytes + 1`` bytes."""
    with open(file, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if compressed else raw
        with gzip_errors(file, _OP):
            while line := stream.readline(max_line_bytes + 1):
                yield line


def _header(fields: list[bytes]) -> bool:
    """A word2vec ``count dim`` header line."""
    return len(fields) == 2 and all(f.isdigit() for f in fields)


def load_word_vectors(path: str | os.PathLike, max_words: int | None = None, vocabulary: Iterable[str] | None = None,
                      dtype="float32", max_line_bytes: int = 1 << 16) -> WordVectors:
    """Read a GloVe-style text file (optionally gzip-compressed): one word and its vector per line.

    ``max_words``: read at most this many vectors (files list frequent words first). ``vocabulary``: keep only
    these words (the rest are skipped, which bounds memory for big files). Returns ``WordVectors``.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.txt")
    >>> _ = open(path, "w").write("the 0.1 0.2\\ncat -1 2.5\\n")
    >>> load_word_vectors(path)["cat"]
    array([-1. ,  2.5], dtype=float32)
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"{_OP}: no word-vector file at {file.resolve()}. fnx never downloads data: "
                                "put a GloVe-style text file (e.g. glove.6B.100d.txt) there, or pass its path")
    keep = None if vocabulary is None else set(vocabulary)
    words, rows, dim = [], [], None
    for number, line in enumerate(_lines(file, max_line_bytes), start=1):
        if max_words is not None and len(words) >= max_words:
            break
        if len(line) > max_line_bytes:
            raise DataFileError(f"{_OP}: {file}, line {number}, is longer than {max_line_bytes} bytes: not a "
                                "word-vector file, or raise max_line_bytes")
        fields = line.split()
        if not fields or (number == 1 and _header(fields)):
            continue
        word = fields[0].decode("utf-8", errors="replace")
        if keep is not None and word not in keep:
            continue
        try:
            vector = np.array(fields[1:], dtype=np.float64)
        except ValueError as err:
            raise DataFileError(f"{_OP}: {file}, line {number}: the fields after the word are not numbers "
                                f"({err})") from None
        if dim is None:
            dim = len(vector)
        if len(vector) != dim or dim == 0:
            raise DataFileError(f"{_OP}: {file}, line {number}: {len(vector)} values, but the first vector had {dim}")
        words.append(word)
        rows.append(vector)
    if not words:
        given = "" if keep is None else " for the vocabulary given"
        raise DataFileError(f"{_OP}: {file} holds no word vectors{given}")
    return WordVectors(words, np.array(rows, dtype=dtype))


def cosine_similarity(u, v) -> float:
    """``u . v / (|u| |v|)`` of two vectors (Ghatak 2019, listing 8-13).

    >>> cosine_similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    0.7071067811865475
    """
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


__all__ = ["WordVectors", "cosine_similarity", "load_word_vectors"]
