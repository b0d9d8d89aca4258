"""Readers for data set files a user already has: MNIST-style IDX files, CIFAR-10 batches, CSV tables.

These only read local files; fnx never downloads anything. A loader that cannot find its files raises
``FileNotFoundError`` naming the folder it looked in and the file names it expects; a file that is corrupted,
truncated or hostile raises ``DataFileError`` (a ``ValueError``) naming the loader and the file, without
running anything from it or allocating more than the file can hold (``_files``, ``_safe_pickle``).

>>> images, labels = load_mnist("~/data/mnist", kind="t10k")  # doctest: +SKIP
>>> images.shape, images.dtype, labels.shape                  # doctest: +SKIP
((10000, 28, 28), dtype('uint8'), (10000,))
"""
from __future__ import annotations

import math
import os
import struct
from pathlib import Path
from typing import Callable

import numpy as np

from ._safe_pickle import load_batch
from ._files import DataFileError, Source, gzip_errors, open_data, read_into
from ._util import float_dtype

__all__ = ["CIFAR10_CLASSES", "DataFileError", "FASHION_MNIST_CLASSES", "load_cifar10", "load_csv", "load_mnist",
           "read_idx"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                         "Ankle boot")

# IDX type codes (third byte of the magic number) -> big-endian element dtype
_IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_NO_DOWNLOAD = "fnx never downloads data: put the files there yourself, or pass the folder that holds them."
_CIFAR_FOLDERS = ("cifar-10-batches-py", "cifar-10-batches-bin")
_CIFAR_SHAPE = (3, 32, 32)


def _missing(op: str, folder: Path, what: str, names: list[str]) -> FileNotFoundError:
    where = folder.resolve()
    state = "" if folder.is_dir() else " (the folder does not exist)"
    return FileNotFoundError(f"{op}: no {what} in {where}{state}; expected "
                             f"{' or '.join(repr(n) for n in names)}. {_NO_DOWNLOAD}")


def _first_existing(op: str, folder: Path, what: str, names: list[str]) -> Path:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise _missing(op, folder, what, names)


def _as_images(images: np.ndarray, flat: bool, scale: bool, dtype, op: str, full_scale: float) -> np.ndarray:
    """uint8 images (N, ...) as stored, or as floats divided by ``full_scale``; flattened to (N, -1) if ``flat``."""
    if scale:
        images = images.astype(float_dtype(dtype, op)) / full_scale
    return images.reshape(images.shape[0], -1) if flat else images


def _idx_header(source: Source, op: str) -> tuple[np.dtype, tuple[int, ...]]:
    """The element type and shape an IDX file's header declares."""
    magic = source.stream.read(4)
    if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_DTYPES:
        raise DataFileError(f"{op}: {source.file} is not an IDX file: it starts with bytes "
                            f"{magic.hex(' ') or '(none: it is empty)'}, expected 00 00 <type code> <ndim>")
    ndim = magic[3]
    sizes = source.stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DataFileError(f"{op}: {source.file} is cut short: it ends after {4 + len(sizes)} bytes, but its "
                            f"header alone takes {4 + 4 * ndim}")
    return _IDX_DTYPES[magic[2]], struct.unpack(f">{ndim}I", sizes)


def _check_declared_size(source: Source, op: str, dtype: np.dtype, shape: tuple, needed: int) -> None:
    """Refuse a header declaring more bytes than the file can hold, before allocating them."""
    what = f"a {dtype.name} array of shape {shape} needs {needed}"
    if not source.compressed and source.size != needed:
        raise DataFileError(f"{op}: {source.file} has {source.size} bytes, but {what}")
    if source.compressed and needed > source.max_bytes:
        raise DataFileError(f"{op}: {source.file} declares {what} bytes, but a gzip file of {source.size} bytes "
                            f"decompresses to at most {source.max_bytes}: the header is corrupted or hostile")


def _read_idx(file: Path, op: str) -> np.ndarray:
    """``read_idx`` for the loader ``op``: the output is allocated once, at the size the header declares (after
    checking the file can hold it), and filled chunk by chunk; reading stops one byte past it."""
    with open_data(file, op) as source:
        dtype, shape = _idx_header(source, op)
        nbytes = math.prod(shape) * dtype.itemsize
        _check_declared_size(source, op, dtype, shape, 4 + 4 * len(shape) + nbytes)
        out = np.empty(nbytes, np.uint8)
        got = read_into(source, out)
        if got < nbytes:
            raise DataFileError(f"{op}: {file} is cut short: its data end after {got} bytes, but a {dtype.name} "
                                f"array of shape {shape} needs {nbytes}")
        if source.stream.read(1):
            raise DataFileError(f"{op}: {file} holds more than the {dtype.name} array of shape {shape} its header "
                                f"declares: data go on past {nbytes} bytes")
    values = out.view(dtype)
    if not dtype.isnative:
        values = values.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return values.reshape(shape)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (the format of MNIST and Fashion-MNIST), raw or gzip-compressed.

    An IDX file starts with the bytes ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then
    the elements in C order (type 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64). Returns an array of that shape and type, in native byte order.

    Hostile files are safe to try: gzip is decompressed in bounded chunks, a header declaring more than the
    file can hold is refused before allocating, and reading stops one byte past the declared size (so a gzip
    bomb fails at once). A bad file raises ``DataFileError`` (a ``ValueError``) naming the file.

    >>> read_idx("train-labels-idx1-ubyte.gz").shape  # doctest: +SKIP
    (60000,)

    A file of three uint8 labels (type 0x08, one dimension of size 3), written here to try it:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> _ = path.write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(path)
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"read_idx: no file {path.resolve()}. {_NO_DOWNLOAD}")
    return _read_idx(path, "read_idx")


def load_mnist(path: str | os.PathLike, kind: str = "train", flat: bool = False, scale: bool = False,
               dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST or Fashion-MNIST images and labels from the IDX files in the folder ``path``.

    ``kind`` is ``"train"`` (reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte``, each raw or
    with ``.gz``) or ``"t10k"`` (the test files ``t10k-...``). Fashion-MNIST uses the same file names.

    Returns ``images`` (N, 28, 28) uint8 as stored, or (N, 784) with ``flat=True``; with ``scale=True``
    they are floats in [0, 1] (fnx's default float unless ``dtype`` is given). ``labels`` is (N,) int64.

    >>> images, labels = load_mnist("~/data/fashion", kind="train", flat=True, scale=True)  # doctest: +SKIP
    >>> images.shape  # doctest: +SKIP
    (60000, 784)
    """
    if kind not in ("train", "t10k"):
        raise ValueError(f"load_mnist: kind must be 'train' or 't10k', got {kind!r}")
    folder = Path(path).expanduser()
    found = {}
    for part, rank in (("images", 3), ("labels", 1)):
        stem = f"{kind}-{part}"
        names = [f"{stem}-idx{rank}-ubyte.gz", f"{stem}-idx{rank}-ubyte", f"{stem}.idx{rank}-ubyte"]
        found[part] = _read_idx(_first_existing("load_mnist", folder, f"{kind} {part} file", names), "load_mnist")
        if found[part].ndim != rank or found[part].dtype != np.uint8:
            raise DataFileError(f"load_mnist: the {kind} {part} file in {folder} holds a {found[part].dtype} array of "
                             f"shape {found[part].shape}; expected uint8 with {rank} axes")
    images, labels = found["images"], found["labels"]
    if images.shape[0] != labels.shape[0]:
        raise DataFileError(f"load_mnist: {images.shape[0]} {kind} images but {labels.shape[0]} labels in {folder}")
    return _as_images(images, flat, scale, dtype, "load_mnist", 255.0), labels.astype(np.int64)


def _integers(value, file: Path, what: str, high: int) -> np.ndarray:
    """``value`` as an integer array with every element in ``[0, high]``, or a ``DataFileError``."""
    try:
        array = np.asarray(value)
    except ValueError as err:
        raise DataFileError(f"load_cifar10: {file} holds {what} that are not an array: {err}") from err
    if array.dtype.kind not in "iu" or (array.size and not 0 <= array.min() <= array.max() <= high):
        raise DataFileError(f"load_cifar10: {file} holds {what} of dtype {array.dtype} and shape {array.shape}; "
                            f"expected integers in [0, {high}]")
    return array


def _checked_batch(file: Path, data: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if data.ndim != 2 or data.shape[1] != math.prod(_CIFAR_SHAPE) or labels.ndim != 1 \
            or data.shape[0] != labels.shape[0]:
        raise DataFileError(f"load_cifar10: {file} holds data of shape {data.shape} and labels of shape "
                            f"{labels.shape}; expected (m, 3072) and (m,)")
    return data.astype(np.uint8), labels.astype(np.int64)


def _read_cifar_batch(file: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch: a pickled dict with 'data' (m, 3072) uint8 and 'labels' (m ints), read with
    a restricted unpickler that refuses any global but NumPy's array-building ones."""
    batch = load_batch(file, "load_cifar10")
    if "data" not in batch or "labels" not in batch:
        raise DataFileError(f"load_cifar10: {file} has keys {sorted(batch)}; a CIFAR-10 batch has 'data' and "
                            f"'labels'")
    classes = len(CIFAR10_CLASSES) - 1
    return _checked_batch(file, _integers(batch["data"], file, "data", 255),
                          _integers(batch["labels"], file, "labels", classes))


def _read_cifar_binary(file: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 binary batch: records of one label byte and 3072 pixel bytes."""
    record = 1 + math.prod(_CIFAR_SHAPE)
    size = file.stat().st_size
    if size % record:
        raise DataFileError(f"load_cifar10: {file} has {size} bytes, not a whole number of {record}-byte records "
                            f"(a label byte and 3072 pixels)")
    records = np.fromfile(file, np.uint8).reshape(-1, record)
    classes = len(CIFAR10_CLASSES) - 1
    return _checked_batch(file, records[:, 1:], _integers(records[:, 0], file, "labels", classes))


def _cifar_files(path: Path, kind: str) -> tuple[list[Path], Callable[[Path], tuple[np.ndarray, np.ndarray]]]:
    """The batch files of ``kind`` under ``path`` and their reader: python batches, or the binary version's
    ``.bin`` files when only those are there."""
    folder = next((path / sub for sub in _CIFAR_FOLDERS if (path / sub).is_dir()), path)
    names = [f"data_batch_{i}" for i in range(1, 6)] if kind == "train" else ["test_batch"]
    binary = not (folder / names[0]).is_file() and (folder / f"{names[0]}.bin").is_file()
    names = [f"{n}.bin" for n in names] if binary else names
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise _missing("load_cifar10", folder, f"{kind} batch", missing)
    return [folder / n for n in names], _read_cifar_binary if binary else _read_cifar_batch


def load_cifar10(path: str | os.PathLike, kind: str = "train", channels_last: bool = False, scale: bool = False,
                 dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 images and labels from the python batches in the folder ``path``.

    ``path`` is the ``cifar-10-batches-py`` folder (or a folder holding it). ``kind="train"`` reads
    ``data_batch_1`` .. ``data_batch_5`` (50,000 images), ``kind="test"`` reads ``test_batch`` (10,000).
    The binary version (``cifar-10-batches-bin``, files ``data_batch_1.bin`` ...) is read too.

    The python batches are pickles, read with a restricted unpickler: it admits only the dicts, lists,
    strings, bytes and NumPy arrays of the format, so a crafted batch raises ``DataFileError`` (a
    ``ValueError`` naming the file) instead of running code. So does a corrupted or truncated batch, or one
    whose pixels or labels are out of range.

    Returns ``images`` (N, 3, 32, 32) uint8, channels first as fnx.nn's default NCHW, or (N, 32, 32, 3)
    with ``channels_last=True``; with ``scale=True`` they are floats in [0, 1] (fnx's default float unless
    ``dtype`` is given). ``labels`` is (N,) int64, indices into ``CIFAR10_CLASSES``.

    >>> images, labels = load_cifar10("~/data/cifar-10-batches-py", kind="test")  # doctest: +SKIP
    >>> images.shape  # doctest: +SKIP
    (10000, 3, 32, 32)
    """
    if kind not in ("train", "test"):
        raise ValueError(f"load_cifar10: kind must be 'train' or 'test', got {kind!r}")
    files, read = _cifar_files(Path(path).expanduser(), kind)
    parts = [read(f) for f in files]
    images = np.concatenate([d for d, _ in parts]).reshape((-1,) + _CIFAR_SHAPE)
    if channels_last:
        images = images.transpose(0, 2, 3, 1)
    return _as_images(images, False, scale, dtype, "load_cifar10", 255.0), np.concatenate([l for _, l in parts])


def load_csv(path: str | os.PathLike, label_column: int | None = -1, delimiter: str = ",", skip_header: int = 0,
             dtype=None, label_dtype=np.int64) -> tuple[np.ndarray, np.ndarray | None]:
    """A numeric table from a CSV file (``.gz`` too) as features ``X`` and labels ``y``.

    ``label_column`` picks the label column (negative counts from the end; ``None`` means no labels, and
    ``y`` is None); the other columns, in order, make ``X`` (N, columns - 1) in a float dtype (fnx's default
    float unless ``dtype`` is given). ``skip_header`` lines are skipped first. Labels are int64 by default
    (an error if one is not a whole number); pass ``label_dtype=float`` for regression targets.

    Kaggle's MNIST ``train.csv`` (a header line, the label first, then 784 pixels):

    >>> X, y = load_csv("train.csv", label_column=0, skip_header=1)  # doctest: +SKIP
    >>> X.shape, y.dtype  # doctest: +SKIP
    ((42000, 784), dtype('int64'))

    A small table written here to try it (the label last, the default ``label_column``):

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> _ = path.write_text("x1,x2,label\\n0.5,1.5,0\\n2.0,3.0,1\\n")
    >>> load_csv(path, skip_header=1)
    (array([[0.5, 1.5],
           [2. , 3. ]]), array([0, 1]))
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise _missing("load_csv", file.parent, "CSV file", [file.name])
    try:
        with gzip_errors(file, "load_csv"):
            table = np.loadtxt(file, delimiter=delimiter, skiprows=skip_header, ndmin=2, dtype=np.float64)
    except DataFileError:
        raise
    except ValueError as err:
        raise DataFileError(f"load_csv: {file} is not a numeric table with delimiter {delimiter!r} "
                         f"after {skip_header} header line(s): {err}") from err
    X_dtype = float_dtype(dtype, "load_csv")
    if label_column is None:
        return table.astype(X_dtype), None
    n_columns = table.shape[1]
    if not -n_columns <= label_column < n_columns:
        raise ValueError(f"load_csv: label_column {label_column} is out of range for {file}, which has "
                         f"{n_columns} columns")
    labels = table[:, label_column]
    X = np.delete(table, label_column % n_columns, axis=1).astype(X_dtype)
    label_dtype = np.dtype(label_dtype)
    if label_dtype.kind in "iu" and not np.all(labels == np.round(labels)):
        raise ValueError(f"load_csv: column {label_column} of {file} has labels that are not whole numbers; "
                         f"pass label_dtype=float for regression targets")
    return X, labels.astype(label_dtype)
