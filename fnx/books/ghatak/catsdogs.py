"""The stand-in for the cats-vs-dogs images of chapters 2, 3 and 7 (the book's own folder of 64x64x3 photos:
200 for training, 100 of each, and 50 for testing, 26 cats and 24 dogs; fnx ships no photos).

The closest set fnx ships is ``fnx.datasets.load_digits``: two of its classes, 3 ("cat", label 0) and 5
("dog", label 1), in the book's numbers and balance. ``flat_split`` gives the chapters 2-3 layout (features
x examples, each image standardised on its own as the book's ``scale(trainx)`` does on its columns);
``image_split`` gives the chapter 7 layout (NHWC images in [0, 1], examples on axis 0). The digits are 8x8
grey images, 64 features instead of 12,288, and easier to tell apart: the book's 62-72 % test accuracy is a
floor here, not a target."""
from __future__ import annotations

import numpy as np

from fnx.datasets import load_digits

CAT, DOG = 3, 5


def _chosen(seed: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    images, digits = load_digits(scale=True)
    rng = np.random.default_rng(seed)
    cats, dogs = (rng.permutation(np.flatnonzero(digits == d)) for d in (CAT, DOG))
    train = np.concatenate([cats[:100], dogs[:100]])
    test = np.concatenate([cats[100:126], dogs[100:124]])
    train, test = rng.permutation(train), rng.permutation(test)
    label = lambda index: (digits[index] == DOG).astype(float)  # noqa: E731
    return images[train], label(train), images[test], label(test)


BOOK_PIXELS = 64 * 64 * 3


def flat_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(trainx (64, 200), trainy (1, 200), testx (64, 50), testy (1, 50))``: one image per column, each
    standardised over its pixels (mean 0, sample sd 1), then scaled by sqrt(12288 / 64) so that it has the
    squared norm of one of the book's standardised 12,288-pixel images (about 12,287). Without it, the
    book's N(0, 1) x 0.01 weights give first-layer outputs 14 times smaller than the book's, and the deeper
    networks (listing 3-14) sit at the cost ln 2 for all 1,500 iterations."""
    train, train_y, test, test_y = _chosen()
    scale = lambda a: ((a - a.mean(axis=1, keepdims=True)) / a.std(axis=1, ddof=1, keepdims=True)  # noqa: E731
                       * np.sqrt(BOOK_PIXELS / a.shape[1])).T
    return scale(train.reshape(200, -1)), train_y[None, :], scale(test.reshape(50, -1)), test_y[None, :]


def image_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(train (200, 8, 8, 1), train_y (200, 1), test (50, 8, 8, 1), test_y (50, 1))``, pixels in [0, 1]."""
    train, train_y, test, test_y = _chosen()
    return train[..., None], train_y[:, None], test[..., None], test_y[:, None]
