"""LazyProgrammer, chapter 6 (TensorFlow 0.x): placeholders become arguments, ``session.run`` a call,
``tf.Variable`` explicit state, optimizers ``fnx.optimizers``."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import random

from ..checks import Below, Between, Value
from ..data import mnist_or_digits
from ..loops import minibatch_epochs
from ..registry import RunContext, listing


@listing("lazyprog", "E23", "A float32 matmul of a 5x5 and a 5x1 placeholder", kind="tolerance",
         expect={"shape": Value([5, 1]), "dtype": Value("float32"), "minus_numpy": Value(0.0, atol=1e-5)})
def example_23():
    """E23: A (5, 5) and v (5, 1) float32 placeholders, u = tf.matmul(A, v), fed random normals: a (5, 1)
    float32 result (the book stresses v must be (5, 1), not (5,), for TF's rank-2 matmul; fnx follows
    NumPy, where (5,) gives a (5,) matrix-vector product). It equals NumPy's product to float32 rounding.
    (The book runs ``session.run(w, ...)`` for its ``u``.)"""
    k1, k2 = random.split(random.key(23))
    A, v = random.normal(k1, (5, 5), dtype="float32"), random.normal(k2, (5, 1), dtype="float32")
    u = fnx.jit(fnp.matmul)(A, v)
    return {"shape": list(u.shape), "dtype": str(u.dtype),
            "minus_numpy": float(np.max(np.abs(np.asarray(u) - np.asarray(A) @ np.asarray(v))))}


PRINTOUT = ["i = 0, cost = 67.990, u = 7.700", "i = 1, cost = 11.508, u = 2.780", "i = 2, cost = 2.471, u = 0.812",
            "i = 3, cost = 1.025, u = 0.025", "i = 4, cost = 0.794, u = -0.290", "i = 5, cost = 0.757, u = -0.416",
            "i = 6, cost = 0.751, u = -0.466", "i = 7, cost = 0.750, u = -0.487", "i = 8, cost = 0.750, u = -0.495",
            "i = 9, cost = 0.750, u = -0.498", "i = 10, cost = 0.750, u = -0.499", "i = 11, cost = 0.750, u = -0.500"]


def tf_quadratic(dtype: str):
    """12 runs of ``GradientDescentOptimizer(0.3).minimize(u*u + u + 1)`` from u = 20, each followed by
    ``cost.eval()`` and ``u.eval()`` (TF evaluates after the update); returns the printed lines, u, cost."""
    def cost(u):
        return u * u + u + 1.0
    opt = optim.sgd(0.3)
    u = fnp.asarray(20.0, dtype=dtype)
    state, lines = opt.init(u), []
    step = fnx.jit(lambda u, state: opt.update(fnx.grad(cost)(u), state, u))
    for i in range(12):
        updates, state = step(u, state)
        u = optim.apply_updates(u, updates)
        lines.append(f"i = {i}, cost = {float(cost(u)):.3f}, u = {float(u):.3f}")
    return lines, u, cost(u)


@listing("lazyprog", "E24", "TensorFlow gradient descent on u^2 + u + 1", kind="tolerance",
         expect={"printout_float32": Value(PRINTOUT), "printout_float64": Value(PRINTOUT),
                 "u_float32": Value(-0.49965608, rtol=1e-7), "cost_float32": Value(0.7500001, rtol=1e-7)})
def example_24():
    """E24: ``u = tf.Variable(20.0)``, cost u*u + u + 1, ``GradientDescentOptimizer(0.3)``, 12 steps each
    printing ``i, cost, u`` to 3 decimals after the update (catalog B.2.11): the same 12 lines in float32
    (TensorFlow's default) and float64; in float32 u ends at -0.49965608 with cost 0.7500001."""
    lines32, u32, cost32 = tf_quadratic("float32")
    lines64, _, _ = tf_quadratic("float64")
    return {"printout_float32": lines32, "printout_float64": lines64, "u_float32": u32, "cost_float32": cost32}


def five_steps(optimizer, w0: float = 20.0):
    """w0 and five ``optimizer`` steps on J(w) = w^2 + w (the catalog's C.5 traces)."""
    w, state, ws = fnp.asarray(w0), optimizer.init(fnp.asarray(w0)), [w0]
    for _ in range(5):
        updates, state = optimizer.update(fnx.grad(lambda v: v * v + v)(w), state, w)
        w = optim.apply_updates(w, updates)
        ws.append(float(w))
    return ws


@listing("lazyprog", "E25", "TensorFlow's RMSProp with decay 0.99 and momentum 0.9", kind="tolerance",
         expect={"tf1_trace": Value([20, 19.9028206801, 19.7456574711, 19.5471328392, 19.3190698545, 19.0697574157],
                                    atol=6e-11),
                 "ms_from_zero_trace": Value([20, 19.9, 19.7392845426, 19.5370140168, 19.3052290155, 19.0523220693],
                                             atol=6e-11)},
         data="MNIST (Kaggle CSV)", stand_in="the chapter's quadratic J = w^2 + w (catalog C.5)")
def example_25():
    """E25: the TensorFlow network is trained with ``RMSPropOptimizer(lr, decay=0.99, momentum=0.9)``; the
    book gives no results, so the unit checks that optimizer's TF1 semantics (mean square started at 1,
    epsilon inside the square root, momentum on the scaled step) on J = w^2 + w from 20 at rate 0.01
    (catalog C.5), and how the first step differs when the mean square starts at 0."""
    tf1 = optim.rmsprop(0.01, decay=0.99, momentum=0.9, eps=1e-10, eps_inside_sqrt=True, initial_scale=1.0)
    from_zero = optim.rmsprop(0.01, decay=0.99, momentum=0.9, eps=1e-10, eps_inside_sqrt=True)
    return {"tf1_trace": five_steps(tf1), "ms_from_zero_trace": five_steps(from_zero)}


def relu_network(params, X):
    """ReLU hidden layers then linear logits, as the chapter's ``Z = relu(X W1); Yish = Z W2``."""
    for layer in params[:-1]:
        X = nn.relu(X @ layer["W"] + layer["b"])
    return X @ params[-1]["W"] + params[-1]["b"]


def train_error_pair(sizes, data, epochs: int):
    """(train error, test error) of a ReLU network of ``sizes`` trained by Adam (lr 1e-3, batches of 100)
    on the summed softmax cross-entropy."""
    X_train, X_test, y_train, y_test = data
    keys = random.split(random.key(sum(sizes)), len(sizes) - 1)
    params = [{"W": random.normal(k, (m, n)) * (2 / m) ** 0.5, "b": fnp.zeros(n)}
              for k, m, n in zip(keys, sizes[:-1], sizes[1:])]

    def cost(p, xb, tb):
        return nn.softmax_cross_entropy(relu_network(p, xb), tb) * xb.shape[0]
    trained, _ = minibatch_epochs(cost, params, X_train, nn.one_hot(y_train, 10), random.key(26),
                                  optimizer=optim.adam(1e-3), batch_size=100, epochs=epochs)
    errors = [fnp.mean(fnp.argmax(relu_network(trained, X), 1) != y) for X, y in ((X_train, y_train), (X_test, y_test))]
    return errors


@listing("lazyprog", "E26", "The exercise: wider and deeper networks overfit", kind="trend",
         expect={"train_error_500": Between(0.0, 0.08), "train_error_3000": Below("train_error_500"),
                 "gap_3_layers": Between(0.0, 0.2), "test_error_3_layers": Between(0.0, 0.1)},
         data="MNIST (Kaggle CSV)", stand_in="fnx.datasets.load_digits")
def example_26(context: RunContext):
    """E26: one hidden layer of 500, 1000, 2000 or 3000 units, or 1, 2, 3 hidden layers of 500; compare
    train and test error ("It should be overfitting when you have too many hidden layers"). No numbers in
    the book. On the digits stand-in (Adam, the cost summed as in the chapter) the networks fit the training
    set (the widest best) while the test error stays higher (``gap``: test minus train error);
    ``--quick`` trains the 500 and 3000 widths and the 3-layer net for 5 epochs, the full run every
    configuration for 20 (there the training error falls to 0 as the width grows, and the test error
    stays near 1.5 %)."""
    data = mnist_or_digits(context.data_dir, seed=26)
    d, epochs = data[0].shape[1], 5 if context.quick else 20
    widths = (500, 3000) if context.quick else (500, 1000, 2000, 3000)
    out = {}
    for width in widths:
        out[f"train_error_{width}"], out[f"test_error_{width}"] = train_error_pair([d, width, 10], data, epochs)
    for depth in (3,) if context.quick else (2, 3):
        train, test = train_error_pair([d] + [500] * depth + [10], data, epochs)
        out[f"test_error_{depth}_layers"], out[f"gap_{depth}_layers"] = test, test - train
    return out
