"""Book listings that need no transform: Ketkar chapter 4 (Theano basics), evaluated eagerly and traced.

Numbers are the books' printed outputs (catalog: ../shared/books/seed-000-ketkar.md). Theano's typed
placeholders (dscalar, dmatrix) cast their inputs to float64; the fnx functions do the same with
``fnp.asarray(v, float)``.
"""
import numpy as np

import fnx.numpy as fnp
from helpers import eager_and_traced


def as_f64(*values):
    return [fnp.asarray(v, dtype="float64") for v in values]


def both(f, *args):
    eager, traced = eager_and_traced(f, *args)
    np.testing.assert_array_equal(eager, traced)
    return eager


def test_ketkar_4_1_scalar_function():
    out = both(lambda a, b, c, d, e: ((a - b + c) * d) / e, *as_f64(1, 2, 3, 4, 5))
    assert out == 1.6 and out.dtype == np.float64
    assert float(fnp.divide(((1 - 2 + 3) * 4), 5)) == 1.6  # integer inputs still divide to a float


A = [[1, 1], [1, 1]]
B = [[2, 2], [2, 2]]
C = [[5, 5], [5, 5]]
D = [[3, 3], [3, 3]]


def test_ketkar_4_2_matrix_expression():
    out = both(lambda a, b, c, d: (a + b - c) * d, *as_f64(A, B, C, D))
    np.testing.assert_array_equal(out, [[-6.0, -6.0], [-6.0, -6.0]])
    assert out.dtype == np.float64


def test_ketkar_4_3_scalars_and_matrices():
    def f(a, b, c, d, p, q, r, s, u):
        return (((a * p) + (b - q) - (c + r)) * d / s) * u
    out = both(f, *as_f64(A, B, C, D, 1, 2, 3, 4, 5))
    np.testing.assert_array_equal(out, np.full((2, 2), -26.25))


def test_ketkar_4_7_losses():
    def binary_crossentropy(output, target):  # Theano's elementwise form, argument order (output, target)
        return -(target * fnp.log(output) + (1 - target) * fnp.log(1 - output))

    def categorical_crossentropy(coding_dist, true_dist):  # one value per row
        return -fnp.sum(true_dist * fnp.log(coding_dist), axis=-1)

    a, b = as_f64([[0.01, 0.01, 0.01]], [[0.99, 0.99, 0.01]])
    assert both(lambda o, t: binary_crossentropy(o, t).mean(), a, b) == 3.058146503109446
    np.testing.assert_allclose(both(categorical_crossentropy, a, b), [9.164288670116301], rtol=1e-15)
    # The book prints the CCE line again for the squared error; the true value is this:
    np.testing.assert_allclose(both(lambda x, y: (x - y) ** 2, a, b), [[0.9604, 0.9604, 0.0]], rtol=1e-12)


def test_ketkar_4_8_regularizers():
    x = as_f64([[0, 1, 3]])[0]
    assert both(lambda v: fnp.sum(abs(v)), x) == 4.0
    assert both(lambda v: fnp.sum(v ** 2), x) == 10.0


def test_ketkar_4_4_activations_reference_values():
    x = as_f64([[-1, 0, 1]])[0]
    np.testing.assert_allclose(both(fnp.sigmoid, x), [[0.2689414213699951, 0.5, 0.7310585786300049]],
                               rtol=1e-15)
    np.testing.assert_allclose(both(fnp.tanh, x), [[-0.7615941559557649, 0.0, 0.7615941559557649]], rtol=1e-15)
    softplus = both(lambda v: fnp.logaddexp(0.0, v), x)
    np.testing.assert_allclose(softplus, [[0.31326168751822286, 0.6931471805599453, 1.3132616875182228]],
                               rtol=1e-15)
    softmax = both(lambda v: fnp.exp(v - fnp.logsumexp(v, axis=1, keepdims=True)), x)
    np.testing.assert_allclose(softmax, [[0.09003057317038046, 0.24472847105479764, 0.6652409557748218]],
                               rtol=1e-14)
