"""fnx.nn's functional parts: activations, losses, regularizers, initializers and metrics.

Each is checked against an independent NumPy/SciPy reference, eagerly and through its jaxpr, with gradients
against finite differences, and against the numbers in the book catalogs (Ketkar listings 4-4, 4-7, 4-8,
4-13; Buduma's parameter count).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fnx
import fnx.numpy as fnp
import fnx.random as fr
from fnx import nn
from fnx.core.avals import ShapedArray
from fnx.core.errors import FnxTypeError
from fnx.nn import initializers as init
from gradcheck import check_grads
from helpers import assert_same, check_against_numpy, eager_and_traced

RNG = np.random.default_rng(0)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805  # Klambauer et al. (2017)


def ultra_fast_sigmoid(x: float) -> float:
    """Theano's UltraFastScalarSigmoid, written out as in the Ketkar catalog (section 2.4)."""
    x = 0.5 * x
    a = abs(x)
    if a < 1.7:
        z = 1.5 * a / (1 + a)
    elif a < 3:
        z = 0.935409070603099 + 0.0458812946797165 * (a - 1.7)
    else:
        z = 0.99505475368673
    return 0.5 * ((z if x >= 0 else -z) + 1)


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


# (name, fnx function, NumPy reference)
ACTIVATIONS = [
    ("sigmoid", nn.sigmoid, scipy.special.expit),
    ("hard_sigmoid_keras", nn.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    ("hard_sigmoid_theano", lambda x: nn.hard_sigmoid(x, variant="theano"), np.vectorize(ultra_fast_sigmoid)),
    ("tanh", nn.tanh, np.tanh),
    ("hard_tanh", nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    ("relu", nn.relu, lambda x: np.maximum(x, 0)),
    ("relu6", nn.relu6, lambda x: np.clip(x, 0, 6)),
    ("leaky_relu", nn.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    ("leaky_relu_0.2", lambda x: nn.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    ("elu", nn.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu_0.5", lambda x: nn.elu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ("selu", nn.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    ("gelu", nn.gelu, lambda x: x * scipy.stats.norm.cdf(x)),
    ("gelu_tanh", lambda x: nn.gelu(x, approximate=True), gelu_tanh),
    ("softplus", nn.softplus, lambda x: np.logaddexp(0, x)),
    ("softsign", nn.softsign, lambda x: x / (1 + np.abs(x))),
    ("swish", nn.swish, lambda x: x * scipy.special.expit(x)),
    ("swish_2", lambda x: nn.swish(x, 2.0), lambda x: x * scipy.special.expit(2 * x)),
    ("silu", nn.silu, lambda x: x * scipy.special.expit(x)),
    ("softmax", nn.softmax, lambda x: scipy.special.softmax(x, axis=-1)),
    ("softmax_axis0", lambda x: nn.softmax(x, axis=0), lambda x: scipy.special.softmax(x, axis=0)),
    ("log_softmax", nn.log_softmax, lambda x: scipy.special.log_softmax(x, axis=-1)),
    ("logsumexp", lambda x: nn.logsumexp(x, axis=-1), lambda x: scipy.special.logsumexp(x, axis=-1)),
]
ACTIVATION_IDS = [a[0] for a in ACTIVATIONS]


# -- activations ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, f, ref", ACTIVATIONS, ids=ACTIVATION_IDS)
def test_activation_matches_numpy_on_a_grid(name, f, ref):
    x = np.linspace(-8, 8, 41).reshape(1, 41)  # crosses every piece of the piecewise activations
    check_against_numpy(f, lambda v: ref(v).astype(v.dtype), x, rtol=1e-12, atol=1e-15)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_activations_match_numpy_on_random_arrays(data):
    name, f, ref = data.draw(st.sampled_from(ACTIVATIONS))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    x = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-20, 20, width=32)))
    tol = 2e-6 if dtype == np.float32 else 1e-12
    check_against_numpy(f, lambda v: ref(v.astype(np.float64)).astype(dtype), x, rtol=tol, atol=tol)


def test_ketkar_4_4_activation_values():
    """Listing 4-4 on [[-1, 0, 1]]: the catalog's reference values (section 2.4)."""
    x = np.array([[-1.0, 0.0, 1.0]])
    expected = {
        nn.sigmoid: [0.2689414213699951, 0.5, 0.7310585786300049],
        nn.tanh: [-0.7615941559557649, 0.0, 0.7615941559557649],
        (lambda v: nn.hard_sigmoid(v, variant="theano")): [0.25, 0.5, 0.75],
        nn.softplus: [0.31326168751822286, 0.6931471805599453, 1.3132616875182228],
        nn.relu: [0.0, 0.0, 1.0],
        nn.softmax: [0.09003057317038046, 0.24472847105479764, 0.6652409557748218],
        nn.hard_sigmoid: [0.3, 0.5, 0.7],
    }
    for f, values in expected.items():
        eager, traced = eager_and_traced(f, x)
        for out in (eager, traced):
            np.testing.assert_allclose(out, [values], rtol=1e-15, atol=1e-16)


def test_theano_hard_sigmoid_is_close_to_sigmoid_with_theanos_step_at_3_4():
    x = np.linspace(-12, 12, 2001)
    out = np.asarray(nn.hard_sigmoid(x, variant="theano"))
    assert np.max(np.abs(out - scipy.special.expit(x))) < 0.028
    # Theano's constants leave a small downward step where the rational piece meets the line (|x| = 3.4)
    step = np.asarray(nn.hard_sigmoid(np.array([np.nextafter(3.4, 0), 3.4]), variant="theano"))
    np.testing.assert_allclose(step, [0.5 * (1 + 1.5 * 1.7 / 2.7), 0.5 * (1 + 0.935409070603099)], rtol=1e-15)


def test_integer_input_computes_in_the_default_float():
    out = np.asarray(nn.relu(np.array([-2, 3])))
    assert out.dtype == np.float64 and out.tolist() == [0.0, 3.0]


@pytest.mark.parametrize("name, f, ref", ACTIVATIONS, ids=ACTIVATION_IDS)
def test_activation_gradient_matches_finite_differences(name, f, ref):
    x = RNG.uniform(-4, 4, (2, 5))
    x = np.where(np.abs(x) < 0.1, 0.5, x)  # keep away from the kink at 0
    for kink in (2.5, 3.4, 6.0, 1.0):  # hard_sigmoid, ultra_fast_sigmoid, relu6, hard_tanh knots
        x = np.where(np.abs(np.abs(x) - kink) < 0.05, kink + 0.3, x)
    check_grads(f, [x], rtol=1e-5, atol=1e-7)


def test_kink_derivative_conventions():
    x = np.array([0.0, 6.0])
    np.testing.assert_array_equal(fnx.grad(lambda v: nn.relu(v).sum())(x), [0.0, 1.0])
    np.testing.assert_array_equal(fnx.grad(lambda v: nn.relu6(v).sum())(x), [0.0, 0.0])
    np.testing.assert_array_equal(fnx.grad(lambda v: nn.leaky_relu(v, 0.1).sum())(x), [0.1, 1.0])


@pytest.mark.parametrize("f", [nn.sigmoid, nn.softplus, nn.log_softmax, nn.softmax, nn.swish, nn.elu, nn.gelu,
                               nn.selu, nn.logsumexp])
def test_activations_stay_finite_at_large_inputs(f):
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    value = np.asarray(f(x))
    gradient = np.asarray(fnx.grad(lambda v: fnp.sum(f(v) * np.arange(1.0, 6.0)))(x))
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(gradient))


def test_large_input_values_and_gradients():
    x = np.array([-1000.0, 1000.0])
    np.testing.assert_array_equal(nn.softplus(x), [0.0, 1000.0])
    np.testing.assert_array_equal(fnx.grad(lambda v: nn.softplus(v).sum())(x), [0.0, 1.0])
    np.testing.assert_array_equal(nn.log_softmax(x), [-2000.0, 0.0])
    np.testing.assert_array_equal(nn.softmax(x), [0.0, 1.0])
    np.testing.assert_array_equal(fnx.grad(lambda v: nn.log_softmax(v)[0])(x), [1.0, -1.0])


def test_softmax_rows_sum_to_one_under_vmap():
    x = RNG.standard_normal((4, 6))
    out = np.asarray(fnx.vmap(nn.softmax)(x))
    np.testing.assert_allclose(out, scipy.special.softmax(x, axis=1), rtol=1e-13)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-14)


@settings(max_examples=30, deadline=None)
@given(labels=hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=5), elements=st.integers(-1, 5)),
       num_classes=st.integers(1, 5), axis=st.sampled_from([-1, 0]))
def test_one_hot_matches_numpy(labels, num_classes, axis):
    def reference(y):
        out = (y[..., None] == np.arange(num_classes)).astype(np.float64)
        return np.moveaxis(out, -1, axis)
    check_against_numpy(lambda y: nn.one_hot(y, num_classes, axis=axis), reference, labels)


def test_one_hot_dtype_and_errors():
    assert np.asarray(nn.one_hot(np.array([1]), 3, dtype=np.int32)).dtype == np.int32
    with pytest.raises(FnxTypeError, match="one_hot: labels must be integers"):
        nn.one_hot(np.array([1.0]), 3)
    with pytest.raises(FnxTypeError, match="one_hot: axis 3"):
        nn.one_hot(np.array([1]), 3, axis=3)
    with pytest.raises(FnxTypeError, match="hard_sigmoid: variant"):
        nn.hard_sigmoid(np.array([1.0]), variant="torch")


# -- losses --------------------------------------------------------------------------------------------------

def np_xlogy(x, y):
    return scipy.special.xlogy(x, y)


def ref_bce(p, y, clip=None):
    p = p if clip is None else np.clip(p, clip, 1 - clip)
    values = -(np_xlogy(y, p) + np_xlogy(1 - y, 1 - p))
    return values.reshape(len(values), -1).mean(axis=1)


def ref_cce(p, y, clip=None, normalize=False):
    p = p / p.sum(axis=-1, keepdims=True) if normalize else p
    p = p if clip is None else np.clip(p, clip, 1 - clip)
    return -np_xlogy(y, p).sum(axis=-1)


def ref_sparse(log_p, labels):
    return -np.take_along_axis(log_p, labels[:, None], axis=1)[:, 0]


def probabilities(shape):
    return RNG.uniform(0.02, 0.98, shape)


def distributions(shape):
    p = RNG.uniform(0.05, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def test_ketkar_4_7_losses():
    """Listing 4-7: Theano's binary_crossentropy(output, target).mean() and categorical_crossentropy."""
    output, target = np.array([[0.01, 0.01, 0.01]]), np.array([[0.99, 0.99, 0.01]])
    for out in eager_and_traced(nn.binary_cross_entropy, output, target):
        assert out == pytest.approx(3.058146503109446, rel=1e-15)
    for out in eager_and_traced(nn.categorical_cross_entropy_per_example, output, target):
        np.testing.assert_allclose(out, [9.164288670116301], rtol=1e-15)
    assert float(nn.categorical_cross_entropy(output, target)) == pytest.approx(9.164288670116301, rel=1e-15)
    # predictions first: the swapped call is a different number (order matters for the categorical loss)
    assert float(nn.categorical_cross_entropy(target, output)) == pytest.approx(-np.sum(0.01 * np.log(target)))
    # the book's third line is a copy-paste error; the true squared errors (catalog section 2.7):
    np.testing.assert_allclose(nn.squared_error_per_example(output[0], target[0]), [0.9604, 0.9604, 0.0], rtol=1e-14)


LOSSES_ON_PAIRS = [  # (fnx per-example loss, NumPy reference, predictions, targets)
    (nn.binary_cross_entropy_per_example, ref_bce, probabilities((4, 3)), RNG.integers(0, 2, (4, 3)) * 1.0),
    (lambda p, y: nn.binary_cross_entropy_per_example(p, y, clip=1e-7), lambda p, y: ref_bce(p, y, 1e-7),
     np.array([0.0, 1.0, 0.5, 1e-9]), np.array([1.0, 0.0, 1.0, 1.0])),
    (nn.sigmoid_binary_cross_entropy_per_example, lambda x, y: ref_bce(scipy.special.expit(x), y),
     RNG.standard_normal((5, 2)), RNG.uniform(0, 1, (5, 2))),
    (nn.categorical_cross_entropy_per_example, ref_cce, distributions((4, 5)), np.eye(5)[[0, 3, 4, 1]]),
    (lambda p, y: nn.categorical_cross_entropy_per_example(p, y, clip=1e-7, normalize=True),
     lambda p, y: ref_cce(p, y, 1e-7, True), np.array([[0.0, 2.0, 2.0]]), np.array([[0.2, 0.3, 0.5]])),
    (nn.softmax_cross_entropy_per_example, lambda x, y: ref_cce(scipy.special.softmax(x, axis=-1), y),
     RNG.standard_normal((3, 4)), distributions((3, 4))),
    (nn.kl_divergence_per_example, lambda p, t: scipy.special.rel_entr(t, p).sum(axis=-1),
     distributions((3, 4)), np.array([[0.5, 0.5, 0, 0], [0.1, 0.2, 0.3, 0.4], [0, 0, 0, 1.0]])),
    (nn.squared_error_per_example, lambda p, t: ((p - t) ** 2).mean(axis=1), RNG.standard_normal((4, 3)),
     RNG.standard_normal((4, 3))),
    (nn.absolute_error_per_example, lambda p, t: np.abs(p - t).reshape(3, -1).mean(axis=1),
     RNG.standard_normal((3, 2, 2)), RNG.standard_normal((3, 2, 2))),
    (nn.hinge_per_example, lambda s, y: np.maximum(0, 1 - s * y), RNG.standard_normal(6),
     RNG.choice([-1.0, 1.0], 6)),
    (nn.squared_hinge_per_example, lambda s, y: np.maximum(0, 1 - s * y) ** 2, RNG.standard_normal(6),
     RNG.choice([-1.0, 1.0], 6)),
]


@pytest.mark.parametrize("case", range(len(LOSSES_ON_PAIRS)))
def test_loss_matches_numpy(case):
    f, ref, p, t = LOSSES_ON_PAIRS[case]
    check_against_numpy(f, ref, p, t, rtol=1e-13, atol=1e-15)


def test_mean_forms_are_the_mean_of_the_per_example_forms():
    pairs = {nn.binary_cross_entropy: nn.binary_cross_entropy_per_example,
             nn.categorical_cross_entropy: nn.categorical_cross_entropy_per_example,
             nn.kl_divergence: nn.kl_divergence_per_example, nn.mse: nn.squared_error_per_example,
             nn.mae: nn.absolute_error_per_example, nn.hinge: nn.hinge_per_example,
             nn.squared_hinge: nn.squared_hinge_per_example,
             nn.sigmoid_binary_cross_entropy: nn.sigmoid_binary_cross_entropy_per_example,
             nn.softmax_cross_entropy: nn.softmax_cross_entropy_per_example}
    p, t = distributions((5, 3)), distributions((5, 3))
    for mean, per_example in pairs.items():
        per = np.asarray(per_example(p, t))
        assert per.shape == (5,)
        check_against_numpy(mean, lambda a, b: np.mean(per), p, t, rtol=1e-14)


def test_per_example_averages_extra_axes_for_sequences():
    logits, labels = RNG.standard_normal((2, 3, 4)), RNG.integers(0, 4, (2, 3))
    expected = ref_sparse(scipy.special.log_softmax(logits.reshape(6, 4), axis=1), labels.reshape(6))
    check_against_numpy(nn.sparse_softmax_cross_entropy_per_example, lambda *_: expected.reshape(2, 3).mean(1),
                        logits, labels, rtol=1e-13)


@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 4), classes=st.integers(2, 5), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**16))
def test_integer_label_losses_match_numpy(batch, classes, dtype, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((batch, classes)).astype(dtype)
    labels = rng.integers(0, classes, batch)
    log_p = scipy.special.log_softmax(logits.astype(np.float64), axis=1)
    tol = 1e-5 if dtype == np.float32 else 1e-13
    expected = lambda *_: ref_sparse(log_p, labels).astype(dtype)  # noqa: E731
    check_against_numpy(nn.sparse_softmax_cross_entropy_per_example, expected, logits, labels, rtol=tol)
    check_against_numpy(nn.nll_per_example, expected, log_p.astype(dtype), labels, rtol=tol)
    check_against_numpy(nn.sparse_categorical_cross_entropy_per_example, expected, np.exp(log_p).astype(dtype),
                        labels, rtol=tol)
    # the integer-label forms equal the one-hot forms
    one_hot = np.eye(classes, dtype=dtype)[labels]
    assert_same(nn.softmax_cross_entropy(logits, one_hot), nn.sparse_softmax_cross_entropy(logits, labels),
                rtol=tol)


def test_logit_losses_are_exact_and_stable_at_large_logits():
    x, y = np.array([1000.0, -1000.0, 1000.0, -1000.0]), np.array([0.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(nn.sigmoid_binary_cross_entropy_per_example(x, y), [1000.0, 1000.0, 0.0, 0.0])
    np.testing.assert_array_equal(fnx.grad(nn.sigmoid_binary_cross_entropy)(x, y), [0.25, -0.25, 0.0, 0.0])
    logits, labels = np.array([[1000.0, -1000.0, 0.0]]), np.array([[0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(nn.softmax_cross_entropy_per_example(logits, labels), [2000.0])
    np.testing.assert_array_equal(fnx.grad(nn.softmax_cross_entropy)(logits, labels), [[1.0, -1.0, 0.0]])
    np.testing.assert_array_equal(nn.sparse_softmax_cross_entropy(logits, np.array([1])), 2000.0)
    # probabilities of exactly 0 with zero-weight targets contribute nothing (no 0 * log 0 = nan)
    assert float(nn.softmax_cross_entropy(np.array([[0.0, -np.inf]]), np.array([[1.0, 0.0]]))) == 0.0
    assert float(nn.categorical_cross_entropy(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]))) == 0.0


def test_keras_clipping():
    """Keras clips probabilities to [1e-7, 1 - 1e-7]: a certain wrong answer costs -log(1e-7), not inf."""
    p, y = np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])
    with np.errstate(divide="ignore"):
        assert np.isinf(float(nn.binary_cross_entropy(p, y)))
    assert float(nn.binary_cross_entropy(p, y, clip=1e-7)) == pytest.approx(-np.log(1e-7), rel=1e-7)
    assert float(nn.categorical_cross_entropy(p, y, clip=1e-7)) == pytest.approx(-np.log(1e-7))


def test_logit_losses_gradient_is_prediction_minus_target():
    logits, labels = RNG.standard_normal((3, 4)), distributions((3, 4))
    g = np.asarray(fnx.grad(nn.softmax_cross_entropy)(logits, labels))
    np.testing.assert_allclose(g, (scipy.special.softmax(logits, axis=1) - labels) / 3, rtol=1e-12, atol=1e-15)
    x, y = RNG.standard_normal(5), RNG.uniform(0, 1, 5)
    g = np.asarray(fnx.grad(nn.sigmoid_binary_cross_entropy)(x, y))
    np.testing.assert_allclose(g, (scipy.special.expit(x) - y) / 5, rtol=1e-12)


LOSS_GRADIENT_CASES = [  # (name, function of the predictions, predictions)
    ("bce", lambda p: nn.binary_cross_entropy(p, np.array([[1.0, 0.0, 0.3]])), probabilities((1, 3))),
    ("sigmoid_bce", lambda x: nn.sigmoid_binary_cross_entropy(x, np.array([1.0, 0.0, 0.3])),
     np.array([1000.0, -2.0, 0.7])),
    ("cce", lambda p: nn.categorical_cross_entropy(p, np.array([[0.2, 0.8], [1.0, 0.0]])), probabilities((2, 2))),
    ("softmax_ce", lambda x: nn.softmax_cross_entropy(x, np.array([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0]])),
     np.array([[1000.0, -1000.0, 0.0], [0.3, -0.2, 1.0]])),
    ("sparse_ce", lambda p: nn.sparse_categorical_cross_entropy(p, np.array([1, 0])), probabilities((2, 3))),
    ("sparse_softmax_ce", lambda x: nn.sparse_softmax_cross_entropy(x, np.array([1, 2])),
     np.array([[-1000.0, 1000.0, 3.0], [0.5, 0.1, -0.4]])),
    ("nll", lambda lp: nn.nll(lp, np.array([2, 0])), RNG.standard_normal((2, 3))),
    ("kl", lambda p: nn.kl_divergence(p, np.array([[0.5, 0.5, 0.0]])), probabilities((1, 3))),
    ("mse", lambda p: nn.mse(p, np.array([0.5, -1.0])), RNG.standard_normal(2)),
    ("mae", lambda p: nn.mae(p, np.array([0.5, -1.0])), np.array([0.2, 0.4])),
    ("hinge", lambda s: nn.hinge(s, np.array([1.0, -1.0, 1.0])), np.array([0.5, 0.3, 2.0])),
    ("squared_hinge", lambda s: nn.squared_hinge(s, np.array([1.0, -1.0])), np.array([0.5, -0.3])),
]


@pytest.mark.parametrize("name, f, p", LOSS_GRADIENT_CASES, ids=[c[0] for c in LOSS_GRADIENT_CASES])
def test_loss_gradient_matches_finite_differences(name, f, p):
    check_grads(f, [p], rtol=1e-5, atol=1e-7)


def test_kl_gradient_with_respect_to_targets_is_finite_at_zero_targets():
    p, t = np.array([[0.2, 0.3, 0.5]]), np.array([[0.5, 0.5, 0.0]])
    g = np.asarray(fnx.grad(nn.kl_divergence, argnums=1)(p, t))
    np.testing.assert_allclose(g[0, :2], np.log(t[0, :2] / p[0, :2]) + 1)
    assert g[0, 2] == 0.0


def test_ketkar_4_13_hinge_values_and_gradients():
    """max(0, 1 - x y) at x = -2..2, y = 1: 3, 2, 1, 0, 0; derivative -y where 1 - xy >= 0 (the switch form)."""
    x, y = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), np.ones(5)
    for out in eager_and_traced(nn.hinge_per_example, x, y):
        np.testing.assert_array_equal(out, [3.0, 2.0, 1.0, 0.0, 0.0])
    g = fnx.grad(lambda s: fnp.sum(nn.hinge_per_example(s, y)))(x)
    np.testing.assert_array_equal(g, [-1.0, -1.0, -1.0, -1.0, 0.0])


def test_per_example_gradients_under_vmap():
    logits, labels = RNG.standard_normal((4, 3)), RNG.integers(0, 3, 4)
    per_example = fnx.vmap(fnx.grad(nn.sparse_softmax_cross_entropy))(logits[:, None], labels[:, None])
    expected = scipy.special.softmax(logits, axis=1) - np.eye(3)[labels]
    np.testing.assert_allclose(np.asarray(per_example)[:, 0], expected, rtol=1e-12, atol=1e-15)


def test_loss_errors_name_the_operation_and_shapes():
    with pytest.raises(FnxTypeError, match=r"squared_error: .*same shape, got \(4, 1\) and \(4,\)"):
        nn.mse(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(FnxTypeError, match="sparse_softmax_cross_entropy: labels must be integer"):
        nn.sparse_softmax_cross_entropy(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(FnxTypeError, match=r"nll: .*got \(2, 3\) and \(3,\)"):
        nn.nll(np.zeros((2, 3)), np.zeros(3, int))
    with pytest.raises(FnxTypeError, match="softmax_cross_entropy: needs a class axis"):
        nn.softmax_cross_entropy(np.float64(1.0), np.float64(1.0))


# -- regularizers ---------------------------------------------------------------------------------------------

def test_ketkar_4_8_regularizers():
    x = np.array([[0, 1, 3]])
    for f, expected in ((nn.l1, 4.0), (nn.l2, 10.0)):
        for out in eager_and_traced(f, x):
            assert out.dtype == np.float64 and out == expected


def test_regularizers_over_pytrees():
    params = {"dense": {"w": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2)},
              "out": [RNG.standard_normal(4)]}
    leaves = [params["dense"]["w"], params["dense"]["b"], params["out"][0]]
    check_against_numpy(nn.l1, lambda _: sum(np.abs(v).sum() for v in leaves), params, rtol=1e-14)
    check_against_numpy(nn.l2, lambda _: sum((v ** 2).sum() for v in leaves), params, rtol=1e-14)
    check_against_numpy(lambda p: nn.l2(p, half=True), lambda _: sum((v ** 2).sum() for v in leaves) / 2, params,
                        rtol=1e-14)
    grads = fnx.grad(lambda p: nn.l2(p, half=True))(params)
    assert_same(fnx.tree_map(np.asarray, grads), params)
    assert float(nn.l1({})) == 0.0


# -- initializers -----------------------------------------------------------------------------------------------

KEY = fr.key(7)


@pytest.mark.parametrize("shape, axes, fans", [
    ((784, 30), {}, (784, 30)),
    ((5, 5, 3, 16), {}, (75, 400)),                          # HWIO: the defaults
    ((16, 3, 5, 5), {"in_axis": 1, "out_axis": 0}, (75, 400)),  # OIHW
    ((7,), {}, (7, 7)),
    ((), {}, (1, 1)),
])
def test_compute_fans(shape, axes, fans):
    assert init.compute_fans(shape, **axes) == fans


def test_compute_fans_errors():
    with pytest.raises(FnxTypeError, match="compute_fans: in_axis and out_axis are the same"):
        init.compute_fans((3, 4), in_axis=0, out_axis=-2)
    with pytest.raises(FnxTypeError, match="out of range"):
        init.compute_fans((3, 4), in_axis=2)


# (initializer, shape, expected std, largest allowed |w| or None)
VARIANCE_CASES = [
    (init.glorot_uniform(), (400, 300), math.sqrt(2 / 700), math.sqrt(6 / 700)),
    (init.xavier_normal(), (400, 300), math.sqrt(2 / 700), None),
    (init.glorot_normal(distribution="truncated_normal"), (400, 300), math.sqrt(2 / 700),
     2 * math.sqrt(2 / 700) / 0.8796256610342398),
    (init.he_uniform(), (500, 200), math.sqrt(2 / 500), math.sqrt(6 / 500)),
    (init.kaiming_normal(), (500, 200), math.sqrt(2 / 500), None),
    (init.he_normal(in_axis=1, out_axis=0), (64, 32, 3, 3), math.sqrt(2 / 288), None),
    (init.lecun_uniform(), (300, 400), math.sqrt(1 / 300), math.sqrt(3 / 300)),
    (init.lecun_normal(), (300, 400), math.sqrt(1 / 300), None),
    (init.variance_scaling(3.0, "fan_out", "uniform"), (100, 500), math.sqrt(3 / 500), math.sqrt(9 / 500)),
    (init.normal(stddev=0.05), (300, 300), 0.05, None),
    (init.uniform(-0.1, 0.1), (300, 300), 0.2 / math.sqrt(12), 0.1),
    (init.truncated_normal(stddev=0.1), (300, 300), 0.1 * 0.8796256610342398, 0.2),
]


@pytest.mark.parametrize("case", range(len(VARIANCE_CASES)))
def test_initializer_statistics(case):
    f, shape, std, bound = VARIANCE_CASES[case]
    w = np.asarray(f(KEY, shape))
    assert w.shape == shape and w.dtype == np.float64
    n = w.size
    assert abs(w.mean()) < 4 * std / math.sqrt(n)
    assert w.std() == pytest.approx(std, rel=0.02)
    if bound is not None:
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound


def test_initializers_follow_the_scipy_distributions():
    """Kolmogorov-Smirnov against the exact distributions."""
    n = 20000
    w = np.asarray(init.he_normal(distribution="normal")(KEY, (100, n // 100)))
    assert scipy.stats.kstest(w.ravel(), scipy.stats.norm(scale=math.sqrt(2 / 100)).cdf).pvalue > 1e-3
    w = np.asarray(init.he_normal()(KEY, (100, n // 100)))  # JAX's default: truncated at 2 std, rescaled
    scale = math.sqrt(2 / 100) / 0.8796256610342398
    assert scipy.stats.kstest(w.ravel(), scipy.stats.truncnorm(-2, 2, scale=scale).cdf).pvalue > 1e-3
    w = np.asarray(init.truncated_normal(stddev=0.3, mean=1.0)(KEY, (n,)))
    ref = scipy.stats.truncnorm(-2, 2, loc=1.0, scale=0.3)
    assert scipy.stats.kstest(w, ref.cdf).pvalue > 1e-3
    w = np.asarray(init.glorot_uniform()(KEY, (n // 50, 50)))
    limit = math.sqrt(6 / (n // 50 + 50))
    assert scipy.stats.kstest(w.ravel(), scipy.stats.uniform(-limit, 2 * limit).cdf).pvalue > 1e-3


def test_constant_initializers():
    check_against_numpy(lambda k: init.zeros()(k, (2, 3)), lambda _: np.zeros((2, 3)), KEY)
    check_against_numpy(lambda k: init.ones()(k, 4, np.float32), lambda _: np.ones(4, np.float32), KEY)
    check_against_numpy(lambda k: init.constant(0.1)(k, (3,)), lambda _: np.full(3, 0.1), KEY)
    check_against_numpy(lambda k: init.constant(2)(k, (2,), np.int32), lambda _: np.full(2, 2, np.int32), KEY)


@pytest.mark.parametrize("factory", [init.normal(), init.uniform(), init.truncated_normal(), init.glorot_uniform(),
                                     init.he_normal(), init.lecun_normal(distribution="truncated_normal"),
                                     init.orthogonal()])
def test_initializers_are_deterministic_traceable_and_vmappable(factory):
    eager, traced = eager_and_traced(lambda k: factory(k, (5, 4), np.float32), KEY)
    assert eager.dtype == np.float32 and eager.shape == (5, 4)
    assert_same(traced, eager, rtol=1e-6)
    assert_same(np.asarray(factory(KEY, (5, 4), np.float32)), eager, rtol=0)
    assert not np.array_equal(np.asarray(factory(fr.key(8), (5, 4), np.float32)), eager)
    keys = fr.split(KEY, 3)
    batched = np.asarray(fnx.vmap(lambda k: factory(k, (5, 4)))(keys))
    for i in range(3):
        np.testing.assert_allclose(batched[i], factory(keys[i], (5, 4)), rtol=1e-12)


def reference_orthogonal(a: np.ndarray) -> np.ndarray:
    """The Q factor of NumPy's QR of the (tall) Gaussian matrix, signed so that R has a positive diagonal."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diag(r))


@pytest.mark.parametrize("shape", [(6, 4), (5, 5), (3, 7)])
def test_orthogonal_matches_numpy_qr_of_the_same_gaussian(shape):
    rows, cols = shape
    tall = rows >= cols
    a = np.asarray(fr.normal(KEY, shape if tall else (cols, rows)))
    expected = reference_orthogonal(a) if tall else reference_orthogonal(a).T
    check_against_numpy(lambda k: init.orthogonal()(k, shape), lambda _: expected, KEY, rtol=1e-10, atol=1e-13)


def test_orthogonal_is_orthogonal_and_scaled():
    w = np.asarray(init.orthogonal(scale=2.0)(KEY, (64, 32)))
    np.testing.assert_allclose(w.T @ w, 4 * np.eye(32), atol=1e-12)
    w = np.asarray(init.orthogonal()(KEY, (16, 40)))
    np.testing.assert_allclose(w @ w.T, np.eye(16), atol=1e-12)
    w = np.asarray(init.orthogonal(column_axis=0)(KEY, (8, 3, 2, 2)))  # an OIHW kernel: one column per filter
    flat = w.reshape(8, 12)
    np.testing.assert_allclose(flat @ flat.T, np.eye(8), atol=1e-12)


def test_initializer_errors():
    with pytest.raises(FnxTypeError, match="normal: needs a float dtype"):
        init.normal()(KEY, (2,), np.int32)
    with pytest.raises(FnxTypeError, match="variance_scaling: mode"):
        init.variance_scaling(1.0, "fan_sum", "normal")
    with pytest.raises(FnxTypeError, match="variance_scaling: distribution"):
        init.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(FnxTypeError, match="uniform: shape must be"):
        init.uniform()(KEY, (2, -1))
    with pytest.raises(FnxTypeError, match="orthogonal: needs a shape of rank >= 2"):
        init.orthogonal()(KEY, (3,))


# -- metrics -----------------------------------------------------------------------------------------------------

def test_accuracy_matches_numpy():
    scores, labels = RNG.standard_normal((20, 4)), RNG.integers(0, 4, 20)
    expected = lambda *_: np.mean(scores.argmax(1) == labels)  # noqa: E731
    check_against_numpy(nn.accuracy, expected, scores, labels)
    check_against_numpy(nn.accuracy, expected, scores, np.eye(4)[labels])
    check_against_numpy(nn.accuracy, expected, scores.argmax(1), labels)
    probs, binary = RNG.uniform(0, 1, 30), RNG.integers(0, 2, 30)
    check_against_numpy(nn.binary_accuracy, lambda *_: np.mean(np.round(probs) == binary), probs, binary)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracy_matches_numpy(k):
    scores, labels = RNG.standard_normal((25, 5)), RNG.integers(0, 5, 25)
    top = np.argsort(-scores, axis=1)[:, :k]
    expected = np.mean([labels[i] in top[i] for i in range(25)])
    check_against_numpy(lambda s, y: nn.top_k_accuracy(s, y, k=k), lambda *_: expected, scores, labels)
    if k == 1:
        assert float(nn.top_k_accuracy(scores, labels, k=1)) == float(nn.accuracy(scores, labels))


def test_top_k_accuracy_counts_ties_in_favour_of_the_label():
    scores = np.array([[0.5, 0.5, 0.2], [0.5, 0.3, 0.3]])
    assert float(nn.top_k_accuracy(scores, np.array([1, 2]), k=1)) == 0.5
    assert float(nn.top_k_accuracy(scores, np.array([1, 2]), k=2)) == 1.0


def test_confusion_matrix_matches_numpy():
    predictions, labels = RNG.integers(0, 4, (6, 5)), RNG.integers(0, 4, (6, 5))
    expected = np.zeros((4, 4), np.int64)
    np.add.at(expected, (labels.ravel(), predictions.ravel()), 1)
    check_against_numpy(lambda p, y: nn.confusion_matrix(p, y, 4), lambda *_: expected, predictions, labels)
    out = np.asarray(nn.confusion_matrix(np.array([0, 1, 7]), np.array([0, 0, 1]), 2))
    np.testing.assert_array_equal(out, [[1, 1], [0, 0]])  # the out-of-range prediction 7 is not counted


def test_count_params():
    buduma = [{"w": ShapedArray((a, b), np.dtype(np.float32)), "b": np.zeros(b)}
              for a, b in ((784, 30), (30, 30), (30, 10))]
    assert nn.count_params(buduma) == 24790  # Buduma's 784-30-30-10 network
    assert nn.count_params({"scale": 1.0, "w": fnp.zeros((2, 3))}) == 7
    assert nn.count_params([]) == 0


def test_metric_errors():
    with pytest.raises(FnxTypeError, match="accuracy: needs scores with a class axis of size >= 2"):
        nn.accuracy(np.zeros((4, 1)), np.zeros(4, int))
    with pytest.raises(FnxTypeError, match=r"accuracy: .*got \(4, 3\) and float64 \(4,\)"):
        nn.accuracy(np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(FnxTypeError, match="top_k_accuracy: k must be"):
        nn.top_k_accuracy(np.zeros((4, 3)), np.zeros(4, int), k=0)
    with pytest.raises(FnxTypeError, match="confusion_matrix: needs integer class ids"):
        nn.confusion_matrix(np.zeros(3), np.zeros(3, int), 2)


# -- jit (one compiled function covering several pieces) ------------------------------------------------------------

def _compiled_pieces(logits, labels, targets):
    return (nn.hard_sigmoid(logits, variant="theano"), nn.sparse_softmax_cross_entropy(logits, labels),
            nn.sigmoid_binary_cross_entropy(logits, targets), nn.accuracy(logits, labels))


COMPILED = fnx.jit(_compiled_pieces)


def test_jit_matches_eager():
    logits, labels, targets = RNG.standard_normal((3, 4)), np.array([0, 3, 1]), RNG.uniform(0, 1, (3, 4))
    compiled = fnx.tree_map(np.asarray, COMPILED(logits, labels, targets))
    eager = fnx.tree_map(np.asarray, _compiled_pieces(logits, labels, targets))
    assert_same(compiled, eager, rtol=1e-12)

