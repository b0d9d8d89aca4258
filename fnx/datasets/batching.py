"""Minibatches and train/test splits, shuffled by an fnx.random key so that runs are reproducible.

Shuffles use ``fnx.random.permutation``, so a key (or int seed) gives the same order on every platform. For
a new order each epoch, give each epoch its own key:

>>> import fnx.random as fr
>>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
>>> for epoch in range(2):
...     for xb, yb in batches(fr.fold_in(fr.key(0), epoch), X, y, batch_size=2):
...         pass   # one training step on (xb, yb)
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from ..core.errors import FnxTypeError
from ._util import as_key, permutation

__all__ = ["batches", "train_test_split"]


def _paired(X, y, op: str) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` as NumPy arrays with the same (non-zero) number of rows."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise FnxTypeError(f"{op}: X and y need the same number of rows (axis 0), got shapes "
                           f"{list(X.shape)} and {list(y.shape)}")
    return X, y


def _order(key_or_seed, n: int, shuffle: bool, op: str) -> np.ndarray:
    return permutation(as_key(key_or_seed, op), n) if shuffle else np.arange(n)


def batches(key_or_seed, X, y, batch_size: int, shuffle: bool = True,
            drop_last: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of minibatches ``(xb, yb)`` of the rows of ``X`` (N, ...) and ``y`` (N, ...).

    With ``shuffle=True`` the rows are visited in the order ``fnx.random.permutation(key, N)``; with
    ``shuffle=False`` in their stored order (and ``key_or_seed`` may be None). Every row appears exactly
    once per epoch: ``ceil(N / batch_size)`` batches, the last one shorter when ``batch_size`` does not
    divide N, or ``N // batch_size`` full batches with ``drop_last=True`` (fixed shapes avoid recompiling a
    jitted step). Yields NumPy arrays.

    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> [yb.tolist() for _, yb in batches(None, X, y, batch_size=2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    X, y = _paired(X, y, "batches")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batches: batch_size must be a positive int, got {batch_size!r}")
    n = X.shape[0]
    order = _order(key_or_seed, n, shuffle, "batches")
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def train_test_split(key_or_seed, X, y, test_size: float | int = 0.25,
                     shuffle: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split the rows of ``X`` and ``y`` into ``(X_train, X_test, y_train, y_test)``.

    ``test_size`` is a fraction in (0, 1) (the test set gets ``ceil(test_size * N)`` rows) or a row count.
    With ``shuffle=True`` rows are assigned by ``fnx.random.permutation(key, N)``; with ``shuffle=False``
    the last rows form the test set (Keras's ``validation_split``), and ``key_or_seed`` may be None.

    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    >>> X_train, X_test, y_train, y_test = train_test_split(0, X, y, test_size=0.3)
    >>> X_train.shape, X_test.shape, sorted(y_train.tolist() + y_test.tolist()) == list(range(10))
    ((7, 2), (3, 2), True)
    """
    X, y = _paired(X, y, "train_test_split")
    n = X.shape[0]
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, float) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(f"train_test_split: test_size must be a fraction in (0, 1) or a row count, got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: test_size {test_size!r} leaves {n_test} of {n} rows for the test "
                         f"set; both sets need at least one row")
    order = _order(key_or_seed, n, shuffle, "train_test_split")
    train, test = order[:n - n_test], order[n - n_test:]
    return X[train], X[test], y[train], y[test]
