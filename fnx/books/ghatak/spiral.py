"""The two-arm spiral of chapters 4-6 (section 4.1's recipe), features x examples as the book's R code has it.

fnx generates it (``fnx.datasets.spirals``: r from 0.05 to 1, 4.7 radians per arm, angle noise 0.3, 400 points
per arm) instead of replaying R's random numbers; ``split`` draws the 600/200 split with the book's class
balance (305 of 600 training examples in one class).

The book builds its data with ``X <- rbind(scale(X), Xtemp)`` in the loop over the arms, so the first arm
(label 0 after ``ifelse(Y == 1, 0, 1)``) ends standardised (each column to mean 0 and sample sd 1) and the
second stays raw: the arms then differ in radius as well as angle. ``split`` keeps that quirk, since it is
the data the book's numbers come from."""
from __future__ import annotations

import numpy as np

from fnx.datasets import spirals


def split(seed: int = 308, majority: int = 305) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(train_x (2, 600), train_y (1, 600), test_x (2, 200), test_y (1, 200))``: ``majority`` training
    examples of label 1, the rest label 0; the test set gets the other 200 points."""
    X, y = spirals(seed, n_per_class=400)
    first = y == 0
    X[first] = (X[first] - X[first].mean(axis=0)) / X[first].std(axis=0, ddof=1)
    rng = np.random.default_rng(seed)
    ones, zeros = rng.permutation(np.flatnonzero(y == 1)), rng.permutation(np.flatnonzero(y == 0))
    train = np.concatenate([ones[:majority], zeros[:600 - majority]])
    test = np.concatenate([ones[majority:], zeros[600 - majority:]])
    return X[train].T, y[train][None, :].astype(float), X[test].T, y[test][None, :].astype(float)
