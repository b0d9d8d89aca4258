"""Buduma, chapter 2 (training feed-forward networks): the delta rule, backpropagation, parameter counts,
overfitting, capacity and regularization on toy data, and dropout."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import random
from fnx.datasets import circles

from ..checks import Below, Between, Falls, Value
from ..loops import gradient_descent, minibatch_epochs
from ..registry import listing

PRICES = np.array([3.0, 2.0, 1.5])  # burger, fries, soda: the cafeteria's hidden prices (the book gives none)


def meals(seed: int, n: int = 40):
    """n meals: random servings (0-4 of each item) and their total prices."""
    servings = random.randint(random.key(seed), (n, 3), 0, 5).astype(float)
    return servings, servings @ PRICES


def meal_error(w, servings, totals):
    """E = 1/2 sum (t - y)^2 of the linear neuron y = servings . w."""
    return 0.5 * fnp.sum((totals - servings @ w) ** 2)


@listing("buduma", "E08", "The cafeteria problem: a linear neuron learns the prices", kind="trend",
         expect={"prices": Value(PRICES, atol=0.01), "error": Falls(1e-6)},
         stand_in="random servings, prices 3, 2, 1.5 (the book gives no numbers)", figure=("error",))
def example_08():
    """Example E08 (Figure 2-1): a linear neuron whose weights are the prices of burgers, fries and sodas,
    trained by gradient descent on E = 1/2 sum (t - y)^2 over meals (servings -> total price). The book
    gives no data; on 40 random meals with prices 3, 2, 1.5 the weights reach the prices and E goes to 0."""
    servings, totals = meals(8)
    w, errors = fnx.jit(lambda w: gradient_descent(lambda v: meal_error(v, servings, totals), w, 300, 0.002))(
        fnp.zeros(3))
    return {"prices": w, "error": errors}


@listing("buduma", "E10", "Learning rate: small converges, too large diverges", kind="trend",
         expect={"small_rate_error": Falls(1e-6), "large_rate_error_growth": Between(1e6, np.inf)},
         stand_in="random servings, prices 3, 2, 1.5")
def example_10():
    """Example E10 (Figure 2-4): the delta rule's learning rate epsilon is a hyperparameter; too small is
    slow and too large diverges. On the cafeteria data, rate 0.002 converges; rate 0.02 (above 2 / the
    largest curvature of E) makes E grow by many orders of magnitude in 50 steps."""
    servings, totals = meals(8)

    def run(rate, steps):
        return gradient_descent(lambda v: meal_error(v, servings, totals), fnp.zeros(3), steps, rate)[1]
    large = run(0.02, 50)
    return {"small_rate_error": run(0.002, 300), "large_rate_error_growth": large[-1] / large[0]}


def two_weight_error(w, X, t):
    """E = 1/2 sum (t - X w)^2 of a two-weight linear neuron."""
    return 0.5 * fnp.sum((t - X @ w) ** 2)


@listing("buduma", "E09", "The quadratic error surface and steepest descent", kind="tolerance",
         expect={"hessian_eigenvalues_positive": Value(True), "path_error": Falls(1e-3),
                 "minimum": Value([1.0, -2.0], atol=1e-5)},
         stand_in="20 random inputs, targets from w = [1, -2]", figure=("path_error", "surface"))
def example_09():
    """Example E09 (Figures 2-2, 2-3): the error of a linear neuron with two weights is a quadratic bowl
    (its Hessian X^T X is positive definite: elliptical contours), and steepest descent, moving against the
    gradient (perpendicular to the contour), walks down to its minimum. ``surface``: the error over a
    (w1, w2) grid (one ``vmap``)."""
    X = random.normal(random.key(9), (20, 2)) * fnp.asarray([1.0, 3.0])
    t = X @ fnp.asarray([1.0, -2.0])
    w, path = fnx.jit(lambda w: gradient_descent(lambda v: two_weight_error(v, X, t), w, 300, 0.002))(
        fnp.asarray([-3.0, 3.0]))
    grid = fnp.stack(fnp.meshgrid(fnp.linspace(-4.0, 6.0, 60), fnp.linspace(-7.0, 3.0, 60)), axis=-1)
    surface = fnx.vmap(fnx.vmap(lambda v: two_weight_error(v, X, t)))(grid)
    eigenvalues = fnp.linalg.eigvalsh(fnx.hessian(two_weight_error)(w, X, t))
    return {"hessian_eigenvalues_positive": bool(fnp.all(eigenvalues > 0)), "path_error": path, "minimum": w,
            "surface": fnp.log1p(surface)}


def squared_error_sigmoid(w, x, t):
    """A sigmoid neuron without bias and its squared error 1/2 (t - sigmoid(w . x))^2."""
    return 0.5 * (t - nn.sigmoid(fnp.dot(w, x))) ** 2


@listing("buduma", "E11", "The sigmoid neuron's delta rule", kind="exact",
         expect={"grad": Value([-0.125, -0.25]), "closed_form": Value([-0.125, -0.25])})
def example_11():
    """Example E11: for y = sigmoid(w . x), dy/dz = y (1 - y), so dE/dw_k = -x_k y (1 - y)(t - y). At
    x = [1, 2], w = [0.5, -0.25], t = 1 (z = 0, y = 0.5) both ``grad`` and the formula give [-0.125, -0.25]
    (the catalog's C.3)."""
    w, x, t = fnp.asarray([0.5, -0.25]), fnp.asarray([1.0, 2.0]), 1.0
    y = nn.sigmoid(fnp.dot(w, x))
    return {"grad": fnx.grad(squared_error_sigmoid)(w, x, t), "closed_form": -x * y * (1 - y) * (t - y)}


W1 = np.array([[0.1, -0.2, 0.3], [0.4, 0.0, -0.1]])  # the catalog's C.1/C.2 weights: input -> hidden
W2 = np.array([[0.2, -0.3], [0.1, 0.5], [-0.4, 0.2]])  # hidden -> output


def two_layer_error(W1, W2, x, t):
    """E = 1/2 sum (t - y)^2 of a sigmoid hidden layer and a sigmoid output layer."""
    y = nn.sigmoid(nn.sigmoid(x @ W1) @ W2)
    return 0.5 * fnp.sum((t - y) ** 2)


def backprop_by_hand(W1, W2, x, t):
    """The book's backpropagation: dE/dy_j = -(t_j - y_j), dE/dz_j = y_j (1 - y_j) dE/dy_j,
    dE/dy_i = sum_j w_ij dE/dz_j, dE/dw_ij = y_i dE/dz_j (y_i: the lower layer's output)."""
    h = nn.sigmoid(x @ W1)
    y = nn.sigmoid(h @ W2)
    dz_out = y * (1 - y) * -(t - y)
    dz_hidden = h * (1 - h) * (W2 @ dz_out)
    return fnp.outer(x, dz_hidden), fnp.outer(h, dz_out)


@listing("buduma", "E12", "Backpropagation equals grad; the batch gradient is a sum", kind="tolerance",
         expect={"error": Value(0.26787223050967846, rtol=1e-15),
                 "grad_W2": Value([[-0.0898694235, 0.0937324501], [-0.056904406, 0.0593504352],
                                   [-0.0663613615, 0.0692138968]], atol=6e-11),
                 "grad_W1": Value([[-0.0133233837, 0.0131876458, 0.0191848194],
                                   [-0.0266467674, 0.0263752916, 0.0383696389]], atol=6e-11),
                 "grad_minus_backprop": Value(0.0, atol=1e-15), "batch_minus_summed": Value(0.0, atol=1e-13)})
def example_12():
    """Example E12 (Figure 2-5): backpropagation for sigmoid layers and squared error. At x = [1, 2],
    t = [1, 0] and the catalog's weights (C.2), E = 0.26787 and ``grad`` equals the book's recursive
    formulas; over a data set, the full-batch gradient is the sum of the per-example gradients (``vmap`` of
    ``grad`` summed vs ``grad`` of the summed error)."""
    x, t = fnp.asarray([1.0, 2.0]), fnp.asarray([1.0, 0.0])
    error, (g1, g2) = fnx.jit(fnx.value_and_grad(two_layer_error, argnums=(0, 1)))(W1, W2, x, t)
    h1, h2 = backprop_by_hand(W1, W2, x, t)
    xs, ts = random.normal(random.key(12), (6, 2)), random.uniform(random.key(13), (6, 2))
    per_example = fnx.vmap(fnx.grad(two_layer_error, argnums=(0, 1)), in_axes=(None, None, 0, 0))(W1, W2, xs, ts)
    summed = fnx.grad(lambda a, b: fnp.sum(fnx.vmap(two_layer_error, in_axes=(None, None, 0, 0))(a, b, xs, ts)),
                      argnums=(0, 1))(W1, W2)
    return {"error": error, "grad_W1": g1, "grad_W2": g2,
            "grad_minus_backprop": max(fnp.max(abs(g1 - h1)), fnp.max(abs(g2 - h2))),
            "batch_minus_summed": max(fnp.max(abs(p.sum(0) - s)) for p, s in zip(per_example, summed))}


def mlp(sizes, activation=nn.sigmoid):
    """dense layers of ``sizes`` with ``activation`` between them (``nn.serial``)."""
    stages = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        stages += [nn.layer(nn.dense, a, b)] + ([activation] if i < len(sizes) - 2 else [])
    return nn.serial(*stages)


@listing("buduma", "E14", "The 784-30-30-10 MNIST network's parameter count", kind="exact",
         expect={"parameters": Value(24790, printed="nearly 25,000"), "weights_only": Value(24720)})
def example_14():
    """Example E14: "two hidden layers with 30 neurons ... a soft-max layer of 10 ... nearly 25,000
    parameters": exactly 784*30 + 30 + 30*30 + 30 + 30*10 + 10 = 24,790 (24,720 weights without biases)."""
    params = mlp([784, 30, 30, 10]).init(random.key(14))
    return {"parameters": nn.count_params(params),
            "weights_only": sum(int(np.prod(p["w"].shape)) for p in params if p)}


def polynomial_fit(x, y, columns: int):
    """Least squares of y on [x^0 .. x^(columns-1)] (``lstsq``); returns the coefficients."""
    return fnp.linalg.lstsq(fnp.stack([x ** i for i in range(columns)], axis=1), y)[0]


def polynomial_error(beta, x, y):
    """Mean squared error of the polynomial ``beta`` on (x, y)."""
    return fnp.mean((fnp.stack([x ** i for i in range(beta.shape[0])], axis=1) @ beta - y) ** 2)


@listing("buduma", "E15", "Overfitting: a line vs a degree-12 polynomial", kind="trend",
         expect={"train_error_degree_12": Between(0.0, 0.02), "test_error_degree_12": Between(0.05, np.inf),
                 "train_error_line": Between(0.002, 0.05), "test_error_line": Between(0.002, 0.05)},
         stand_in="13 noisy points of y = x (the book's points exist only in Figure 2-8)")
def example_15():
    """Example E15 (Figures 2-8, 2-9): on a few noisy points of a line, a degree-12 polynomial has a
    smaller training error than the line but is far off on more data from the same line. Here: 13 points
    of y = x + N(0, 0.1^2) on [0, 1]; the test set is 200 more points."""
    k1, k2, k3 = random.split(random.key(15), 3)
    x = fnp.linspace(0.0, 1.0, 13)
    y = x + 0.1 * random.normal(k1, (13,))
    x_test = random.uniform(k2, (200,))
    y_test = x_test + 0.1 * random.normal(k3, (200,))
    out = {}
    for name, columns in (("line", 2), ("degree_12", 13)):
        beta = polynomial_fit(x, y, columns)
        out[f"train_error_{name}"] = polynomial_error(beta, x, y)
        out[f"test_error_{name}"] = polynomial_error(beta, x_test, y_test)
    return out


def toy_classifier(sizes, X, labels, key, epochs: int, l2: float = 0.0):
    """A tanh network of ``sizes`` with a softmax output, trained by minibatch SGD (batch 10, rate 0.1)
    with an optional L2 penalty l2/2 sum w^2; returns (params, loss per epoch, training accuracy)."""
    init, apply = mlp(sizes, activation=nn.tanh)
    params = init(key)

    def loss(p, xb, yb):
        penalty = 0.5 * l2 * sum(fnp.sum(layer["w"] ** 2) for layer in p if layer)
        return nn.softmax_cross_entropy(apply(p, xb), nn.one_hot(yb, sizes[-1])) + penalty
    params, curve = minibatch_epochs(loss, params, X, labels, key, optimizer=optim.sgd(0.3), batch_size=10,
                                     epochs=epochs)
    return params, curve, nn.accuracy(apply(params, X), labels)


def toy_data():
    """The ConvnetJS-style two-class toy set: 200 points of two noisy circles (``fnx.datasets.circles``)."""
    return circles(random.key(16), n=200, factor=0.4, noise=0.08)


@listing("buduma", "E16", "Hidden layers of 3, 6 and 20 neurons on 2-D toy data", kind="trend",
         expect={"accuracy_20": Between(0.95, 1.0), "accuracy_3": Between(0.6, 1.0),
                 "loss_20": Falls(0.3)},
         data="ConvnetJS toy data", stand_in="fnx.datasets.circles(200)", figure=("loss_3", "loss_6", "loss_20"))
def example_16():
    """Example E16 (Figure 2-10): 2 inputs, one hidden layer of 3, 6 or 20 neurons, softmax of 2, minibatch
    gradient descent with batches of 10 (30 epochs at rate 0.3). The book's figure shows wider layers
    drawing more intricate boundaries; two circles need little capacity, so here every width learns
    (the loss falls) and the 20-neuron network separates them (training accuracy >= 0.95; the 3-neuron one
    does too on this key: 1.0)."""
    X, y = toy_data()
    out = {}
    for width in (3, 6, 20):
        _, out[f"loss_{width}"], out[f"accuracy_{width}"] = toy_classifier([2, width, 2], X, y, random.key(width),
                                                                           30)
    return out


@listing("buduma", "E17", "One, two or four hidden layers of 3 neurons", kind="trend",
         expect={"loss_1": Falls(0.6), "loss_2": Falls(0.6), "loss_4": Falls()},
         data="ConvnetJS toy data", stand_in="fnx.datasets.circles(200)", figure=("loss_1", "loss_2", "loss_4"))
def example_17():
    """Example E17 (Figure 2-11): the same task with 1, 2 or 4 hidden layers of 3 neurons (the layer stack
    is a Python loop unrolled at trace time). Each depth trains (the loss falls); the deeper nets can bend
    the boundary more, and the four-layer one, a narrow deep tanh stack, learns slowest."""
    X, y = toy_data()
    return {f"loss_{depth}": toy_classifier([2] + [3] * depth + [2], X, y, random.key(depth),
                                            30)[1] for depth in (1, 2, 4)}


@listing("buduma", "E19", "L2 regularization strengths 0.01, 0.1 and 1", kind="trend",
         expect={"weight_norm_0.01": Between(3.0, np.inf), "weight_norm_0.1": Below("weight_norm_0.01"),
                 "weight_norm_1": Between(0.0, 0.1), "accuracy_0.01": Between(0.95, 1.0),
                 "accuracy_1": Between(0.4, 0.6)},
         data="ConvnetJS toy data", stand_in="fnx.datasets.circles(200)")
def example_19():
    """Example E19 (Figure 2-15): 20 hidden neurons, batches of 10, an L2 penalty lambda/2 sum w^2 with
    lambda = 0.01, 0.1, 1 (the book's one-liner ``W += -lambda * W`` is the decay step, missing the
    learning rate). Larger lambda keeps the weights smaller and the boundary smoother; on this data (a mean
    loss, so lambda weighs more than in ConvnetJS's per-example loss) 0.01 still separates the circles,
    while 0.1 and 1 shrink the weights to almost 0 and the network underfits (chance accuracy)."""
    X, y = toy_data()
    out = {}
    for lam in (0.01, 0.1, 1):
        params, _, out[f"accuracy_{lam}"] = toy_classifier([2, 20, 2], X, y, random.key(19), 30, l2=lam)
        out[f"weight_norm_{lam}"] = fnp.sqrt(sum(fnp.sum(layer["w"] ** 2) for layer in params if layer))
    return out


def relu_net(params, X, masks=(1.0, 1.0), scale=1.0):
    """The dropout examples' 3-layer ReLU net in the book's column layout (W out x in, X in x batch): each
    hidden layer times its mask, then times ``scale`` (the naive predict's p)."""
    h1 = fnp.maximum(0.0, params["W1"] @ X + params["b1"]) * masks[0] * scale
    h2 = fnp.maximum(0.0, params["W2"] @ h1 + params["b2"]) * masks[1] * scale
    return params["W3"] @ h2 + params["b3"]


def dropout_setup():
    """Weights for a 4-8-8-3 ReLU net with zero hidden biases, and 5 input columns."""
    k = random.split(random.key(21), 5)
    params = {"W1": random.normal(k[0], (8, 4)), "b1": fnp.zeros((8, 1)), "W2": random.normal(k[1], (8, 8)),
              "b2": fnp.zeros((8, 1)), "W3": random.normal(k[2], (3, 8)), "b3": random.normal(k[3], (3, 1))}
    return params, random.normal(k[4], (4, 5))


@listing("buduma", "E21", "Naive dropout: mask in training, scale by p in prediction", kind="tolerance",
         expect={"keep_all_equals_predict": Value(0.0, atol=1e-12), "naive_vs_inverted": Value(0.0, atol=1e-12),
                 "mask_mean": Between(0.48, 0.52)})
def example_21():
    """Example 2-1: dropout with keep probability p = 0.5; training multiplies each hidden layer by a mask
    ``rand < p``, prediction multiplies each by p (the expected output is p x + (1 - p) 0). With p = 1 the
    training pass is the prediction; with zero hidden biases ReLU's homogeneity makes the naive prediction
    minus b3 exactly p^2 times the inverted-dropout prediction minus b3 (catalog A.2.6). The mask keeps
    about half the units (``mask_mean`` over 20,000 draws, from an fnx key)."""
    params, X = dropout_setup()
    p = 0.5
    naive = relu_net(params, X, scale=p)
    inverted = relu_net(params, X)
    ones = (fnp.ones((8, 5)), fnp.ones((8, 5)))
    mask = random.uniform(random.key(22), (20000,)) < p
    return {"keep_all_equals_predict": fnp.max(abs(relu_net(params, X, ones) - relu_net(params, X, scale=1.0))),
            "naive_vs_inverted": fnp.max(abs((naive - params["b3"]) - p * p * (inverted - params["b3"]))),
            "mask_mean": fnp.mean(mask)}


@listing("buduma", "E22", "Inverted dropout: scale by 1/p in training", kind="tolerance",
         expect={"mask_values": Value([0.0, 2.0]), "mask_mean": Between(0.98, 1.02),
                 "mean_train_output_minus_predict": Between(-0.15, 0.15)})
def example_22():
    """Example 2-2: inverted dropout divides the mask by p at training time (``(rand < p) / p``, values
    0 and 1/p = 2), so prediction is the plain network. The mask averages 1, and the training pass averaged
    over 2,000 mask draws (``vmap`` over keys) is close to the prediction (relative to its size)."""
    params, X = dropout_setup()
    p = 0.5

    def masks(key):
        k1, k2 = random.split(key)
        return tuple((random.uniform(k, (8, 5)) < p) / p for k in (k1, k2))
    keys = random.split(random.key(23), 2000)
    draws = fnx.vmap(masks)(keys)
    trained = fnx.vmap(lambda m1, m2: relu_net(params, X, (m1, m2)))(*draws)
    predict = relu_net(params, X)
    return {"mask_values": fnp.unique(draws[0]), "mask_mean": fnp.mean(draws[0]),
            "mean_train_output_minus_predict": fnp.mean(trained.mean(0) - predict) / fnp.mean(abs(predict))}
