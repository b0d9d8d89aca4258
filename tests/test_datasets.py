"""fnx.datasets: generators (shapes, determinism, book numbers), the shipped digits, file loaders, batching."""
from __future__ import annotations

import gzip
import math
import pickle
import socket
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.datasets as fds
import fnx.numpy as fnp
import fnx.random as fr
from fnx.core.errors import FnxTypeError
from tests.helpers import check_against_numpy

F64, I64 = np.dtype("float64"), np.dtype("int64")
DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # counted in the UCI optdigits.tes file

# name -> (call with a seed, expected X shape, expected y dtype)
GENERATORS = {
    "two_moons": (lambda s: fds.two_moons(s, n=101, noise=0.1), (101, 2), I64),
    "spirals": (lambda s: fds.spirals(s, n_per_class=40, n_classes=3), (120, 2), I64),
    "circles": (lambda s: fds.circles(s, n=60, noise=0.05), (60, 2), I64),
    "donut": (lambda s: fds.donut(s, n=200), (200, 2), I64),
    "xor": (lambda s: fds.xor(s, n=50, noise=0.1), (50, 2), I64),
    "blobs": (lambda s: fds.blobs(s, n_per_class=30, centers=np.zeros((4, 3))), (120, 3), I64),
    "sine": (lambda s: fds.sine(s, n=70, noise=0.1), (70, 1), F64),
    "polynomial": (lambda s: fds.polynomial(s, n=90, noise=0.1), (90, 1), F64),
}


# -- generators ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_shapes_dtypes_and_determinism(name):
    make, x_shape, y_dtype = GENERATORS[name]
    X, y = make(7)
    assert isinstance(X, np.ndarray) and X.shape == x_shape and X.dtype == F64
    assert y.shape == (x_shape[0],) and y.dtype == y_dtype
    assert np.all(np.isfinite(X))
    again, from_key, other = make(7), make(fr.key(7)), make(8)
    np.testing.assert_array_equal(again[0], X)          # same seed -> same data
    np.testing.assert_array_equal(from_key[0], X)       # an int seed means fnx.random.key(seed)
    np.testing.assert_array_equal(again[1], y)
    assert not (np.array_equal(other[0], X) and np.array_equal(other[1], y))  # another seed -> other data


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_dtype_option_and_default_float(name):
    make = GENERATORS[name][0]
    X64, _ = make(1)
    fnx.config.update("default_float", "float32")
    try:
        X32, _ = make(1)
    finally:
        fnx.config.update("default_float", "float64")
    assert X32.dtype == np.float32
    np.testing.assert_array_equal(X32, X64.astype(np.float32))
    assert fds.xor_table(dtype=np.float32)[0].dtype == np.float32


def test_two_moons_noise_free_and_ketkar_9_3_logistic_regression():
    """Ketkar 9-3 on noise-free moons (catalog 2.21): 0.5 (tanh(Xw) + 1), steepest descent, lr 0.001, 100 steps."""
    X, y = fds.two_moons(n=500)
    t = np.linspace(0, np.pi, 250)
    np.testing.assert_array_equal(X[:250], np.stack([np.cos(t), np.sin(t)], 1))
    np.testing.assert_array_equal(X[250:], np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    assert y.tolist() == [0] * 250 + [1] * 250
    w, losses = np.array([1.0, 1.0]), []
    for _ in range(100):
        th = np.tanh(X @ w)
        p = 0.5 * (th + 1)
        q = p * y + (1 - p) * (1 - y)
        losses.append(-np.sum(np.log(q)))
        w = w - 0.001 * (-((2 * y - 1) / q * 0.5 * (1 - th * th)) @ X)
    np.testing.assert_allclose([losses[0], losses[1], losses[99]],
                               [507.8021175304874, 438.6992214184868, 130.06331152999638], rtol=1e-12)
    np.testing.assert_allclose(w, [0.727971602652394, -2.323066486052715], rtol=1e-12)
    assert np.mean((0.5 * (np.tanh(X @ w) + 1) > 0.5) == y) == 0.872


def test_polynomial_is_ketkar_2_1_signal():
    """Ketkar 2-1 without noise: a 2-column least-squares fit on the first 80 of 100 points (catalog 2.17)."""
    X, y = fds.polynomial()
    x = np.linspace(-1, 1, 100)
    np.testing.assert_array_equal(X[:, 0], x)
    np.testing.assert_array_equal(y, 2 + x + 2 * x * x)
    A = np.column_stack([x ** i for i in range(2)])
    beta = np.linalg.inv(A[:80].T @ A[:80]) @ A[:80].T @ y[:80]
    residual = y - A @ beta
    np.testing.assert_allclose(beta, [2.353637383940415, 0.191919191919192], rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(residual[:80] @ residual[:80]), 3.4812773249804754, rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(residual[80:] @ residual[80:]), 7.598850017142895, rtol=1e-12)
    A3 = np.column_stack([x ** i for i in range(3)])
    np.testing.assert_allclose(np.linalg.lstsq(A3[:80], y[:80], rcond=None)[0], [2, 1, 2], atol=1e-12)


def test_polynomial_noise_is_gaussian_with_the_given_std():
    X, y = fds.polynomial(0, n=4000, coefficients=(1.0, -3.0), noise=0.1)
    residual = y - (1 - 3 * X[:, 0])
    assert abs(residual.mean()) < 0.01 and abs(residual.std() - 0.1) < 0.005


def test_spirals_radii_and_angles():
    X, y = fds.spirals(None, n_per_class=50, n_classes=3, noise=0.0, radius=(0.0, 1.0), turn=4.0)
    r, t = np.linspace(0, 1, 50), np.linspace(0, 4, 50)
    for k in range(3):
        arm = X[y == k]
        np.testing.assert_allclose(arm, np.stack([r * np.sin(t + 4 * k), r * np.cos(t + 4 * k)], 1), atol=1e-15)
    noisy, _ = fds.spirals(3, n_per_class=50, n_classes=3, radius=(0.0, 1.0), turn=4.0, noise=0.2)
    np.testing.assert_allclose(np.hypot(noisy[:, 0], noisy[:, 1]), np.tile(r, 3), atol=1e-12)  # noise only turns
    X2, _ = fds.spirals(None, n_per_class=10, noise=0.0, turn=2.5 * np.pi, offset=np.pi)  # ConvnetJS-style arms
    np.testing.assert_allclose(X2[10:], -X2[:10], atol=1e-15)


def test_circles_and_donut_radii():
    X, y = fds.circles(n=41, factor=0.3)
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), np.where(y == 0, 1.0, 0.3))
    assert np.bincount(y).tolist() == [20, 21]
    X, y = fds.donut(0, n=4000)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.bincount(y).tolist() == [2000, 2000]
    for label, radius in ((0, 5.0), (1, 10.0)):
        assert abs(r[y == label].mean() - radius) < 0.1 and abs(r[y == label].std() - 1.0) < 0.1
    angles = np.arctan2(X[:, 1], X[:, 0])
    assert np.histogram(angles, bins=4, range=(-np.pi, np.pi))[0].min() > 900  # angles uniform


def test_xor_labels_follow_quadrants():
    X, y = fds.xor(0, n=1000)
    assert X.min() >= -1 and X.max() < 1
    np.testing.assert_array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))
    X_noisy, y_noisy = fds.xor(0, n=1000, noise=0.1)
    np.testing.assert_array_equal(y_noisy, y)                 # labels come from the clean points
    assert 0 < np.mean(y_noisy != ((X_noisy[:, 0] > 0) != (X_noisy[:, 1] > 0))) < 0.2
    X4, y4 = fds.xor_table()
    assert X4.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y4.tolist() == [0, 1, 1, 0] and y4.dtype == I64


def test_blobs_match_centers_and_std():
    X, y = fds.blobs(0, n_per_class=3000)
    for k, center in enumerate([(0, -2), (2, 2), (-2, 2)]):
        np.testing.assert_allclose(X[y == k].mean(0), center, atol=0.06)
        np.testing.assert_allclose(X[y == k].std(0), 1.0, atol=0.05)


def test_sine_values():
    X, y = fds.sine(n=50, x_range=(-2.0, 3.0))
    np.testing.assert_array_equal(X[:, 0], np.linspace(-2, 3, 50))
    np.testing.assert_array_equal(y, np.sin(X[:, 0]))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32), classes=st.integers(1, 5))
def test_generator_sizes_and_class_counts(n, seed, classes):
    for make in (fds.two_moons, fds.circles):
        X, y = make(seed, n=n, noise=0.1)
        assert X.shape == (n, 2) and np.bincount(y, minlength=2).tolist() == [n // 2, n - n // 2]
    X, y = fds.spirals(seed, n_per_class=n, n_classes=classes)
    assert X.shape == (n * classes, 2) and np.bincount(y).tolist() == [n] * classes
    X, y = fds.blobs(seed, n_per_class=n, centers=np.arange(classes * 2.0).reshape(classes, 2))
    assert X.shape == (n * classes, 2) and np.bincount(y).tolist() == [n] * classes


def test_generator_errors():
    with pytest.raises(FnxTypeError, match="two_moons: needs a key"):
        fds.two_moons(n=10, noise=0.1)
    with pytest.raises(FnxTypeError, match=r"xor: expected an int seed or a key.*float64\[3\]"):
        fds.xor(np.zeros(3), n=10)
    with pytest.raises(ValueError, match="donut: n must be a positive int"):
        fds.donut(0, n=0)
    with pytest.raises(ValueError, match="sine: noise must be >= 0"):
        fds.sine(0, noise=-1.0)
    with pytest.raises(ValueError, match="circles: factor"):
        fds.circles(n=10, factor=1.5)
    with pytest.raises(FnxTypeError, match=r"blobs: centers must have shape \(K, d\)"):
        fds.blobs(0, centers=[1.0, 2.0])
    with pytest.raises(FnxTypeError, match="dtype must be a float dtype"):
        fds.xor_table(dtype=np.int32)


# -- the shipped digits ----------------------------------------------------------------------------------

def test_digits_counts_shapes_and_values():
    images, labels = fds.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == F64
    assert labels.shape == (1797,) and labels.dtype == I64
    assert np.bincount(labels).tolist() == DIGIT_COUNTS
    assert images.min() == 0 and images.max() == 16 and np.all(images == np.round(images))
    assert images[0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0] and labels[:10].tolist() == list(range(10))
    flat, _ = fds.load_digits(flat=True, scale=True, dtype=np.float32)
    assert flat.shape == (1797, 64) and flat.dtype == np.float32
    np.testing.assert_array_equal(flat, (images.reshape(1797, 64) / 16).astype(np.float32))


def _nearest_centroid_numpy(X_train, y_train, X_test):
    centroids = np.stack([X_train[y_train == k].mean(0) for k in range(10)])
    return np.argmin(((X_test[:, None, :] - centroids[None]) ** 2).sum(-1), axis=1)


def test_digits_nearest_centroid_sanity():
    images, labels = fds.load_digits(flat=True, scale=True)
    X_train, X_test, y_train, y_test = fds.train_test_split(0, images, labels, test_size=0.25)
    accuracy = np.mean(_nearest_centroid_numpy(X_train, y_train, X_test) == y_test)
    assert accuracy > 0.85, accuracy
    centroids = np.stack([X_train[y_train == k].mean(0) for k in range(10)])

    def fnx_predict(x, c):  # the same classifier in fnx.numpy: the shipped arrays feed fnx directly
        return fnp.argmin(fnp.sum((x[:, None, :] - c[None]) ** 2, axis=-1), axis=1)

    check_against_numpy(fnx_predict, lambda x, c: _nearest_centroid_numpy(X_train, y_train, x), X_test[:50],
                        centroids)


# -- file loaders ----------------------------------------------------------------------------------------

IDX_CODES = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B, np.dtype("int32"): 0x0C,
             np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def write_idx(path, array, compress=False):
    """Write ``array`` as an IDX file: 00 00 <type> <ndim>, big-endian uint32 sizes, big-endian data."""
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


def write_mnist(folder, kind, n, compress, rng):
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(folder / f"{kind}-images-idx3-ubyte{suffix}", images, compress)
    write_idx(folder / f"{kind}-labels-idx1-ubyte{suffix}", labels, compress)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_reads_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    train = write_mnist(tmp_path, "train", 6, compress, rng)
    test = write_mnist(tmp_path, "t10k", 3, compress, rng)
    images, labels = fds.load_mnist(tmp_path)
    np.testing.assert_array_equal(images, train[0])
    assert images.dtype == np.uint8 and labels.dtype == I64 and labels.tolist() == train[1].tolist()
    flat, test_labels = fds.load_mnist(str(tmp_path), kind="t10k", flat=True, scale=True)
    assert flat.shape == (3, 784) and flat.dtype == F64 and test_labels.tolist() == test[1].tolist()
    np.testing.assert_allclose(flat, test[0].reshape(3, 784) / 255.0)


@pytest.mark.parametrize("dtype", sorted(IDX_CODES, key=str))
def test_read_idx_round_trips_every_type(tmp_path, dtype):
    array = (np.arange(24) - 7).reshape(2, 3, 4).astype(dtype) * (1 if dtype.kind in "iu" else 0.5)
    array = array.astype(dtype)
    write_idx(tmp_path / "a.idx", array)
    out = fds.read_idx(tmp_path / "a.idx")
    assert out.dtype == dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_read_idx_and_load_mnist_reject_bad_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="is not an IDX file"):
        fds.read_idx(tmp_path / "junk")
    write_idx(tmp_path / "short", np.zeros((4, 5), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"has 29 bytes, but a uint8 array of shape \(4, 5\) needs 32"):
        fds.read_idx(tmp_path / "short")
    rng = np.random.default_rng(1)
    write_mnist(tmp_path, "train", 4, False, rng)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte holds 4 images but .*train-labels-idx1-ubyte 5 labels"):
        fds.load_mnist(tmp_path)
    with pytest.raises(ValueError, match="kind must be 'train' or 't10k'"):
        fds.load_mnist(tmp_path, kind="test")


def write_cifar(folder, n_per_batch, rng, byte_keys=True):
    """Tiny CIFAR-10 python batches (pickled dicts with bytes keys, like the real files), in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, n_per_batch).tolist()
        batch = {b"data": data, b"labels": labels} if byte_keys else {"data": data, "labels": labels}
        (folder / name).write_bytes(pickle.dumps(batch))
        written[name] = data, labels
    return written


@pytest.mark.parametrize("byte_keys", [True, False])
def test_load_cifar10_reads_python_batches(tmp_path, byte_keys):
    written = write_cifar(tmp_path / "cifar-10-batches-py", 2, np.random.default_rng(2), byte_keys)
    images, labels = fds.load_cifar10(tmp_path)            # the parent of cifar-10-batches-py works too
    assert images.shape == (10, 3, 32, 32) and images.dtype == np.uint8 and labels.dtype == I64
    data = np.concatenate([written[f"data_batch_{i}"][0] for i in range(1, 6)])
    assert labels.tolist() == sum((written[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    i, c, h, w = 7, 2, 5, 30
    assert images[i, c, h, w] == data[i, c * 1024 + h * 32 + w]   # rows hold the red, green, blue planes
    nhwc, test_labels = fds.load_cifar10(tmp_path / "cifar-10-batches-py", kind="test", channels_last=True,
                                         scale=True, dtype=np.float32)
    assert nhwc.shape == (2, 32, 32, 3) and nhwc.dtype == np.float32
    np.testing.assert_allclose(nhwc, written["test_batch"][0].reshape(2, 3, 32, 32).transpose(0, 2, 3, 1) / 255,
                               rtol=1e-6)
    assert test_labels.tolist() == written["test_batch"][1]


def test_load_cifar10_rejects_a_wrong_batch(tmp_path):
    write_cifar(tmp_path, 2, np.random.default_rng(3))
    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(fds.DataFileError, match=r"load_cifar10: .*test_batch holds data of shape \(2, 100\)"):
        fds.load_cifar10(tmp_path, kind="test")


def test_load_csv(tmp_path):
    table = np.array([[5, 0.5, 1.5, 2.0], [3, 1.0, 0.0, -1.0], [9, 2.5, 3.5, 4.0]])
    text = "label,a,b,c\n" + "\n".join(",".join(str(v) for v in row) for row in table) + "\n"
    (tmp_path / "train.csv").write_text(text)
    X, y = fds.load_csv(tmp_path / "train.csv", label_column=0, skip_header=1)  # Kaggle MNIST layout
    np.testing.assert_array_equal(X, table[:, 1:])
    assert X.dtype == F64 and y.dtype == I64 and y.tolist() == [5, 3, 9]
    with gzip.open(tmp_path / "semi.csv.gz", "wt") as f:
        f.write(text.replace(",", ";"))
    X, y = fds.load_csv(tmp_path / "semi.csv.gz", label_column=-1, delimiter=";", skip_header=1,
                        dtype=np.float32, label_dtype=float)
    np.testing.assert_array_equal(X, table[:, :3].astype(np.float32))
    assert X.dtype == np.float32 and y.tolist() == [2.0, -1.0, 4.0]
    X, y = fds.load_csv(tmp_path / "train.csv", label_column=None, skip_header=1)
    assert y is None and X.shape == (3, 4)
    with pytest.raises(ValueError, match="not whole numbers; pass label_dtype=float"):
        fds.load_csv(tmp_path / "train.csv", label_column=1, skip_header=1)
    with pytest.raises(ValueError, match="label_column 4 is out of range"):
        fds.load_csv(tmp_path / "train.csv", label_column=4, skip_header=1)
    with pytest.raises(ValueError, match="is not a numeric table"):
        fds.load_csv(tmp_path / "train.csv")                     # the header line is not numbers


def test_missing_files_say_where_and_what_and_never_download(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a loader tried to open a network connection")
    monkeypatch.setattr(socket, "socket", no_network)
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as err:
        fds.load_mnist(missing)
    message = str(err.value)
    assert str(missing) in message and "does not exist" in message
    assert "'train-images-idx3-ubyte.gz' or 'train-images-idx3-ubyte'" in message and "never downloads" in message
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(FileNotFoundError, match="no t10k labels file in .*t10k-labels-idx1-ubyte"):
        fds.load_mnist(tmp_path, kind="t10k")
    write_cifar(tmp_path / "cifar", 1, np.random.default_rng(4))
    (tmp_path / "cifar" / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match=r"no train batch in .*cifar; expected 'data_batch_3'"):
        fds.load_cifar10(tmp_path / "cifar")
    with pytest.raises(FileNotFoundError, match="expected 'test_batch'"):
        fds.load_cifar10(missing, kind="test")
    with pytest.raises(FileNotFoundError, match=r"no CSV file in .*nowhere .*expected 'data.csv'"):
        fds.load_csv(missing / "data.csv")
    with pytest.raises(FileNotFoundError, match="read_idx: no file"):
        fds.read_idx(missing / "x.idx")


# -- batching and splitting ------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), drop_last=st.booleans(), seed=st.integers(0, 1000))
def test_batches_cover_every_example_once_per_epoch(n, batch_size, drop_last, seed):
    X = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
    y = np.arange(n) * 10
    out = list(fds.batches(seed, X, y, batch_size, drop_last=drop_last))
    sizes = [len(yb) for _, yb in out]
    if drop_last:
        assert sizes == [batch_size] * (n // batch_size)
    else:
        assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    for xb, yb in out:
        np.testing.assert_array_equal(xb[:, 0] / 3 * 10, yb)  # rows stay paired with their labels
    seen = np.concatenate([yb for _, yb in out]) if out else np.zeros(0, np.int64)
    order = np.asarray(fr.permutation(fr.key(seed), n)) * 10  # the order is fnx.random.permutation's
    np.testing.assert_array_equal(seen, order[:len(seen)])
    if not drop_last:
        assert sorted(seen.tolist()) == y.tolist()               # every example exactly once


def test_batches_reproducible_unshuffled_and_fnx_inputs():
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20)
    first = [yb.tolist() for _, yb in fds.batches(fr.key(5), X, y, 6)]
    assert first == [yb.tolist() for _, yb in fds.batches(5, X, y, 6)]
    assert first != [yb.tolist() for _, yb in fds.batches(6, X, y, 6)]
    plain = [yb.tolist() for _, yb in fds.batches(None, fnp.asarray(X), fnp.asarray(y), 8, shuffle=False)]
    assert plain == [list(range(8)), list(range(8, 16)), list(range(16, 20))]
    with pytest.raises(FnxTypeError, match=r"batches: X and y need the same number of rows.*\[20, 2\] and \[19\]"):
        next(fds.batches(0, X, y[:19], 4))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        next(fds.batches(0, X, y, 0))
    with pytest.raises(FnxTypeError, match="batches: needs a key"):
        next(fds.batches(None, X, y, 4))


def test_train_test_split():
    X, y = np.arange(60.0).reshape(30, 2), np.arange(30)
    X_train, X_test, y_train, y_test = fds.train_test_split(3, X, y, test_size=0.25)
    assert X_train.shape == (22, 2) and X_test.shape == (8, 2)       # ceil(0.25 * 30) = 8 test rows
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == y.tolist()
    np.testing.assert_array_equal(X_test[:, 0], 2 * y_test)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), np.asarray(fr.permutation(fr.key(3), 30)))
    again = fds.train_test_split(fr.key(3), X, y, test_size=0.25)
    np.testing.assert_array_equal(again[3], y_test)
    X_train, X_test, y_train, y_test = fds.train_test_split(None, X, y, test_size=5, shuffle=False)
    assert y_train.tolist() == list(range(25)) and y_test.tolist() == list(range(25, 30))
    for bad in (0, 30, 1.0, -0.5, True):
        with pytest.raises(ValueError, match="train_test_split: test_size"):
            fds.train_test_split(0, X, y, test_size=bad)
    with pytest.raises(FnxTypeError, match="train_test_split: X and y need the same number of rows"):
        fds.train_test_split(0, X, y[:3])


def test_public_names_are_exported():
    expected = {"two_moons", "spirals", "circles", "donut", "xor", "xor_table", "blobs", "sine", "polynomial",
                "load_digits", "load_mnist", "load_cifar10", "load_csv", "read_idx", "DataFileError", "batches",
                "train_test_split"}
    assert expected <= set(dir(fds))
    assert math.isclose(fds.load_digits(scale=True)[0].max(), 1.0)
