"""Ketkar, chapter 7 (Keras 1 on Theano): dense models on random data under Keras 1's optimizers and
activations, through ``fnx.training.fit`` and ``evaluate`` with Keras 1's defaults by name
(``fnx.training.keras1``). The data are random, so the results are too: the units check the trends the catalog
derives (the training loss falls, memorising; Keras's clipping of the cross-entropy at 1e-7 explains the
losses near 8 of the unbounded activations). The MNIST CNN (7-7) and the IMDB LSTM (7-8) wait: they need
the real files or a stand-in run longer than --quick allows."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
from fnx.training import evaluate, fit, keras1

from ..checks import Below, Between, Value
from ..registry import listing, pending

pending("ketkar", "7-7", "MNIST CNN, adadelta, 1 epoch", ("fit",), __name__, data="MNIST",
        stand_in="fnx.datasets.load_digits")
pending("ketkar", "7-8", "IMDB LSTM with dropout, adam, 1 epoch", ("fit", "text", "recdrop"), __name__,
        data="IMDB")


def random_data(classes: int = 2, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """The listings' ``np.random.random((1000, 500))`` features and random labels (one-hot for 10 classes)."""
    rng = np.random.default_rng(seed)
    x, labels = rng.random((1000, 500)), rng.integers(classes, size=1000)
    return x, (labels[:, None].astype(float) if classes == 2 else np.eye(classes)[labels])


def dense_model(sizes: list[int], hidden: str, output: str):
    """Keras's ``Sequential`` of ``Dense`` layers (glorot-uniform weights, zero biases): ``hidden`` between
    them, ``output`` last; returns (init parameters, model)."""
    keys = fnx.random.split(fnx.random.key(7), len(sizes) - 1)
    params = [nn.dense.init(k, a, b) for k, a, b in zip(keys, sizes[:-1], sizes[1:])]
    act, out = keras1.activation(hidden), keras1.activation(output)

    def model(params, x):
        for layer in params[:-1]:
            x = act(nn.dense(layer, x))
        return out(nn.dense(params[-1], x))
    return params, model


def before_and_after(sizes: list[int], hidden: str = "sigmoid", output: str = "sigmoid", loss="binary_crossentropy",
                     metric: str = "accuracy", optimizer: str = "rmsprop", classes: int = 2) -> dict:
    """Keras's ``evaluate`` before and after ``fit`` for 10 epochs of batches of 32 (the listings' pattern)."""
    x, y = random_data(classes)
    params, model = dense_model(sizes, hidden, output)
    before = evaluate(model, params, x, y, loss, [metric])
    params = fit(model, params, optimizer, x, y, loss=loss, epochs=10, batch_size=32, key=7, verbose=0).params
    after = evaluate(model, params, x, y, loss, [metric])
    return {"loss_before": before["loss"], "loss_after": after["loss"], "metric_before": before[metric],
            "metric_after": after[metric]}


FALLS = {"loss_after": Below("loss_before")}


@listing("ketkar", "7-1", "Dense(1) + sigmoid, rmsprop, 10 epochs on random data", kind="trend",
         expect={**FALLS, "metric_after": Between(0.5, 1.0, printed=0.563)})
def listing_7_1():
    """Listing 7-1: one sigmoid unit over 500 random features, binary cross-entropy, RMSprop: the book's
    loss goes 0.768 -> 0.673 and accuracy 0.507 -> 0.563 (the model memorises random labels)."""
    return before_and_after([500, 1])


@listing("ketkar", "7-2", "Dense(32) -> Dense(1), sigmoid", kind="trend",
         expect={**FALLS, "metric_after": Between(0.5, 1.0, printed=0.527)})
def listing_7_2():
    """Listing 7-2: a hidden layer of 32 sigmoid units: 0.730 -> 0.659, accuracy 0.512 -> 0.527."""
    return before_and_after([500, 32, 1])


@listing("ketkar", "7-3", "Dense(32) relu -> Dense(10) softmax, categorical cross-entropy", kind="trend",
         expect={**FALLS, "metric_after": Between(0.12, 1.0, printed=0.194)})
def listing_7_3():
    """Listing 7-3: ten random classes, relu then softmax, categorical cross-entropy: 2.47 -> 2.19, accuracy
    0.093 -> 0.194 (chance is 0.1)."""
    return before_and_after([500, 32, 10], hidden="relu", output="softmax", loss="categorical_crossentropy",
                            classes=10)


@listing("ketkar", "7-4", "Dense(32) -> Dense(1), mean squared error", kind="trend",
         expect={**FALLS, "loss_before": Between(0.2, 0.35, printed=0.2687)})
def listing_7_4():
    """Listing 7-4: the same network fitted to the 0/1 labels by mean squared error: 0.269 -> 0.222 (a
    sigmoid near 0.5 starts near 0.25)."""
    return before_and_after([500, 32, 1], loss="mse", metric="mse")


OPTIMIZERS = ("sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam")


@listing("ketkar", "7-5", "The same model under seven Keras optimizers", kind="trend",
         expect={"every_loss_falls": Value(True)})
def listing_7_5():
    """Listing 7-5: 7-1's model trained by each of Keras 1's optimizers with its defaults (the book spells
    adadelta "adadelat"): every training loss falls (the book's from 0.72-0.93 to 0.62-0.73)."""
    runs = {name: before_and_after([500, 1], optimizer=name) for name in OPTIMIZERS}
    return {"every_loss_falls": all(r["loss_after"] < r["loss_before"] for r in runs.values()),
            **{f"{name}_loss_after": r["loss_after"] for name, r in runs.items()}}


@listing("ketkar", "7-6", "The same model under five activations", kind="trend",
         expect={"sigmoid_loss_falls": Value(True), "hard_sigmoid_loss_falls": Value(True),
                 "linear_accuracy": Between(0.0, 0.05, printed=0.0),
                 "unbounded_losses_near_the_clip": Between(6.0, 10.0, printed=[7.74, 7.65, 8.26])})
def listing_7_6():
    """Listing 7-6: a Dense(1) with relu, tanh, sigmoid, hard_sigmoid or linear output, SGD, binary
    cross-entropy. Sigmoid and hard sigmoid learn (0.708 -> 0.675); relu, tanh and linear give outputs outside
    (0, 1), which Keras clips to [1e-7, 1 - 1e-7]: about half the examples cost -ln 1e-7 = 16.1, so the losses
    end near 8 (the book: 7.74, 7.65, 8.26); the linear unit's rounded outputs are rarely 0 or 1, so its
    accuracy is near 0 (the book's 0.0; 0.007 here)."""
    runs = {name: before_and_after([500, 1], output=name, optimizer="sgd")
            for name in ("relu", "tanh", "sigmoid", "hard_sigmoid", "linear")}
    return {"sigmoid_loss_falls": runs["sigmoid"]["loss_after"] < runs["sigmoid"]["loss_before"],
            "hard_sigmoid_loss_falls": runs["hard_sigmoid"]["loss_after"] < runs["hard_sigmoid"]["loss_before"],
            "linear_accuracy": runs["linear"]["metric_after"],
            "unbounded_losses_near_the_clip": float(np.mean([runs[n]["loss_after"] for n in ("relu", "tanh",
                                                                                            "linear")]))}
