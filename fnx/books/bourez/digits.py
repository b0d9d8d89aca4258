"""The image data of Bourez's chapters 2 and 6, from fnx's shipped 8x8 digits (or the user's MNIST).

* ``digits_28``: MNIST-shaped images (N, 1, 28, 28) in [0, 1], float32 (the book's floatX): the user's MNIST
  IDX files when ``data_dir`` is given, else the shipped 8x8 digits upsampled bilinearly to 20x20 (MNIST's
  digit box) and centred in 28x28 with 4 pixels of zeros each side.
* ``transformed_digits``: the spatial transformer's data (the book's 100x100 canvases of ``create_mnist_
  sequence.py``, generated here smaller): each digit, upsampled, placed on a larger canvas rotated, scaled and
  translated at random, with clutter patches cut from other digits.
* ``digit_triples``: the recurrent transformer's data: three digits side by side on one canvas, each moved at
  random, labelled by the three classes.

Every resampling goes through ``fnx.nn.spatial_transformer`` (the affine grid and bilinear sampler the
chapter trains with), and every random draw comes from an ``fnx.random`` key: the data are reproducible.

>>> X_train, X_test, y_train, y_test = digits_28(None)
>>> X_train.shape, X_train.dtype.name
((1437, 1, 28, 28), 'float32')
"""
from __future__ import annotations

import numpy as np

import fnx.random as fr
from fnx.nn import spatial_transformer

from ..data import mnist_or_digits

F32 = np.float32


def upsample(images: np.ndarray, side: int, pad: int = 0) -> np.ndarray:
    """Square images (N, s, s) resized bilinearly to (N, side, side) (corner pixel centres kept), then padded
    with ``pad`` zeros on every side."""
    identity = np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]], F32), (len(images), 1, 1))
    resized = spatial_transformer(images[..., None].astype(F32), identity, (side, side))[..., 0]
    return np.pad(np.asarray(resized, F32), ((0, 0), (pad, pad), (pad, pad)))


def digits_28(data_dir: str | None, seed: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test) with images (N, 1, 28, 28), float32 in [0, 1]: MNIST's train and
    t10k sets from ``data_dir``, else the shipped digits (1,437 / 360, split by ``seed``) upsampled to 20x20
    and centred in 28x28."""
    X_train, X_test, y_train, y_test = mnist_or_digits(data_dir, seed)
    if X_train.shape[1] == 784:
        return (X_train.reshape(-1, 1, 28, 28).astype(F32), X_test.reshape(-1, 1, 28, 28).astype(F32),
                y_train, y_test)
    return (upsample(X_train.reshape(-1, 8, 8), 20, pad=4)[:, None],
            upsample(X_test.reshape(-1, 8, 8), 20, pad=4)[:, None], y_train, y_test)


def random_affines(key, n: int, rotation: float, scale: tuple[float, float], shift: float) -> np.ndarray:
    """``n`` affine maps (n, 2, 3) from output to source coordinates: a rotation uniform in +-``rotation``
    radians, a zoom uniform in ``scale`` and a translation uniform in +-``shift`` (normalised units)."""
    k_angle, k_scale, k_shift = fr.split(key, 3)
    angle = np.asarray(fr.uniform(k_angle, (n,), minval=-rotation, maxval=rotation))
    zoom = np.asarray(fr.uniform(k_scale, (n,), minval=scale[0], maxval=scale[1]))
    offset = np.asarray(fr.uniform(k_shift, (n, 2), minval=-shift, maxval=shift))
    cos, sin = np.cos(angle) / zoom, np.sin(angle) / zoom
    return np.stack([np.stack([cos, -sin, offset[:, 0]], 1), np.stack([sin, cos, offset[:, 1]], 1)], 1).astype(F32)


def transformed_digits(key, images: np.ndarray, canvas: int, digit: int, clutter: int = 2, patch: int = 5,
                       rotation: float = np.pi / 6, zoom: tuple[float, float] = (0.9, 1.1)) -> np.ndarray:
    """Canvases (N, canvas, canvas) in [0, 1]: each 8x8 image upsampled to ``digit`` pixels, centred, then
    seen through a random affine map (a rotation up to +-``rotation`` radians, a zoom in ``zoom``, a shift
    keeping it mostly on the canvas) and overlaid with ``clutter`` ``patch`` x ``patch`` pieces cut at random
    from other digits (the book's "distortions")."""
    if (canvas - digit) % 2:
        raise ValueError(f"transformed_digits: canvas - digit must be even, got {canvas} and {digit}")
    k_affine, k_clutter = fr.split(key)
    centred = upsample(images, digit, (canvas - digit) // 2)
    theta = random_affines(k_affine, len(images), rotation, zoom, 1.0 - digit / canvas)
    moved = np.asarray(spatial_transformer(centred[..., None], theta)[..., 0], F32)
    return np.clip(moved + clutter_patches(k_clutter, centred, clutter, patch), 0.0, 1.0)


def clutter_patches(key, canvases: np.ndarray, count: int, patch: int) -> np.ndarray:
    """For each canvas, ``count`` ``patch`` x ``patch`` pieces of other canvases' centres, pasted at random
    places on an empty canvas of the same shape."""
    n, side = canvases.shape[:2]
    k_source, k_place = fr.split(key)
    source = np.asarray(fr.randint(k_source, (n, count), 0, n))
    places = np.asarray(fr.randint(k_place, (n, count, 2), 0, side - patch))
    centre = slice(side // 2 - patch // 2, side // 2 - patch // 2 + patch)
    out = np.zeros_like(canvases)
    for i in range(n):
        for j in range(count):
            y, x = places[i, j]
            out[i, y:y + patch, x:x + patch] += canvases[source[i, j], centre, centre]
    return out


def digit_triples(key, images: np.ndarray, labels: np.ndarray, count: int,
                  digit: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` canvases (count, digit, 3 * digit) of three random digits side by side, each upsampled to
    ``digit`` pixels and moved at random within its third (rotation +-20 degrees, zoom 0.9-1.1, shift up
    to 0.2), and their labels (count, 3)."""
    k_pick, k_affine = fr.split(key)
    pick = np.asarray(fr.randint(k_pick, (count, 3), 0, len(images)))
    tiles = upsample(images[pick.reshape(-1)], digit)
    theta = random_affines(k_affine, len(tiles), np.pi / 9, (0.9, 1.1), 0.2)
    moved = np.asarray(spatial_transformer(tiles[..., None], theta)[..., 0], F32)
    canvases = moved.reshape(count, 3, digit, digit).transpose(0, 2, 1, 3).reshape(count, digit, 3 * digit)
    return canvases, labels[pick]


__all__ = ["digit_triples", "digits_28", "transformed_digits", "upsample"]
