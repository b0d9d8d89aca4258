"""training.keras1: Keras 1's optimizers against NumPy transcriptions of Keras 1's update rules, its
initializers' documented scales, its LSTM (hard-sigmoid gates, forget bias 1) against a NumPy step, and
Keras's rounding binary accuracy (Ketkar 2017, listing 7-6's accuracy 0.0 for a linear output)."""
import numpy as np
import pytest

import fnx
import fnx.nn as nn
import fnx.optimizers as optim
import fnx.random as fr
from fnx.training import evaluate, keras1

G = np.random.default_rng(0).normal(size=(6, 3))  # six steps of gradients for a 3-vector


def run(opt, steps=6):
    params = {"w": np.ones(3)}
    state = opt.init(params)
    for g in G[:steps]:
        updates, state = opt.update({"w": g}, state, params)
        params = optim.apply_updates(params, updates)
    return np.asarray(params["w"])


def keras_rule(name):
    """Keras 1.2's optimizers.py update rules, written out in NumPy, with its default hyper-parameters."""
    p, a, b = np.ones(3), np.zeros(3), np.zeros(3)
    for t, g in enumerate(G, start=1):
        if name == "sgd":
            p = p - 0.01 / (1 + 0.1 * (t - 1)) * g  # decay=0.1
        elif name == "rmsprop":
            a = 0.9 * a + 0.1 * g * g
            p = p - 0.001 * g / (np.sqrt(a) + 1e-8)
        elif name == "adagrad":
            a = a + g * g
            p = p - 0.01 * g / (np.sqrt(a) + 1e-8)
        elif name == "adadelta":
            a = 0.95 * a + 0.05 * g * g
            update = g * np.sqrt(b + 1e-8) / np.sqrt(a + 1e-8)
            p = p - 1.0 * update
            b = 0.95 * b + 0.05 * update * update
        elif name == "adam":
            lr_t = 0.001 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            a = 0.9 * a + 0.1 * g
            b = 0.999 * b + 0.001 * g * g
            p = p - lr_t * a / (np.sqrt(b) + 1e-8)
        elif name == "adamax":
            a = 0.9 * a + 0.1 * g
            b = np.maximum(0.999 * b, np.abs(g))
            p = p - 0.002 / (1 - 0.9 ** t) * a / (b + 1e-8)
    return p


@pytest.mark.parametrize("name, rtol", [("sgd", 1e-14), ("rmsprop", 1e-14), ("adagrad", 1e-14),
                                        ("adadelta", 1e-14), ("adam", 1e-8), ("adamax", 1e-14)])
def test_keras1_optimizers_follow_keras1_update_rules(name, rtol):
    opt = keras1.optimizer(name, decay=0.1) if name == "sgd" else keras1.optimizer(name)
    np.testing.assert_allclose(run(opt), keras_rule(name), rtol=rtol)  # adam: eps placement, O(eps) apart
    assert keras1.optimizer(name) is keras1.optimizer(name)  # cached: fit reuses its compiled step


def test_keras1_initializers_have_keras1_scales():
    key = fr.key(0)
    w = np.asarray(keras1.initializer("glorot_uniform")(key, (300, 200)))
    limit = np.sqrt(6 / 500)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    q = np.asarray(keras1.initializer("orthogonal")(key, (50, 50)))
    np.testing.assert_allclose(q.T @ q, 1.21 * np.eye(50), atol=1e-12)
    u = np.asarray(keras1.initializer("uniform")(key, (20000,)))
    assert -0.05 <= u.min() < -0.0499 and 0.0499 < u.max() < 0.05
    n = np.asarray(keras1.initializer("normal")(key, (20000,)))
    assert abs(n.std() - 0.05) < 0.002 and np.abs(n).max() > 0.15  # not truncated
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        keras1.initializer("glorot")


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0, 1)


def test_keras1_lstm_step_uses_hard_sigmoid_gates_and_forget_bias_one():
    params = nn.lstm.init(fr.key(1), 3, 4)
    assert np.all(np.asarray(params["b"])[4:8] == 1.0)
    x, h, c = np.random.default_rng(1).normal(size=(3, 2, 4))[:, :, :4]
    x = x[:, :3]
    (h1, c1), _ = nn.lstm(params, (h, c), x, **keras1.RECURRENT)
    z = x @ params["w_x"] + h @ params["w_h"] + params["b"]
    i, f, g, o = np.split(np.asarray(z), 4, axis=-1)
    c_expected = hard_sigmoid(f) * c + hard_sigmoid(i) * np.tanh(g)
    np.testing.assert_allclose(c1, c_expected, rtol=1e-12)
    np.testing.assert_allclose(h1, hard_sigmoid(o) * np.tanh(c_expected), rtol=1e-12)


def test_binary_accuracy_rounds_like_keras():
    x = np.linspace(-3, 3, 10)[:, None]
    labels = (x > 0).astype(float)
    scores = evaluate(lambda p, x: x * p, 2.0, x, labels, "binary_crossentropy", ["acc"], batch_size=10, jit=False)
    # a linear output counts only where it rounds to its label: here 2x = 0.67 rounds to 1, 1 point of 10
    np.testing.assert_allclose(scores["acc"], np.mean(np.round(2 * x) == labels))
    assert scores["acc"] == 0.1
    assert fnx.training.keras1.activation("linear")(3.0) == 3.0
