"""Ghatak, chapter 3 (deep neural networks I): ``n_layer_model``, the book's L-layer network trained by
full-batch gradient descent (a ``lax.scan`` under ``jit``; the backward pass the book writes by hand is
``fnx.value_and_grad``), and the same classifier in Keras through ``fnx.training.fit``, all on the
cats-vs-dogs stand-in (``catsdogs``: two classes of the shipped 8x8 digits in the book's 200/50 split).

The layout is the book's R code: features x examples, ``W`` of shape (n_l, n_{l-1}), ``b`` (n_l, 1)."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax
from fnx.training import evaluate, fit

from ..checks import Between, Falls, Value
from ..registry import listing
from . import catsdogs

ACTIVATIONS = {"relu": nn.relu, "tanh": fnp.tanh, "sigmoid": nn.sigmoid}


def initialize_params(layers_dims: list[int], initialization: str = "random", seed: int = 2) -> list[dict]:
    """``initialize_params``: zero weights, or N(0, 1) x 0.01 ("random"); zero biases."""
    rng = np.random.default_rng(seed)
    scale = {"zero": 0.0, "random": 0.01}[initialization]
    return [{"W": rng.standard_normal((n, n_prev)) * scale, "b": np.zeros((n, 1))}
            for n_prev, n in zip(layers_dims[:-1], layers_dims[1:])]


def forward_prop(params: list[dict], X, hidden: tuple[str, ...], output: str):
    """The hidden layers' activations in turn, then a sigmoid (one row) or a softmax over the rows."""
    A = X
    for layer, activation in zip(params[:-1], hidden):
        A = ACTIVATIONS[activation](layer["W"] @ A + layer["b"])
    Z = params[-1]["W"] @ A + params[-1]["b"]
    return nn.sigmoid(Z) if output == "sigmoid" else nn.softmax(Z, axis=0)


def compute_cost(params: list[dict], X, Y, hidden: tuple[str, ...], output: str):
    """Binary cross-entropy (sigmoid), or the mean of -log of each example's class probability (softmax,
    labels 0..K-1), as ``compute_cost``."""
    AL = forward_prop(params, X, hidden, output)
    m = X.shape[1]
    if output == "sigmoid":
        return -fnp.sum(Y * fnp.log(AL) + (1 - Y) * fnp.log(1 - AL)) / m
    one_hot = Y == fnp.arange(AL.shape[0])[:, None]
    return -fnp.sum(fnp.where(one_hot, fnp.log(AL), 0.0)) / m


@fnx.jit(static_argnames=("hidden", "output", "steps"))
def n_layer_model(params: list[dict], X, Y, learning_rate, hidden: tuple[str, ...], output: str, steps: int):
    """``steps`` updates ``W -= learning_rate * dW``; the final parameters and the cost before each update
    and after the last."""
    def step(p, _):
        cost, grads = fnx.value_and_grad(compute_cost)(p, X, Y, hidden, output)
        return fnx.tree_map(lambda w, d: w - learning_rate * d, p, grads), cost

    params, costs = lax.scan(step, params, None, length=steps)
    return params, fnp.concatenate([costs, compute_cost(params, X, Y, hidden, output)[None]])


def accuracy(params: list[dict], X, Y, hidden: tuple[str, ...], output: str) -> float:
    """Percent right for a sigmoid output (``mean(pred == Y) * 100``); the fraction right for softmax (the
    book prints it so)."""
    AL = forward_prop(params, X, hidden, output)
    if output == "sigmoid":
        return float(fnp.mean((AL > 0.5) == (Y == 1)) * 100)
    return float(fnp.mean(fnp.argmax(AL, axis=0) == Y[0]))


def cats_vs_dogs(layers_dims: list[int], hidden: tuple[str, ...], output: str, learning_rate: float,
                 iterations: int, initialization: str = "random") -> dict:
    """Train on the stand-in's 200 images and score both sets; the cost curve every 10 iterations."""
    X, Y, X_test, Y_test = catsdogs.flat_split()
    params, costs = n_layer_model(initialize_params(layers_dims, initialization), X, Y, learning_rate,
                                  hidden=hidden, output=output, steps=iterations)
    return {"cost_at_start": costs[0], "cost": np.asarray(costs)[::10],
            "train_accuracy": accuracy(params, X, Y, hidden, output),
            "test_accuracy": accuracy(params, X_test, Y_test, hidden, output)}


def iterations(context, book: int = 1500) -> int:
    """The book's iterations, or a third of them with --quick."""
    return book // 3 if context.quick else book


CATS = {"kind": "trend", "data": "cats vs dogs (64x64x3 photos, 200/50)", "figure": ("cost",),
        "stand_in": "fnx.datasets.load_digits: digits 3 and 5, 200/50 (see fnx/books/ghatak/catsdogs.py)"}
LN2 = float(np.log(2.0))


@listing("ghatak", "L3-12", "A 2-layer network (3 tanh units)", **CATS,
         expect={"cost_at_start": Between(LN2 - 2e-3, LN2 + 2e-3, printed=0.693167),
                 "cost": Falls(0.2, printed=0.038142),
                 "train_accuracy": Between(90.0, 100.0, printed=99.5),
                 "test_accuracy": Between(62.0 - 7.0, 100.0, printed=62.0)})
def listing_l3_12(context):
    """Listing 3-12: ``layers_dims = c(12288, 3, 1)``, tanh then sigmoid, learning rate 0.01, 1500 iterations
    from N(0, 1) x 0.01 weights: cost 0.693167 -> 0.038142, 99.5 % train and 62 % test accuracy. Small
    weights make the first cost ln 2 to within 2e-3 on any data; the cost must fall below a fifth of it (the
    book's fell to 0.055 of it), the accuracies reach 90 % (train) and the book's 62 % less 7 points (test).
    The stand-in reaches 100 % on both: its digits are easier to tell apart than photos of cats and dogs."""
    X = catsdogs.flat_split()[0]
    return cats_vs_dogs([X.shape[0], 3, 1], ("tanh",), "sigmoid", 0.01, iterations(context))


@listing("ghatak", "L3-13", "A 3-layer relu network (50, 30)", **CATS,
         expect={"cost_at_start": Between(LN2 - 2e-3, LN2 + 2e-3, printed=0.693108),
                 "cost": Falls(0.01, printed=0.0002),
                 "train_accuracy": Between(90.0, 100.0, printed=100.0),
                 "test_accuracy": Between(72.0 - 7.0, 100.0, printed=72.0)})
def listing_l3_13(context):
    """Listing 3-13: ``c(12288, 50, 30, 1)``, relu, relu, sigmoid, learning rate 0.045, 1500 iterations:
    cost 0.693108 -> 0.000200, 100 % train and 72 % test accuracy (the best of the chapter). Here the cost
    must fall below 1 % of its start (0.00012 after the book's 1,500 iterations) and the test accuracy reach
    the book's less 7 points."""
    X = catsdogs.flat_split()[0]
    return cats_vs_dogs([X.shape[0], 50, 30, 1], ("relu", "relu"), "sigmoid", 0.045, iterations(context))


@listing("ghatak", "L3-14", "A 4-layer network with a softmax output", **CATS,
         expect={"cost_at_start": Between(LN2 - 2e-3, LN2 + 2e-3, printed=0.693144),
                 "cost": Falls(0.01, printed=0.00051),
                 "train_accuracy": Between(0.9, 1.0, printed=1.0),
                 "test_accuracy": Between(0.64 - 0.07, 1.0, printed=0.64)})
def listing_l3_14(context):
    """Listing 3-14: ``c(12288, 50, 20, 7, 2)``, relu, relu, tanh, then a softmax over 2 classes, learning
    rate 0.15, 1500 iterations: cost 0.693144 (ln K for K = 2) -> 0.000510, accuracy 1.000 and 0.640
    (fractions: the softmax branch prints them so). Here the cost must fall below 1 % of its start (0.00038
    after 1,500 iterations) and the accuracies reach 0.9 and the book's 0.64 less 0.07."""
    X = catsdogs.flat_split()[0]
    return cats_vs_dogs([X.shape[0], 50, 20, 7, 2], ("relu", "relu", "tanh"), "softmax", 0.15,
                        iterations(context))


def keras_model(params: list[dict], x):
    """Listing 3-17's ``keras_model_sequential``: dense 100, 50, 15 relu, then one sigmoid unit."""
    for layer in params[:-1]:
        x = nn.relu(nn.dense(layer, x))
    return nn.sigmoid(nn.dense(params[-1], x))


def confusion(predicted, actual) -> np.ndarray:
    """``table(Predicted, Actual)`` for 0/1 labels: rows predicted 0/1, columns actual 0/1."""
    return np.bincount(2 * np.asarray(predicted, int).ravel() + np.asarray(actual, int).ravel(),
                       minlength=4).reshape(2, 2)


@listing("ghatak", "L3-17", "Keras: dense 100-50-15 relu, sigmoid output, fit twice", **{**CATS, "figure": ("loss",)},
         expect={"loss": Falls(0.5), "train_accuracy": Between(0.86 - 0.08, 1.0, printed=0.86),
                 "test_accuracy": Between(0.62 - 0.07, 1.0, printed=0.62),
                 "tables_match_accuracy": Value(True)})
def listing_l3_17(context):
    """Listing 3-17: the chapter's network in Keras (Glorot-uniform dense layers, Adam with its defaults,
    binary cross-entropy, 50 epochs of batches of 32, the last 20 % validating), ``fit`` called twice as the
    listing does (100 epochs in all; 2 x 10 with --quick), then ``evaluate`` and the confusion tables of
    ``predict_classes``: the book got accuracy 0.86 (loss 0.741) on its training images and 0.62 (loss 1.094)
    on its test images. Examples are rows here, as in Keras. The accuracies must reach the book's less 0.08
    (train) and 0.07 (test), and each confusion table's diagonal must hold the accuracy's count."""
    X, Y, X_test, Y_test = (a.T for a in catsdogs.flat_split())
    keys = fnx.random.split(fnx.random.key(17), 4)
    sizes = [X.shape[1], 100, 50, 15, 1]
    params = [nn.dense.init(k, n_in, n_out) for k, n_in, n_out in zip(keys, sizes[:-1], sizes[1:])]
    adam, epochs, losses, state = optim.adam(0.001), 10 if context.quick else 50, [], None
    for _ in range(2):
        result = fit(keras_model, params, adam, X, Y, loss="binary_crossentropy", metrics=["accuracy"],
                     epochs=epochs, batch_size=32, validation_split=0.2, key=17 + len(losses), opt_state=state,
                     verbose=0)
        params, state = result.params, result.opt_state
        losses += result.history["loss"]
    values = {"loss": np.asarray(losses)}
    tables_match = True
    for name, x, y in (("train", X, Y), ("test", X_test, Y_test)):
        scores = evaluate(keras_model, params, x, y, "binary_crossentropy", ["accuracy"])
        table = confusion(np.asarray(keras_model(params, fnp.asarray(x))) > 0.5, y)
        tables_match &= bool(np.trace(table) == round(scores["accuracy"] * len(y)) and table.sum() == len(y))
        values.update({f"{name}_accuracy": scores["accuracy"], f"{name}_loss": scores["loss"],
                       f"{name}_table": table})
    values["tables_match_accuracy"] = tables_match
    return values
