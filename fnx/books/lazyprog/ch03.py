"""LazyProgrammer, chapter 3 (the forward pass): indicator targets, nonlinearities and the softmax."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx import random
from fnx.core.errors import ConcretizationError

from ..checks import Value
from ..registry import listing


@listing("lazyprog", "E04", "y2indicator: labels to an N x K indicator matrix", kind="exact",
         expect={"indicator": Value(np.eye(10)[[0, 2, 1]]), "from_float_labels": Value(np.eye(10)[[3, 9]])})
def example_04():
    """E04: ``y2indicator`` sets ind[i, y[i]] = 1 in an N x 10 matrix of zeros; for y = [0, 2, 1] that is
    rows 0, 2 and 1 of the identity (``nn.one_hot``). Labels read from a CSV are floats: cast to int
    first, as the author's repository does."""
    return {"indicator": nn.one_hot(fnp.asarray([0, 2, 1]), 10),
            "from_float_labels": nn.one_hot(fnp.asarray([3.0, 9.0]).astype(int), 10)}


def relu_if(x):
    """The book's first ReLU, with a Python ``if``: fine on numbers, not on traced arrays."""
    if x < 0:
        return 0.0
    return x


def relu_product(x):
    """The book's second ReLU, x * (x > 0): differentiable by an autodiff library."""
    return x * (x > 0)


@listing("lazyprog", "E06", "Nonlinearities: sigmoid, tanh and two ReLUs", kind="exact",
         expect={"relus_agree": Value(True), "relu_product_grad": Value([0.0, 0.0, 1.0]),
                 "nn_relu_grad": Value([0.0, 0.0, 1.0]), "python_if_under_jit": Value("ConcretizationError"),
                 "sigmoid_tanh_at_0": Value([0.5, 0.0])})
def example_06():
    """E06: ``sigmoid``, ``np.tanh`` and ``relu`` written with if/else and as x * (x > 0) ("needed in
    libraries like Theano which will automatically calculate the gradient"). The two ReLUs agree on
    numbers; the product form's gradient at -1, 0, 1 is 0, 0, 1 (as fnx's ``nn.relu``); the if/else form
    cannot be traced: under ``jit`` its ``if`` on a traced value raises fnx's ConcretizationError."""
    points = [-2.0, -0.5, 0.0, 0.5, 3.0]
    agree = all(relu_if(x) == float(relu_product(fnp.asarray(x))) for x in points)
    xs = fnp.asarray([-1.0, 0.0, 1.0])
    try:
        fnx.jit(relu_if)(fnp.asarray(1.0))
        raised = "nothing"
    except ConcretizationError as e:
        raised = type(e).__name__
    return {"relus_agree": agree, "relu_product_grad": fnx.vmap(fnx.grad(relu_product))(xs),
            "nn_relu_grad": fnx.vmap(fnx.grad(nn.relu))(xs), "python_if_under_jit": raised,
            "sigmoid_tanh_at_0": [float(nn.sigmoid(0.0)), float(fnp.tanh(0.0))]}


def naive_softmax(a):
    """The book's softmax: exp(a) / sum(exp(a), axis=1), with no shift by the maximum."""
    e = fnp.exp(a)
    return e / e.sum(axis=1, keepdims=True)


@listing("lazyprog", "E10", "A forward pass: sigmoid hidden layer, softmax output", kind="tolerance",
         expect={"row_sums": Value(np.ones(5), rtol=1e-15), "naive_minus_stable": Value(0.0, atol=1e-15),
                 "naive_overflows": Value(True), "stable_is_finite": Value(True)},
         data="yourdata.csv", stand_in="fnx.random normal rows (5 x 4), D=4, M=6, K=3")
def example_10():
    """E10: Z = sigmoid(X W), p(y | x) = softmax(Z V) with W, V ~ randn; each row of p sums to 1, and the
    book's unshifted softmax equals fnx's stable one at these logits. At a logit of 1000 the book's form
    overflows (exp -> inf, inf / inf = NaN) while ``nn.softmax`` stays finite."""
    k = random.split(random.key(10), 3)
    X, W, V = random.normal(k[0], (5, 4)), random.normal(k[1], (4, 6)), random.normal(k[2], (6, 3))
    p = fnx.jit(lambda X, W, V: naive_softmax(nn.sigmoid(X @ W) @ V))(X, W, V)
    big = fnp.asarray([[1000.0, 0.0, -5.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        overflows = bool(fnp.any(fnp.isnan(naive_softmax(big))))
    return {"row_sums": p.sum(axis=1), "naive_minus_stable": fnp.max(abs(p - nn.softmax(nn.sigmoid(X @ W) @ V))),
            "naive_overflows": overflows, "stable_is_finite": bool(fnp.all(fnp.isfinite(nn.softmax(big))))}


@listing("lazyprog", "E05", "Hidden units z1, z2 and the output y, written out", kind="tolerance",
         expect={"written_out_minus_matrix": Value(0.0, atol=1e-15)})
def example_05():
    """E05: z1 = s(w11 x1 + w12 x2), z2 = s(w21 x1 + w22 x2), y = s'(v1 z1 + v2 z2): the same as the matrix
    form sigmoid(x W^T) v (here for a batch of 6 points, ``vmap`` over the written-out scalar form)."""
    k1, k2, k3 = random.split(random.key(5), 3)
    W, v, X = random.normal(k1, (2, 2)), random.normal(k2, (2,)), random.normal(k3, (6, 2))

    def written_out(x):
        z1 = nn.sigmoid(W[0, 0] * x[0] + W[0, 1] * x[1])
        z2 = nn.sigmoid(W[1, 0] * x[0] + W[1, 1] * x[1])
        return nn.sigmoid(v[0] * z1 + v[1] * z2)
    matrix = nn.sigmoid(nn.sigmoid(X @ W.T) @ v)
    return {"written_out_minus_matrix": fnp.max(abs(fnx.vmap(written_out)(X) - matrix))}


def relu_softmax_forward(X, W, V):
    """E07's ``forward``: Z = relu(X W), Y = softmax(Z V)."""
    return nn.softmax(nn.relu(X @ W) @ V)


@listing("lazyprog", "E07", "forward(X, W, V): ReLU hidden layer, softmax output", kind="tolerance",
         expect={"shape": Value([4, 3]), "row_sums": Value(np.ones(4), rtol=1e-15),
                 "dead_hidden_layer_gives_uniform": Value(np.full(3, 1 / 3), rtol=1e-15)})
def example_07():
    """E07: ``forward(X, W, V)`` with Z = relu(X W) and Y = softmax(Z V): an N x K matrix of class
    probabilities (rows sum to 1). If every hidden unit is off (X W <= 0) the output is uniform, 1/K."""
    k = random.split(random.key(7), 3)
    X, W, V = random.normal(k[0], (4, 5)), random.normal(k[1], (5, 6)), random.normal(k[2], (6, 3))
    Y = fnx.jit(relu_softmax_forward)(X, W, V)
    dead = relu_softmax_forward(fnp.ones((1, 5)), -abs(W), V)[0]
    return {"shape": list(Y.shape), "row_sums": Y.sum(axis=1), "dead_hidden_layer_gives_uniform": dead}


@listing("lazyprog", "E08", "Two classes: P(Y=0 | X) = 1 - P(Y=1 | X)", kind="tolerance",
         expect={"complement": Value(0.0, atol=1e-15)})
def example_08():
    """E08: with one logistic output, P(Y=0 | X) = 1 - P(Y=1 | X); the sigmoid's symmetry
    sigmoid(-a) = 1 - sigmoid(a) says the same (checked over a in [-10, 10])."""
    a = fnp.linspace(-10.0, 10.0, 201)
    return {"complement": fnp.max(abs(nn.sigmoid(-a) - (1 - nn.sigmoid(a))))}


@listing("lazyprog", "E09", "softmax(a)[k] = exp(a[k]) / sum_j exp(a[j])", kind="tolerance",
         expect={"formula_minus_softmax": Value(0.0, atol=1e-15), "two_classes_is_sigmoid": Value(0.0, atol=1e-15)})
def example_09():
    """E09: the softmax formula, term by term, equals ``nn.softmax``; for K = 2 it is the logistic function
    of the difference of the two activations (softmax([a1, a2])[1] = sigmoid(a2 - a1))."""
    a = random.normal(random.key(9), (5, 4))
    terms = fnp.exp(a) / fnp.sum(fnp.exp(a), axis=1, keepdims=True)
    pair = a[:, :2]
    return {"formula_minus_softmax": fnp.max(abs(terms - nn.softmax(a))),
            "two_classes_is_sigmoid": fnp.max(abs(nn.softmax(pair)[:, 1] - nn.sigmoid(pair[:, 1] - pair[:, 0])))}
