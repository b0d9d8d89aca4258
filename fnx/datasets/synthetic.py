"""Toy data sets made in code: the 2-D classification and 1-D regression problems the books and their demos use.

Every generator returns ``(X, y)`` as NumPy arrays: ``X`` of shape (n, d) in a float dtype (fnx's default
float unless ``dtype`` is given) and ``y`` of shape (n,), int64 class labels for the classification sets,
floats for the regression sets. Rows come grouped by class (class 0 first); shuffle with
``train_test_split`` or ``batches``.

Randomness comes from ``fnx.random``: pass a key or an int seed as the first argument, and the same key always
gives the same data, on every platform. Generators whose only randomness is optional noise (``two_moons``,
``circles``, ``spirals``, ``sine``, ``polynomial``) accept ``None`` for the key when ``noise=0``.

>>> X, y = two_moons(n=500)                 # noise-free, no key needed
>>> X.shape, y.shape, int(y.sum())
((500, 2), (500,), 250)
>>> X, y = spirals(0, n_per_class=400)      # the two-arm spiral of Ghatak 2019, seed 0
>>> X.shape
(800, 2)
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..core.errors import FnxTypeError
from ._util import as_key, float_dtype, normal, uniform
from .. import random as fr

__all__ = ["blobs", "circles", "donut", "polynomial", "sine", "spirals", "two_moons", "xor", "xor_table"]

_I64 = np.dtype("int64")


def _count(n, op: str, what: str = "n") -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{op}: {what} must be a positive int, got {n!r}")
    return int(n)


def _check_noise(noise: float, op: str) -> float:
    if not noise >= 0:
        raise ValueError(f"{op}: noise must be >= 0, got {noise!r}")
    return float(noise)


def _jitter(key_or_seed, X: np.ndarray, noise: float, op: str) -> np.ndarray:
    """``X`` plus Gaussian noise of standard deviation ``noise`` (no key needed when ``noise`` is 0)."""
    if _check_noise(noise, op) == 0.0:
        return X
    return X + noise * normal(as_key(key_or_seed, op), X.shape)


def _labels(counts: Sequence[int]) -> np.ndarray:
    """Class labels 0, 1, ... repeated ``counts[k]`` times each, as int64."""
    return np.repeat(np.arange(len(counts), dtype=_I64), counts)


def two_moons(key_or_seed=None, n: int = 100, noise: float = 0.0, dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons`` layout).

    The outer moon (label 0) is ``(cos t, sin t)``, the inner moon (label 1) is ``(1 - cos t, 0.5 - sin t)``,
    each for ``t`` evenly spaced in [0, pi]: ``n // 2`` outer points, the rest inner. ``noise`` adds Gaussian
    noise of that standard deviation to every coordinate (the books use 0.1; Ketkar 2017, listings 8-1 and 9-3).

    Returns ``X`` (n, 2) and ``y`` (n,) int64.

    >>> X, y = two_moons(n=4)
    >>> X.round(3).tolist()
    [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]]
    >>> y.tolist()
    [0, 0, 1, 1]
    """
    n = _count(n, "two_moons")
    n_out = n // 2
    t_out, t_in = np.linspace(0.0, math.pi, n_out), np.linspace(0.0, math.pi, n - n_out)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)
    X = _jitter(key_or_seed, np.concatenate([outer, inner]), noise, "two_moons")
    return X.astype(float_dtype(dtype, "two_moons")), _labels([n_out, n - n_out])


def spirals(key_or_seed, n_per_class: int = 100, n_classes: int = 2, noise: float = 0.3,
            radius: tuple[float, float] = (0.05, 1.0), turn: float = 4.7, offset: float | None = None,
            dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` spiral arms, one class each, with Gaussian noise on the angle.

    Arm ``k`` has radii ``r`` evenly spaced over ``radius`` and angles
    ``t = k * offset + linspace(0, turn, n_per_class) + noise * N(0, 1)``; its points are
    ``(r sin t, r cos t)``. ``offset`` defaults to ``turn``, so arm ``k`` covers the angles
    [k turn, (k + 1) turn]. The defaults are the recipe of Ghatak 2019 (chapter 4: r from 0.05 to 1, turn 4.7,
    noise 0.3); ``radius=(0, 1), turn=4, noise=0.2`` gives the CS231n K-class spiral, and
    ``radius=(0, 5), turn=2.5 * pi, offset=pi`` the ConvnetJS demo's two arms.

    Returns ``X`` (n_classes * n_per_class, 2) and ``y`` int64 in [0, n_classes).

    >>> X, y = spirals(0, n_per_class=50, n_classes=3, radius=(0.0, 1.0), turn=4.0, noise=0.2)
    >>> X.shape, y.tolist()[::50]
    ((150, 2), [0, 1, 2])
    """
    n = _count(n_per_class, "spirals", "n_per_class")
    k = _count(n_classes, "spirals", "n_classes")
    offset = turn if offset is None else offset
    r = np.linspace(radius[0], radius[1], n)
    t = np.arange(k)[:, None] * offset + np.linspace(0.0, turn, n)[None, :]
    if _check_noise(noise, "spirals") > 0:
        t = t + noise * normal(as_key(key_or_seed, "spirals"), (k, n))
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=-1).reshape(k * n, 2)
    return X.astype(float_dtype(dtype, "spirals")), _labels([n] * k)


def circles(key_or_seed=None, n: int = 100, factor: float = 0.5, noise: float = 0.0,
            dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles (scikit-learn's ``make_circles`` layout).

    ``n // 2`` points evenly spaced on the unit circle (label 0), the rest evenly spaced on the circle of
    radius ``factor`` (label 1), plus Gaussian ``noise`` on every coordinate.

    Returns ``X`` (n, 2) and ``y`` (n,) int64.

    >>> X, y = circles(n=8, factor=0.5)
    >>> np.hypot(X[:, 0], X[:, 1]).round(3).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    """
    n = _count(n, "circles")
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be in (0, 1), got {factor!r}")
    n_out = n // 2
    rings = []
    for count, r in ((n_out, 1.0), (n - n_out, factor)):
        t = np.linspace(0.0, 2 * math.pi, count, endpoint=False)
        rings.append(r * np.stack([np.cos(t), np.sin(t)], axis=1))
    X = _jitter(key_or_seed, np.concatenate(rings), noise, "circles")
    return X.astype(float_dtype(dtype, "circles")), _labels([n_out, n - n_out])


def donut(key_or_seed, n: int = 2000, radii: tuple[float, float] = (5.0, 10.0), noise: float = 1.0,
          dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """A disc-like inner ring and an outer ring with random angles (the "donut" problem of LazyProgrammer 2016).

    ``n // 2`` inner points (label 0) at distance ``radii[0] + noise * N(0, 1)`` from the origin and the
    rest (label 1) at ``radii[1] + noise * N(0, 1)``, all at angles uniform in [0, 2 pi). The defaults are
    the companion code's (2,000 points, radii 5 and 10, unit noise). No straight line separates the
    classes; a feature ``x1**2 + x2**2`` or a hidden layer does.

    Returns ``X`` (n, 2) and ``y`` (n,) int64.

    >>> X, y = donut(0, n=1000)
    >>> r = np.hypot(X[:, 0], X[:, 1])
    >>> bool(r[y == 0].mean() < 6 < 9 < r[y == 1].mean())
    True
    """
    n = _count(n, "donut")
    _check_noise(noise, "donut")
    k_radius, k_angle = fr.split(as_key(key_or_seed, "donut"))
    n_in = n // 2
    r = np.repeat(np.asarray(radii, dtype=np.float64), [n_in, n - n_in]) + noise * normal(k_radius, (n,))
    t = uniform(k_angle, (n,), 0.0, 2 * math.pi)
    X = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    return X.astype(float_dtype(dtype, "donut")), _labels([n_in, n - n_in])


def xor(key_or_seed, n: int = 200, noise: float = 0.0, dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in the square [-1, 1)^2, labelled 1 where exactly one coordinate is positive.

    The four quadrants alternate between the classes, so no straight line separates them. ``noise`` moves
    the points by Gaussian noise after labelling, blurring the quadrant borders.

    Returns ``X`` (n, 2) and ``y`` (n,) int64. For the four-row truth table use ``xor_table``.

    >>> X, y = xor(0, n=100)
    >>> bool(np.all(y == ((X[:, 0] > 0) != (X[:, 1] > 0))))
    True
    """
    n = _count(n, "xor")
    k_points, k_noise = fr.split(as_key(key_or_seed, "xor"))
    X = uniform(k_points, (n, 2), -1.0, 1.0)
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(_I64)
    return _jitter(k_noise, X, noise, "xor").astype(float_dtype(dtype, "xor")), y


def xor_table(dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table: ``X`` = [[0, 0], [0, 1], [1, 0], [1, 1]] (4, 2) and ``y`` = [0, 1, 1, 0] int64.

    >>> X, y = xor_table()
    >>> y.tolist()
    [0, 1, 1, 0]
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float_dtype(dtype, "xor_table"))
    return X, np.array([0, 1, 1, 0], dtype=_I64)


def blobs(key_or_seed, n_per_class: int = 500, centers=((0.0, -2.0), (2.0, 2.0), (-2.0, 2.0)),
          std: float = 1.0, dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clouds: ``n_per_class`` points around each row of ``centers`` (K, d), with standard deviation ``std``.

    Class ``k`` is the cloud around ``centers[k]``. The defaults are the three clouds of LazyProgrammer 2016 of 500
    points at (0, -2), (2, 2) and (-2, 2) with unit variance.

    Returns ``X`` (K * n_per_class, d) and ``y`` int64 in [0, K).

    >>> X, y = blobs(0, n_per_class=1000, centers=[[0.0, 0.0], [5.0, 5.0]], std=0.5)
    >>> X[y == 1].mean(axis=0).round(1).tolist()
    [5.0, 5.0]
    """
    n = _count(n_per_class, "blobs", "n_per_class")
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[0] < 1:
        raise FnxTypeError(f"blobs: centers must have shape (K, d) with K >= 1, got {list(centers.shape)}")
    _check_noise(std, "blobs")
    y = _labels([n] * centers.shape[0])
    X = centers[y] + std * normal(as_key(key_or_seed, "blobs"), (y.size, centers.shape[1]))
    return X.astype(float_dtype(dtype, "blobs")), y


def sine(key_or_seed=None, n: int = 100, x_range: tuple[float, float] = (-math.pi, math.pi), noise: float = 0.0,
         dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """Regression data ``y = sin(x) + noise * N(0, 1)`` at ``n`` evenly spaced ``x`` in ``x_range``.

    Returns ``X`` (n, 1) and ``y`` (n,), both float.

    >>> X, y = sine(n=3, x_range=(0.0, np.pi))
    >>> X[:, 0].round(3).tolist(), y.round(3).tolist()
    ([0.0, 1.571, 3.142], [0.0, 1.0, 0.0])
    """
    n = _count(n, "sine")
    x = np.linspace(x_range[0], x_range[1], n)
    y = _jitter(key_or_seed, np.sin(x), noise, "sine")
    dt = float_dtype(dtype, "sine")
    return x[:, None].astype(dt), y.astype(dt)


def polynomial(key_or_seed=None, n: int = 100, coefficients: Sequence[float] = (2.0, 1.0, 2.0),
               x_range: tuple[float, float] = (-1.0, 1.0), noise: float = 0.0,
               dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """Regression data ``y = sum_i coefficients[i] * x**i + noise * N(0, 1)`` at ``n`` evenly spaced ``x``.

    The defaults are the noise-free signal of listing 2-1 of Ketkar 2017: ``x = linspace(-1, 1, 100)``,
    ``y = 2 + x + 2 x^2``. The listing itself adds ``noise=0.1`` and fits the first 80 points.

    Returns ``X`` (n, 1) and ``y`` (n,), both float.

    >>> X, y = polynomial()
    >>> X.shape, float(y[0]), float(y[-1])
    ((100, 1), 3.0, 5.0)
    """
    n = _count(n, "polynomial")
    x = np.linspace(x_range[0], x_range[1], n)
    signal = np.zeros(n)
    for i, c in enumerate(coefficients):
        signal += c * x**i
    y = _jitter(key_or_seed, signal, noise, "polynomial")
    dt = float_dtype(dtype, "polynomial")
    return x[:, None].astype(dt), y.astype(dt)
