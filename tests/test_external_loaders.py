"""Loaders of external data on small files of the real formats made here: Keras's imdb.npz (object arrays,
read without allow_pickle), imdb_word_index.json, the aclImdb folder, Dogs-vs-Cats image folders (.npy, PNG,
JPEG), deeplearning.net's mnist.pkl.gz; missing files and hostile pickles are named, never run."""
import gzip
import json
import os
import pickle

import numpy as np
import pytest

from fnx.datasets import (DataFileError, load_image_folder, load_imdb, load_imdb_reviews, load_imdb_word_index,
                          load_mnist_pickle)

TRAIN = [[1, 5, 9], [2, 2], [7, 30, 4, 1], [12, 3]]
TEST = [[3], [4, 4, 4, 4, 4]]


def objects(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


@pytest.fixture(scope="module")
def imdb_npz(tmp_path_factory):
    path = tmp_path_factory.mktemp("imdb") / "imdb.npz"
    np.savez(path, x_train=objects(TRAIN), y_train=np.array([0, 1, 1, 0]), x_test=objects(TEST),
             y_test=np.array([1, 0]))
    return path


def keras_order(seed):
    """Keras's imdb.load_data shuffles the training set, then the test set, with one RandomState(seed)."""
    rng = np.random.RandomState(seed)
    train, test = np.arange(len(TRAIN)), np.arange(len(TEST))
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


def test_load_imdb_follows_keras_load_data(imdb_npz):
    (x_train, y_train), (x_test, y_test) = load_imdb(imdb_npz)
    train, test = keras_order(113)
    assert x_train == [[1] + [w + 3 for w in TRAIN[i]] for i in train]
    assert y_train.tolist() == [[0, 1, 1, 0][i] for i in train] and y_test.tolist() == [[1, 0][i] for i in test]
    assert x_test == [[1] + [w + 3 for w in TEST[i]] for i in test]
    (x_train, _), _ = load_imdb(imdb_npz, num_words=8, seed=0)  # ids >= 8 become oov 2
    train, _ = keras_order(0)
    assert x_train == [[1] + [w + 3 if w + 3 < 8 else 2 for w in TRAIN[i]] for i in train]
    (x_train, _), (x_test, _) = load_imdb(imdb_npz, maxlen=4, oov_char=None, skip_top=5, start_char=None)
    assert sorted(map(len, x_train + x_test)) == [1, 2, 2, 2]  # length < 4 only, then ids < 5 dropped
    assert all(w >= 5 for x in x_train + x_test for w in x)
    assert (len(x_train), len(x_test)) == (3, 1)  # each set keeps its own short reviews (Keras would split at 4)


class Payload:
    def __reduce__(self):
        return (os.system, ("echo owned > /dev/null",))


def test_hostile_or_wrong_imdb_files_are_refused(tmp_path, imdb_npz):
    with pytest.raises(FileNotFoundError, match=r"no IMDB archive .*nope.npz.*never downloads"):
        load_imdb(tmp_path / "nope.npz")
    np.savez(tmp_path / "evil.npz", x_train=objects([Payload()]), y_train=np.zeros(1), x_test=objects([[1]]),
             y_test=np.zeros(1))
    with pytest.raises(DataFileError, match="evil.npz.*asks for the global posix.system.*refused, not run"):
        load_imdb(tmp_path / "evil.npz")
    np.savez(tmp_path / "dicts.npz", x_train=objects([{"a": 1}]), y_train=np.zeros(1), x_test=objects([[1]]),
             y_test=np.zeros(1))
    with pytest.raises(DataFileError, match="not a list of ints"):
        load_imdb(tmp_path / "dicts.npz")
    np.savez(tmp_path / "partial.npz", x_train=objects([[1]]))
    with pytest.raises(DataFileError, match=r"lacks \['x_test', 'y_test', 'y_train'\]"):
        load_imdb(tmp_path / "partial.npz")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(DataFileError, match="junk.npz is not an .npz archive"):
        load_imdb(tmp_path / "junk.npz")


def test_word_index_and_aclimdb_folder(tmp_path):
    (tmp_path / "imdb_word_index.json").write_text(json.dumps({"the": 1, "movie": 17}))
    assert load_imdb_word_index(tmp_path / "imdb_word_index.json") == {"the": 1, "movie": 17}
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(DataFileError, match="not a JSON object"):
        load_imdb_word_index(tmp_path / "bad.json")
    for label, texts in (("pos", ["Great film.", "Loved it!"]), ("neg", ["Dull."])):
        folder = tmp_path / "aclImdb" / "train" / label
        folder.mkdir(parents=True)
        for i, text in enumerate(texts):
            (folder / f"{i}_9.txt").write_text(text)
    texts, labels = load_imdb_reviews(tmp_path / "aclImdb")
    assert texts == ["Dull.", "Great film.", "Loved it!"] and labels.tolist() == [0, 1, 1]
    with pytest.raises(FileNotFoundError, match="no test/neg and test/pos folders"):
        load_imdb_reviews(tmp_path / "aclImdb", kind="test")


def test_image_folders_by_subfolder_or_kaggle_name(tmp_path):
    rng = np.random.default_rng(0)
    pictures = {name: rng.integers(0, 256, size=(8, 6, 3), dtype=np.uint8) for name in ("a", "b")}
    pictures["c"] = np.broadcast_to((np.arange(8)[:, None, None] * 30 + np.arange(3) * 10).astype(np.uint8),
                                    (8, 6, 3)).copy()  # smooth, for JPEG
    for cls, names in (("cats", ["a", "b"]), ("dogs", ["c"])):
        (tmp_path / "sub" / cls).mkdir(parents=True)
        for name in names:
            np.save(tmp_path / "sub" / cls / f"{name}.npy", pictures[name])
    images, labels, classes = load_image_folder(tmp_path / "sub", size=None)
    assert classes == ["cats", "dogs"] and labels.tolist() == [0, 0, 1]
    np.testing.assert_array_equal(images, np.stack([pictures["a"], pictures["b"], pictures["c"]]))
    small, _, _ = load_image_folder(tmp_path / "sub", size=(4, 3), limit=1)
    np.testing.assert_array_equal(small[0], pictures["a"][::2, ::2])  # nearest neighbours, as Keras's load_img
    assert len(small) == 2

    image = pytest.importorskip("PIL.Image")
    (tmp_path / "kaggle").mkdir()
    image.fromarray(pictures["a"]).save(tmp_path / "kaggle" / "dog.0.png")
    image.fromarray(pictures["b"]).save(tmp_path / "kaggle" / "cat.0.png")
    image.fromarray(pictures["c"]).save(tmp_path / "kaggle" / "cat.1.jpg", quality=95)
    images, labels, classes = load_image_folder(tmp_path / "kaggle", size=None)
    assert classes == ["cat", "dog"] and labels.tolist() == [0, 0, 1]
    np.testing.assert_array_equal(images[0], pictures["b"])  # PNG is lossless
    assert np.abs(images[1].astype(int) - pictures["c"]).mean() < 8  # JPEG is not


def test_image_folder_errors(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no folder at .*missing.*never downloads"):
        load_image_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .*jpg.* images"):
        load_image_folder(tmp_path / "empty")
    (tmp_path / "jpegs").mkdir()
    (tmp_path / "jpegs" / "cat.0.jpg").write_bytes(b"\xff\xd8 not really")
    monkeypatch.setitem(__import__("sys").modules, "PIL", None)
    with pytest.raises(ImportError, match="needs Pillow"):
        load_image_folder(tmp_path / "jpegs")


def test_mnist_pickle_round_trip_and_refusal(tmp_path):
    rng = np.random.default_rng(1)
    sets = tuple((rng.random((n, 784)).astype(np.float32), rng.integers(0, 10, n)) for n in (5, 3, 2))
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(sets, f, protocol=2)
    loaded = load_mnist_pickle(path)
    for (x, y), (ex, ey) in zip(loaded, sets):
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)
    with gzip.open(path, "wb") as f:
        pickle.dump((Payload(),), f, protocol=2)
    with pytest.raises(DataFileError, match="mnist.pkl.gz.*refused, not run"):
        load_mnist_pickle(path)
    with pytest.raises(FileNotFoundError, match="no mnist.pkl.gz at"):
        load_mnist_pickle(tmp_path / "none.pkl.gz")
