"""Out-of-range class labels in the label losses (sparse_softmax_cross_entropy, sparse_categorical_cross_entropy,
nll): an IndexError eagerly, a NaN loss for that example under jit (as JAX's fill-mode gather), never a silent 0;
labels in range unchanged and equal to a NumPy reference."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
from fnx import nn


def logsumexp_np(x: np.ndarray) -> np.ndarray:
    top = x.max(-1, keepdims=True)
    return np.log(np.exp(x - top).sum(-1)) + top[..., 0]


def log_softmax_np(x: np.ndarray) -> np.ndarray:
    return x - logsumexp_np(x)[..., None]


def reference_sparse_softmax_ce(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """logsumexp(logits) - logits[label] per row, in NumPy."""
    return logsumexp_np(logits) - np.take_along_axis(logits, labels[..., None], -1)[..., 0]


# name -> per-example loss taking logits (turned into its own kind of input)
LOSSES = {
    "sparse_softmax_cross_entropy": nn.sparse_softmax_cross_entropy_per_example,
    "nll": lambda x, y: nn.nll_per_example(log_softmax_np(np.asarray(x)), y),
    "sparse_categorical_cross_entropy":
        lambda x, y: nn.sparse_categorical_cross_entropy_per_example(np.exp(log_softmax_np(np.asarray(x))), y),
}


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 6), classes=st.integers(1, 5), seed=st.integers(0, 10**6),
       dtype=st.sampled_from([np.float32, np.float64]), label_dtype=st.sampled_from([np.int32, np.uint8, np.int64]))
def test_labels_in_range_match_numpy(batch, classes, seed, dtype, label_dtype):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((batch, classes)) * 3).astype(dtype)
    labels = rng.integers(0, classes, batch).astype(label_dtype)
    expected = reference_sparse_softmax_ce(logits.astype(np.float64), labels.astype(np.int64))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for name, loss in LOSSES.items():
        out = np.asarray(loss(logits, labels))
        assert out.dtype == dtype, name
        np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol, err_msg=name)
    mean = nn.sparse_softmax_cross_entropy(logits, labels)
    np.testing.assert_allclose(float(mean), expected.mean(), rtol=rtol, atol=rtol)  # as for each example


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("bad, position", [(3, 1), (-1, 2), (1000, 0)])
def test_concrete_out_of_range_label_raises(name, bad, position):
    labels = np.array([0, 1, 2, 0])
    labels[position] = bad
    with pytest.raises(IndexError) as err:
        LOSSES[name](np.zeros((4, 3)), labels)
    message = str(err.value)
    assert message.startswith(f"{name}: label {bad} at position ({position},) is out of range for 3 classes")
    assert "labels must lie in [0, 3)" in message and "shape (4, 3)" in message
    assert __file__ in message                                     # the user's line


def test_out_of_range_raises_under_eager_grad_and_in_the_mean_form():
    labels = np.array([[0, 5]])                                    # two leading axes: the position is 2-d
    with pytest.raises(IndexError, match=r"sparse_softmax_cross_entropy: label 5 at position \(0, 1\)"):
        fnx.grad(lambda x: nn.sparse_softmax_cross_entropy(x, labels))(np.zeros((1, 2, 3)))
    with pytest.raises(IndexError, match="nll: label 5"):
        nn.nll(np.zeros((1, 2, 3)), labels)


def test_traced_out_of_range_label_gives_nan_not_zero():
    @fnx.jit
    def losses(logits, labels):
        return (nn.sparse_softmax_cross_entropy_per_example(logits, labels), nn.nll_per_example(logits, labels),
                nn.sparse_categorical_cross_entropy_per_example(fnx.numpy.exp(logits), labels),
                nn.sparse_softmax_cross_entropy(logits, labels),
                fnx.grad(nn.sparse_softmax_cross_entropy)(logits, labels))

    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 3)).astype(np.float32)
    labels = np.array([2, 3, 0, -1], np.int32)                     # examples 1 and 3 out of range
    ok = np.array([True, False, True, False])
    ce, nll, sparse_ce, mean, grad = (np.asarray(v) for v in losses(logits, labels))
    expected = reference_sparse_softmax_ce(logits.astype(np.float64), np.where(ok, labels, 0))
    picked = logits[np.arange(4), np.where(ok, labels, 0)]
    for out, good in ((ce, expected), (nll, -picked), (sparse_ce, -picked)):  # nll of logits is -logits[label]
        assert out.dtype == np.float32 and np.isnan(out[~ok]).all()
        np.testing.assert_allclose(out[ok], good[ok], rtol=1e-5)
    assert np.isnan(mean)                                          # the mean shows it: never a silent 0
    assert not grad[~ok].any() and np.isfinite(grad).all()         # the bad rows get no gradient
    softmax = np.exp(log_softmax_np(logits.astype(np.float64)))
    softmax[np.arange(4), np.where(ok, labels, 0)] -= 1
    np.testing.assert_allclose(grad[ok], softmax[ok] / 4, rtol=1e-5, atol=1e-7)
    in_range = np.array([2, 1, 0, 0], np.int32)                    # same compiled function, labels in range
    np.testing.assert_allclose(np.asarray(losses(logits, in_range)[0]),
                               reference_sparse_softmax_ce(logits.astype(np.float64), in_range), rtol=1e-5)
