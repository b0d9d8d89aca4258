"""LazyProgrammer, chapter 4 (training a neural network): gradient descent on a quadratic, the exercises,
and the NumPy network with hand-written backpropagation, checked against ``grad``."""
from __future__ import annotations

import math

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx import lax, random

from ..checks import Between, Falls, Value
from ..data import mnist_or_digits
from ..loops import gradient_descent
from ..registry import RunContext, listing
from .ch03 import naive_softmax


# The catalog's C.1 problem: 3 examples, 2 inputs, 3 sigmoid hidden units, 2 softmax outputs.
X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])
T = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
W1 = np.array([[0.1, -0.2, 0.3], [0.4, 0.0, -0.1]])
W2 = np.array([[0.2, -0.3], [0.1, 0.5], [-0.4, 0.2]])


def forward(X, W1, W2):
    """The book's ``forward``: Z = sigmoid(X W1), Y = softmax(Z W2); returns (Y, Z)."""
    Z = nn.sigmoid(X @ W1)
    return naive_softmax(Z @ W2), Z


def cost(W1, W2, X, T):
    """J = -sum(T log Y) (a sum, not a mean: hence the book's tiny learning rates)."""
    return -fnp.sum(T * fnp.log(forward(X, W1, W2)[0]))


def grad_W2(Z, T, Y):
    """The book's dJ/dW2 = Z^T (Y - T)."""
    return Z.T @ (Y - T)


def grad_W1(X, Z, T, Y, W2):
    """The book's dJ/dW1 = X^T [((Y - T) W2^T) * Z * (1 - Z)] (printed ``Z(1 - Z)``, a call, for Z*(1-Z))."""
    return X.T @ (((Y - T) @ W2.T) * Z * (1 - Z))


def book_loop(W1, W2, steps: int, rate: float):
    """The book's loop: cost of the current weights, then W2 -= rate grad_W2, then W1 -= rate grad_W1 with
    the *updated* W2 (so not quite simultaneous gradient descent); returns the weights and the costs."""
    def step(carry, _):
        W1, W2 = carry
        Y, Z = forward(X, W1, W2)
        W2 = W2 - rate * grad_W2(Z, T, Y)
        W1 = W1 - rate * grad_W1(X, Z, T, Y, W2)
        return (W1, W2), -fnp.sum(T * fnp.log(Y))
    return lax.scan(step, (W1, W2), None, length=steps)


@listing("lazyprog", "E11", "The objective: J = -sum T log Y", kind="tolerance",
         expect={"J": Value(1.9063248317808772, rtol=1e-15), "sum_over_mean": Value(3.0, rtol=1e-15)})
def example_11():
    """E11: the negative log-likelihood J = -sum_n sum_k T[n, k] log Y[n, k], ``-(T*np.log(Y)).sum()``, on
    the catalog's C.1 network output (J = 1.90632). It is a sum over the N = 3 examples, N times the mean
    cross-entropy: why the book's learning rates are so small."""
    Y, _ = forward(X, W1, W2)
    J = fnx.jit(lambda T, Y: -(T * fnp.log(Y)).sum())(T, Y)
    return {"J": J, "sum_over_mean": J / nn.categorical_cross_entropy(Y, T)}


@listing("lazyprog", "E12", "Gradient descent: weight -= learning_rate dJ/dw", kind="tolerance",
         expect={"cost_falls": Value(True), "decrease_over_first_order": Value(1.0, rtol=1e-4)})
def example_12():
    """E12: weight = weight - learning_rate dJ/dw, with "a very small number, i.e. 0.00001": one such step on
    the C.1 network lowers J by learning_rate ||dJ/dW||^2 to first order (the ratio of the decrease to it
    differs from 1 by a term of the order of the rate)."""
    rate = 1e-5
    g1, g2 = fnx.grad(cost, argnums=(0, 1))(W1, W2, X, T)
    before, after = cost(W1, W2, X, T), cost(W1 - rate * g1, W2 - rate * g2, X, T)
    first_order = rate * (fnp.sum(g1 * g1) + fnp.sum(g2 * g2))
    return {"cost_falls": bool(after < before), "decrease_over_first_order": (before - after) / first_order}


@listing("lazyprog", "E13", "J = x^2 + x: gradient 2x + 1, minimum at -1/2", kind="tolerance",
         expect={"gradient_at_0": Value(1.0), "minimizer": Value(-0.5, atol=1e-12),
                 "minimum": Value(-0.25, atol=1e-15)})
def example_13():
    """E13: "J = x^2 + x, and the gradient of J is 2x + 1, so the minimum can be found at -1/2" (where
    J = -1/4): ``grad`` at 0 is 1, and 100 gradient-descent steps at rate 0.3 from x = 20 reach -1/2."""
    cost = lambda x: x * x + x  # noqa: E731
    x, _ = fnx.jit(lambda x: gradient_descent(cost, x, 100, 0.3))(fnp.asarray(20.0))
    return {"gradient_at_0": fnx.grad(cost)(0.0), "minimizer": x, "minimum": cost(x)}


def ascend(objective, x, steps: int, rate: float, low: float, high: float):
    """Projected gradient ascent: x <- clip(x + rate * grad(objective)(x), low, high), as one scan."""
    def step(x, _):
        return fnp.clip(x + rate * fnx.grad(objective)(x), low, high), None
    return lax.scan(step, x, None, length=steps)[0]


@listing("lazyprog", "E15", "The exercises: two maxima and a constrained minimum", kind="tolerance",
         expect={"log_argmax": Value(0.5, atol=1e-9), "log_max": Value(2 * math.log(0.5), rtol=1e-12),
                 "sin_argmax": Value(math.pi / 2, atol=1e-9), "sin_max": Value(1.0, atol=1e-15),
                 "constrained_from_0.3": Value([0.0, 1.0]), "constrained_from_0.7": Value([1.0, 0.0]),
                 "constrained_min": Value(0.0)})
def example_15():
    """E15: maximize log(x) + log(1 - x) on (0, 1) (x* = 1/2, J* = 2 ln 1/2 = -1.386294); maximize sin(x) on
    (0, pi) (x* = pi/2, J* = 1); minimize 1 - x^2 - y^2 with x + y = 1, 0 <= x, y <= 1. Substituting
    y = 1 - x gives 2x - 2x^2, whose stationary point x = 1/2 is the *maximum*; the minimum J = 0 is at a
    corner, which projected descent (x <- clip(x - rate J'(x), 0, 1)) reaches from either side."""
    log_obj = lambda x: fnp.log(x) + fnp.log(1 - x)  # noqa: E731
    x_log = ascend(log_obj, fnp.asarray(0.2), 200, 0.05, 1e-9, 1 - 1e-9)
    x_sin = ascend(fnp.sin, fnp.asarray(0.3), 200, 0.2, 0.0, math.pi)
    constrained = lambda x: -(1 - x * x - (1 - x) ** 2)  # noqa: E731  (ascent on -J is descent on J)
    corners = {start: ascend(constrained, fnp.asarray(start), 100, 0.1, 0.0, 1.0) for start in (0.3, 0.7)}
    return {"log_argmax": x_log, "log_max": log_obj(x_log), "sin_argmax": x_sin, "sin_max": fnp.sin(x_sin),
            "constrained_from_0.3": [float(corners[0.3]), 1 - float(corners[0.3])],
            "constrained_from_0.7": [float(corners[0.7]), 1 - float(corners[0.7])],
            "constrained_min": -constrained(corners[0.3])}


@listing("lazyprog", "E16", "Hand-written backpropagation equals grad; the book's update order", kind="tolerance",
         expect={"cost": Value(1.9063248317808772, rtol=1e-15),
                 "grad_W2": Value([[0.0885789866, -0.0885789866], [0.1331850268, -0.1331850268],
                                   [0.2382183891, -0.2382183891]], atol=6e-11),
                 "grad_W1": Value([[0.1003246575, -0.0610134212, -0.066884086],
                                   [-0.1071641754, 0.098522143, 0.1411333795]], atol=6e-11),
                 "hand_minus_grad": Value(0.0, atol=1e-15),
                 "book_order_costs": Value([1.9063248318, 1.8844565599, 1.8650754883, 1.8473432782, 1.8306546797],
                                           atol=6e-11),
                 "simultaneous_cost_after_one_step": Value(1.884686228009436, rtol=1e-14)})
def example_16():
    """E16 ("More Code"): a sigmoid hidden layer and softmax output with ``grad_W2 = Z^T (Y - T)`` and
    ``grad_W1 = X^T ((Y - T) W2^T * Z (1 - Z))``. On the catalog's 3-example problem (C.1) both equal
    ``grad`` of J = -sum T log Y (J = 1.90632). The book's loop passes the already updated W2 to grad_W1,
    so its costs (1.90632, 1.88446, 1.86508, 1.84734, 1.83065 at rate 0.1) differ from simultaneous gradient
    descent (1.88469 after one step). (The printed ``Z(1 - Z)`` calls Z; it means Z*(1 - Z).)"""
    Y, Z = forward(X, W1, W2)
    g1, g2 = fnx.jit(fnx.grad(cost, argnums=(0, 1)))(W1, W2, X, T)
    hand = max(fnp.max(abs(grad_W1(X, Z, T, Y, W2) - g1)), fnp.max(abs(grad_W2(Z, T, Y) - g2)))
    _, costs = fnx.jit(book_loop, static_argnums=(2, 3))(W1, W2, 5, 0.1)
    return {"cost": cost(W1, W2, X, T), "grad_W1": g1, "grad_W2": g2, "hand_minus_grad": hand,
            "book_order_costs": costs, "simultaneous_cost_after_one_step": cost(W1 - 0.1 * g1, W2 - 0.1 * g2, X, T)}


@listing("lazyprog", "E17", "The exercise: E16 on MNIST with biases, printing the error rate", kind="trend",
         expect={"test_error_rate": Between(0.0, 0.15), "cost": Falls(0.3)},
         data="MNIST (Kaggle CSV)", stand_in="fnx.datasets.load_digits", figure=("cost",))
def example_17(context: RunContext):
    """E17: run E16's network on MNIST with bias terms, full-batch, printing the cost and the
    classification error ("Does a lower cost guarantee a lower error rate?"). On the digits stand-in, 100
    sigmoid hidden units, rate 1e-3 on the summed cost: the cost falls and the test error ends under 15 %
    (``--quick``: 150 steps instead of 400)."""
    X_train, X_test, y_train, y_test = mnist_or_digits(context.data_dir, seed=17)
    T_train = nn.one_hot(y_train, 10)
    k1, k2 = random.split(random.key(170))
    params = {"W1": random.normal(k1, (X_train.shape[1], 100)) / 8, "b1": fnp.zeros(100),
              "W2": random.normal(k2, (100, 10)) / 10, "b2": fnp.zeros(10)}

    def predict(p, X):
        return nn.softmax(nn.sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])

    def summed_cost(p):
        return -fnp.sum(T_train * fnp.log(predict(p, X_train)))
    steps = 150 if context.quick else 400
    final, costs = fnx.jit(lambda p: gradient_descent(summed_cost, p, steps, 1e-3))(params)
    return {"cost": costs, "test_error_rate": fnp.mean(fnp.argmax(predict(final, X_test), axis=1) != y_test)}
