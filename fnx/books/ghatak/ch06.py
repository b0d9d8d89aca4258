"""Ghatak, chapter 6 (deep neural networks II): the softmax networks of section 6.1 and TensorFlow's softmax
regression on the digits stand-in, the Keras tuning ladder on the spiral (``fnx.training.fit`` with Keras's
defaults: Adam at 0.001, batches of 64, the last 20 % for validation; from 6-9 on, batch normalization's
running statistics are the model state ``fit`` threads through its steps), and a TensorFlow session as a
jitted function."""
from __future__ import annotations

import functools

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
import numpy as np
from fnx.datasets import load_digits, load_mnist
from fnx.training import EarlyStopping, ReduceLROnPlateau, evaluate, fit, predict

from ..checks import Between, Falls, Value
from ..data import mnist_or_digits
from ..loops import minibatch_epochs
from . import spiral
from ..registry import RunContext, listing


@listing("ghatak", "L6-15", "A TensorFlow session multiplying two constants", kind="exact",
         expect={"c": Value(20.0)})
def listing_l6_15():
    """Listing 6-15: ``tf$multiply(tf$constant(2), tf$constant(10))`` run in an ``InteractiveSession``
    prints 20. A session running a graph is a jitted function called on its inputs."""
    return {"c": fnx.jit(fnp.multiply)(fnp.asarray(2.0), fnp.asarray(10.0))}


def dense_net(sizes: list[int], key, scale: str = "He") -> list[dict]:
    """Row-layout dense layers ``sizes[0] -> ... -> sizes[-1]`` with He-scaled N(0, 1) weights, zero biases."""
    keys = fnx.random.split(key, len(sizes) - 1)
    return [{"w": fnx.random.normal(k, (n_in, n_out)) * fnp.sqrt(2.0 / n_in), "b": fnp.zeros(n_out)}
            for k, n_in, n_out in zip(keys, sizes[:-1], sizes[1:])]


def logits(params: list[dict], x, key=None, keep_prob: float = 1.0):
    """relu hidden layers (inverted dropout on each when ``key`` is given and ``keep_prob`` < 1), linear output."""
    for i, layer in enumerate(params[:-1]):
        x = nn.relu(x @ layer["w"] + layer["b"])
        if key is not None and keep_prob < 1.0:
            x = nn.dropout(fnx.random.fold_in(key, i), x, 1.0 - keep_prob)
    return x @ params[-1]["w"] + params[-1]["b"]


def digits_dnn(sizes: list[int], keep_prob: float, lambd: float, context) -> dict:
    """Section 6.1's ``DNN_model`` on the digits stand-in: softmax cross-entropy plus ``lambd / (2m)`` times
    the squared weights, Adam at 0.001, minibatches of 32, 300 epochs (15 with --quick)."""
    X, X_test, y, y_test = mnist_or_digits(context.data_dir)
    m = X.shape[0]

    def loss(params, xb, yb, key):
        penalty = sum(fnp.sum(layer["w"] ** 2) for layer in params) * lambd / (2 * m)
        return nn.sparse_softmax_cross_entropy(logits(params, xb, key, keep_prob), yb) + penalty

    params = dense_net([X.shape[1]] + sizes, fnx.random.key(0))
    start = float(nn.sparse_softmax_cross_entropy(logits(params, X), y))
    params, curve = minibatch_epochs(loss, params, X, y, fnx.random.key(2), optimizer=optim.adam(0.001),
                                     batch_size=32, epochs=15 if context.quick else 300, keyed=True)
    accuracy = lambda X, y: float(fnp.mean(fnp.argmax(logits(params, X), axis=1) == y))  # noqa: E731
    return {"cost_start": start, "cost": curve, "train_accuracy": accuracy(X, y),
            "test_accuracy": accuracy(X_test, y_test)}


DIGITS = {"kind": "trend", "data": "MNIST (CSV files)", "stand_in": "fnx.datasets.load_digits", "figure": ("cost",)}


@listing("ghatak", "L6-4", "A 30-10-10 softmax network with Adam and L2", **DIGITS,
         expect={"cost_start": Between(2.0, 2.6, printed=2.291371), "cost": Falls(0.5, printed=0.275142),
                 "train_accuracy": Between(0.9, 1.0, printed=0.962),
                 "test_accuracy": Between(0.85, 1.0, printed=0.861)})
def listing_l6_4(context):
    """Listing 6-4: ``dnn_1`` (784 -> 30 -> 10 -> 10, relu, relu, softmax, He, Adam 0.001, batches of 32,
    300 epochs, lambda 1e-4) on 5,000 MNIST images: the cost starts near ln 10 = 2.30 (2.29) and ends at
    0.275, with 96.2 % train and 86.1 % test accuracy. On the 8x8 digits (64 inputs) the trend is the same."""
    return digits_dnn([30, 10, 10], keep_prob=1.0, lambd=1e-4, context=context)


@listing("ghatak", "L6-5", "A 30-10-10-10 softmax network with dropout", **DIGITS,
         expect={"cost_start": Between(2.0, 2.6, printed=2.139287), "cost": Falls(0.5, printed=0.054083),
                 "train_accuracy": Between(0.85, 1.0, printed=0.988),
                 "test_accuracy": Between(0.8, 1.0, printed=0.866)})
def listing_l6_5(context):
    """Listing 6-5: ``dnn_2`` adds a hidden layer and dropout (keep_prob 0.8, no L2): cost 2.14 -> 0.054,
    98.8 % train and 86.6 % test accuracy in the book; dropout here is inverted (scaled by 1/keep_prob), as
    the book's code scales it."""
    return digits_dnn([30, 10, 10, 10], keep_prob=0.8, lambd=0.0, context=context)


@listing("ghatak", "L6-21", "TensorFlow softmax regression: 1,000 steps of 100", **DIGITS,
         expect={"train_accuracy": Between(0.88, 1.0, printed=0.9174727),
                 "test_accuracy": Between(0.88, 1.0, printed=0.92)})
def listing_l6_21(context):
    """Listings 6-18 to 6-21: ``y = softmax(x W + b)`` from zero W and b, cross-entropy, gradient descent at
    0.5 on 1,000 batches of 100: 91.7 % train and 92 % test accuracy on MNIST ("ConvNets get 97 %"). Zero
    weights are fine here: a single layer has no symmetry to break."""
    X, X_test, y, y_test = mnist_or_digits(context.data_dir)
    params = {"w": fnp.zeros((X.shape[1], 10)), "b": fnp.zeros(10)}
    model = lambda p, x: x @ p["w"] + p["b"]  # noqa: E731
    batches_per_epoch = X.shape[0] // 100
    epochs = -(-1000 // batches_per_epoch)  # about 1,000 steps of 100, whole epochs
    params, _ = minibatch_epochs(lambda p, xb, yb: nn.sparse_softmax_cross_entropy(model(p, xb), yb), params,
                                 X, y, fnx.random.key(3), optimizer=optim.sgd(0.5), batch_size=100, epochs=epochs)
    accuracy = lambda X, y: float(fnp.mean(fnp.argmax(model(params, X), axis=1) == y))  # noqa: E731
    return {"train_accuracy": accuracy(X, y), "test_accuracy": accuracy(X_test, y_test)}


def keras_dense(sizes: list[int], key) -> list[dict]:
    """Keras's ``layer_dense`` stack ``sizes[0] -> ... -> 1`` with Glorot-uniform weights and zero biases."""
    keys = fnx.random.split(key, len(sizes) - 1)
    return [nn.dense.init(k, n_in, n_out) for k, n_in, n_out in zip(keys, sizes[:-1], sizes[1:])]


def relu_then_sigmoid(params: list[dict], x, key=None, rate: float = 0.0):
    """relu hidden layers (dropout at ``rate`` after each when ``key`` is given), a sigmoid output."""
    for i, layer in enumerate(params[:-1]):
        x = nn.relu(nn.dense(layer, x))
        if key is not None and rate:
            x = nn.dropout(fnx.random.fold_in(key, i), x, rate)
    return nn.sigmoid(nn.dense(params[-1], x))


def batch_normalized(params: list[dict], state: dict, x, key=None, train: bool = False, rate: float = 0.0):
    """Section 6.2.2's stack: ``layer_dense(175, relu)``, ``layer_batch_normalization()`` (Keras's momentum
    0.99 and epsilon 1e-3; batch statistics in training, the running ones in evaluation), dropout at ``rate``
    in training (from 6-10 on), a sigmoid output. Returns the predictions and the new running statistics."""
    hidden, output, norm = params
    h, state = nn.batch_norm(norm, state, nn.relu(nn.dense(hidden, x)), train=train)
    if key is not None and rate:
        h = nn.dropout(key, h, rate)
    return nn.sigmoid(nn.dense(output, h)), state


def scaled_spiral() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The spiral's examples as rows, each set standardised by its own mean and sample sd (the book's
    ``scale``), the training rows shuffled once (``fit`` validates on the last 20 %)."""
    train_x, train_y, test_x, test_y = spiral.split()
    scale = lambda a: ((a - a.mean(axis=1, keepdims=True)) / a.std(axis=1, ddof=1, keepdims=True)).T  # noqa: E731
    order = np.random.default_rng(6).permutation(train_x.shape[1])
    return scale(train_x)[order], train_y.T[order], scale(test_x), test_y.T


def keras_ladder(hidden: list[int], context, epochs: int = 300, keep_history: bool = False,
                 batch_norm: bool = False, **fit_options) -> dict:
    """``fit`` on the spiral's 600 training examples (standardised, shuffled, the last 20 % validating) for 300
    epochs (60 with --quick); the history's last accuracy and loss, on training and validation data (and the
    whole history with ``keep_history``). ``batch_norm``: one hidden layer with batch normalization after
    it, its running statistics the model state (``fit``'s ``state=``); the trained model is ``"trained"``."""
    x, y, _, _ = scaled_spiral()
    params = keras_dense([2] + hidden + [1], fnx.random.key(6))
    if batch_norm:
        norm, fit_options["state"] = nn.batch_norm.init(None, hidden[-1])
        params.append(norm)
    model = fit_options.pop("model", batch_normalized if batch_norm else relu_then_sigmoid)
    result = fit(model, params, optim.adam(0.001), x, y, loss="binary_crossentropy", metrics=["accuracy"],
                 epochs=60 if context.quick else epochs, batch_size=64, validation_split=0.2, key=6, verbose=0,
                 learning_rate=0.001, **fit_options)
    h = result.history
    return {"loss": np.asarray(h["loss"]), "accuracy": h["accuracy"][-1], "val_accuracy": h["val_accuracy"][-1],
            "val_loss": h["val_loss"][-1], "epochs_run": len(h["loss"]), "lr": h["lr"][-1],
            "trained": (model, result), **({"history": h} if keep_history else {})}


def stopped_by_the_rule(values: dict, patience: int, epochs: int) -> bool:
    """``EarlyStopping``'s rule on a run's history: it stopped exactly ``patience`` epochs after its best
    validation loss, or ran to the end with the best less than ``patience`` epochs back."""
    val_loss = values["history"]["val_loss"]
    since_best = len(val_loss) - 1 - int(np.argmin(val_loss))
    return since_best == patience or (values["epochs_run"] == epochs and since_best < patience)


def early_stopping(context) -> tuple[int, int]:
    """The book's patience of 100 in 300 epochs; 10 in 60 with --quick."""
    return (10, 60) if context.quick else (100, 300)


LADDER = {"kind": "trend", "data": "the book's spiral", "stand_in": "fnx.datasets.spirals", "figure": ("loss",)}


@listing("ghatak", "L6-6", "Keras: dense 400-200-50 relu, sigmoid output", **LADDER,
         expect={"loss": Falls(0.5, printed=0.05486), "accuracy": Between(0.9, 1.0, printed=0.9771),
                 "val_accuracy": Between(0.85, 1.0, printed=0.95)})
def listing_l6_6(context):
    """Listing 6-6: three relu layers (400, 200, 50) and a sigmoid, Adam, binary cross-entropy, 300 epochs of
    batches of 64 with 480 examples training and 120 validating: accuracy 0.977, validation 0.95."""
    return keras_ladder([400, 200, 50], context)


@listing("ghatak", "L6-7", "Keras: one dense layer of 175", **LADDER,
         expect={"loss": Falls(0.5, printed=0.06767), "accuracy": Between(0.9, 1.0, printed=0.9771),
                 "val_accuracy": Between(0.85, 1.0, printed=0.9417)})
def listing_l6_7(context):
    """Listing 6-7: one relu layer of 175 does as well (0.977, validation 0.942) with far fewer parameters."""
    return keras_ladder([175], context)


@listing("ghatak", "L6-8", "Keras: early stopping (patience 100)", **LADDER,
         expect={"loss": Falls(0.5, printed=0.06945), "val_accuracy": Between(0.85, 1.0, printed=0.95),
                 "stopped_by_the_rule": Value(True)})
def listing_l6_8(context):
    """Listing 6-8: ``callback_early_stopping(patience = 100)`` on the validation loss stopped the book's run
    at epoch 268 of 300 (validation 0.95). The run here obeys the same rule (patience 10 with --quick's 60
    epochs): it stops exactly ``patience`` epochs after its best validation loss, or runs to the end with the
    best less than ``patience`` epochs back."""
    patience, epochs = early_stopping(context)
    values = keras_ladder([175], context, callbacks=[EarlyStopping(patience=patience)], keep_history=True)
    values["stopped_by_the_rule"] = stopped_by_the_rule(values, patience, epochs)
    return values


@listing("ghatak", "L6-9", "... with batch normalization", **LADDER,
         expect={"loss": Falls(0.5, printed=0.07647), "accuracy": Between(0.9, 1.0, printed=0.9792),
                 "val_accuracy": Between(0.85, 1.0, printed=0.95), "stopped_by_the_rule": Value(True),
                 "running_mean_moved": Value(True)})
def listing_l6_9(context):
    """Listing 6-9: ``layer_batch_normalization()`` after the 175 relu units, with 6-8's early stopping: the
    book's run stopped at epoch 150 with accuracy 0.979 and validation 0.95. Batch normalization's running
    mean and variance are the model state that ``fit`` threads through its steps (``state=``) and that
    validation uses; here they must have left their initial zeros and ones, and the accuracies stay within
    0.08 (training) and 0.1 (validation) of the book's."""
    patience, epochs = early_stopping(context)
    values = keras_ladder([175], context, batch_norm=True, callbacks=[EarlyStopping(patience=patience)],
                          keep_history=True)
    values["stopped_by_the_rule"] = stopped_by_the_rule(values, patience, epochs)
    state = values["trained"][1].state
    values["running_mean_moved"] = bool(np.all(np.asarray(state["mean"]) != 0)
                                        and np.all(np.asarray(state["var"]) != 1))
    return values


def cumulative(context, **fit_options) -> dict:
    """Sections 6.2.3-6.2.5 add to 6-9's model (dense 175, batch normalization, early stopping) one step
    each: dropout 0.2 after the normalization (6-10), an L2 penalty on the dense kernel (6-11), a learning
    rate reduced on plateaus (6-12)."""
    patience, _ = early_stopping(context)
    callbacks = [EarlyStopping(patience=patience), *fit_options.pop("callbacks", ())]
    return keras_ladder([175], context, batch_norm=True, stochastic=True, model=WITH_DROPOUT, callbacks=callbacks,
                        **fit_options)


WITH_DROPOUT = functools.partial(batch_normalized, rate=0.2)


@listing("ghatak", "L6-10", "Keras: dropout 0.2", **LADDER,
         expect={"loss": Falls(0.6, printed=0.07657), "val_accuracy": Between(0.85, 1.0, printed=0.9417)})
def listing_l6_10(context):
    """Listing 6-10: ``layer_dropout(rate = 0.2)`` after 6-9's batch normalization: training only (inverted
    dropout); the book's run stopped at epoch 151 with validation accuracy 0.942 (here within 0.1 of it)."""
    return cumulative(context)


def keras_l2(params: list[dict], weight: float = 0.001):
    """Keras's ``regularizer_l2(0.001)`` on the dense-175 kernel: ``0.001 * sum(W^2)`` (no 1/2, no 1/m)."""
    return weight * fnp.sum(params[0]["w"] ** 2)


@listing("ghatak", "L6-11", "Keras: an L2 regularizer on the hidden layer", **LADDER,
         expect={"loss": Falls(0.6, printed=0.08318), "val_accuracy": Between(0.85, 1.0, printed=0.9333)})
def listing_l6_11(context):
    """Listing 6-11: ``kernel_regularizer = regularizer_l2(0.001)`` added to 6-10's model: the training loss
    includes the penalty (0.083 against 0.077 without it), validation accuracy 0.933."""
    return cumulative(context, regularizer=keras_l2)


@functools.lru_cache(maxsize=2)
def whole_ladder(context) -> dict:
    """6-12's model, every step of the ladder at once; kept, since 6-13 predicts with it."""
    quick = ReduceLROnPlateau(patience=3, min_delta=0.03, min_lr=1e-12)
    plateau = quick if context.quick else ReduceLROnPlateau()
    return cumulative(context, regularizer=keras_l2, callbacks=[plateau])


@listing("ghatak", "L6-12", "Keras: reduce the learning rate on a plateau", **LADDER,
         expect={"loss": Falls(0.6, printed=0.08223), "val_accuracy": Between(0.85, 1.0, printed=0.9417),
                 "lr": Between(1e-12, 1e-4, printed=1e-12)})
def listing_l6_12(context):
    """Listing 6-12: ``callback_reduce_lr_on_plateau()`` (factor 0.1, patience 10) on 6-11's model divides
    Adam's 0.001 by ten each time the validation loss stalls: the book's run ends at ``lr: 1e-12`` after nine
    reductions. Here at least one reduction and at most nine. With --quick's 60 epochs the validation loss
    still falls after the rate has dropped (the running statistics are still settling, whatever the rate),
    so there improvements under 0.03 in 3 epochs count as none, and the rate stops at the book's 1e-12
    (``min_lr``)."""
    return whole_ladder(context)


MNIST_TRAIN = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
IMAGE_1_250_300 = np.array([
    0, 0, 0, 0, 0, 0.54901963, 0.98431379, 0.99607849, 0.99607849, 0.99607849, 0.99607849, 0.99607849,
    0.99607849, 0.99607849, 0.99607849, 0.99607849, 0.99607849, 0.99607849, 0.99607849, 0.99607849, 0.99607849,
    0.74117649, 0.09019608, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.88627458, 0.99607849, 0.81568635, 0.78039223,
    0.78039223, 0.78039223, 0.78039223, 0.54509807, 0.23921570, 0.23921570, 0.23921570, 0.23921570, 0.23921570,
    0.50196081, 0.87058830, 0.99607849, 0.99607849, 0.74117649])


def tf_mnist_train(data_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """TensorFlow 1's ``read_data_sets(one_hot=True).train``: the IDX training set without its first 5,000
    rows (kept for validation), images flat float32 multiplied by 1/255, labels one-hot float64."""
    images, labels = load_mnist(data_dir, "train", flat=True)
    images = np.multiply(images[5000:].astype(np.float32), 1.0 / 255.0)
    return images, np.eye(10)[labels[5000:]]


@listing("ghatak", "L6-16", "MNIST through TensorFlow's loader: a label and pixel values", kind="tolerance",
         data="MNIST", data_files=MNIST_TRAIN, stand_in="fnx.datasets.load_digits (8x8)",
         expect={"label_1": Value([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]), "length": Value(784),
                 "image_1_250_300": Value(IMAGE_1_250_300, rtol=1e-7, atol=0)},
         stand_in_expect={"length": Value(64), "one_hot": Value(True)})
def listing_6_16(ctx: RunContext):
    """``mnist$train$labels[1, ]`` is ``0 0 0 0 0 0 0 1 0 0`` (a 7), ``length(image_1)`` 784, and
    ``image_1[250:300]`` 51 float32 pixel values (R's 1-based, inclusive range: Python's [249:300]). TensorFlow
    keeps the training file's first 5,000 images for validation, so this is the file's image 5,000. On the
    stand-in (the shipped 8x8 digits, one-hot the same way) only the shapes are checked."""
    if ctx.path(MNIST_TRAIN[0]):
        images, labels = tf_mnist_train(ctx.data_dir)
    else:
        X, y = load_digits(flat=True, scale=True, dtype="float32")
        images, labels = X, np.eye(10)[y]
    label_1, image_1 = labels[0], images[0]
    return {"label_1": label_1, "length": image_1.size, "image_1_250_300": image_1[249:300],
            "one_hot": bool(label_1.sum() == 1 and label_1.max() == 1)}


@listing("ghatak", "L6-13", "Predicting the first ten test examples", **LADDER,
         expect={"first_ten_right": Between(9, 10), "predict_is_the_model": Value(True),
                 "test_accuracy": Between(0.85, 1.0, printed=0.9417)})
def listing_l6_13(context):
    """Listing 6-13: ``predict(scale.testX.mat[1:10, ])`` with 6-12's model prints ten probabilities, all
    under 0.015 for the book's first ten test points (one class), then ``evaluate`` on the 200 test points
    (the book prints no number; its validation accuracy was 0.942). Here ``fnx.training.predict`` with the
    model's running statistics (``state=``) must equal the model called directly in evaluation mode, at
    least 9 of the first 10 test points must be classified right, and the test accuracy be within 0.1 of the
    book's validation accuracy."""
    model, result = whole_ladder(context)["trained"]
    _, _, test_x, test_y = scaled_spiral()
    first = predict(model, result.params, test_x[:10], state=result.state)
    direct = np.asarray(model(result.params, result.state, fnp.asarray(test_x[:10]), train=False)[0])
    scores = evaluate(model, result.params, test_x, test_y, "binary_crossentropy", ["accuracy"],
                      state=result.state, stochastic=True)
    return {"first_ten": first[:, 0], "first_ten_right": int(np.sum((first > 0.5) == (test_y[:10] == 1))),
            "predict_is_the_model": bool(np.allclose(first, direct, rtol=1e-12, atol=0)),
            "test_accuracy": scores["accuracy"]}
