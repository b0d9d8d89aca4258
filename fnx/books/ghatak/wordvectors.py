"""Ghatak's GloVe section (listings 8-12 to 8-17): cosine similarity, analogies and debiasing as jitted fnx
functions, the book's two non-standard debiasing formulas beside the standard ones (Bolukbasi et al. 2016,
"Man is to Computer Programmer as Woman is to Homemaker?", NeurIPS), and the stand-in vectors used without
``glove.6B.100d.txt``.

The stand-in is a GloVe-format file fnx writes and reads back with ``fnx.text.load_word_vectors``: 100-d
vectors for the book's words, built so that the relations the book shows hold by construction (each listed
word's cosine with the gender direction is the book's printed value; country -> language, country -> capital
and adjective -> comparative are shared offsets), among distractors named after the words of fnx's shipped
corpus. It checks the computations, not GloVe: its numbers are never counted as the book's.

>>> v = stand_in_vectors()
>>> v.dim, "receptionist" in v
(100, True)
"""
from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile

import numpy as np

import fnx
import fnx.numpy as fnp
from fnx.text import load_corpus, load_word_vectors
from fnx.text.vectors import WordVectors

GLOVE = "glove.6B.100d.txt"
DIM = 100
# The book's printed g = e_woman - e_man (section 8.8.5), all 100 values.
PRINTED_G = np.array([
    0.2207500, 0.0632200, -0.1176600, 0.7332440, 0.1124228, 0.3521500, -0.1095900, 0.2969030, 0.6333900,
    0.0813400, -0.5658500, 0.0360900, 0.2707400, 0.2881100, -0.1544100, -0.1187690, -0.1046800, -0.0312400,
    0.0599500, -0.0622400, -0.7541500, -0.0424780, 0.2065190, 0.7089200, -0.1709100, -0.1067500, 0.0946500,
    -0.9140200, 0.0144600, -0.1311700, 0.2762930, 0.0438400, 0.6295340, -0.1956900, 0.0590300, -0.2443100,
    0.0977600, -0.2959600, 0.1919100, 0.4377150, -0.3925200, 0.1424570, -0.7447100, -0.0361200, 0.1059100,
    -0.0611300, -0.1433850, 0.0986680, -0.0621100, -0.0174600, 0.0690700, 0.0023600, 0.1576600, -0.1122000,
    -0.0309300, 0.2501000, 0.0715700, -0.2485000, -0.0214000, -0.0263000, 0.0294400, -0.1174000, 0.4505370,
    0.1447440, -0.0188800, 0.2010770, -0.0616200, -0.2057700, 0.0748700, -0.2081480, -0.0233400, 0.2231390,
    -0.2148500, 0.8334400, 0.1910900, 0.7920510, -0.0315700, -0.0403800, -0.1284900, -0.7932300, -0.8311650,
    -0.0236300, 0.5066970, 0.3183280, 0.0554000, -0.6549000, 0.6084610, 0.4950300, 0.1802440, -0.2314800,
    0.5914400, 0.1549300, 0.3665900, -0.1381820, -0.2126600, 0.4200540, -0.1771600, 0.3906300, 0.1124820,
    0.2315700])
# Each listed word's cosine with g, as the book prints them (listing 8-15, and 8-16/8-17 for the rest).
NAMES = {"john": -0.2283502, "alejandra": 0.2040976, "paul": -0.2612691, "hari": -0.1162951,
         "marco": -0.2273328, "akbar": -0.155323, "ivanka": 0.08449648, "nusrat": 0.1118457, "simran": 0.1675252,
         "elizabeth": 0.202231, "victoria": 0.0955887}
WORDS = {"fishing": -0.05767286, "science": -0.02147577, "arts": 0.01484675, "army": -0.09906478,
         "lawyer": 0.01669994, "engineer": -0.1230001, "pilot": -0.04113394, "computer": -0.1154572,
         "technology": -0.1447453, "receptionist": 0.2806876, "fashion": 0.08097437, "teacher": 0.152337,
         "singer": 0.1137264, "mascara": 0.04712166, "literature": 0.08261854}
MAN_WOMAN = {"man": -0.1876906, "woman": 0.388177}
ANALOGIES = [("italy", "italian", "spain", "spanish"), ("small", "smaller", "large", "larger"),
             ("india", "delhi", "china", "beijing")]
PAIRS = [("apple", "hippopotamus"), ("man", "woman")]


@fnx.jit
def cosine(u, v):
    """``u . v / (|u| |v|)`` over the last axis (listing 8-13's ``cosine_sim``; rows of ``u`` at once)."""
    return fnp.sum(u * v, axis=-1) / (fnp.linalg.norm(u, axis=-1) * fnp.linalg.norm(v, axis=-1))


@fnx.jit
def analogy_scores(table, a, b, c, excluded):
    """Listing 8-14's search, vectorised: ``cos(e_b - e_a, e_w - e_c)`` for every row w of ``table`` (V, d),
    -inf at the ``excluded`` ids (a, b and c themselves); its argmax is the answer."""
    scores = cosine(table - table[c], (table[b] - table[a])[None, :])
    return scores.at[excluded].set(-fnp.inf)


def word_analogy(vectors: WordVectors, a: str, b: str, c: str) -> str:
    """``a -> b : c -> ?``: the word w (not a, b or c) maximizing ``cos(e_b - e_a, e_w - e_c)``."""
    ids = [vectors.index[w] for w in (a, b, c)]
    table = fnp.asarray(vectors.vectors, dtype="float64")
    with np.errstate(invalid="ignore"):  # row c: the cosine of a zero vector (masked), when NumPy runs it
        scores = analogy_scores(table, *ids, np.array(ids))
    return vectors.words[int(np.argmax(scores))]


@fnx.jit
def neutralize(e, g):
    """Bolukbasi et al.'s neutralize: ``e`` minus its projection on g, so that ``cos(e, g) = 0``."""
    return e - fnp.dot(e, g) / fnp.dot(g, g) * g


@fnx.jit
def neutralize_as_printed(e, g):
    """The book's ``neutralize``: ``e - (e . g) / (g / |g|)``, the scalar divided elementwise by the unit
    vector (the book's -0.06464001 comes from this)."""
    return e - fnp.dot(e, g) / (g / fnp.linalg.norm(g))


def _equalized(e1, e2, g, bias, size):
    """The equalize steps with the projection on g (``bias``) and the length (``size``) given."""
    mu = (e1 + e2) / 2
    mu_orth = mu - bias(mu, g)
    scale = fnp.sqrt(fnp.abs(1.0 - fnp.sum(mu_orth ** 2)))
    return tuple(scale * (bias(e, g) - bias(mu, g)) / size(e - mu_orth - bias(mu, g)) + mu_orth for e in (e1, e2))


@fnx.jit
def equalize(e1, e2, g):
    """Bolukbasi et al.'s equalize of a pair: both at the same distance from the plane orthogonal to g, on
    either side, so that ``cos(e1', g) = -cos(e2', g)`` (for unit-norm embeddings)."""
    return _equalized(e1, e2, g, lambda e, g: fnp.dot(e, g) / fnp.dot(g, g) * g, fnp.linalg.norm)


@fnx.jit
def equalize_as_printed(e1, e2, g):
    """The book's ``equalize``: its projections are elementwise products (``(e * g / |g|) * g``) and its
    normalization an elementwise ``abs``, not dot products and norms (its -0.4564555 and 0.5599987)."""
    return _equalized(e1, e2, g, lambda e, g: (e * g / fnp.linalg.norm(g)) * g, fnp.abs)


def _unit_orthogonal(rng: np.random.RandomState, direction: np.ndarray) -> np.ndarray:
    u = rng.standard_normal(DIM)
    u -= u @ direction * direction
    return u / np.linalg.norm(u)


def _stand_in_table() -> dict[str, np.ndarray]:
    """The stand-in's words and vectors (see the module doc), from a fixed seed."""
    rng = np.random.RandomState(8)
    g_hat = PRINTED_G / np.linalg.norm(PRINTED_G)
    table = {}
    base = _unit_orthogonal(rng, g_hat)
    for word, c in MAN_WOMAN.items():  # man = base - a1 g_hat, woman = base + a2 g_hat: woman - man is along g
        table[word] = base + c / np.sqrt(1 - c * c) * g_hat
    for word, c in {**NAMES, **WORDS}.items():
        table[word] = c * g_hat + np.sqrt(1 - c * c) * _unit_orthogonal(rng, g_hat)
    for a, b, c, d in ANALOGIES:  # b - a and d - c share an offset, plus a little noise
        offset = rng.standard_normal(DIM)
        for first, second in ((a, b), (c, d)):
            table[first] = rng.standard_normal(DIM)
            table[second] = table[first] + offset + 0.1 * rng.standard_normal(DIM)
    table["apple"], table["hippopotamus"] = rng.standard_normal((2, DIM))
    for word in sorted(set(load_corpus().split()) - set(table)):
        if word.isalpha():
            table[word] = rng.standard_normal(DIM)
    return table


@functools.lru_cache(maxsize=None)
def stand_in_file() -> str:
    """The stand-in written as a GloVe-format text file (six decimals, as GloVe's) in a temporary folder,
    removed when the process ends."""
    folder = tempfile.mkdtemp(prefix="fnx-glove-")
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, "stand-in.100d.txt")
    with open(path, "w", encoding="utf-8") as out:
        for word, vector in _stand_in_table().items():
            out.write(word + " " + " ".join(f"{x:.6f}" for x in vector) + "\n")
    return path


@functools.lru_cache(maxsize=2)
def _read(path: str) -> WordVectors:
    return load_word_vectors(path, dtype="float64")


def stand_in_vectors() -> WordVectors:
    """The stand-in vectors, read back from their file by ``fnx.text.load_word_vectors``."""
    return _read(stand_in_file())


def vectors_for(data_path: str | None) -> WordVectors:
    """The user's GloVe vectors (read once per process), or the stand-in without them."""
    return _read(data_path) if data_path else stand_in_vectors()
