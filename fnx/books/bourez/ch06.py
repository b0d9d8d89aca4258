"""Bourez, chapter 6 (locating with spatial transformer networks): the Lasagne MNIST CNN, the spatial
transformer network and its recurrent version, trained as pure fnx functions on digits fnx generates.

The book's Lasagne layers map to ``fnx.nn`` stages (``nn.serial``); ``TransformerLayer`` is
``nn.spatial_transformer`` (affine grid and bilinear sampling, differentiable in the image and in theta);
``lasagne.layers.dropout`` is ``nn.dropout`` (inverted, as Lasagne's); ``deterministic=True`` at evaluation is
``apply`` without a key. The data (the book's ``create_mnist_sequence.py`` canvases) are generated from fnx's
8x8 digits in ``bourez/digits.py``, smaller than the book's 100x100 so that a test trains in seconds.

Each training run is one jitted ``lax.scan`` (``fnx.books.loops.minibatch_epochs``); images are NCHW for the
convolutions and NHWC for the sampler."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim

from ..checks import Between, Falls
from ..data import mnist_or_digits
from ..loops import minibatch_epochs
from ..registry import listing
from .digits import F32, digit_triples, digits_28, transformed_digits

IDENTITY = np.array([1.0, 0, 0, 0, 1.0, 0], F32)


def mnist_cnn(side: int, filters: int = 32, size: int = 5, num_units: int = 256, num_classes: int = 10,
              dropout: float = 0.5) -> list:
    """The book's ``mnist_cnn.model`` as ``nn.serial`` stages for (N, 1, side, side) images: two ``filters``
    convolutions of ``size`` x ``size`` (relu, Glorot-uniform) each followed by 2x2 max pooling, dropout, a relu
    dense layer of ``num_units``, dropout, and ``num_classes`` logits (none: the features, as the book's
    localisation network with ``num_classes=0``)."""
    pooled = ((side - size + 1) // 2 - size + 1) // 2
    flat = filters * pooled * pooled
    stages = [nn.layer(nn.conv2d, 1, filters, size, dtype=F32), nn.relu, nn.layer(nn.max_pool, window=2),
              nn.layer(nn.conv2d, filters, filters, size, dtype=F32), nn.relu, nn.layer(nn.max_pool, window=2),
              nn.flatten, nn.layer(nn.dropout, rate=dropout), nn.layer(nn.dense, flat, num_units, dtype=F32),
              nn.relu]
    if num_classes:
        stages += [nn.layer(nn.dropout, rate=dropout), nn.layer(nn.dense, num_units, num_classes, dtype=F32)]
    return stages


def classification_loss(model: nn.Layer):
    """The mean cross-entropy of ``model``'s logits, ``loss(params, x, y, key)`` (dropout from the key)."""
    def loss(params, x, y, key):
        return nn.sparse_softmax_cross_entropy(model.apply(params, x, key), y)
    return loss


def accuracy(logits, y) -> float:
    """The fraction of rows of ``logits`` whose largest entry is at the label ``y``."""
    return float(np.mean(np.argmax(np.asarray(logits), axis=-1) == np.asarray(y)))


@listing("bourez", "6a", "Lasagne's MNIST CNN trained with Nesterov momentum", kind="trend",
         data="MNIST", stand_in="fnx.datasets.load_digits upsampled to 28x28 (bourez/digits.py)",
         figure=("loss",),
         expect={"loss": Falls(0.5), "test_accuracy": Between(0.8, 1.0, printed=0.99)})
def listing_6a(context):
    """Chapter 6's classifier: conv 32 5x5 relu, pool, conv 32 5x5 relu, pool, dropout 0.5, dense 256 relu,
    dropout 0.5, softmax; Nesterov momentum (0.01, 0.9) as the companion code; "the accuracy is again above
    99 %" on MNIST after 500 epochs. On 28x28 upsampled digits the training loss must halve and the test
    accuracy reach 80 % (12 epochs of batches of 25; with --quick, 5 epochs of the first 500 images: 87.5 %)."""
    train_x, test_x, train_y, test_y = digits_28(context.data_dir)
    if context.quick:
        train_x, train_y = train_x[:500], train_y[:500]
    model = nn.serial(*mnist_cnn(28))
    params, curve = minibatch_epochs(classification_loss(model), model.init(fnx.random.key(6)), train_x, train_y,
                                     fnx.random.key(7), optimizer=optim.nesterov(0.01, mu=0.9), batch_size=25,
                                     epochs=5 if context.quick else 12, keyed=True)
    return {"loss": curve, "test_accuracy": accuracy(model.apply(params, test_x), test_y)}


def localisation(side: int, features: int) -> tuple[nn.Layer, nn.Layer]:
    """The localisation network of a canvas (N, 1, side, side): 2x2 max pooling then a small ``mnist_cnn``
    (8 filters 5x5, ``features`` relu units, no classes); and its head, the book's ``A_net``: a dense layer
    to the 6 affine parameters with zero weights and the identity as bias, so training starts from the
    identity transform."""
    body = nn.serial(nn.layer(nn.max_pool, window=2),
                     *mnist_cnn(side // 2, filters=8, size=3, num_units=features, num_classes=0, dropout=0.0))
    head = nn.layer(nn.dense, features, 6, w_init=nn.initializers.zeros(), b_init=lambda *a: fnp.asarray(IDENTITY),
                    dtype=F32)
    return body, head


def transform(canvases, theta, out: tuple[int, int]):
    """``nn.spatial_transformer`` between the convolutions' layout and the sampler's: canvases (N, 1, H, W),
    theta (N, 6) -> (N, 1, *out)."""
    moved = nn.spatial_transformer(fnp.moveaxis(canvases, 1, -1), fnp.reshape(theta, (-1, 2, 3)), out)
    return fnp.moveaxis(moved, -1, 1)


def spatial_transformer_network(side: int, out: int) -> nn.Layer:
    """The chapter's STN as one ``Layer``: localisation -> theta -> the canvas sampled to ``out`` x ``out``
    (the book's ``downsample_factor``) -> a ``mnist_cnn`` classifier (16 filters 3x3, 64 units)."""
    body, head = localisation(side, 32)
    classifier = nn.serial(*mnist_cnn(out, filters=16, size=3, num_units=64, dropout=0.0))

    def init(key):
        keys = fnx.random.split(key, 3)
        return {"loc": body.init(keys[0]), "A_net": head.init(keys[1]), "classifier": classifier.init(keys[2])}

    def apply(params, x, key=None):
        theta = head.apply(params["A_net"], body.apply(params["loc"], x))
        return classifier.apply(params["classifier"], transform(x, theta, (out, out)), key)

    return nn.Layer(init, apply)


def clipped_adam(learning_rate: float) -> optim.GradientTransformation:
    """The companion code's clipping (every gradient to +-1, then to a total norm of 5) before Adam (its
    alternative to RMSProp at 0.0005, which needs the book's hundreds of epochs)."""
    return optim.chain(optim.clip_by_value(1.0), optim.clip_by_global_norm(5.0), optim.adam(learning_rate))


@listing("bourez", "6b", "A spatial transformer network on moved and cluttered digits", kind="trend",
         data="MNIST canvases of create_mnist_sequence.py (100x100, 1 digit, 8 clutter patches)",
         stand_in="32x32 canvases of fnx's digits, rotated, zoomed, shifted, 2 clutter patches (bourez/digits.py)",
         figure=("loss",),
         expect={"loss": Falls(0.5), "test_accuracy": Between(0.5, 1.0, printed=0.969)})
def listing_6b(context):
    """Chapter 6's spatial transformer network: a localisation network predicts an affine map (starting from
    the identity), the canvas is resampled through it to a smaller image, and a CNN classifies that; the whole
    is trained end to end through the bilinear sampler. The book gets "above 96.9 %" on cluttered 100x100
    MNIST canvases. Here: 20-pixel digits rotated up to 30 degrees, zoomed 0.9-1.1 and shifted on 32x32
    canvases with 2 clutter patches, resampled to 16x16; the training loss must halve and the test accuracy
    reach 50 % (chance: 10 %) (the book's gradient clipping before Adam at 0.003; 20 epochs of batches of 50;
    with --quick, 8: 62.5 %). The book ramps its classifier's dropout up over the first epochs; these short
    runs use none."""
    X_train, X_test, y_train, y_test = mnist_or_digits(None)
    k_train, k_test = fnx.random.split(fnx.random.key(60))
    canvases = [transformed_digits(k, X.reshape(-1, 8, 8), 32, 20)[:, None]
                for k, X in ((k_train, X_train), (k_test, X_test))]
    model = spatial_transformer_network(32, 16)
    params, curve = minibatch_epochs(classification_loss(model), model.init(fnx.random.key(61)), canvases[0],
                                     y_train, fnx.random.key(62), optimizer=clipped_adam(0.003), batch_size=50,
                                     epochs=8 if context.quick else 20, keyed=True)
    return {"loss": curve, "test_accuracy": accuracy(model.apply(params, canvases[1]), y_test)}


def recurrent_transformer_network(height: int, width: int, out: int, steps: int = 3, units: int = 64) -> nn.Layer:
    """The chapter's recurrent STN: the localisation features of the canvas (N, 1, height, width), repeated
    ``steps`` times (the book's ``Repeat`` layer), run through a GRU of ``units``; each step's output gives
    an affine map (the identity-initialised ``A_net``), the canvas is sampled through it to ``out`` x ``out``
    and one shared classifier reads each glimpse. ``apply`` returns logits (N, steps, 10)."""
    body = nn.serial(nn.layer(nn.max_pool, window=2), nn.layer(nn.conv2d, 1, 8, 3, dtype=F32), nn.relu,
                     nn.layer(nn.max_pool, window=2), nn.flatten)
    features = 8 * ((height // 2 - 2) // 2) * ((width // 2 - 2) // 2)
    _, head = localisation(out, units)
    classifier = nn.serial(*mnist_cnn(out, filters=16, size=3, num_units=64, dropout=0.0))

    def init(key):
        keys = fnx.random.split(key, 4)
        return {"loc": body.init(keys[0]), "gru": nn.gru.init(keys[1], features, units, dtype=F32),
                "A_net": head.init(keys[2]), "classifier": classifier.init(keys[3])}

    def apply(params, x, key=None):
        repeated = fnp.repeat(body.apply(params["loc"], x)[:, None], steps, axis=1)  # (N, steps, features)
        _, hs = nn.rnn(nn.gru, params["gru"], repeated)
        theta = head.apply(params["A_net"], fnp.reshape(hs, (-1, units)))          # (N * steps, 6)
        glimpses = transform(fnp.repeat(x, steps, axis=0), theta, (out, out))
        return fnp.reshape(classifier.apply(params["classifier"], glimpses, key), (x.shape[0], steps, -1))

    return nn.Layer(init, apply)


@listing("bourez", "6c", "A recurrent spatial transformer reading three digits", kind="trend",
         data="MNIST canvases of create_mnist_sequence.py (100x100, 3 digits)",
         stand_in="16x48 canvases of three of fnx's digits, each moved at random (bourez/digits.py)",
         figure=("loss",),
         expect={"loss": Falls(0.85), "test_accuracy": Between(0.25, 1.0, printed=0.272)})
def listing_6c(context):
    """Chapter 6's recurrent spatial transformer: a GRU run three steps on the localisation features emits
    three affine maps, each glimpse of the canvas is classified: the three digits of a canvas, left to right.
    The book's test accuracy per digit rises from 0.272 after the first epoch to 0.979 after 54 (99.3 % in the
    text). Here the three digits of 16x48 canvases, glimpses of 16x16; the training loss must fall below
    0.85 of its first epoch's and the test accuracy per digit pass the book's first epoch's, 27.2 % within a
    margin: at least 25 % (chance: 10 %) (Adam 0.003 clipped as in 6b; 2,400 training canvases, 12 epochs;
    with --quick, 800 canvases, 6 epochs: 28-29 %). Reaching the book's 98 % takes its 50 epochs of 60,000
    canvases."""
    X_train, X_test, y_train, y_test = mnist_or_digits(None)
    count = 800 if context.quick else 2400
    train_x, train_y = digit_triples(fnx.random.key(63), X_train.reshape(-1, 8, 8), y_train, count, 16)
    test_x, test_y = digit_triples(fnx.random.key(64), X_test.reshape(-1, 8, 8), y_test, 600, 16)
    model = recurrent_transformer_network(16, 48, 16)

    def loss(params, x, y, key):
        return nn.sparse_softmax_cross_entropy(model.apply(params, x, key).reshape(-1, 10), y.reshape(-1))

    params, curve = minibatch_epochs(loss, model.init(fnx.random.key(65)), train_x[:, None], train_y,
                                     fnx.random.key(66), optimizer=clipped_adam(0.003), batch_size=50,
                                     epochs=6 if context.quick else 12, keyed=True)
    return {"loss": curve, "test_accuracy": accuracy(model.apply(params, test_x[:, None]), test_y)}
