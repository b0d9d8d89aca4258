"""The IMDB movie-review sentiment data (Maas et al. 2011) from files the user has: Keras's ``imdb.npz`` (word
ids) with its ``imdb_word_index.json``, or the original ``aclImdb`` folder of review texts.

Nothing is downloaded. ``imdb.npz`` stores each review as a list of word ids, which NumPy writes as object
arrays, that is pickles; they are read by the restricted unpickler (``_safe_pickle``), which admits only lists
of ints, never ``np.load(allow_pickle=True)``. ``load_imdb`` then follows Keras's ``imdb.load_data``
(Ketkar 2017, listing 7-8: ``num_words=20000``, then ``pad_sequences(maxlen=80)``).

>>> (x_train, y_train), (x_test, y_test) = load_imdb("~/data/imdb.npz", num_words=20000)  # doctest: +SKIP
>>> len(x_train), x_train[0][:3]                                                       # doctest: +SKIP
(25000, [1, 13, 21])
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ._files import DataFileError
from ._safe_pickle import unpickle

__all__ = ["load_imdb", "load_imdb_reviews", "load_imdb_word_index"]

_NO_DOWNLOAD = "fnx never downloads data: put the file there yourself, or pass its path"
_MAX_REVIEW_BYTES = 1 << 20


def _file(path, op: str, what: str) -> Path:
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"{op}: no {what} at {file.resolve()}. {_NO_DOWNLOAD}")
    return file


def _npy(data: bytes, file: Path, member: str):
    """One ``.npy`` member of an ``.npz``: numeric arrays by NumPy without pickle, object arrays (lists of word
    ids) by the restricted unpickler."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in read_header:
            raise ValueError(f"unsupported .npy format version {version}")
        _, _, dtype = read_header[version](stream)
        if not dtype.hasobject:
            stream.seek(0)
            return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError as err:
        raise DataFileError(f"load_imdb: {file}: {member} is not a NumPy array ({err})") from None
    return unpickle(data[stream.tell():], file, "load_imdb", f"IMDB archive ({member})", objects=True)


def _read_npz(file: Path) -> dict:
    try:
        with zipfile.ZipFile(file) as archive:
            return {name[:-4]: _npy(archive.read(name), file, name) for name in archive.namelist()
                    if name.endswith(".npy")}
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise DataFileError(f"load_imdb: {file} is not an .npz archive ({err})") from None


def _shuffled(rng: np.random.RandomState, xs, labels):
    order = np.arange(len(xs))
    rng.shuffle(order)
    return [xs[i] for i in order], np.asarray(labels)[order]


def load_imdb(path: str | os.PathLike, num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None,
              seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2,
              index_from: int = 3) -> tuple[tuple[list, np.ndarray], tuple[list, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))`` from Keras's ``imdb.npz`` at ``path``, as Keras's
    ``imdb.load_data``: reviews are lists of word ids, labels 0 (negative) or 1 (positive).

    As Keras does: each set is shuffled by ``numpy.random.RandomState(seed)`` (training set first); ids are
    shifted by ``index_from`` and each review starts with ``start_char``; with ``maxlen`` only reviews shorter
    than ``maxlen`` are kept; ids outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped when it
    is None). The stored ids are ranks by frequency (1 = the most frequent word). Two Keras 2 quirks are not
    copied: with ``maxlen``, Keras splits the filtered reviews at the *unfiltered* training-set size (test
    reviews then land in the training set), here each set keeps its own; without ``num_words``, Keras makes
    the largest id out-of-vocabulary, here every id is kept.
    """
    file = _file(path, "load_imdb", "IMDB archive (Keras's imdb.npz)")
    arrays = _read_npz(file)
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(arrays)
    if missing:
        raise DataFileError(f"load_imdb: {file} lacks {sorted(missing)}; Keras's imdb.npz holds x_train, y_train, "
                            "x_test, y_test")
    rng = np.random.RandomState(seed)
    x_train, y_train = _shuffled(rng, list(arrays["x_train"]), arrays["y_train"])
    x_test, y_test = _shuffled(rng, list(arrays["x_test"]), arrays["y_test"])
    xs, labels = x_train + x_test, np.concatenate([y_train, y_test])
    head = [] if start_char is None else [start_char]
    xs = [head + [w + index_from for w in x] for x in xs]
    if maxlen:
        keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
        n_train = sum(i < len(x_train) for i in keep)
        xs, labels = [xs[i] for i in keep], labels[keep]
    else:
        n_train = len(x_train)
    top = num_words or max((max(x) for x in xs if x), default=0) + 1
    if oov_char is None:
        xs = [[w for w in x if skip_top <= w < top] for x in xs]
    else:
        xs = [[w if skip_top <= w < top else oov_char for w in x] for x in xs]
    return (xs[:n_train], labels[:n_train]), (xs[n_train:], labels[n_train:])


def load_imdb_word_index(path: str | os.PathLike) -> dict[str, int]:
    """Keras's ``imdb_word_index.json`` at ``path``: word -> rank (add ``index_from`` to match ``load_imdb``'s ids).

    >>> import json, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "imdb_word_index.json")
    >>> _ = open(path, "w").write(json.dumps({"the": 1, "and": 2}))
    >>> load_imdb_word_index(path)["and"]
    2
    """
    file = _file(path, "load_imdb_word_index", "word index (Keras's imdb_word_index.json)")
    try:
        index = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise DataFileError(f"load_imdb_word_index: {file} is not JSON ({err})") from None
    if not isinstance(index, dict) or not all(isinstance(k, str) and type(v) is int for k, v in index.items()):
        raise DataFileError(f"load_imdb_word_index: {file} is not a JSON object of word -> int")
    return index


def load_imdb_reviews(path: str | os.PathLike, kind: str = "train") -> tuple[list[str], np.ndarray]:
    """The review texts and labels (0 negative, 1 positive) of the original ``aclImdb`` folder at ``path``:
    ``<path>/<kind>/neg/*.txt`` then ``<path>/<kind>/pos/*.txt``, files in name order. Tokenize them with
    ``fnx.text.Tokenizer``.
    """
    if kind not in ("train", "test"):
        raise ValueError(f"load_imdb_reviews: kind must be 'train' or 'test', got {kind!r}")
    root = Path(path).expanduser()
    folders = [root / kind / label for label in ("neg", "pos")]
    if not all(f.is_dir() for f in folders):
        raise FileNotFoundError(f"load_imdb_reviews: no {kind}/neg and {kind}/pos folders in {root.resolve()} "
                                f"(the aclImdb folder). {_NO_DOWNLOAD}")
    texts, labels = [], []
    for label, folder in enumerate(folders):
        for file in sorted(folder.glob("*.txt")):
            if file.stat().st_size > _MAX_REVIEW_BYTES:
                raise DataFileError(f"load_imdb_reviews: {file} is larger than {_MAX_REVIEW_BYTES} bytes: not a review")
            texts.append(file.read_text(encoding="utf-8", errors="replace"))
            labels.append(label)
    return texts, np.array(labels, dtype=np.int64)
