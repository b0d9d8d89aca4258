"""fnx.random: threefry known answers, keys, samplers (statistics against SciPy), eager and traced."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.random as fr
from fnx.core.errors import FnxTypeError
from tests.helpers import assert_same, eager_and_traced

M32 = 0xFFFFFFFF
ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)


def reference_threefry(k0: int, k1: int, x0: int, x1: int) -> tuple:
    """Threefry-2x32, 20 rounds, on Python ints: the Random123 algorithm written out scalar by scalar."""
    def rotl(v, r):
        return ((v << r) | (v >> (32 - r))) & M32
    ks = (k0, k1, k0 ^ k1 ^ 0x1BD11BDA)
    x0, x1 = (x0 + k0) & M32, (x1 + k1) & M32
    for r in range(20):
        x0 = (x0 + x1) & M32
        x1 = rotl(x1, ROTATIONS[r % 8]) ^ x0
        if r % 4 == 3:
            s = r // 4 + 1
            x0 = (x0 + ks[s % 3]) & M32
            x1 = (x1 + ks[(s + 1) % 3] + s) & M32
    return x0, x1


def sample(f, *args):
    """``f(*args)`` eagerly and through its jaxpr; both must agree exactly. Returns the eager NumPy result."""
    eager, traced = eager_and_traced(f, *args)
    assert_same(traced, eager, rtol=0)
    return eager


KEY = fr.key(42)

# -- threefry ---------------------------------------------------------------------------------------------

KAT = [  # Random123 known-answer vectors for threefry2x32_20: key, counter, result
    ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
    ((M32, M32), (M32, M32), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


@pytest.mark.parametrize("key, counter, expected", KAT)
def test_threefry_known_answers(key, counter, expected):
    k = np.array(key, np.uint32)
    x0, x1 = (np.array([c], np.uint32) for c in counter)
    y0, y1 = sample(fr.threefry_2x32, k, x0, x1)
    assert (int(y0[0]), int(y1[0])) == expected
    assert reference_threefry(*key, *counter) == expected


def test_threefry_matches_reference_on_many_counters():
    k = np.array([0xDEADBEEF, 0x12345678], np.uint32)
    x0 = np.arange(50, dtype=np.uint32) * np.uint32(2654435761)
    x1 = np.arange(50, dtype=np.uint32)[::-1].copy()
    y0, y1 = sample(fr.threefry_2x32, k, x0, x1)
    expected = [reference_threefry(0xDEADBEEF, 0x12345678, int(a), int(b)) for a, b in zip(x0, x1)]
    assert [(int(a), int(b)) for a, b in zip(y0, y1)] == expected


# -- keys -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 - 1, 2**32 + 5, 2**63 + 3, 2**64 - 1, -1, -2**63])
def test_key_holds_both_halves_of_the_seed(seed):
    k = np.asarray(fr.key(seed))
    assert k.dtype == np.uint32 and k.shape == (2,)
    assert (int(k[0]) << 32 | int(k[1])) == seed % 2**64
    assert_same(np.asarray(fr.PRNGKey(seed)), k)


@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3, -5, -2**63])
def test_key_from_traced_seed_equals_key_from_int(seed):
    assert_same(sample(fr.key, np.int64(seed)), np.asarray(fr.key(seed)))
    if 0 <= seed < 2**32:
        assert_same(sample(fr.key, np.uint32(seed)), np.asarray(fr.key(seed)))


def test_split_gives_the_threefry_words_of_counters_0_i():
    keys = sample(lambda k: fr.split(k, 5), KEY)
    assert keys.shape == (5, 2) and keys.dtype == np.uint32
    rows = {tuple(r) for r in keys.tolist()} | {tuple(np.asarray(KEY).tolist())}
    assert len(rows) == 6
    k0, k1 = (int(v) for v in np.asarray(KEY))
    assert [tuple(r) for r in keys.tolist()] == [reference_threefry(k0, k1, 0, i) for i in range(5)]
    assert sample(lambda k: fr.split(k, 0), KEY).shape == (0, 2)
    assert_same(np.asarray(fr.split(KEY)), keys[:2])  # the first keys do not depend on num


def test_fold_in_differs_by_data_and_accepts_traced_data():
    keys = [sample(fr.fold_in, KEY, np.uint32(d)) for d in range(20)]
    assert len({tuple(k.tolist()) for k in keys}) == 20
    assert not any(np.array_equal(k, np.asarray(KEY)) for k in keys)
    k0, k1 = (int(v) for v in np.asarray(KEY))
    assert tuple(keys[3].tolist()) == reference_threefry(k0, k1, 0, 3)
    assert_same(np.asarray(fr.fold_in(KEY, 3)), keys[3])
    assert_same(sample(fr.fold_in, KEY, np.int64(-1)), np.asarray(fr.fold_in(KEY, 2**32 - 1)))


def test_fold_in_is_the_matching_split_key_as_in_jax():
    keys = np.asarray(fr.split(KEY, 4))
    for i in range(4):
        assert_same(np.asarray(fr.fold_in(KEY, i)), keys[i])
    draws = [np.asarray(fr.bits(k, (4,))) for k in (KEY, *keys)]
    assert len({d.tobytes() for d in draws}) == len(draws)


# -- bits and uniform -------------------------------------------------------------------------------------

def test_bits_hash_each_elements_index():
    words = sample(lambda k: fr.bits(k, (7,)), KEY)
    k0, k1 = (int(v) for v in np.asarray(KEY))
    pairs = [reference_threefry(k0, k1, 0, i) for i in range(7)]
    assert words.tolist() == [y0 ^ y1 for y0, y1 in pairs]
    wide = sample(lambda k: fr.bits(k, (2,), np.uint64), KEY)
    assert wide.tolist() == [y0 << 32 | y1 for y0, y1 in pairs[:2]]
    assert sample(lambda k: fr.bits(k, (7,), np.uint8), KEY).tolist() == [(y0 ^ y1) & 0xFF for y0, y1 in pairs]


def test_uniform_floats_use_the_top_mantissa_bits():
    words = np.asarray(fr.bits(KEY, (6,)), dtype=np.uint64)
    f32 = sample(lambda k: fr.uniform(k, (6,), np.float32), KEY)
    assert_same(f32, ((words >> 9) * 2.0**-23).astype(np.float32), rtol=0)
    wide = np.asarray(fr.bits(KEY, (6,), np.uint64))
    f64 = sample(lambda k: fr.uniform(k, (6,), np.float64), KEY)
    assert_same(f64, (wide >> np.uint64(12)).astype(np.float64) * 2.0**-52, rtol=0)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(0, 4), max_size=3).map(tuple),
       dtype=st.sampled_from(["uint8", "uint16", "uint32", "uint64"]), seed=st.integers(-2**63, 2**64 - 1))
def test_bits_shapes_and_dtypes(shape, dtype, seed):
    out = sample(lambda k: fr.bits(k, shape, dtype), fr.key(seed))
    assert out.shape == shape and out.dtype == np.dtype(dtype)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(0, 5), max_size=3).map(tuple), dtype=st.sampled_from(["float32", "float64"]),
       low=st.floats(-10, 10), width=st.floats(1e-3, 10))
def test_uniform_shapes_dtypes_and_range(shape, dtype, low, width):
    out = sample(lambda k: fr.uniform(k, shape, dtype, low, low + width), KEY)
    assert out.shape == shape and out.dtype == np.dtype(dtype)
    lo, hi = np.asarray(low, dtype), np.asarray(low + width, dtype)
    assert np.all(out >= lo) and np.all(out < hi)


def test_uniform_statistics():
    u = sample(lambda k: fr.uniform(k, (100_000,)), KEY)
    assert u.dtype == np.float64 and u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / u.size)
    assert abs(u.var() - 1 / 12) < 0.002
    assert scipy.stats.kstest(u, "uniform").pvalue > 1e-3
    u32 = np.asarray(fr.uniform(fr.key(1), (100_000,), np.float32))
    assert scipy.stats.kstest(u32, "uniform").pvalue > 1e-3


def test_uniform_with_array_bounds_and_the_default_float():
    lo = np.array([0.0, 10.0, -5.0], np.float32)
    out = sample(lambda k, lo: fr.uniform(k, (1000, 3), np.float32, lo, lo + 1), KEY, lo)
    assert out.dtype == np.float32 and np.all(out >= lo) and np.all(out < lo + 1)
    fnx.config.update("default_float", "float32")
    try:
        assert sample(lambda k: fr.uniform(k, (2,)), KEY).dtype == np.float32
        assert sample(lambda k: fr.normal(k, (2,)), KEY).dtype == np.float32
    finally:
        fnx.config.update("default_float", "float64")


def test_uniform_never_returns_maxval():
    # minval + u * (maxval - minval) rounds up to maxval for u close to 1; the result must stay below it
    out = sample(lambda k: fr.uniform(k, (20_000,), np.float32, 1.0, 1.0 + 2**-20), KEY)
    assert np.all(out < np.float32(1.0 + 2**-20)) and np.all(out >= 1.0)


# -- continuous distributions -----------------------------------------------------------------------------

def test_normal_is_the_inverse_erf_of_the_open_unit_interval():
    words = np.asarray(fr.bits(KEY, (8,), np.uint64))
    u = (words >> np.uint64(12)).astype(np.float64) * 2.0**-52 + 2.0**-53
    z = sample(lambda k: fr.normal(k, (8,)), KEY)
    np.testing.assert_allclose(z, math.sqrt(2) * scipy.special.erfinv(2 * u - 1), rtol=1e-13)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_statistics(dtype):
    z = sample(lambda k: fr.normal(k, (100_000,), dtype), KEY)
    assert z.dtype == np.dtype(dtype) and np.all(np.isfinite(z))
    assert abs(z.mean()) < 5 / math.sqrt(z.size)
    assert abs(z.var() - 1) < 5 * math.sqrt(2 / z.size)
    assert scipy.stats.kstest(z, "norm").pvalue > 1e-3


def test_truncated_normal_within_bounds_and_distribution():
    z = sample(lambda k: fr.truncated_normal(k, -1.0, 2.0, (50_000,)), KEY)
    assert np.all(z > -1.0) and np.all(z < 2.0)
    assert scipy.stats.kstest(z, scipy.stats.truncnorm(-1.0, 2.0).cdf).pvalue > 1e-3
    lower, upper = np.array([-np.inf, 0.0, 3.0], np.float32), np.array([0.0, np.inf, 3.5], np.float32)
    z = sample(lambda k, lo, hi: fr.truncated_normal(k, lo, hi, dtype=np.float32), KEY, lower, upper)
    assert z.shape == (3,) and z.dtype == np.float32 and np.all(np.isfinite(z))
    z = np.asarray(fr.truncated_normal(KEY, lower, upper, (2000, 3), np.float32))
    assert np.all(z > lower) and np.all(z < upper)


def test_exponential_and_gumbel_statistics():
    e = sample(lambda k: fr.exponential(k, (50_000,)), KEY)
    assert np.all(e > 0) and np.all(np.isfinite(e))
    assert scipy.stats.kstest(e, "expon").pvalue > 1e-3
    g = sample(lambda k: fr.gumbel(k, (50_000,), np.float32), KEY)
    assert g.dtype == np.float32 and np.all(np.isfinite(g))
    assert scipy.stats.kstest(g, "gumbel_r").pvalue > 1e-3


# -- discrete distributions -------------------------------------------------------------------------------

def test_bernoulli_frequency():
    b = sample(lambda k: fr.bernoulli(k, 0.3, (100_000,)), KEY)
    assert b.dtype == np.bool_
    assert abs(b.mean() - 0.3) < 5 * math.sqrt(0.3 * 0.7 / b.size)
    p = np.array([0.0, 0.5, 1.0])
    b = sample(lambda k, p: fr.bernoulli(k, p, (10_000, 3)), KEY, p)
    assert not b[:, 0].any() and b[:, 2].all() and abs(b[:, 1].mean() - 0.5) < 0.03
    assert sample(lambda k, p: fr.bernoulli(k, p), KEY, p).shape == (3,)


def test_categorical_frequencies_match_softmax():
    logits = np.array([[0.0, 1.0, 2.0], [2.0, 0.0, -np.inf]])
    draws = sample(lambda k, lg: fr.categorical(k, lg, shape=(20_000, 2)), KEY, logits)
    assert draws.shape == (20_000, 2) and draws.dtype == np.int64
    probs = scipy.special.softmax(logits, axis=-1)
    for row in range(2):
        freq = np.bincount(draws[:, row], minlength=3) / draws.shape[0]
        assert np.all(np.abs(freq - probs[row]) <= 5 * np.sqrt(probs[row] * (1 - probs[row]) / draws.shape[0]))
    assert not np.any(draws[:, 1] == 2)  # probability zero


def test_categorical_axis_and_default_shape():
    logits = np.log(np.array([[0.1, 0.6], [0.3, 0.2], [0.6, 0.2]]))  # categories along axis 0
    along_0 = sample(lambda k, lg: fr.categorical(k, lg, axis=0), KEY, logits)
    assert along_0.shape == (2,)
    noise = np.asarray(fr.gumbel(KEY, logits.shape))  # drawn in the layout of the logits, as JAX does
    assert_same(along_0, np.argmax(noise + logits, axis=0))


def test_randint_bounds_and_uniformity():
    dice = sample(lambda k: fr.randint(k, (60_000,), 1, 7), KEY)
    assert dice.dtype == np.int64 and dice.min() == 1 and dice.max() == 6
    counts = np.bincount(dice, minlength=7)[1:]
    assert scipy.stats.chisquare(counts).pvalue > 1e-3
    full = sample(lambda k: fr.randint(k, (20_000,), -1000, 1000, np.int8), KEY)
    assert full.dtype == np.int8 and set(full.tolist()) == set(range(-128, 128))  # bounds clip to int8
    top = sample(lambda k: fr.randint(k, (1000,), 2**64 - 10, 2**64, np.uint64), KEY)
    assert top.dtype == np.uint64 and np.all(top >= np.uint64(2**64 - 10))
    big = sample(lambda k: fr.randint(k, (1000,), -2**62, 2**62), KEY)
    assert np.all(big >= -2**62) and np.all(big < 2**62) and big.min() < -2**60 and big.max() > 2**60


def test_randint_with_traced_array_bounds():
    lo = np.array([0, 10, -5, 3], np.int32)
    hi = np.array([1, 20, 5, 3], np.int32)  # the last range is empty: the result is minval
    out = sample(lambda k, lo, hi: fr.randint(k, (500, 4), lo, hi, np.int32), KEY, lo, hi)
    assert out.dtype == np.int32
    assert np.all(out[:, :3] >= lo[:3]) and np.all(out[:, :3] < hi[:3]) and np.all(out[:, 3] == 3)
    assert set(out[:, 2].tolist()) == set(range(-5, 5))
    wide = np.array([-2**40], np.int64)  # clipped into uint8's range
    out = sample(lambda k, lo: fr.randint(k, (300,), lo, 4, np.uint8), KEY, wide)
    assert set(out.tolist()) == {0, 1, 2, 3}


# -- permutation and choice (these use fnx.numpy.argsort) -------------------------------------------------

def test_permutation_of_n_is_a_permutation():
    perm = sample(lambda k: fr.permutation(k, 100), KEY)
    assert perm.dtype == np.int64 and sorted(perm.tolist()) == list(range(100))
    assert perm.tolist() != list(range(100))


def test_permutation_of_an_array_along_an_axis():
    x = np.arange(24.0).reshape(4, 6)
    out = sample(lambda k, x: fr.permutation(k, x, axis=1), KEY, x)
    columns = out[0].astype(int)  # x[0, j] == j, so the first row names the column order
    assert sorted(columns.tolist()) == list(range(6)) and columns.tolist() != list(range(6))
    assert_same(out, x[:, columns])  # one column order for every row
    assert_same(sample(lambda k, x: fr.shuffle(k, x, 1), KEY, x), out)


def test_permutations_are_uniform():
    counts = {}
    for k in np.asarray(fr.split(KEY, 240)):
        p = tuple(np.asarray(fr.permutation(k, 3)).tolist())
        counts[p] = counts.get(p, 0) + 1
    assert len(counts) == 6 and scipy.stats.chisquare(list(counts.values())).pvalue > 1e-3


def test_choice_without_replacement_gives_distinct_entries():
    idx = sample(lambda k: fr.choice(k, 50, (4, 5), replace=False), KEY)
    assert idx.shape == (4, 5) and len(set(idx.ravel().tolist())) == 20 and idx.max() < 50
    p = np.array([0.1, 0.0, 0.3, 0.2, 0.0, 0.4])
    idx = sample(lambda k, p: fr.choice(k, 6, (4,), replace=False, p=p), KEY, p)
    assert len(set(idx.tolist())) == 4 and set(idx.tolist()) <= {0, 2, 3, 5}


def test_choice_with_replacement_from_an_array():
    pool = np.arange(12.0).reshape(3, 4)
    out = sample(lambda k, a: fr.choice(k, a, (5, 2), axis=1), KEY, pool)
    assert out.shape == (3, 5, 2)
    assert all(np.array_equal(out[:, i, j], pool[:, int(out[0, i, j])]) for i in range(5) for j in range(2))
    p = np.array([0.2, 0.0, 0.8])
    idx = sample(lambda k, p: fr.choice(k, 3, (20_000,), p=p), KEY, p)
    freq = np.bincount(idx, minlength=3) / idx.size
    assert freq[1] == 0 and abs(freq[2] - 0.8) < 5 * math.sqrt(0.16 / idx.size)


# -- tracing ----------------------------------------------------------------------------------------------

SAMPLERS = {
    "bits": lambda k: fr.bits(k, (3,)), "split": lambda k: fr.split(k, 3), "fold_in": lambda k: fr.fold_in(k, 7),
    "uniform": lambda k: fr.uniform(k, (3,)), "normal": lambda k: fr.normal(k, (3,), np.float32),
    "truncated_normal": lambda k: fr.truncated_normal(k, -1.0, 1.0, (3,)),
    "exponential": lambda k: fr.exponential(k, (3,)), "gumbel": lambda k: fr.gumbel(k, (3,)),
    "bernoulli": lambda k: fr.bernoulli(k, 0.5, (16,)), "randint": lambda k: fr.randint(k, (3,), 0, 1000),
    "categorical": lambda k: fr.categorical(k, np.zeros((2, 1000)), axis=1),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_samplers_trace_with_the_key_as_input(name, monkeypatch):
    monkeypatch.setattr(np, "random", None)  # any use of NumPy's generator would fail
    f = SAMPLERS[name]
    closed = fnx.make_jaxpr(f)(KEY)
    fnx.check_jaxpr(closed.jaxpr)
    other = fr.key(43)
    out_a, out_b = (np.asarray(fnx.eval_jaxpr(closed.jaxpr, closed.consts, k)[0]) for k in (KEY, other))
    assert_same(out_a, np.asarray(f(KEY)), rtol=0)
    assert_same(out_b, np.asarray(f(other)), rtol=0)
    assert not np.array_equal(out_a, out_b)  # the numbers come from the traced key, not from constants


# -- errors -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: fr.uniform(np.zeros(2, np.int64)), "uint32 array of shape"),
    (lambda: fr.split(np.zeros(3, np.uint32)), "uint32 array of shape"),
    (lambda: fr.key(2**64), "64 bits"),
    (lambda: fr.key(np.float32(1.5)), "integer scalar"),
    (lambda: fr.fold_in(KEY, np.arange(2)), "scalar"),
    (lambda: fr.bits(KEY, (2,), np.float32), "unsigned"),
    (lambda: fr.uniform(KEY, (2,), np.int32), "float dtype"),
    (lambda: fr.uniform(KEY, (2,), minval=np.zeros(3)), "does not broadcast"),
    (lambda: fr.randint(KEY, (2,), 0, 5, np.float64), "integer dtype"),
    (lambda: fr.categorical(KEY, np.zeros((2, 3)), shape=(4,)), "does not broadcast"),
    (lambda: fr.choice(KEY, 3, (5,), replace=False), "distinct"),
    (lambda: fr.choice(KEY, 3, p=np.ones(4) / 4), "p must have shape"),
    (lambda: fr.split(KEY, -1), "non-negative"),
])
def test_bad_input_raises_clear_errors(call, message):
    with pytest.raises(FnxTypeError, match=message):
        call()


@pytest.mark.parametrize("method", ["cholesky", "eigh", "svd"])
def test_multivariate_normal_has_the_asked_mean_and_covariance(method):
    a = np.random.default_rng(0).normal(size=(3, 3))
    cov, mean = a @ a.T + 0.5 * np.eye(3), np.array([1.0, -2.0, 0.5])
    x = np.asarray(fr.multivariate_normal(KEY, mean, cov, (40_000,), method=method))
    assert x.shape == (40_000, 3)
    np.testing.assert_allclose(x.mean(axis=0), mean, atol=0.05)
    np.testing.assert_allclose(np.cov(x.T), cov, rtol=0.05, atol=0.05)


def test_multivariate_normal_with_a_singular_covariance_and_bad_input():
    cov = np.array([[1.0, 1.0], [1.0, 1.0]])  # rank 1: Cholesky fails, eigh does not
    x = np.asarray(fr.multivariate_normal(KEY, np.zeros(2), cov, (1000,), method="eigh"))
    np.testing.assert_allclose(x[:, 0], x[:, 1], atol=1e-6)
    with pytest.raises(FnxTypeError, match="method must be one of"):
        fr.multivariate_normal(KEY, np.zeros(2), cov, method="qr")
    with pytest.raises(FnxTypeError, match=r"mean of shape \(\.\.\., n\) and cov of shape"):
        fr.multivariate_normal(KEY, np.zeros(2), np.eye(3))
