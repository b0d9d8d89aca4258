"""The 8x8 handwritten digits shipped inside fnx: 1,797 labelled images, no network needed.

The data are the test set of the UCI "Optical Recognition of Handwritten Digits" collection (E. Alpaydin and
C. Kaynak, 1998; CC BY 4.0), in the file scikit-learn distributes as ``digits.csv.gz`` (BSD-3-Clause).
``fnx/datasets/data/README.md`` gives the licences and the attribution in full.

Each image is 32x32 binary pixels counted in 4x4 blocks, so each of the 8x8 values is an integer in 0..16.
"""
from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

from ._util import float_dtype

__all__ = ["load_digits"]

_FILE = "digits.csv.gz"
_SIDE = 8


def load_digits(flat: bool = False, scale: bool = False, dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 shipped 8x8 digit images and their labels, as NumPy arrays.

    ``images`` has shape (1797, 8, 8), or (1797, 64) with ``flat=True``, in a float dtype (fnx's default
    float unless ``dtype`` is given); its values are the integers 0..16, or those divided by 16 (so in
    [0, 1]) with ``scale=True``. ``labels`` has shape (1797,), int64 digits 0..9 (about 180 of each).

    >>> images, labels = load_digits()
    >>> images.shape, labels.shape, float(images.max())
    ((1797, 8, 8), (1797,), 16.0)
    >>> load_digits(flat=True, scale=True)[0].shape
    (1797, 64)
    """
    shipped = resources.files(__package__).joinpath("data").joinpath(_FILE)
    with shipped.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    pixels, labels = table[:, :-1], table[:, -1]
    images = pixels.astype(float_dtype(dtype, "load_digits"))
    if scale:
        images /= 16
    return (images if flat else images.reshape(-1, _SIDE, _SIDE)), labels
