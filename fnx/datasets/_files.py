"""Reading data files that may be hostile: gzip decompressed in bounded chunks, sizes checked before anything
is allocated, and every failure a ``DataFileError`` naming the loader and the file.

A gzip file of ``n`` bytes cannot decompress to more than about ``1032 * n`` bytes (deflate's best case is a
258-byte match coded in 2 bits), so a header that declares more than that is refused before any allocation;
one that declares less is read up to the declared size plus one byte, never further, however much the rest
would inflate to.
"""
from __future__ import annotations

import gzip
import os
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

__all__ = ["DataFileError"]

GZIP_MAGIC = b"\x1f\x8b"
_DEFLATE_MAX_RATIO = 1032
_CHUNK = 1 << 20  # bytes decompressed per step


class DataFileError(ValueError):
    """A data file is corrupted, truncated, hostile or not in its loader's format; the message names the loader
    (``read_idx``, ``load_mnist``, ``load_cifar10``, ``load_csv``) and the file."""


@dataclass(frozen=True)
class Source:
    """An open data file: ``stream`` yields its (decompressed) bytes; ``size`` is its size on disk."""

    stream: BinaryIO
    file: Path
    size: int
    compressed: bool

    @property
    def max_bytes(self) -> int:
        """The most bytes ``stream`` can yield: the file size, or deflate's bound for a gzip file."""
        return self.size * _DEFLATE_MAX_RATIO if self.compressed else self.size


@contextmanager
def gzip_errors(file: Path, op: str) -> Iterator[None]:
    """Turn the errors of decompressing ``file`` (zlib's, gzip's, a cut-short stream) into ``DataFileError``."""
    try:
        yield
    except (zlib.error, gzip.BadGzipFile) as err:
        kind = f"{type(err).__module__}.{type(err).__name__}"
        raise DataFileError(f"{op}: {file} is a corrupted gzip file ({kind}: {err})") from err
    except EOFError as err:
        raise DataFileError(f"{op}: {file} is a truncated gzip file: {err}") from err


@contextmanager
def open_data(file: Path, op: str) -> Iterator[Source]:
    """``file`` opened for reading, through gzip when it starts with gzip's magic bytes."""
    with open(file, "rb") as raw:
        size = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            yield Source(raw, file, size, False)
            return
        with gzip.GzipFile(fileobj=raw) as unzipped, gzip_errors(file, op):
            yield Source(unzipped, file, size, True)


def read_into(source: Source, out: np.ndarray) -> int:
    """Fill the bytes of the contiguous array ``out`` from ``source``, one bounded chunk at a time; returns how
    many bytes were read (fewer than ``out.nbytes`` if the stream ended first)."""
    view = memoryview(out).cast("B")
    filled = 0
    while filled < len(view):
        n = source.stream.readinto(view[filled:filled + _CHUNK])
        if not n:
            break
        filled += n
    return filled
