"""LazyProgrammer, chapter 5 (Theano): symbolic variables become function arguments, ``theano.function``
becomes ``fnx.jit``, shared variables and ``updates`` become explicit state, minibatch ``givens``-style
slicing happens inside the jitted loop."""
from __future__ import annotations

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax, random

from ..checks import Between, Falls, Value
from ..data import mnist_or_digits
from ..loops import minibatch_epochs
from ..registry import RunContext, listing


@listing("lazyprog", "E19", "Theano matrix times vector", kind="exact",
         expect={"u": Value([17.0, 39.0]), "outputs": Value(1)})
def example_19():
    """E19: ``theano.function(inputs=[A, v], outputs=[u])`` with u = A.dot(v), at A = [[1, 2], [3, 4]],
    v = [5, 6] (integer arrays into a float graph): a one-element list holding [17., 39.]."""
    matrix_times_vector = fnx.jit(lambda A, v: [A @ v])
    outputs = matrix_times_vector(fnp.asarray([[1, 2], [3, 4]], dtype=float), fnp.asarray([5, 6], dtype=float))
    return {"u": outputs[0], "outputs": len(outputs)}


def train_call(x, _):
    """One call of ``train = theano.function([], cost, updates=[(x, x - 0.3 grad)])``: Theano computes the
    outputs with the old shared value, then applies the update; returns (new x, (new x, cost))."""
    cost, g = fnx.value_and_grad(lambda x: x * x + x)(x)
    return x - 0.3 * g, (x - 0.3 * g, cost)


@listing("lazyprog", "E20", "A Theano shared variable minimizing x^2 + x", kind="tolerance",
         expect={"costs": Value([420.0, 66.99, 10.5084, 1.471344, 0.02541504, -0.2059335936, -0.242949374976,
                                 -0.24887189999616, -0.2498195039993856, -0.2499711206399017,
                                 -0.24999537930238427], rtol=1e-12, atol=1e-15),
                 "x_after": Value([7.7, 2.78, 0.812, 0.0248, -0.29008, -0.416032, -0.4664128, -0.48656512,
                                   -0.494626048, -0.4978504192, -0.49914016768], rtol=1e-12, atol=1e-15),
                 "last_cost": Value(-0.24999999999999997, rtol=1e-15),
                 "x_get_value": Value(-0.4999999976919052, rtol=1e-15)})
def example_20():
    """E20: ``x = theano.shared(20.0)``, cost x*x + x, 25 calls of ``train`` with the update
    x <- x - 0.3 (2x + 1). A call returns the cost *before* its update, so call i gives J(x_i) =
    420.25 * 0.16^i - 0.25 and x_(i+1) = 0.4 x_i - 0.3 (catalog B.2.10): 420, 66.99, 10.5084 ...; after 25
    calls ``x.get_value()`` = -0.4999999976919052 and the last cost -0.25 (to float64)."""
    x, (xs, costs) = fnx.jit(lambda x: lax.scan(train_call, x, None, length=25))(fnp.asarray(20.0))
    return {"costs": costs[:11], "x_after": xs[:11], "last_cost": costs[-1], "x_get_value": x}


@listing("lazyprog", "E21", "A Theano network trained in minibatches", kind="trend",
         expect={"test_error_rate": Between(0.0, 0.12), "cost_per_epoch": Falls(0.3)},
         data="MNIST (Kaggle CSV)", stand_in="fnx.datasets.load_digits", figure=("cost_per_epoch",))
def example_21(context: RunContext):
    """E21: X -> tanh(X W1) -> softmax(. W2), cost -(T log Y).sum(), ``updates`` W <- W - lr T.grad(cost, W)
    for each slice ``Xtrain[j*batch_sz:(j+1)*batch_sz]`` (the prose says "batch", it is minibatch gradient
    descent); ``get_prediction`` returns the cost and argmax. The book prints no result; on the digits
    stand-in (W ~ randn / sqrt(fan-in), 300 hidden units, batches of 100, rate 0.001 on the summed cost,
    batches in order as the book) the cost falls and the test error ends under 12 % (``--quick``: 10
    epochs instead of 20)."""
    X_train, X_test, y_train, y_test = mnist_or_digits(context.data_dir, seed=21)
    k1, k2 = random.split(random.key(21))
    d = X_train.shape[1]
    params = {"W1": random.normal(k1, (d, 300)) / d ** 0.5, "W2": random.normal(k2, (300, 10)) / 300 ** 0.5}

    def predict(p, X):
        return nn.softmax(fnp.tanh(X @ p["W1"]) @ p["W2"])

    def cost(p, xb, tb):
        return -fnp.sum(tb * fnp.log(predict(p, xb)))
    trained, curve = minibatch_epochs(cost, params, X_train, nn.one_hot(y_train, 10), random.key(22),
                                      optimizer=optim.sgd(1e-3), batch_size=100,
                                      epochs=10 if context.quick else 20, shuffle=False)
    return {"cost_per_epoch": curve, "test_error_rate": fnp.mean(fnp.argmax(predict(trained, X_test), 1) != y_test)}


@listing("lazyprog", "E18", "Theano's symbolic scalar, vector, matrix and tensor", kind="exact",
         expect={"input_types": Value(["f64[]", "f64[3]", "f64[2,2]", "f64[3,28,28]"]), "has_no_value": Value(True)})
def example_18():
    """E18: ``T.scalar('c')``, ``T.vector('v')``, ``T.matrix('A')`` and a 3x28x28 colour-image tensor are
    graph nodes without values. fnx's counterpart is tracing: ``make_jaxpr`` sees abstract values of
    rank 0, 1, 2 and 3 (a dtype and a shape, no data), and the program's inputs are exactly those."""
    def f(c, v, A, image):
        return c * fnp.sum(v) + fnp.sum(A @ A) + fnp.mean(image)
    program = fnx.make_jaxpr(f)(1.0, fnp.ones(3), fnp.ones((2, 2)), fnp.ones((3, 28, 28)))
    return {"input_types": [str(var.aval) for var in program.jaxpr.invars], "has_no_value": not program.consts}
