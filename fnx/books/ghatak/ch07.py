"""Ghatak, chapter 7 (convolutional networks): convolution by hand-sized examples, padding, strides, pooling,
the shape bookkeeping of a conv layer, and the Keras CNNs' summaries, as pure fnx functions.

Convolution here is cross-correlation (no kernel flip), as in the book and in Keras. Shapes and parameter
counts come from tracing (``fnx.eval_shape``): no weights are drawn."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax
from fnx.datasets import load_digits
from fnx.training import evaluate, fit

from ..checks import Between, Falls, Value
from ..registry import listing
from . import catsdogs
from .ch01 import layer_counts, parameter_shapes

IMAGE = [[1, 3, 5, 2, 6, 1], [7, 0, 2, 4, 1, 3], [5, 1, 3, 6, 2, 7], [2, 4, 3, 0, 0, 1],
         [1, 7, 3, 9, 2, 1], [3, 6, 2, 4, 1, 0]]
VERTICAL = [[1, 0, -1]] * 3
HORIZONTAL = [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]


@fnx.jit(static_argnames="stride")
def correlate(image, kernel, stride: int = 1):
    """The valid 2-d cross-correlation of an (H, W) image with an (f, f) kernel at ``stride``."""
    return lax.conv(image[None, None], kernel[None, None], (stride, stride), "VALID")[0, 0]


def correlate_f64(image, kernel, stride: int = 1):
    """``correlate`` on float64 copies of nested lists."""
    return correlate(fnp.asarray(image, dtype=float), fnp.asarray(kernel, dtype=float), stride)


@listing("ghatak", "L7-1", "A 6x6 image convolved with a vertical-edge filter", kind="exact",
         expect={"output": Value([[3, -8, 1, 1], [6, -5, 5, -1], [-1, -3, 5, 6], [-2, 4, 5, 11]])})
def listing_l7_1():
    """Listing 7-1: the 6x6 matrix cross-correlated with [[1, 0, -1]] x 3 gives a 4x4 output whose first
    entry is 1 + 7 + 5 - 2 - 3 - 3... = 3, as the book works out by hand."""
    return {"output": correlate_f64(IMAGE, VERTICAL)}


@listing("ghatak", "L7-2", "Vertical edge detection", kind="exact",
         expect={"output": Value([[0, 60, 60, 0]] * 4)})
def listing_l7_2():
    """Listing 7-2: an image bright on the left half (20) and dark on the right (0): the vertical filter
    answers 60 on the two middle columns, where the edge is."""
    return {"output": correlate_f64([[20, 20, 20, 0, 0, 0]] * 6, VERTICAL)}


@listing("ghatak", "L7-3", "Horizontal edge detection", kind="exact",
         expect={"output": Value([[0, 0, 0, 0], [60, 20, -20, -60], [60, 20, -20, -60], [0, 0, 0, 0]])})
def listing_l7_3():
    """Listing 7-3: bright top-left and bottom-right quadrants: the horizontal filter [[1, 1, 1], [0, 0, 0],
    [-1, -1, -1]] gives +60 and -60 where the edge changes sign, 20 and -20 at the corners' transition."""
    image = [[20, 20, 20, 0, 0, 0]] * 3 + [[0, 0, 0, 20, 20, 20]] * 3
    return {"output": correlate_f64(image, HORIZONTAL)}


def output_size(n: int, f: int, p: int = 0, s: int = 1) -> int:
    """The book's ``floor((n + 2p - f) / s) + 1``."""
    return (n + 2 * p - f) // s + 1


@listing("ghatak", "L7-5", "Zero padding keeps a 6x6 image 6x6", kind="deviates",
         reason="for p = 2 the book says the output is 7x7; n + 2p - f + 1 = 6 + 4 - 3 + 1 = 8, and fnx's "
                "padded convolution gives 8x8",
         expect={"padded": Value(np.pad(IMAGE, 1).tolist()), "output_shape_p1": Value([6, 6]),
                 "padded_shape_p2": Value([10, 10]), "output_shape_p2": Value([8, 8], printed=[7, 7])})
def listing_l7_5():
    """Listing 7-5: padding the 6x6 image of 7-1 with one ring of zeros gives the printed 8x8 matrix, and a
    3x3 filter over it returns a 6x6 output (``n + 2p - f + 1``). With p = 2 the padded image is 10x10 and the
    output 8x8; the book's prose says 7x7."""
    image = fnp.asarray(IMAGE, dtype=float)
    padded = fnp.pad(image, 1)
    out_p1 = correlate(padded, fnp.asarray(VERTICAL, dtype=float))
    padded_p2 = fnp.pad(image, 2)
    out_p2 = correlate(padded_p2, fnp.asarray(VERTICAL, dtype=float))
    assert out_p1.shape[0] == output_size(6, 3, p=1)
    return {"padded": padded, "output_shape_p1": list(out_p1.shape), "padded_shape_p2": list(padded_p2.shape),
            "output_shape_p2": list(out_p2.shape)}


IMAGE_9 = [[1, 3, 5, 2, 6, 1, 5, 6, 2], [7, 0, 2, 4, 1, 3, 2, 5, 1], [5, 1, 3, 6, 2, 7, 4, 3, 8],
           [2, 4, 3, 0, 0, 1, 9, 1, 4], [1, 7, 3, 9, 2, 1, 3, 9, 1], [3, 6, 2, 4, 1, 0, 1, 3, 5],
           [2, 5, 7, 0, 4, 8, 1, 2, 7], [1, 0, 5, 2, 5, 1, 7, 9, 2], [6, 3, 7, 9, 2, 5, 3, 4, 1]]


@listing("ghatak", "L7-6", "Strided convolution of a 9x9 image", kind="deviates",
         reason="the book says stride 1 gives 6x6 and stride 2 gives 3x3; floor((9 - 3) / s) + 1 is 7 and 4, "
                "and the convolution's outputs are 7x7 and 4x4",
         expect={"shape_stride_1": Value([7, 7], printed=[6, 6]), "shape_stride_2": Value([4, 4], printed=[3, 3]),
                 "stride_2_is_every_other_output": Value(True)})
def listing_l7_6():
    """Listing 7-6: the printed 9x9 matrix under a 3x3 filter (the book does not give it: the vertical-edge
    filter here) at strides 1 and 2. The output side is ``floor((n + 2p - f) / s) + 1``: 7 and 4 (the book
    prints 6 and 3); the stride-2 output is the stride-1 output at every other position."""
    image, kernel = fnp.asarray(IMAGE_9, dtype=float), fnp.asarray(VERTICAL, dtype=float)
    one, two = correlate(image, kernel, 1), correlate(image, kernel, 2)
    assert one.shape[0] == output_size(9, 3, s=1) and two.shape[0] == output_size(9, 3, s=2)
    return {"shape_stride_1": list(one.shape), "shape_stride_2": list(two.shape),
            "stride_2_is_every_other_output": bool(np.array_equal(np.asarray(one)[::2, ::2], np.asarray(two)))}


def numpy_pool(image: np.ndarray, f: int, reduce) -> np.ndarray:
    """Non-overlapping f x f pooling with NumPy (the reference for fnx's pooling layers)."""
    n = image.shape[0] // f * f
    return reduce(image[:n, :n].reshape(n // f, f, n // f, f), axis=(1, 3))


@listing("ghatak", "L7-8", "Max and average pooling of the 6x6 image", kind="exact",
         expect={"max": Value(numpy_pool(np.array(IMAGE, float), 2, np.max)),
                 "average": Value(numpy_pool(np.array(IMAGE, float), 2, np.mean)),
                 "shape": Value([3, 3, 1])})
def listing_l7_8():
    """Listing 7-8 (section 7.1.6): 2x2 max and average pooling at stride 2 keep the channels and give
    ``(n_H - f) / s + 1`` = 3 rows and columns; the values are NumPy's window maxima and means."""
    image = fnp.asarray(IMAGE, dtype=float)[None, :, :, None]  # one NHWC example with one channel
    pooled_max = nn.max_pool(image, 2, layout="NHWC")
    pooled_avg = nn.avg_pool(image, 2, layout="NHWC")
    return {"max": pooled_max[0, :, :, 0], "average": pooled_avg[0, :, :, 0], "shape": list(pooled_max.shape[1:])}


@listing("ghatak", "L7-9", "A conv layer's shapes: 64x64x20 input, 50 filters 9x9, stride 2", kind="exact",
         expect={"output_shape": Value([28, 28, 50]), "weights": Value(9 * 9 * 20 * 50), "biases": Value(50),
                 "matches_windows": Value(True)})
def listing_l7_9():
    """Listing 7-9: ``floor((64 + 0 - 9) / 2) + 1 = 28``, so 50 filters of 9x9x20 at stride 2 give 28x28x50,
    with 9 * 9 * 20 * 50 weights and 50 biases; three outputs are checked against the window sums."""
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((1, 64, 64, 20)), rng.standard_normal((9, 9, 20, 50))
    out = np.asarray(lax.conv_general_dilated(x, w, (2, 2), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")))
    windows = all(np.isclose(out[0, i, j, k], np.sum(x[0, 2 * i:2 * i + 9, 2 * j:2 * j + 9] * w[..., k]))
                  for i, j, k in [(0, 0, 0), (27, 27, 49), (13, 5, 17)])
    return {"output_shape": list(out.shape[1:]), "weights": w.size, "biases": w.shape[-1],
            "matches_windows": windows}


def keras_cnn() -> tuple[list, nn.Layer]:
    """Listing 7-19's CNN as Keras lists its 15 layers (conv, activation, pool four times; flatten; two dense
    layers with their activations inside), NHWC: the list of stages and their composition."""
    stages = []
    for c_in, c_out in [(3, 32), (32, 64), (64, 128), (128, 128)]:
        stages += [nn.layer(nn.conv2d, c_in, c_out, 3, layout="NHWC"), nn.relu,
                   nn.layer(nn.max_pool, window=2, layout="NHWC")]
    stages += [nn.flatten, nn.serial(nn.layer(nn.dense, 6272, 512), nn.relu),
               nn.serial(nn.layer(nn.dense, 512, 1), nn.sigmoid)]
    return stages, nn.serial(*stages)


def layer_output_shapes(stages: list, shapes, x) -> list[list[int]]:
    """The output shape after each of ``stages`` (traced), for an input like ``x``."""
    return [list(fnx.eval_shape(nn.serial(*stages[:n]).apply, shapes[:n], x).shape)
            for n in range(1, len(stages) + 1)]


@listing("ghatak", "L7-19", "Keras summary of the cats-vs-dogs CNN", kind="exact",
         expect={"per_layer": Value([896, 18496, 73856, 147584, 3211776, 513]), "total": Value(3453121),
                 "pooled_shapes": Value([[2, 74, 74, 32], [2, 36, 36, 64], [2, 17, 17, 128], [2, 7, 7, 128]]),
                 "output_shape": Value([2, 1])})
def listing_l7_19():
    """Listing 7-19: four 3x3 conv layers (32, 64, 128, 128 filters) each followed by 2x2 max pooling on
    150x150x3 images, then dense 512 and 1: 3,453,121 parameters; the pools floor odd sizes (15 -> 7)."""
    stages, model = keras_cnn()
    shapes = parameter_shapes(model)
    x = fnx.ShapeDtypeStruct((2, 150, 150, 3), "float32")
    sizes = layer_output_shapes(stages, shapes, x)
    return {"per_layer": layer_counts(shapes), "total": nn.count_params(shapes),
            "pooled_shapes": [sizes[i] for i in (2, 5, 8, 11)], "output_shape": sizes[-1]}


VGG16_BLOCKS = [(3, 64, 2), (64, 128, 2), (128, 256, 3), (256, 512, 3), (512, 512, 3)]


@listing("ghatak", "L7-24", "VGG16's convolutional base at 150x150x3: shapes and parameters", kind="exact",
         data="ImageNet weights (not needed for shapes and counts)", stand_in="untrained parameters",
         expect={"per_layer": Value([1792, 36928, 73856, 147584, 295168, 590080, 590080, 1180160, 2359808,
                                     2359808, 2359808, 2359808, 2359808]),
                 "total": Value(14714688),
                 "pooled_shapes": Value([[1, 75, 75, 64], [1, 37, 37, 128], [1, 18, 18, 256], [1, 9, 9, 512],
                                         [1, 4, 4, 512]])})
def listing_l7_24():
    """Listing 7-24: ``application_vgg16(include_top = F, input_shape = c(150, 150, 3))``: 13 "same" 3x3 conv
    layers in five blocks, each block ending in 2x2 max pooling, 14,714,688 parameters, ending at 4x4x512.
    The ImageNet weights the book loads change no shape or count, so none are loaded."""
    stages, pools = [], []
    for c_in, c_out, convs in VGG16_BLOCKS:
        for i in range(convs):
            stages += [nn.layer(nn.conv2d, c_in if i == 0 else c_out, c_out, 3, padding="SAME", layout="NHWC"),
                       nn.relu]
        pools.append(len(stages))
        stages.append(nn.layer(nn.max_pool, window=2, layout="NHWC"))
    shapes = parameter_shapes(nn.serial(*stages))
    sizes = layer_output_shapes(stages, shapes, fnx.ShapeDtypeStruct((1, 150, 150, 3), "float32"))
    pooled = [sizes[i] for i in pools]
    return {"per_layer": layer_counts(shapes), "total": nn.count_params(shapes), "pooled_shapes": pooled}


@listing("ghatak", "L7-26", "Intermediate activations of the CNN for one image", kind="exact",
         data="basic_cnn.h5 (the trained model) and a photo", stand_in="untrained parameters, a random image",
         expect={"input_shape": Value([1, 150, 150, 3]), "first_layer": Value([1, 148, 148, 32]),
                 "tenth_layer": Value([1, 15, 15, 128]), "layers": Value(15)},
         figure=("first_layer_channel_1",))
def listing_l7_26():
    """Listing 7-26: a model returning every layer's output for one 150x150x3 image (rescaled by 1/255):
    15 layers, the first conv's activations 148x148x32 and the tenth layer's (the fourth conv) 15x15x128.
    Untrained parameters stand in for the book's saved model: the shapes do not depend on them (they are
    traced; the figure shows the first conv's first channel)."""
    stages, model = keras_cnn()
    params = model.init(fnx.random.key(0))
    image = fnx.random.randint(fnx.random.key(1), (1, 150, 150, 3), 0, 256) / 255.0  # pixels rescaled

    def activations(params, x):
        outs = []
        for stage, p in zip(stages, params):
            x = nn.serial(stage).apply((p,), x)
            outs.append(x)
        return outs

    shapes = fnx.eval_shape(activations, params, image)
    first = nn.serial(stages[0]).apply(params[:1], image)
    return {"input_shape": list(image.shape), "first_layer": list(shapes[0].shape),
            "tenth_layer": list(shapes[9].shape), "layers": len(shapes), "first_layer_channel_1": first[0, :, :, 0]}


def conv_base() -> nn.Layer:
    """Listing 7-19's convolutional base cut to the stand-in's 8x8x1 images: two 3x3 conv layers (16 and 32
    filters, "same" padding so that 8x8 survives two 2x2 poolings; the book's are "valid" on 150x150), relu
    and max pooling after each, flattened to 128 features. NHWC, as Keras."""
    conv = lambda c_in, c_out: [nn.layer(nn.conv2d, c_in, c_out, 3, padding="SAME", layout="NHWC"),  # noqa: E731
                                nn.relu, nn.layer(nn.max_pool, window=2, layout="NHWC")]
    return nn.serial(*conv(1, 16), *conv(16, 32), nn.flatten)


def small_cnn(dropout: float = 0.0, classes: int = 2) -> nn.Layer:
    """``conv_base``, dropout at ``dropout`` (listing 7-22's 0.5; training only), dense 64 relu, then one
    sigmoid unit (two classes) or a softmax over ``classes``. Its parameters' first entry is the base's."""
    head = [nn.layer(nn.dropout, rate=dropout)] if dropout else []
    out = [nn.layer(nn.dense, 64, 1), nn.sigmoid] if classes == 2 else [nn.layer(nn.dense, 64, classes), nn.softmax]
    return nn.serial(conv_base(), *head, nn.layer(nn.dense, 128, 64), nn.relu, *out)


def shifted(key, images, pixels: int = 1):
    """``image_data_generator``'s random shifts on the stand-in: each image moved by up to ``pixels`` rows
    and columns (the book's 0.2 of the width, about 1.6 pixels of 8), the border filled with zeros (the
    digits' background; the book fills with the nearest pixel). A keyed pure function, run inside the
    jitted training step, so each epoch sees new shifts."""
    n, h, w, c = images.shape
    offsets = fnx.random.randint(key, (n, 2), 0, 2 * pixels + 1)
    padded = fnp.pad(images, ((0, 0), (pixels, pixels), (pixels, pixels), (0, 0)))
    window = lambda image, o: lax.dynamic_slice(image, (o[0], o[1], 0), (h, w, c))  # noqa: E731
    return fnx.vmap(window)(padded, offsets)


PLAIN_CNN, DROPOUT_CNN = small_cnn(), small_cnn(dropout=0.5)


def augmented(params, x, key=None):
    """Listing 7-22's model: shifted images and dropout in training (``key`` given), plain in evaluation."""
    if key is None:
        return DROPOUT_CNN.apply(params, x)
    shift_key, dropout_key = fnx.random.split(key)
    return DROPOUT_CNN.apply(params, shifted(shift_key, x), dropout_key)


def train_cnn(context, model, net: nn.Layer, learning_rate: float, stochastic: bool = False) -> dict:
    """``fit`` on the stand-in's 200 training images, validating on its 50 test images each epoch (the book's
    ``fit_generator(validation_data = validation_generator)``): Adam with Keras's ``decay = 1e-6``
    (``lr / (1 + 1e-6 t)``), binary cross-entropy, 30 epochs (10 with --quick) of the book's
    ``steps_per_epoch = 31`` batches of 32: a generator cycles through its images, so an epoch here is the
    200 images five times over, reshuffled (and, with augmentation, shifted anew) at each pass. With --quick
    the steps run eagerly (``jit=False``): compiling a convolution's training step costs more CPU than the
    short run saves."""
    train, train_y, test, test_y = catsdogs.image_split()
    adam = optim.adam(optim.inverse_time_decay(learning_rate, 1e-6))
    result = fit(model, net.init(fnx.random.key(720)), adam, np.tile(train, (5, 1, 1, 1)), np.tile(train_y, (5, 1)),
                 loss="binary_crossentropy", metrics=["accuracy"], epochs=10 if context.quick else 30,
                 batch_size=32, drop_remainder=True, key=720, validation_data=(test, test_y), stochastic=stochastic,
                 verbose=0, jit=not context.quick)
    h = result.history
    return {"loss": np.asarray(h["loss"]), "accuracy": h["accuracy"][-1], "val_loss": h["val_loss"][-1],
            "val_accuracy": h["val_accuracy"][-1]}


CATS = {"kind": "trend", "data": "cats vs dogs (150x150x3 photos)", "figure": ("loss",),
        "stand_in": "fnx.datasets.load_digits: digits 3 and 5, 200/50 (see fnx/books/ghatak/catsdogs.py)"}


@listing("ghatak", "L7-20", "Training the CNN: Adam at 0.001 with decay 1e-6, 30 epochs", **CATS,
         expect={"loss": Falls(0.5), "accuracy": Between(0.9, 1.0, printed=1.0),
                 "val_accuracy": Between(0.66 - 0.1, 1.0, printed=0.6596493)})
def listing_l7_20(context):
    """Listing 7-20: the CNN of 7-19 trained by ``fit_generator`` (31 steps of 32 a epoch, 30 epochs), Adam at
    0.001 with ``decay = 1e-6``: the training accuracy reaches 100 % while the validation accuracy stalls
    after the ninth epoch; ``evaluate_generator`` gives loss 2.415 and accuracy 0.660 (over-fitting). On the
    stand-in (a smaller CNN for 8x8 images, see ``small_cnn``) the loss must fall below half its start, the
    training accuracy reach 0.9 and the validation accuracy the book's 0.66 less 0.1."""
    return train_cnn(context, PLAIN_CNN.apply, PLAIN_CNN, 1e-3)


@listing("ghatak", "L7-22", "Data augmentation and dropout 0.5", **CATS,
         expect={"loss": Falls(0.95), "val_loss": Between(0.0, 0.55 + 0.1, printed=0.5502918),
                 "val_accuracy": Between(0.72 - 0.1, 1.0, printed=0.723701)})
def listing_l7_22(context):
    """Listing 7-22: the same CNN with ``layer_dropout(rate = 0.5)`` after flatten, trained on randomly
    shifted, rotated, sheared, zoomed and flipped images (``image_data_generator``), Adam at 1e-4 with decay
    1e-6: validation loss 0.550 and accuracy 0.724 ("up to 74 %", against 66 % without). Here the images are
    shifted by up to a pixel (rotations, shears and zooms are left out: at 8x8 they blur a digit away;
    flips turn a 3 into no digit) inside the jitted step. At a tenth of 7-20's rate and with dropout the
    loss falls slowly (by 11 % in --quick's 10 epochs): it must fall below 0.95 of its start, the validation
    loss stay within 0.1 above the book's 0.55 and the validation accuracy reach the book's 0.72 less 0.1."""
    return train_cnn(context, augmented, DROPOUT_CNN, 1e-4, stochastic=True)


def pretrained_base(context) -> tuple:
    """The stand-in for VGG16's ImageNet weights: ``small_cnn``'s base trained (Adam at 0.001, batches of 32,
    5 epochs; 2 with --quick) to tell apart the eight digits that are neither cat nor dog, so that, like
    ImageNet's for cats and dogs, it has learnt strokes and shapes on other classes than the task's."""
    images, digits = load_digits(scale=True)
    other = ~np.isin(digits, [catsdogs.CAT, catsdogs.DOG])
    net = small_cnn(classes=8)
    labels = np.searchsorted(np.setdiff1d(np.arange(10), [catsdogs.CAT, catsdogs.DOG]), digits[other])
    result = fit(net.apply, net.init(fnx.random.key(725)), optim.adam(0.001), images[other][..., None], labels,
                 loss="sparse_categorical_crossentropy", epochs=2 if context.quick else 5, batch_size=32, key=725,
                 verbose=0, jit=not context.quick)
    return result.params[0]


def feature_classifier(params: list, x, key=None):
    """Listing 7-25's classifier on the extracted features: dense 256 relu, dropout 0.5 (training only),
    dense 1 sigmoid."""
    h = nn.relu(nn.dense(params[0], x))
    if key is not None:
        h = nn.dropout(key, h, 0.5)
    return nn.sigmoid(nn.dense(params[1], h))


@listing("ghatak", "L7-25", "Feature extraction with a pretrained convolutional base", **{
             **CATS, "data": "cats vs dogs photos and VGG16's ImageNet weights",
             "stand_in": "digits 3 and 5, and a base trained on the other eight digits"},
         expect={"loss": Falls(0.9), "test_accuracy": Between(0.892 - 0.1, 1.0, printed=0.892)})
def listing_l7_25(context):
    """Listing 7-25: VGG16's convolutional base (ImageNet weights, frozen) run once over every image, its
    4x4x512 outputs flattened to 8,192 features, then a dense 256 relu, dropout 0.5 and sigmoid classifier
    trained on them with RMSprop at 2e-5, 30 epochs of batches of 20: test accuracy 0.892 (loss 0.255),
    against 0.66 for the CNN trained from scratch (7-20). Here the base is ``pretrained_base`` (128
    features); the loss must fall below 0.9 of its start and the test accuracy reach the book's less 0.1."""
    base = conv_base()
    weights = pretrained_base(context)
    train, train_y, test, test_y = catsdogs.image_split()
    features, test_features = (np.asarray(base.apply(weights, fnp.asarray(x))) for x in (train, test))
    k1, k2 = fnx.random.split(fnx.random.key(7250))
    params = [nn.dense.init(k1, features.shape[1], 256), nn.dense.init(k2, 256, 1)]
    result = fit(feature_classifier, params, optim.rmsprop(2e-5, eps=1e-7), features, train_y,
                 loss="binary_crossentropy", metrics=["accuracy"], epochs=30, batch_size=20, key=7250,
                 stochastic=True, verbose=0, jit=not context.quick)
    scores = evaluate(feature_classifier, result.params, test_features, test_y, "binary_crossentropy",
                      ["accuracy"], stochastic=True, jit=not context.quick)
    return {"loss": np.asarray(result.history["loss"]), "test_accuracy": scores["accuracy"],
            "test_loss": scores["loss"]}
