"""Buduma, chapter 1 (the neural network): the linear perceptron and the neuron as a pure function."""
from __future__ import annotations

from typing import Callable

import fnx
import fnx.numpy as fnp

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
    return {"step_neuron": neuron(params, x, step), "sigmoid_neuron": neuron(params, x, fnx.nn.sigmoid),
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
