"""Ketkar, chapter 7 (Keras 1 on Theano): dense models on random data under Keras 1's optimizers and
activations, through ``fnx.training.fit`` and ``evaluate`` with Keras 1's defaults by name
(``fnx.training.keras1``). The data are random, so the results are too: the units check the trends the catalog
derives (the training loss falls, memorising; Keras's clipping of the cross-entropy at 1e-7 explains the
losses near 8 of the unbounded activations). The MNIST CNN (7-7) and the IMDB LSTM (7-8) run on the user's
files when ``--data`` has them, else on stand-ins: the shipped 8x8 digits, and a generated sentiment corpus."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx.training import evaluate, fit, keras1

from fnx.datasets import load_imdb
from fnx.text import pad_sequences

from ..checks import Below, Between, Value
from ..data import mnist_or_digits
from ..registry import RunContext, listing



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


def fit_and_test(model, params, optimizer: str, train: tuple, test: tuple, loss: str, epochs: int,
                 batch_size: int) -> dict:
    """Keras's ``evaluate`` on the test set before training, ``fit`` (dropout keys: ``stochastic=True``; a key
    of 7), and the test loss and accuracy after: the values 7-7 and 7-8 check."""
    before = evaluate(model, params, *test, loss, batch_size=400, stochastic=True)
    result = fit(model, params, optimizer, *train, loss=loss, epochs=epochs, batch_size=batch_size, key=7,
                 stochastic=True, drop_remainder=True, verbose=0)
    after = evaluate(model, result.params, *test, loss, ["accuracy"], batch_size=400, stochastic=True)
    return {"loss_before": before["loss"], "test_loss": after["loss"], "test_accuracy": after["accuracy"],
            "loss": result.history["loss"]}


def mnist_cnn(side: int):
    """Listing 7-7's model for ``side`` x ``side`` images (NHWC): Conv2D(32, 3x3) relu, Conv2D(32, 3x3) relu,
    2x2 max pooling, Dropout(0.25), Flatten, Dense(128) relu, Dropout(0.5), Dense(10) softmax (Keras 1's
    glorot-uniform weights). Returns (params, model(params, x, key)); ``key`` None is evaluation."""
    k1, k2, k3, k4 = fnx.random.split(fnx.random.key(77), 4)
    flat = 32 * ((side - 4) // 2) ** 2
    params = {"c1": nn.conv2d.init(k1, 1, 32, 3), "c2": nn.conv2d.init(k2, 32, 32, 3),
              "d1": nn.dense.init(k3, flat, 128), "d2": nn.dense.init(k4, 128, 10)}

    def model(params, x, key):
        keys = (None, None) if key is None else fnx.random.split(key)
        drop = lambda k, h, rate: h if k is None else nn.dropout(k, h, rate)  # noqa: E731
        h = nn.relu(nn.conv2d(params["c1"], x, layout="NHWC"))
        h = nn.relu(nn.conv2d(params["c2"], h, layout="NHWC"))
        h = nn.flatten(drop(keys[0], nn.max_pool(h, 2, layout="NHWC"), 0.25))
        h = drop(keys[1], nn.relu(nn.dense(params["d1"], h)), 0.5)
        return nn.softmax(nn.dense(params["d2"], h))
    return params, model


@listing("ketkar", "7-7", "MNIST CNN, adadelta, 1 epoch", kind="trend", data="MNIST (IDX files in --data DIR)",
         stand_in="fnx.datasets.load_digits (8x8: 8 -> 6 -> 4 -> 2 pixels)",
         expect={"test_loss": Below("loss_before"), "test_accuracy": Between(0.5, 1.0, printed=0.9712)})
def listing_7_7(ctx: RunContext):
    """Listing 7-7 trains a small CNN on MNIST (60,000 28x28 images, pixels / 255) with Keras 1's adadelta
    (learning rate 1.0, rho 0.95) and categorical cross-entropy, one epoch of batches of 128, and prints
    "Test accuracy: 0.9712" (test loss 0.09). The same model through ``fnx.training.fit`` (dropout keys from
    ``stochastic=True``): on MNIST one epoch; on the digits stand-in (1,437 training images of 8x8, 11 batches
    an epoch) 15 epochs, or 3 with --quick. The test loss must fall below the untrained model's and the test
    accuracy reach 0.5 (chance: 0.1; --quick gives 0.65): the margin is wide because the stand-in trains for
    33-165 steps where the book takes 469 (the first tier runs each step's convolutions in NumPy, ~0.2 s a step here)."""
    x_train, x_test, y_train, y_test = mnist_or_digits(ctx.data_dir)
    side = int(round(x_train.shape[1] ** 0.5))
    as_images = lambda x: np.asarray(x, np.float32).reshape(-1, side, side, 1)  # noqa: E731
    params, model = mnist_cnn(side)
    epochs = 1 if ctx.data_dir else (3 if ctx.quick else 15)
    return fit_and_test(model, params, "adadelta", (as_images(x_train), np.eye(10)[y_train]),
                        (as_images(x_test), np.eye(10)[y_test]), "categorical_crossentropy", epochs, batch_size=128)


def sentiment_corpus(n: int, vocabulary: int = 500, seed: int = 78) -> tuple[list[list[int]], np.ndarray]:
    """The IMDB stand-in: ``n`` generated "reviews" as lists of word ids (Keras's convention: 1 starts a
    review, ids from 3), labels 0/1 alternating. Each review is 8-30 words drawn with Zipf-like frequencies;
    2-4 of them are taken from its class's 20 sentiment words and, in a third of the reviews, one from the
    other class's (a mixed review)."""
    rng = np.random.RandomState(seed)
    positive, negative = np.arange(3, 23), np.arange(23, 43)
    neutral = np.arange(43, vocabulary)
    weights = 1.0 / np.arange(1, len(neutral) + 1)
    labels = np.arange(n) % 2
    reviews = []
    for label in labels:
        words = list(rng.choice(neutral, rng.randint(4, 13), p=weights / weights.sum()))
        own, other = (positive, negative) if label else (negative, positive)
        cues = list(rng.choice(own, rng.randint(2, 5))) + (list(rng.choice(other, 1)) if rng.rand() < 1 / 3 else [])
        for cue in cues:
            words.insert(rng.randint(len(words) + 1), cue)
        reviews.append([1] + [int(w) for w in words])
    return reviews, labels.astype(np.float32)[:, None]


def imdb_lstm(vocabulary: int, features: int):
    """Listing 7-8's model: Embedding(vocabulary, features, dropout=0.2) (Keras 1 drops whole rows of the
    table), LSTM(features, dropout_W=0.2, dropout_U=0.2) with Keras 1's hard-sigmoid gates and time-constant
    masks (``nn.rnn``'s variational dropout), its last h into Dense(1) sigmoid. Returns (params, model)."""
    k1, k2, k3 = fnx.random.split(fnx.random.key(78), 3)
    params = {"embed": nn.embedding.init(k1, vocabulary, features), "lstm": nn.lstm.init(k2, features, features),
              "out": nn.dense.init(k3, features, 1)}
    gate = keras1.activation("hard_sigmoid")

    def model(params, ids, key):
        table = params["embed"]
        keys = (None, None) if key is None else fnx.random.split(key)
        if key is not None:
            table = {"table": nn.dropout(keys[0], fnp.ones((vocabulary, 1)), 0.2) * table["table"]}
        (h, _), _ = nn.rnn(nn.lstm, params["lstm"], nn.embedding(table, ids), dropout=0.2, recurrent_dropout=0.2,
                           key=keys[1], gate_activation=gate)
        return nn.sigmoid(nn.dense(params["out"], h))
    return params, model


@listing("ketkar", "7-8", "IMDB LSTM with dropout, adam, 1 epoch", kind="trend",
         data="IMDB (imdb.npz in --data DIR)", stand_in="a generated sentiment corpus (ketkar/ch07.py)",
         expect={"test_loss": Below("loss_before"), "test_accuracy": Between(0.75, 1.0, printed=0.8076)})
def listing_7_8(ctx: RunContext):
    """Listing 7-8 classifies IMDB reviews (the 20,000 most frequent words, cut or padded to 80) with an
    embedding, an LSTM with dropout on its inputs and its recurrent state, and a sigmoid, trained one epoch
    with adam (batches of 32): "Test accuracy 0.8076" (loss 0.44). The same model through ``fit`` with
    ``stochastic=True``. Without ``imdb.npz`` it runs on a generated corpus (640 training and 400 test
    reviews over 500 words, padded to 16; 32 features; 4 epochs, --quick 1), whose sentiment lies in a few
    cue words: the test accuracy must reach the book's 0.81 less 0.06."""
    path = ctx.path("imdb.npz")
    if path:
        (x_train, y_train), (x_test, y_test) = load_imdb(path, num_words=20000)
        y_train, y_test = y_train[:, None].astype(np.float32), y_test[:, None].astype(np.float32)
        vocabulary, features, maxlen, epochs = 20000, 128, 80, 1
    else:
        reviews, labels = sentiment_corpus(1040)
        x_train, y_train, x_test, y_test = reviews[:640], labels[:640], reviews[640:], labels[640:]
        vocabulary, features, maxlen, epochs = 500, 32, 16, 1 if ctx.quick else 4
    x_train, x_test = pad_sequences(x_train, maxlen=maxlen), pad_sequences(x_test, maxlen=maxlen)
    params, model = imdb_lstm(vocabulary, features)
    return fit_and_test(model, params, "adam", (x_train, y_train), (x_test, y_test), "binary_crossentropy", epochs,
                        batch_size=32)
