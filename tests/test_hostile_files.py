"""fnx.datasets on hostile files: gzip bombs, corrupted and truncated files, CIFAR-10 batches that would run
code when unpickled. Every failure is a DataFileError naming the loader and the file; memory stays bounded;
nothing in a file runs. The real formats (IDX, CIFAR-10 python batches as Python 2 wrote them, binary) still load."""
from __future__ import annotations

import builtins
import gzip
import io
import os
import pickle
import re
import struct
import tracemalloc
import warnings
import zlib

import numpy as np
import pytest

import fnx.datasets as fds
from fnx.datasets import DataFileError
from tests.test_datasets import write_cifar, write_idx

MiB = 1 << 20


def peak_bytes(call) -> tuple[int, BaseException | None]:
    """The peak traced allocation (bytes) while ``call()`` runs, and the exception it raised."""
    tracemalloc.start()
    try:
        call()
        raised = None
    except Exception as err:  # noqa: BLE001 - the caller checks which
        raised = err
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


def idx_header(dtype_code: int, shape: tuple) -> bytes:
    return bytes([0, 0, dtype_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def gzip_bomb(head: bytes, mib: int) -> bytes:
    """``head`` followed by ``mib`` MiB of zeros, gzip-compressed to about ``mib`` KB: one member per MiB
    (multi-member gzip is standard, and every reader takes it as one stream)."""
    return gzip.compress(head) + gzip.compress(bytes(MiB), 9) * mib


# -- IDX / MNIST -----------------------------------------------------------------------------------------

def test_gzip_bomb_fails_fast_with_bounded_memory(tmp_path):
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    bomb.write_bytes(gzip_bomb(idx_header(0x08, (10,)) + bytes(range(10)), 400))
    assert bomb.stat().st_size < 450_000                                 # 400 KB on disk, 400 MiB inflated
    peak, err = peak_bytes(lambda: fds.read_idx(bomb))
    assert isinstance(err, DataFileError), err
    assert "read_idx" in str(err) and str(bomb) in str(err) and "holds more than" in str(err)
    assert peak < 8 * MiB, peak / MiB                                    # it was 832 MiB: the whole file inflated


def test_header_declaring_more_than_the_file_can_hold_is_refused_before_allocating(tmp_path):
    huge = (2**32 - 1,) * 3                                             # 2^96 bytes declared
    gz, raw = tmp_path / "huge.gz", tmp_path / "huge"
    gz.write_bytes(gzip.compress(idx_header(0x0E, huge) + bytes(64)))
    raw.write_bytes(idx_header(0x0E, huge) + bytes(64))
    for file, message in ((gz, "decompresses to at most"), (raw, f"has {raw.stat().st_size} bytes")):
        peak, err = peak_bytes(lambda: fds.read_idx(file))
        assert isinstance(err, DataFileError) and message in str(err) and str(file) in str(err), err
        assert "float64 array of shape (4294967295, 4294967295, 4294967295)" in str(err)
        assert peak < MiB, peak / MiB


def corrupt(data: bytes) -> bytes:
    """``data`` with a run of bytes in its deflate stream replaced."""
    middle = len(data) // 2
    return data[:middle] + b"\xff" * 16 + data[middle + 16:]


@pytest.mark.parametrize("damage, message", [
    (corrupt, "is a corrupted gzip file"),
    (lambda data: data[:len(data) // 2], "is a truncated gzip file"),
    (lambda data: data[:6], "is a truncated gzip file"),                 # cut inside gzip's own header
    (lambda data: data[:-4], "is a truncated gzip file"),                # the trailer's size field missing
])
def test_damaged_gzip_names_the_file_and_the_loader(tmp_path, damage, message):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    data = gzip.compress(idx_header(0x08, images.shape) + images.tobytes())
    file = tmp_path / "train-images-idx3-ubyte.gz"
    file.write_bytes(damage(data))
    with pytest.raises(DataFileError, match=message) as err:
        fds.read_idx(file)
    assert str(err.value).startswith(f"read_idx: {file}")
    assert isinstance(err.value, ValueError) and not isinstance(err.value, zlib.error)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(50, np.uint8))
    with pytest.raises(DataFileError, match=message) as err:
        fds.load_mnist(tmp_path)
    assert str(err.value).startswith(f"load_mnist: {file}")


@pytest.mark.parametrize("content, message", [
    (b"", r"starts with bytes \(none: it is empty\)"),
    (b"\0\0\x08\x03\0\0\0\x02", "is cut short: it ends after 8 bytes, but its header alone takes 16"),
    (idx_header(0x08, (2, 3)) + bytes(6) + b"\0", r"has 19 bytes, but a uint8 array of shape \(2, 3\) needs 18"),
    (gzip.compress(idx_header(0x08, (2, 3)) + bytes(5), mtime=0), r"its data end after 5 bytes, but a uint8 array"),
    (gzip.compress(idx_header(0x08, (2, 3)) + bytes(7), mtime=0), r"holds more than the uint8 array of shape \(2, 3\)"),
    (gzip.compress(b"PK\3\4", mtime=0), "is not an IDX file: it starts with bytes 50 4b 03 04"),
])
def test_truncated_and_malformed_idx(tmp_path, content, message):
    file = tmp_path / "x.idx"
    file.write_bytes(content)
    with pytest.raises(DataFileError, match=message) as err:
        fds.read_idx(file)
    assert str(err.value).startswith(f"read_idx: {file}")


def test_real_idx_files_still_load_in_native_order(tmp_path):
    rng = np.random.default_rng(1)
    for array in (rng.integers(0, 256, (7, 28, 28), dtype=np.uint8), rng.standard_normal((3, 5)),
                  rng.integers(-2**31, 2**31, (4, 2), dtype=np.int32), np.zeros((0, 3), np.float32)):
        write_idx(tmp_path / "a.gz", array, compress=True)
        out = fds.read_idx(tmp_path / "a.gz")
        assert out.dtype == array.dtype and out.dtype.isnative and out.flags.writeable
        np.testing.assert_array_equal(out, array)


def test_corrupted_csv_gzip_names_the_loader(tmp_path):
    file = tmp_path / "table.csv.gz"
    file.write_bytes(corrupt(gzip.compress(("\n".join("1,2,3" for _ in range(2000)) + "\n").encode())))
    with pytest.raises(DataFileError, match=f"load_csv: {file} is a corrupted gzip file"):
        fds.load_csv(file)


# -- CIFAR-10 ------------------------------------------------------------------------------------------

class Payload:
    """Unpickles as ``function(*args)``: each would create the marker file if it ran."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def payloads(marker) -> dict:
    return {"builtins.open": Payload(builtins.open, str(marker), "w"),
            "builtins.eval": Payload(builtins.eval, f"open({str(marker)!r}, 'w')"),
            "os.system": Payload(os.system, f"touch '{marker}'"),
            "numpy.save": Payload(np.save, str(marker), np.zeros(1))}


@pytest.mark.parametrize("name", ["builtins.open", "builtins.eval", "os.system", "numpy.save"])
@pytest.mark.parametrize("where", ["data", "labels"])
def test_crafted_cifar_batch_is_refused_and_never_runs(tmp_path, name, where):
    proof = tmp_path / "proof.npy"                                       # the payload is real: plain pickle runs it
    pickle.loads(pickle.dumps(payloads(proof)[name]))
    assert proof.exists()
    marker = tmp_path / "pwned.npy"
    write_cifar(tmp_path, 2, np.random.default_rng(2))
    batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]}
    batch[where.encode()] = payloads(marker)[name] if where == "data" else [0, payloads(marker)[name]]
    (tmp_path / "test_batch").write_bytes(pickle.dumps(batch))
    global_name = pickle.whichmodule(payloads(marker)[name].function, "") + "." + name.split(".")[1]
    with pytest.raises(DataFileError) as err:
        fds.load_cifar10(tmp_path, kind="test")
    message = str(err.value)
    assert message.startswith(f"load_cifar10: {tmp_path / 'test_batch'} is not a valid CIFAR-10 python batch")
    assert f"asks for the global {global_name}" in message and "refused, not run" in message
    assert not marker.exists()


def _text(s: str) -> bytes:
    return pickle.BINUNICODE + struct.pack("<I", len(s.encode())) + s.encode()


def _ints(values) -> bytes:
    return b"".join(pickle.dumps(n, protocol=2)[2:-1] for n in values)  # each int's opcode, without PROTO and STOP


def _tuple(*items: bytes) -> bytes:
    return pickle.MARK + b"".join(items) + pickle.TUPLE


def _global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def array_pickle(shape, spec, state, raw, reconstruct_shape=(0,)) -> bytes:
    """A protocol-2 pickle of ``{'data': array, 'labels': [0]}`` with the array built the way pickled ndarrays
    are (``_reconstruct``, then BUILD with ``(1, shape, dtype, fortran, bytes)``), from the given parts."""
    dtype = _global("numpy", "dtype") + _text(spec) + pickle.NEWFALSE + pickle.NEWTRUE + pickle.TUPLE3
    dtype += pickle.REDUCE + _tuple(_ints([3]), _text(state[0]), pickle.NONE * 3, _ints(state[1:])) + pickle.BUILD
    array = _global("numpy.core.multiarray", "_reconstruct") + _global("numpy", "ndarray")
    array += _tuple(_ints(reconstruct_shape)) + _text("b") + pickle.TUPLE3 + pickle.REDUCE
    raw = pickle.BINBYTES + struct.pack("<I", len(raw)) + raw
    array += _tuple(_ints([1]), _tuple(_ints(shape)), dtype, pickle.NEWFALSE, raw) + pickle.BUILD
    labels = pickle.EMPTY_LIST + pickle.MARK + _ints([0]) + pickle.APPENDS
    return (pickle.PROTO + b"\2" + pickle.EMPTY_DICT + pickle.MARK + _text("data") + array + _text("labels")
            + labels + pickle.SETITEMS + pickle.STOP)


GOOD_STATE = ("|", -1, -1, 0)


@pytest.mark.parametrize("parts, message", [
    (((1, 3072), "u1", GOOD_STATE, bytes(3072)), None),                   # the well-formed baseline loads
    (((1, 3072), "O8", GOOD_STATE, bytes(3072)), r"numpy.dtype\('O8'\)"),
    (((1, 3072), "V8", GOOD_STATE, bytes(3072)), r"numpy.dtype\('V8'\)"),
    (((1, 3072), "u1", ("|", -1, -1, 63), bytes(3072)), "gives a dtype the state"),   # hasobject flags
    (((1, 3072), "u1", ("|", 8, 1, 0), bytes(3072)), "gives a dtype the state"),
    (((1 << 40, 3072), "u1", GOOD_STATE, bytes(3072)), r"declares a uint8 array of shape \(1099511627776, 3072\)"),
    (((1, 3072), "u1", GOOD_STATE, bytes(10)), "but gives 10 bytes"),
])
def test_crafted_array_parts_are_checked_before_numpy_sees_them(tmp_path, parts, message):
    (tmp_path / "test_batch").write_bytes(array_pickle(*parts))
    if message is None:
        images, labels = fds.load_cifar10(tmp_path, kind="test")
        assert images.shape == (1, 3, 32, 32) and not images.any() and labels.tolist() == [0]
        return
    peak, err = peak_bytes(lambda: fds.load_cifar10(tmp_path, kind="test"))
    assert isinstance(err, DataFileError) and "load_cifar10" in str(err) and "test_batch" in str(err), err
    assert re.search(message, str(err)), str(err)
    assert peak < 4 * MiB


def test_reconstruct_with_a_huge_shape_is_refused(tmp_path):
    (tmp_path / "test_batch").write_bytes(array_pickle((1, 3072), "u1", GOOD_STATE, bytes(3072),
                                                       reconstruct_shape=(1 << 40,)))
    with pytest.raises(DataFileError, match="calls numpy's _reconstruct other than as pickled ndarrays do"):
        fds.load_cifar10(tmp_path, kind="test")


@pytest.mark.parametrize("content, message", [
    (lambda good: good[:len(good) // 2], "pickle data was truncated|EOFError|UnpicklingError"),
    (lambda good: b"not a pickle at all", "UnpicklingError"),
    (lambda good: pickle.dumps([1, 2]), "holds a list, not a dict"),
    (lambda good: pickle.dumps({b"data": np.full((2, 3072), 300, np.int16), b"labels": [0, 1]}),
     r"holds data of dtype int16 .*expected integers in \[0, 255\]"),
    (lambda good: pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}),
     r"holds labels of dtype int64 and shape \(2,\); expected integers in \[0, 9\]"),
    (lambda good: pickle.dumps({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}),
     "holds data of dtype float32"),
])
def test_truncated_or_wrong_batches_name_the_file(tmp_path, content, message):
    write_cifar(tmp_path, 2, np.random.default_rng(3))
    file = tmp_path / "test_batch"
    file.write_bytes(content(file.read_bytes()))
    with pytest.raises(DataFileError, match=message) as err:
        fds.load_cifar10(tmp_path, kind="test")
    assert str(err.value).startswith(f"load_cifar10: {file}")


class Python2Pickler(pickle._Pickler):
    """Pickles as Python 2's cPickle wrote the published CIFAR-10 batches: protocol 2, every string a
    BINSTRING (which Python 3 reads back as bytes), NumPy 1's module name for ``_reconstruct``."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_string(self, obj):
        raw = obj if isinstance(obj, bytes) else obj.encode("latin1")
        size = (pickle.SHORT_BINSTRING + bytes([len(raw)]) if len(raw) < 256
                else pickle.BINSTRING + struct.pack("<i", len(raw)))
        self.write(size + raw)
        self.memoize(obj)

    dispatch[bytes] = dispatch[str] = save_string

    def save_global(self, obj, name=None):
        module = "numpy.core.multiarray" if obj.__name__ == "_reconstruct" else obj.__module__
        self.write(pickle.GLOBAL + f"{module}\n{obj.__qualname__}\n".encode())
        self.memoize(obj)


def python2_batch(data: np.ndarray, labels: list[int], index: int) -> bytes:
    out = io.BytesIO()
    Python2Pickler(out, protocol=2).dump({b"batch_label": b"training batch %d of 5" % index, b"labels": labels,
                                          b"data": data, b"filenames": [b"img_%d.png" % i for i in labels]})
    return out.getvalue()


def test_real_format_batches_load_python2_protocols_and_binary(tmp_path):
    rng = np.random.default_rng(4)
    parts = [(rng.integers(0, 256, (3, 3072), dtype=np.uint8), rng.integers(0, 10, 3).tolist()) for _ in range(6)]
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    forms = {"py2": lambda d, l, i: python2_batch(d, l, i),
             "protocol2": lambda d, l, i: pickle.dumps({b"data": d, b"labels": l}, protocol=2),
             "protocol5": lambda d, l, i: pickle.dumps({"data": d, "labels": l}, protocol=5)}
    folders = {}
    for form, write in forms.items():
        folder = folders[form] = tmp_path / form / "cifar-10-batches-py"
        folder.mkdir(parents=True)
        for i, (name, (data, labels)) in enumerate(zip(names, parts)):
            (folder / name).write_bytes(write(data, labels, i + 1))
    assert b"cnumpy.core.multiarray\n_reconstruct" in (folders["py2"] / "test_batch").read_bytes()
    binary = tmp_path / "cifar-10-batches-bin"
    binary.mkdir()
    for name, (data, labels) in zip(names, parts):
        (binary / f"{name}.bin").write_bytes(np.column_stack([np.array(labels, np.uint8), data]).tobytes())
    expected_train = np.concatenate([d for d, _ in parts[:5]]).reshape(15, 3, 32, 32)
    for folder in [f.parent for f in folders.values()] + [tmp_path]:
        images, labels = fds.load_cifar10(folder)
        np.testing.assert_array_equal(images, expected_train)
        assert labels.dtype == np.int64 and labels.tolist() == sum((l for _, l in parts[:5]), [])
        test_images, test_labels = fds.load_cifar10(folder, kind="test")
        np.testing.assert_array_equal(test_images.reshape(3, 3072), parts[5][0])
        assert test_labels.tolist() == parts[5][1]
    (binary / "test_batch.bin").write_bytes(bytes(3073 * 2 + 5))
    with pytest.raises(DataFileError, match=r"load_cifar10: .*test_batch.bin has 6151 bytes, not a whole number"):
        fds.load_cifar10(binary, kind="test")


# -- every loader, every kind of junk: the error names the loader and the file -----------------------------------

_VALID_GZIP = gzip.compress(bytes(range(256)) * 40)
_NOISE = np.random.default_rng(0).integers(0, 256, 1000, dtype=np.uint8).tobytes()
JUNK = {"empty": b"", "noise": _NOISE, "zeros": bytes(64), "text": b"hello,world\n1,2\n",
        "gzip of noise": gzip.compress(_NOISE), "truncated gzip": _VALID_GZIP[:len(_VALID_GZIP) // 2],
        "corrupted gzip": _VALID_GZIP[:20] + bytes(40) + _VALID_GZIP[60:], "empty gzip": gzip.compress(b""),
        "gzip header only": _VALID_GZIP[:10]}
LOADERS = {  # the file a loader reads, and the call
    "read_idx": ("x-idx1-ubyte", lambda folder, file: fds.read_idx(file)),
    "load_mnist": ("train-images-idx3-ubyte", lambda folder, file: fds.load_mnist(folder)),
    "load_cifar10": ("test_batch", lambda folder, file: fds.load_cifar10(folder, kind="test")),
    "load_csv": ("table.csv", lambda folder, file: fds.load_csv(file)),
}


@pytest.mark.parametrize("junk", sorted(JUNK))
@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_every_loader_names_itself_and_the_file_for_any_junk(tmp_path, loader, junk):
    """Empty files, noise, text, and gzip streams that are noise, truncated, corrupted or empty: always a
    DataFileError that starts with the loader and names the file, never a bare zlib, pickle or NumPy error
    (an empty CSV was NumPy's warning and empty arrays)."""
    name, call = LOADERS[loader]
    gz = "gzip" in junk and loader != "load_cifar10"
    file = tmp_path / (name + (".gz" if gz else ""))
    file.write_bytes(JUNK[junk])
    if loader == "load_mnist":
        (tmp_path / "train-labels-idx1-ubyte").write_bytes(JUNK[junk])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataFileError) as err:
            call(tmp_path, file)
    assert str(err.value).startswith(f"{loader}: ") and str(file) in str(err.value), str(err.value)
