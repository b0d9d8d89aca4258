"""Book listings that need derivatives: Ketkar 4-6 and 9-1, Ghatak's gradient check (§5.6), the hand-derived
backprop of Buduma (book 001) and LazyProgrammer (book 004), and book 004's Theano and TensorFlow quadratics.

The numbers are the catalogs' printed or derived values (../shared/books/seed-000-ketkar.md,
seed-001-004.md parts B and C, seed-002-ghatak.md §3.9). Each fnx derivative is computed eagerly and through
its jaxpr (``both``); the training loops here are plain Python loops over ``fnx.grad`` (no scan).
"""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from helpers import TF_QUADRATIC_PRINTOUT, both, tf_quadratic_printout


def sigmoid(xp, z):
    return 1 / (1 + xp.exp(-z))


# -- Ketkar 4-6: gradient with shared state ------------------------------------------------------------------

def ketkar_z(x, y):
    return fnp.sum((x * x + y) * x)


X46 = np.array([[1.0, 2.0, 3.0]])
Y46, Y46_UPDATED = np.array([[4, 5, 6]]), np.array([[1, 1, 1]])  # the book's shared y is an int array


def test_ketkar_4_6_value_and_gradient_with_state_argument():
    assert both(ketkar_z, X46, Y46) == 68.0
    np.testing.assert_array_equal(both(fnx.grad(ketkar_z, argnums=0), X46, Y46), [[7.0, 17.0, 33.0]])
    value, g = both(fnx.value_and_grad(ketkar_z), X46, Y46_UPDATED)
    assert value == 42.0
    np.testing.assert_array_equal(g, [[4.0, 13.0, 28.0]])
    assert g.shape == X46.shape and g.dtype == np.float64


def test_ketkar_4_6_changing_the_state_needs_no_retrace():
    grad_z = fnx.value_and_grad(ketkar_z)
    closed = fnx.make_jaxpr(grad_z)(X46, Y46)
    assert str(closed) == str(fnx.make_jaxpr(grad_z)(X46, Y46_UPDATED))
    assert not closed.consts  # y is an input of the jaxpr, not a baked-in constant
    for y, value, gradient in [(Y46, 68.0, [[7, 17, 33]]), (Y46_UPDATED, 42.0, [[4, 13, 28]])]:
        out_value, out_grad = fnx.eval_jaxpr(closed.jaxpr, closed.consts, X46, y)
        assert float(out_value) == value
        np.testing.assert_array_equal(np.asarray(out_grad), gradient)


# -- Ketkar 9-1: grad with respect to each argument ----------------------------------------------------------

def ketkar_f(x1, x2):
    return fnp.sqrt(x1 * x1 + x2 * x2)


def test_ketkar_9_1_grad_by_argnum_at_python_ints():
    assert float(ketkar_f(1, 2)) == 2.23606797749979
    g1, g2 = fnx.grad(ketkar_f, 0)(1, 2), fnx.grad(ketkar_f, 1)(1, 2)  # Python ints promote to float64
    np.testing.assert_allclose([g1, g2], [0.4472135954999579, 0.8944271909999159], rtol=2e-16)
    assert g1.dtype == np.float64
    # Traced, the arguments are arrays, which must be float: make_jaxpr would turn the ints into int64 inputs.
    np.testing.assert_array_equal(both(fnx.grad(ketkar_f, argnums=(0, 1)), 1.0, 2.0), (g1, g2))


def test_ketkar_9_1_forward_mode_with_one_hot_tangents():
    for tangent, expected in [((1.0, 0.0), 0.4472135954999579), ((0.0, 1.0), 0.8944271909999159)]:
        value, derivative = fnx.jvp(ketkar_f, (1, 2), tangent)
        assert float(value) == 2.23606797749979
        np.testing.assert_allclose(float(derivative), expected, rtol=2e-16)


# -- Ghatak §5.6: gradient checking -------------------------------------------------------------------------

def ghatak_cost(xp, p, X, Y):
    """The book's 2-100-2 net (columns are examples): relu hidden layer, sigmoid outputs, binary CE / m."""
    a1 = xp.maximum(p["W1"] @ X + p["b1"], 0.0)
    a2 = sigmoid(xp, p["W2"] @ a1 + p["b2"])
    return -xp.sum(Y * xp.log(a2) + (1 - Y) * xp.log(1 - a2)) / X.shape[1]


def three_layer_cost(xp, p, X, Y):
    """A 4-8-6-3 net (rows are examples): relu, sigmoid, then softmax cross-entropy, averaged."""
    h1 = xp.maximum(X @ p["W1"] + p["b1"], 0.0)
    h2 = sigmoid(xp, h1 @ p["W2"] + p["b2"])
    logits = h2 @ p["W3"] + p["b3"]
    shift = xp.max(logits, axis=1, keepdims=True)
    log_softmax = logits - shift - xp.log(xp.sum(xp.exp(logits - shift), axis=1, keepdims=True))
    return -xp.sum(Y * log_softmax) / X.shape[0]


def gradient_check(cost, params, X, Y, epsilon=1e-7):
    """Ghatak's check: two-sided differences of every parameter vs fnx.grad; returns the relative difference
    ||g_num - g|| / (||g_num|| + ||g||)."""
    grads = both(fnx.grad(lambda p, x, y: cost(fnp, p, x, y)), params, X, Y, rtol=1e-12)
    names = sorted(params)
    g = np.concatenate([grads[k].ravel() for k in names])
    g_num = []
    for k in names:
        for idx in np.ndindex(params[k].shape):
            plus = {n: v.copy() for n, v in params.items()}
            minus = {n: v.copy() for n, v in params.items()}
            plus[k][idx] += epsilon
            minus[k][idx] -= epsilon
            g_num.append((cost(np, plus, X, Y) - cost(np, minus, X, Y)) / (2 * epsilon))
    g_num = np.array(g_num)
    return np.linalg.norm(g_num - g) / (np.linalg.norm(g_num) + np.linalg.norm(g))


def test_ghatak_gradient_check_2_100_2_relu_sigmoid():
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(size=(100, 2)) * 0.01, "b1": np.zeros((100, 1)),
              "W2": rng.normal(size=(2, 100)) * 0.01, "b2": np.zeros((2, 1))}
    X, Y = rng.normal(size=(2, 1)), np.array([[1.0]])
    assert float(ghatak_cost(fnp, params, X, Y)) == pytest.approx(ghatak_cost(np, params, X, Y), rel=1e-14)
    assert gradient_check(ghatak_cost, params, X, Y) < 1e-7  # the book prints 1.070501e-08


def test_gradient_check_three_layer_softmax_network():
    rng = np.random.default_rng(2)
    sizes = [4, 8, 6, 3]
    params = {}
    for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{i}"] = rng.normal(size=(m, n)) * np.sqrt(2 / m)
        params[f"b{i}"] = rng.normal(size=n) * 0.1
    X, Y = rng.normal(size=(5, 4)), np.eye(3)[[0, 1, 2, 2, 1]]
    assert float(three_layer_cost(fnp, params, X, Y)) == pytest.approx(three_layer_cost(np, params, X, Y),
                                                                        rel=1e-14)
    assert gradient_check(three_layer_cost, params, X, Y) < 1e-7


# -- Book 004 (LazyProgrammer) C.1: softmax cross-entropy over a sigmoid hidden layer -----------------------

C1_X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])
C1_W1 = np.array([[0.1, -0.2, 0.3], [0.4, 0.0, -0.1]])
C1_W2 = np.array([[0.2, -0.3], [0.1, 0.5], [-0.4, 0.2]])
C1_T = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])


def c1_forward(xp, X, W1, W2):
    """The book's forward: Z = sigmoid(X W1), Y = softmax(Z W2) (naive softmax, as printed)."""
    Z = sigmoid(xp, X @ W1)
    A = xp.exp(Z @ W2)
    return A / xp.sum(A, axis=1, keepdims=True), Z


def c1_cost(W1, W2, X, T):
    Y, _ = c1_forward(fnp, X, W1, W2)
    return -fnp.sum(T * fnp.log(Y))


def c1_manual_gradients(X, W1, W2, T):
    """The book's grad_W1 / grad_W2 (with its typo Z(1 - Z) read as Z*(1 - Z))."""
    Y, Z = c1_forward(np, X, W1, W2)
    return X.T.dot((Y - T).dot(W2.T) * (Z * (1 - Z))), Z.T.dot(Y - T)


def test_lazyprogrammer_backprop_formulas_equal_grad():
    assert float(c1_cost(C1_W1, C1_W2, C1_X, C1_T)) == pytest.approx(1.9063248317808772, rel=1e-15)
    g1, g2 = both(fnx.grad(c1_cost, argnums=(0, 1)), C1_W1, C1_W2, C1_X, C1_T, rtol=1e-13)
    manual_g1, manual_g2 = c1_manual_gradients(C1_X, C1_W1, C1_W2, C1_T)
    np.testing.assert_allclose(g1, manual_g1, rtol=0, atol=1e-10)
    np.testing.assert_allclose(g2, manual_g2, rtol=0, atol=1e-10)
    np.testing.assert_allclose(g2, [[0.0885789866, -0.0885789866], [0.1331850268, -0.1331850268],
                                    [0.2382183891, -0.2382183891]], atol=6e-11)
    np.testing.assert_allclose(g1, [[0.1003246575, -0.0610134212, -0.066884086],
                                    [-0.1071641754, 0.098522143, 0.1411333795]], atol=6e-11)


def test_lazyprogrammer_one_simultaneous_gradient_step():
    g1, g2 = fnx.grad(c1_cost, argnums=(0, 1))(C1_W1, C1_W2, C1_X, C1_T)
    W1, W2 = C1_W1 - 0.1 * np.asarray(g1), C1_W2 - 0.1 * np.asarray(g2)
    np.testing.assert_allclose(W2, [[0.1911421013, -0.2911421013], [0.0866814973, 0.5133185027],
                                    [-0.4238218389, 0.2238218389]], atol=6e-11)
    np.testing.assert_allclose(W1, [[0.0899675342, -0.1938986579, 0.3066884086],
                                    [0.4107164175, -0.0098522143, -0.1141133379]], atol=6e-11)
    assert float(c1_cost(W1, W2, C1_X, C1_T)) == pytest.approx(1.884686228009436, rel=1e-14)


# -- Book 001 (Buduma) C.2 and C.3: squared-error sigmoid backprop and the delta rule -----------------------

def c2_error(W1, W2, x, t):
    h = sigmoid(fnp, x @ W1)
    y = sigmoid(fnp, h @ W2)
    return 0.5 * fnp.sum((t - y) ** 2)


def c2_manual_gradients(W1, W2, x, t):
    """Book 001's backprop: dE/dy = -(t - y); dE/dz_j = y_j (1 - y_j) dE/dy_j; dE/dy_i = sum_j w_ij dE/dz_j;
    dE/dw_ij = y_i dE/dz_j (y_i the lower layer's output)."""
    h = sigmoid(np, x @ W1)
    y = sigmoid(np, h @ W2)
    dz_out = y * (1 - y) * -(t - y)
    dz_hidden = h * (1 - h) * (W2 @ dz_out)
    return np.outer(x, dz_hidden), np.outer(h, dz_out)


def test_buduma_backprop_formulas_equal_grad():
    x, t = np.array([1.0, 2.0]), np.array([1.0, 0.0])
    value, (g1, g2) = both(fnx.value_and_grad(c2_error, argnums=(0, 1)), C1_W1, C1_W2, x, t, rtol=1e-13)
    assert value == pytest.approx(0.26787223050967846, rel=1e-15)
    manual_g1, manual_g2 = c2_manual_gradients(C1_W1, C1_W2, x, t)
    np.testing.assert_allclose(g1, manual_g1, rtol=0, atol=1e-10)
    np.testing.assert_allclose(g2, manual_g2, rtol=0, atol=1e-10)
    np.testing.assert_allclose(g2, [[-0.0898694235, 0.0937324501], [-0.056904406, 0.0593504352],
                                    [-0.0663613615, 0.0692138968]], atol=6e-11)
    np.testing.assert_allclose(g1, [[-0.0133233837, 0.0131876458, 0.0191848194],
                                    [-0.0266467674, 0.0263752916, 0.0383696389]], atol=6e-11)


def test_buduma_full_batch_gradient_is_the_sum_of_per_example_gradients():
    rng = np.random.default_rng(3)
    xs, ts = rng.normal(size=(6, 2)), rng.uniform(size=(6, 2))
    per_example = both(fnx.vmap(fnx.grad(c2_error, argnums=(0, 1)), in_axes=(None, None, 0, 0)),
                       C1_W1, C1_W2, xs, ts, rtol=1e-13)

    def dataset_error(W1, W2):
        return fnp.sum(fnx.vmap(c2_error, in_axes=(None, None, 0, 0))(W1, W2, xs, ts))
    full = fnx.grad(dataset_error, argnums=(0, 1))(C1_W1, C1_W2)
    manual = [sum(m) for m in zip(*[c2_manual_gradients(C1_W1, C1_W2, x, t) for x, t in zip(xs, ts)])]
    for p, f, m in zip(per_example, full, manual):
        np.testing.assert_allclose(p.sum(0), m, rtol=0, atol=1e-12)
        np.testing.assert_allclose(np.asarray(f), m, rtol=0, atol=1e-12)


def test_buduma_sigmoid_neuron_delta_rule():
    def error(w, x, t):
        return 0.5 * (t - sigmoid(fnp, fnp.dot(w, x))) ** 2
    g = both(fnx.grad(error), np.array([0.5, -0.25]), np.array([1.0, 2.0]), 1.0)
    np.testing.assert_array_equal(g, [-0.125, -0.25])


# -- Book 004: the Theano and TensorFlow quadratics, as Python loops over fnx.grad ---------------------------

THEANO_TRACE = {0: (420.0, 7.7), 1: (66.99, 2.78), 2: (10.5084, 0.812), 3: (1.471344, 0.0248),
                4: (0.02541504, -0.29008), 5: (-0.2059335936, -0.416032), 6: (-0.242949374976, -0.4664128),
                7: (-0.24887189999616, -0.48656512), 8: (-0.2498195039993856, -0.494626048),
                9: (-0.2499711206399017, -0.4978504192), 10: (-0.24999537930238427, -0.49914016768),
                24: (-0.24999999999999997, -0.4999999976919052)}


def test_lazyprogrammer_theano_quadratic():
    """Theano computes a function's outputs before its updates: call i returns J(x_i), then x -= 0.3 J'(x_i)."""
    cost_and_grad = fnx.value_and_grad(lambda x: x * x + x)
    x = 20.0
    for i in range(25):
        cost_val, g = cost_and_grad(x)
        x = x - 0.3 * g
        if i in THEANO_TRACE:
            np.testing.assert_allclose([float(cost_val), float(x)], THEANO_TRACE[i], rtol=1e-12, atol=1e-15)
    assert float(x) == pytest.approx(-0.4999999976919052, rel=1e-15)
    traced_value, traced_grad = both(cost_and_grad, np.float64(-0.5))
    assert (traced_value, traced_grad) == (-0.25, 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lazyprogrammer_tensorflow_quadratic_printout(dtype):
    """TF evaluates the cost after each update: u -= 0.3 * J'(u), then print J(u) and u."""
    def cost(u):
        return u * u + u + 1.0
    step = fnx.grad(cost)
    u = fnp.asarray(20.0, dtype=dtype)
    costs, us = [], []
    for _ in range(12):
        u = u - 0.3 * step(u)
        costs.append(cost(u))
        us.append(u)
    assert tf_quadratic_printout(costs, us) == TF_QUADRATIC_PRINTOUT
    assert u.dtype == dtype
    if dtype == np.float32:
        assert float(u) == pytest.approx(-0.49965608, rel=1e-7)
        assert float(cost(u)) == pytest.approx(0.7500001, rel=1e-7)
