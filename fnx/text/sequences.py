"""Variable-length sequences as fixed-shape arrays: ``pad_sequences`` (Keras semantics) and bucketing.

A jitted function compiles once per input shape, so feeding sequences of their own lengths compiles once per
length (Bourez 2017, chapter 4 trains on one sentence per step: hundreds of lengths). ``pad_sequences`` pads
all to one length; ``bucket_batches`` pads each batch only to the smallest of a few bucket lengths that holds
it, so a training step compiles once per bucket, and yields a mask of the real steps (``fnx.nn.rnn(...,
mask=)`` keeps the carry unchanged at padded steps).

>>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
array([[2, 3],
       [0, 4]], dtype=int32)
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from .. import random as fr
from ..datasets._util import as_key, permutation


def _check_side(name: str, value: str) -> None:
    if value not in ("pre", "post"):
        raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {value!r}")


def pad_sequences(sequences: Sequence[Sequence], maxlen: int | None = None, dtype="int32", padding: str = "pre",
                  truncating: str = "pre", value: float = 0.0) -> np.ndarray:
    """The sequences as one (n, maxlen) array, as Keras's ``pad_sequences``.

    ``maxlen`` defaults to the longest sequence. Longer sequences lose their first steps (``truncating="pre"``)
    or their last (``"post"``); shorter ones get ``value`` before (``padding="pre"``) or after (``"post"``).
    Elements may themselves be arrays (e.g. word vectors): the result is then (n, maxlen, ...).

    >>> pad_sequences([[1, 2, 3], [4]], padding="post", truncating="post", maxlen=2, value=-1)
    array([[ 1,  2],
           [ 4, -1]], dtype=int32)
    """
    _check_side("padding", padding)
    _check_side("truncating", truncating)
    arrays = [np.asarray(s) for s in sequences]
    lengths = [len(a) for a in arrays]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be >= 0, got {maxlen}")
    tails = {a.shape[1:] for a in arrays if len(a)}
    if len(tails) > 1:
        raise ValueError(f"pad_sequences: the elements of the sequences have different shapes {sorted(tails)}")
    out = np.full((len(arrays), maxlen, *(tails.pop() if tails else ())), value, dtype=dtype)
    for row, a in zip(out, arrays):
        kept = a[max(len(a) - maxlen, 0):] if truncating == "pre" else a[:maxlen]
        if len(kept):
            if padding == "pre":
                row[maxlen - len(kept):] = kept
            else:
                row[:len(kept)] = kept
    return out


def sequence_mask(lengths: Sequence[int], maxlen: int, padding: str = "post") -> np.ndarray:
    """A (n, maxlen) boolean array, True at the real steps of sequences of ``lengths`` padded to ``maxlen``
    (at the front with ``padding="pre"``).

    >>> sequence_mask([1, 3], 3).astype(int)
    array([[1, 0, 0],
           [1, 1, 1]])
    """
    _check_side("padding", padding)
    steps = np.arange(maxlen)
    lengths = np.minimum(np.asarray(lengths)[:, None], maxlen)
    return steps < lengths if padding == "post" else steps >= maxlen - lengths


def bucket_length(length: int, boundaries: Sequence[int]) -> int:
    """The smallest bucket boundary >= ``length`` (sequences longer than the last one are truncated to it).

    >>> bucket_length(7, (8, 16, 32)), bucket_length(40, (8, 16, 32))
    (8, 32)
    """
    for boundary in sorted(boundaries):
        if length <= boundary:
            return boundary
    return max(boundaries)


def bucket_batches(key_or_seed, sequences: Sequence[Sequence], targets=None, batch_size: int = 32,
                   boundaries: Sequence[int] = (16, 32, 64, 128), shuffle: bool = True,
                   value: float = 0.0, full_batches: bool = False) -> Iterator[tuple]:
    """Minibatches of sequences grouped by bucket: yields ``(padded, mask, targets_batch)``.

    Each sequence goes to the bucket ``bucket_length(len, boundaries)``; each bucket is cut into batches of
    up to ``batch_size`` sequences, padded at the end (``padding="post"``, truncated at the end past the
    last boundary) to the bucket's length: ``padded`` is (batch, bucket, ...) and ``mask`` (batch, bucket)
    marks the real steps. ``targets`` (indexed like ``sequences``, an array) come along, or None. With
    ``shuffle`` the sequences within each bucket and the order of the batches are shuffled by the key
    (``fnx.random``), so an epoch is reproducible. A jitted step sees at most ``len(boundaries)`` lengths,
    each with up to two batch sizes (full, and a bucket's last batch); ``full_batches=True`` fills each last
    batch up to ``batch_size`` with empty rows (all padding, mask False, targets 0), so the step compiles at
    most once per bucket: weight the loss by ``mask.any(axis=1)`` to ignore those rows.

    >>> seqs = [[1], [2, 3], [4, 5, 6, 7, 8]]
    >>> [(x.shape, m.sum(1).tolist()) for x, m, _ in bucket_batches(None, seqs, None, 2, (2, 8), shuffle=False)]
    [((2, 2), [1, 2]), ((1, 8), [5])]
    """
    if batch_size < 1:
        raise ValueError(f"bucket_batches: batch_size must be positive, got {batch_size}")
    if not boundaries:
        raise ValueError("bucket_batches: boundaries must hold at least one length")
    lengths = np.array([len(s) for s in sequences])
    dtype = _dtype(sequences)
    buckets = np.array([bucket_length(n, boundaries) for n in lengths])
    if shuffle:
        within_key, across_key = fr.split(as_key(key_or_seed, "bucket_batches"))
    order = permutation(within_key, len(lengths)) if shuffle else np.arange(len(lengths))
    batches = []
    for bucket in sorted(set(buckets.tolist())):
        members = order[buckets[order] == bucket]
        batches += [(bucket, members[i:i + batch_size]) for i in range(0, len(members), batch_size)]
    if shuffle:
        batches = [batches[i] for i in permutation(across_key, len(batches))]
    for bucket, index in batches:
        padded = pad_sequences([sequences[i] for i in index], bucket, dtype, "post", "post", value)
        batch = [padded, sequence_mask(np.minimum(lengths[index], bucket), bucket),
                 None if targets is None else np.asarray(targets)[index]]
        if full_batches:
            batch = [_fill(a, batch_size, fill) for a, fill in zip(batch, (value, False, 0))]
        yield tuple(batch)


def _dtype(sequences) -> np.dtype:
    return np.result_type(*[np.asarray(s).dtype for s in sequences if len(s)] or [np.int32])


def _fill(rows, n: int, fill):
    """``rows`` with rows of ``fill`` appended up to ``n`` rows (None stays None)."""
    if rows is None or len(rows) == n:
        return rows
    return np.concatenate([rows, np.full((n - len(rows), *rows.shape[1:]), fill, dtype=rows.dtype)])


__all__ = ["bucket_batches", "bucket_length", "pad_sequences", "sequence_mask"]
