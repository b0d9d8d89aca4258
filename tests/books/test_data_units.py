"""The units whose book numbers need a data file fnx cannot ship (Ghatak L8-12..L8-17: GloVe; Ghatak L6-16:
MNIST's IDX files; Bourez 2a: mnist.pkl.gz). With a small generated file of the real format in ``--data DIR``
each computes from the file (checked here against NumPy; the book's numbers need the real file); without
it the runner runs the stand-in and reports ``stand-in``."""
import gzip
import pickle

import numpy as np
import pytest

from fnx.books import RunContext, get, run_listing
from fnx.books.ghatak import wordvectors as wv

GLOVE_UNITS = ["L8-12", "L8-13", "L8-14", "L8-15", "L8-16", "L8-17"]
DATA_UNITS = [("ghatak", i) for i in GLOVE_UNITS] + [("ghatak", "L6-16"), ("bourez", "2a")]


@pytest.mark.parametrize("book, id", DATA_UNITS)
def test_without_the_file_the_unit_runs_on_its_stand_in(book, id, tmp_path):
    outcome = run_listing(get(book, id), RunContext(quick=True, data_dir=str(tmp_path)))  # an empty folder
    assert outcome.status == "stand-in", f"{outcome.row()}\n{outcome.error}"


def cos(u, v):
    return u @ v / (np.linalg.norm(u) * np.linalg.norm(v))


@pytest.fixture(scope="module")
def glove(tmp_path_factory):
    """A GloVe-format file named as the book's, with random 100-d vectors for the words the units read."""
    words = (["man", "woman", "apple", "hippopotamus", "france", "paris", "india", "delhi"]
             + [w for t in wv.ANALOGIES for w in t] + list(wv.NAMES) + list(wv.WORDS) + ["the", "of", "and"])
    words = list(dict.fromkeys(words))
    table = np.random.default_rng(8).normal(size=(len(words), 100)).round(6)
    folder = tmp_path_factory.mktemp("glove")
    with open(folder / wv.GLOVE, "w") as f:
        f.writelines(f"{w} {' '.join(f'{x:.6f}' for x in row)}\n" for w, row in zip(words, table))
    ctx = RunContext(quick=True, data_dir=str(folder))
    return ctx, dict(zip(words, table))


def test_glove_units_compute_from_the_file(glove):
    ctx, e = glove
    values = {id: get("ghatak", id).compute(ctx) for id in GLOVE_UNITS}
    assert (values["L8-12"]["words"], values["L8-12"]["dim"]) == (len(e), 100)
    np.testing.assert_allclose([values["L8-13"][k] for k in ("apple_hippopotamus", "man_woman",
                                                             "france_paris_india_delhi")],
                               [cos(e["apple"], e["hippopotamus"]), cos(e["man"], e["woman"]),
                                cos(e["france"] - e["paris"], e["india"] - e["delhi"])], rtol=1e-12)

    def analogy(a, b, c):  # the book's loop over the vocabulary
        candidates = [w for w in e if w not in (a, b, c)]
        return max(candidates, key=lambda w: cos(e[b] - e[a], e[w] - e[c]))
    assert values["L8-14"]["answers"] == [analogy(a, b, c) for a, b, c, _ in wv.ANALOGIES]
    g = e["woman"] - e["man"]
    np.testing.assert_allclose(values["L8-15"]["g"], g, rtol=1e-12)
    np.testing.assert_allclose(values["L8-15"]["names"], [cos(e[w], g) for w in wv.NAMES], rtol=1e-12)
    r = e["receptionist"]
    assert values["L8-16"]["before"] == pytest.approx(cos(r, g), rel=1e-12)
    assert abs(values["L8-16"]["after"]) < 1e-12
    book = r - (r @ g) / (g / np.linalg.norm(g))
    assert values["L8-16"]["book_formula_after"] == pytest.approx(cos(book, g), rel=1e-10)
    m, w = e["man"], e["woman"]
    mu = (m + w) / 2
    proj = lambda v: (v @ g) / (g @ g) * g  # noqa: E731
    mu_orth = mu - proj(mu)
    equalized = [np.sqrt(abs(1 - mu_orth @ mu_orth)) * (proj(v) - proj(mu)) / np.linalg.norm(v - mu_orth - proj(mu))
                 + mu_orth for v in (m, w)]
    np.testing.assert_allclose(values["L8-17"]["after"], [cos(v, g) for v in equalized], rtol=1e-10)
    elementwise = lambda v: (v * g / np.linalg.norm(g)) * g  # noqa: E731
    mu_orth = mu - elementwise(mu)
    printed = [np.sqrt(abs(1 - mu_orth @ mu_orth)) * (elementwise(v) - elementwise(mu))
               / abs(v - mu_orth - elementwise(mu)) + mu_orth for v in (m, w)]
    np.testing.assert_allclose(values["L8-17"]["book_formula_after"], [cos(v, g) for v in printed], rtol=1e-10)


def test_the_book_formula_of_neutralize_from_the_printed_g():
    """Ghatak's catalog: with g this large against e, the book's neutralize gives cos ~ -0.06464 from g alone."""
    g = wv.PRINTED_G
    tiny = 1e-3 * g / np.linalg.norm(g) + 1e-3
    book = tiny - (tiny @ g) / (g / np.linalg.norm(g))
    assert cos(book, g) == pytest.approx(-0.06464001, rel=1e-4)


def test_mnist_unit_reads_the_idx_files_as_tensorflow_does(tmp_path):
    from test_datasets import write_mnist  # the IDX writer of the loader tests
    images, labels = write_mnist(tmp_path, "train", 5002, True, np.random.default_rng(0))
    values = get("ghatak", "L6-16").compute(RunContext(data_dir=str(tmp_path)))
    np.testing.assert_array_equal(values["label_1"], np.eye(10)[labels[5000]])
    assert values["length"] == 784
    np.testing.assert_array_equal(values["image_1_250_300"],
                                  images[5000].ravel()[249:300].astype(np.float32) * np.float32(1 / 255))


def test_mnist_pickle_unit_logs_as_numpy_does(tmp_path, monkeypatch):
    """A small mnist.pkl.gz (16 features instead of 784): fnx's SGD log against NumPy's float64 one, logged
    after iterations 0 and 200 instead of the book's 0 and 2,000 (the loop's first tier is NumPy, step by
    step: 2,000 steps take ~10 s)."""
    import fnx.books.bourez.ch02 as ch02
    monkeypatch.setattr(ch02, "BOOK_LOG", (0, 200))
    rng = np.random.default_rng(2)
    centers = rng.normal(size=(10, 16))
    sets = []
    for n in (1200, 600, 10):
        y = rng.integers(0, 10, n)
        sets.append(((centers[y] + rng.normal(size=(n, 16))).astype(np.float32), y))
    with gzip.open(tmp_path / "mnist.pkl.gz", "wb") as f:
        pickle.dump(tuple(sets), f, protocol=2)
    values = get("bourez", "2a").compute(RunContext(data_dir=str(tmp_path)))
    (tx, ty), (vx, vy), _ = [(x.astype(np.float64), y) for x, y in sets]
    W, b, logged = np.zeros((16, 10)), np.zeros(10), []
    for i in range(201):
        x, y = tx[(i % 2) * 600:(i % 2 + 1) * 600], ty[(i % 2) * 600:(i % 2 + 1) * 600]
        p = np.exp(x @ W + b - (x @ W + b).max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        d = (p - np.eye(10)[y]) / 600
        W, b = W - 0.13 * x.T @ d, b - 0.13 * d.sum(0)
        if i in (0, 200):
            s = vx @ W + b
            log_p = s - s.max(1, keepdims=True) - np.log(np.exp(s - s.max(1, keepdims=True)).sum(1, keepdims=True))
            logged.append((-log_p[np.arange(600), vy].mean(), 100 * (s.argmax(1) != vy).mean()))
    np.testing.assert_allclose(values["validation_loss"], [c for c, _ in logged], rtol=1e-4)
    np.testing.assert_allclose(values["validation_error_percent"], [e for _, e in logged], atol=0.2)
    assert values["loss_at_zero_weights"] == pytest.approx(np.log(10), rel=1e-6)
