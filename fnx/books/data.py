"""The listings' data: the external set the book reads when the user has it, else fnx's stand-in.

>>> X_train, X_test, y_train, y_test = mnist_or_digits(None)
>>> X_train.shape[1], X_test.shape[0]
(64, 360)
"""
from __future__ import annotations

import numpy as np

from fnx import random
from fnx.datasets import load_digits, load_mnist, train_test_split


def mnist_or_digits(data_dir: str | None, seed: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test), rows flat with pixels in [0, 1]: MNIST's IDX files from
    ``data_dir`` when given (``fnx.datasets.load_mnist``: train and t10k), else the shipped 8x8 digits
    (``load_digits``) with a fifth held out, split by the key ``seed``."""
    if data_dir:
        X, y = load_mnist(data_dir, "train", flat=True, scale=True)
        X_test, y_test = load_mnist(data_dir, "t10k", flat=True, scale=True)
        return X, X_test, y, y_test
    X, y = load_digits(flat=True, scale=True)
    return train_test_split(random.key(seed), X, y, test_size=0.2)
