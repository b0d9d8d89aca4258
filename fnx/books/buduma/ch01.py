"""Buduma, chapter 1 (the neural network): the linear perceptron and the neuron as a pure function."""
from __future__ import annotations

from typing import Callable

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx import random

from ..checks import Value
from ..registry import listing

# The catalog's test points (the book's exam-score data exists only in Figure 1-4): (hours of sleep, hours
# of study), and the classes the perceptron with theta = [-24, 3, 4] gives them (z = 0 counts as +1).
POINTS = [[0.0, 0.0], [4.0, 3.0], [8.0, 0.0], [2.0, 4.0], [10.0, 10.0]]
CLASSES = [-1.0, 1.0, 1.0, -1.0, 1.0]


def step(z):
    """-1 below 0, +1 from 0 on."""
    return fnp.where(z < 0, -1.0, 1.0)


def perceptron(theta, x):
    """h(x, theta) = -1 if x . [theta1, theta2] + theta0 < 0 else +1."""
    return step(fnp.dot(x, theta[1:]) + theta[0])


def neuron(params, x, f: Callable):
    """Example 1-1's ``Neuron.forward`` as a function: f(x . weights + bias)."""
    return f(fnp.dot(x, params["weights"]) + params["bias"])


@listing("buduma", "E01", "The linear perceptron exam classifier, theta = [-24, 3, 4]", kind="exact",
         expect={"classes": Value(CLASSES)})
def example_01():
    """Example E01: with theta = [-24, 3, 4] the perceptron 3 x1 + 4 x2 - 24 >= 0 separates the exam data
    (the book says it is right on every point of Figure 1-4, whose points are not printed). On the
    catalog's points (0,0), (4,3), (8,0), (2,4), (10,10) it gives -1, +1, +1, -1, +1 (one ``vmap``)."""
    theta = fnp.asarray([-24.0, 3.0, 4.0])
    return {"classes": fnx.jit(fnx.vmap(perceptron, in_axes=(None, 0)))(theta, fnp.asarray(POINTS))}


@listing("buduma", "E02", "A neuron: f(x . w + b)", kind="exact",
         expect={"step_neuron": Value(1.0), "sigmoid_neuron": Value(0.5), "batch": Value(CLASSES)})
def example_02():
    """Example 1-1: the ``Neuron`` class (weights, bias, activation; ``forward`` = f(x . w + b)) as a pure
    function of a params dict. With weights [3, 4], bias -24 and the step function it is E01's perceptron:
    forward([4, 3]) = 1; with a sigmoid, z = 0 there gives 0.5; ``vmap`` runs it over a batch."""
    params = {"weights": fnp.asarray([3.0, 4.0]), "bias": fnp.asarray(-24.0)}
    x = fnp.asarray([4.0, 3.0])
    batch = fnx.vmap(lambda v: neuron(params, v, step))(fnp.asarray(POINTS))
    return {"step_neuron": neuron(params, x, step), "sigmoid_neuron": neuron(params, x, nn.sigmoid),
            "batch": batch}


@listing("buduma", "E03", "The perceptron written as a neuron with a bias", kind="exact",
         expect={"classes": Value(CLASSES), "grad_of_step": Value([[0.0, 0.0]] * 5)})
def example_03():
    """Example E03 (Figure 1-8): the perceptron is a neuron with two inputs, a bias and the step function;
    it classifies the catalog points as E01 does. The step's derivative is 0 everywhere it exists, which is
    why the book moves to smooth neurons to learn (``grad`` gives 0 for each point)."""
    params = {"weights": fnp.asarray([3.0, 4.0]), "bias": fnp.asarray(-24.0)}
    points = fnp.asarray(POINTS)
    classes = fnx.vmap(lambda v: neuron(params, v, step))(points)
    grads = fnx.vmap(fnx.grad(lambda v: neuron(params, v, step)))(points)
    return {"classes": classes, "grad_of_step": grads}


@listing("buduma", "E04", "A feed-forward net with a multi-label sigmoid output", kind="tolerance",
         expect={"outputs_in_0_1": Value(True), "labels": Value([1.0, 0.0]),
                 "other_output_unchanged": Value(0.0, atol=1e-15)})
def example_04():
    """Example E04 (Figure 1-9): three layers of 3 neurons and an output of two independent sigmoids read as
    [dog, cat]: [1, 0] a dog, [0, 1] a cat, [1, 1] both, [0, 0] neither. The book gives no weights; with
    random ones the outputs lie in (0, 1) and do not sum to 1, and raising one output's bias leaves the
    other output unchanged (unlike a softmax). A last-layer bias of [+8, -8] reads as "dog"."""
    init, apply = nn.serial(nn.layer(nn.dense, 3, 3), nn.sigmoid, nn.layer(nn.dense, 3, 3), nn.sigmoid,
                            nn.layer(nn.dense, 3, 2), nn.sigmoid)
    params = init(random.key(4))
    x = fnp.asarray([0.2, -1.0, 0.5])
    out = fnx.jit(apply)(params, x)
    dog = params[:-2] + ({"w": params[-2]["w"] * 0.0, "b": fnp.asarray([8.0, -8.0])},) + params[-1:]
    nudged = params[:-2] + ({"w": params[-2]["w"], "b": params[-2]["b"] + fnp.asarray([1.0, 0.0])},) + params[-1:]
    return {"outputs_in_0_1": bool(fnp.all((out > 0) & (out < 1))), "labels": fnp.round(apply(dog, x)),
            "other_output_unchanged": abs(apply(nudged, x)[1] - out[1])}


@listing("buduma", "E05", "Linear neurons: a meal's price; a linear net is one layer", kind="tolerance",
         expect={"meal_price": Value(13.5), "collapsed_difference": Value(0.0, atol=1e-12)})
def example_05():
    """Example E05 (Figure 1-10): a linear neuron f(z) = z whose weights are prices gives a meal's price from
    its servings (2 burgers, 3 fries, 1 soda at 3, 2, 1.5: 13.5). A network of only linear neurons equals a
    network with no hidden layer: dense(dense(x, W1), W2) = x (W1 W2)."""
    k1, k2, k3 = random.split(random.key(5), 3)
    W1, W2, x = random.normal(k1, (4, 6)), random.normal(k2, (6, 3)), random.normal(k3, (5, 4))
    return {"meal_price": neuron({"weights": fnp.asarray([3.0, 2.0, 1.5]), "bias": 0.0}, fnp.asarray([2.0, 3.0, 1.0]),
                                 lambda z: z),
            "collapsed_difference": fnp.max(abs((x @ W1) @ W2 - x @ (W1 @ W2)))}


@listing("buduma", "E06", "Sigmoid, tanh and ReLU response curves", kind="tolerance",
         expect={"at_0": Value([0.5, 0.0, 0.0]), "tanh_is_a_scaled_sigmoid": Value(0.0, atol=1e-15)},
         figure=("sigmoid", "tanh", "relu"))
def example_06():
    """Example E06 (Figures 1-11 to 1-13): the sigmoid 1 / (1 + e^-z), tanh(z) and max(0, z) on z in
    [-5, 5] (the figure's curves); at 0 they are 0.5, 0, 0, and tanh is a rescaled sigmoid:
    tanh(z) = 2 sigmoid(2z) - 1."""
    z = fnp.linspace(-5.0, 5.0, 101)
    curves = fnx.jit(lambda z: (nn.sigmoid(z), fnp.tanh(z), nn.relu(z)))(z)
    return {"sigmoid": curves[0], "tanh": curves[1], "relu": curves[2],
            "at_0": [float(c[50]) for c in curves],
            "tanh_is_a_scaled_sigmoid": fnp.max(abs(curves[1] - (2 * nn.sigmoid(2 * z) - 1)))}


@listing("buduma", "E07", "A softmax output layer over 10 digits", kind="tolerance",
         expect={"sums_to_1": Value(1.0, rtol=1e-15), "largest_is_argmax": Value(True),
                 "shift_invariant": Value(0.0, atol=2e-15)})
def example_07():
    """Example E07: the softmax y_i = e^z_i / sum_j e^z_j over 10 logits is a probability vector (sums to 1),
    keeps the order of the logits, and does not change when a constant is added to every logit (what makes
    the max-shifted form stable)."""
    z = random.normal(random.key(7), (10,))
    p = fnx.jit(nn.softmax)(z)
    return {"sums_to_1": fnp.sum(p), "largest_is_argmax": int(fnp.argmax(p)) == int(fnp.argmax(z)),
            "shift_invariant": fnp.max(abs(nn.softmax(z + 100.0) - p))}
