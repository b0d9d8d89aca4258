"""Image folders the user has (Kaggle's Dogs-vs-Cats, Keras's ``flow_from_directory`` layout) and
deeplearning.net's ``mnist.pkl.gz``, read without downloading anything.

``load_image_folder`` reads one image per file into a (N, height, width, 3) uint8 array with integer labels,
the classes named by sub-folders (``train/cats/*.jpg``, ``train/dogs/*.jpg``: Ghatak 2019, chapter 7) or by
the file-name prefix (Kaggle's ``train/cat.0.jpg``). ``.npy`` images (H, W, 3 uint8) need nothing more;
JPEG and PNG decoding needs Pillow (installed with matplotlib, ``pip install 'fnx[demo]'``): without it
such a file raises ``ImportError`` saying so.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._files import DataFileError, open_data
from ._safe_pickle import unpickle

__all__ = ["load_image_folder", "load_mnist_pickle"]

_DECODED = {".jpg", ".jpeg", ".png"}
_SUFFIXES = _DECODED | {".npy"}
_MAX_PIXELS = 1 << 26  # a decompression-bomb bound for one image (Pillow's own check is a warning)


def _read_image(file: Path, size: tuple[int, int] | None) -> np.ndarray:
    if file.suffix.lower() == ".npy":
        image = np.load(file, allow_pickle=False)
        if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
            raise DataFileError(f"load_image_folder: {file} holds a {image.dtype} array of shape {image.shape}; "
                                "expected (height, width, 3) uint8")
        return image if size is None else _resize_nearest(image, size)
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"load_image_folder: decoding {file.name} needs Pillow (pip install pillow, or "
                          "'fnx[demo]'); .npy images need nothing") from None
    try:
        with Image.open(file) as opened:
            if opened.width * opened.height > _MAX_PIXELS:
                raise DataFileError(f"load_image_folder: {file} declares {opened.width}x{opened.height} pixels")
            image = opened.convert("RGB")
            if size is not None:  # Keras's load_img(target_size=...) resizes with nearest neighbours
                image = image.resize((size[1], size[0]), Image.NEAREST)
            return np.asarray(image, dtype=np.uint8)
    except (OSError, SyntaxError, ValueError) as err:
        raise DataFileError(f"load_image_folder: {file} is not a readable image ({err})") from None


def _resize_nearest(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    rows = np.arange(size[0]) * image.shape[0] // size[0]
    cols = np.arange(size[1]) * image.shape[1] // size[1]
    return image[rows][:, cols]


def _labelled_files(folder: Path) -> tuple[list[Path], list[str]]:
    """Image files and their class names: sub-folders if there are any, else file-name prefixes."""
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir())
    if subfolders:
        pairs = [(f, sub.name) for sub in subfolders for f in sorted(sub.iterdir()) if f.suffix.lower() in _SUFFIXES]
    else:
        pairs = [(f, f.name.split(".")[0]) for f in sorted(folder.iterdir()) if f.suffix.lower() in _SUFFIXES]
    return [f for f, _ in pairs], [c for _, c in pairs]


def load_image_folder(path: str | os.PathLike, size: tuple[int, int] | None = (150, 150),
                      limit: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(images, labels, classes)`` from the folder ``path``: images (N, height, width, 3) uint8, resized to
    ``size`` (height, width; None keeps them as they are, which then must all be one size), labels (N,)
    int64 indices into ``classes`` (sorted class names). ``limit`` reads at most that many files per class.

    >>> images, labels, classes = load_image_folder("~/data/dogs-vs-cats/train")   # doctest: +SKIP
    >>> classes                                                                    # doctest: +SKIP
    ['cat', 'dog']
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"load_image_folder: no folder at {folder.resolve()}. fnx never downloads data: "
                                "put the images there (one sub-folder per class, or Kaggle's cat.0.jpg names)")
    files, names = _labelled_files(folder)
    classes = sorted(set(names))
    if limit is not None:
        kept = [i for c in classes for i in [j for j, n in enumerate(names) if n == c][:limit]]
        files, names = [files[i] for i in kept], [names[i] for i in kept]
    if not files:
        raise FileNotFoundError(f"load_image_folder: no {'/'.join(sorted(_SUFFIXES))} images in {folder.resolve()}")
    images = [_read_image(f, size) for f in files]
    if len({im.shape for im in images}) > 1:
        raise DataFileError(f"load_image_folder: the images in {folder} have different sizes; pass size=")
    return np.stack(images), np.array([classes.index(n) for n in names], dtype=np.int64), classes


def load_mnist_pickle(path: str | os.PathLike) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """deeplearning.net's ``mnist.pkl.gz`` (Bourez 2017, chapter 2): ``((train_x, train_y), (valid_x, valid_y),
    (test_x, test_y))``, images (N, 784) float32 in [0, 1], labels (N,) int64; 50,000/10,000/10,000 rows.

    The file is a (gzipped) pickle; it is read by the restricted unpickler, which admits only the tuples and
    numeric arrays of this format (a crafted file raises ``DataFileError``, nothing runs).
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"load_mnist_pickle: no mnist.pkl.gz at {file.resolve()}. fnx never downloads "
                                "data: put the file there, or use load_mnist on the IDX files")
    with open_data(file, "load_mnist_pickle") as source:
        data = source.stream.read(source.max_bytes + 1)
    sets = unpickle(data, file, "load_mnist_pickle", "mnist.pkl.gz (a pickled tuple of three (images, labels))")
    if not (isinstance(sets, tuple) and len(sets) == 3 and all(isinstance(s, tuple) and len(s) == 2 for s in sets)):
        raise DataFileError(f"load_mnist_pickle: {file} does not hold three (images, labels) pairs")
    out = []
    for images, labels in sets:
        if not (isinstance(images, np.ndarray) and isinstance(labels, np.ndarray) and images.ndim == 2
                and labels.shape == images.shape[:1] and labels.dtype.kind in "iu" and images.dtype.kind == "f"):
            raise DataFileError(f"load_mnist_pickle: {file} holds arrays of shapes/dtypes other than (N, 784) "
                                "floats and (N,) integer labels")
        out.append((images, labels.astype(np.int64)))
    return tuple(out)
