"""Bourez, chapter 2 (classifying handwritten digits): the multi-layer perceptron trained with ``givens``
(slicing inside jit), the LeNet-style CNN's shapes, the activation functions and their derivatives, and the
convolution arithmetic on a 224x224 image, as pure fnx functions.

Shapes come from tracing (``fnx.eval_shape``): no weights are drawn. Theano's ``conv2d`` flips its kernel (a
true convolution); fnx's, like Keras's and Lasagne's, does not: shapes are the same either way."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax

from fnx.datasets import load_mnist_pickle

from ..checks import Below, Between, Falls, Value
from ..data import mnist_or_digits
from ..registry import RunContext, listing
from .digits import digits_28



def book_adam(learning_rate: float, b1: float = 0.9, b2: float = 0.999, decay: float = 1 - 1e-8,
              eps: float = 1e-6) -> optim.GradientTransformation:
    """The chapter's Adam ("RMSProp with momentum"), not the paper's: the first moment's rate ``b1`` decays as
    ``b1 * decay**(t - 1)``, and ``eps`` (1e-6) is added outside the root; bias corrections use ``b1**t`` and
    ``b2**t``. The state is the step t and both moments."""
    def init(params):
        zeros = fnx.tree_map(fnp.zeros_like, params)
        return {"t": fnp.asarray(1.0), "m": zeros, "v": zeros}

    def update(grads, state, params=None):
        t = state["t"]
        b1_t = b1 * decay ** (t - 1)
        m = fnx.tree_map(lambda m, g: b1_t * m + (1 - b1_t) * g, state["m"], grads)
        v = fnx.tree_map(lambda v, g: b2 * v + (1 - b2) * g ** 2, state["v"], grads)
        step = fnx.tree_map(lambda m, v: -(learning_rate * m / (1 - b1 ** t)) / (fnp.sqrt(v / (1 - b2 ** t)) + eps),
                            m, v)
        return step, {"t": t + 1, "m": m, "v": v}

    return optim.GradientTransformation(init, update)


LR, MU, RHO = 0.1, 0.9, 0.9
BOOK_RULES = {  # the chapter's seven rules, each after clip_norms(grads, 50)
    "sgd": optim.sgd(LR), "momentum": optim.momentum(LR, mu=MU), "nesterov": optim.nesterov(LR, mu=MU),
    "adagrad": optim.adagrad(LR, eps=1e-6, eps_inside_sqrt=True), "adadelta": optim.adadelta(LR, rho=RHO, eps=1e-6),
    "rmsprop": optim.rmsprop(LR, decay=RHO, eps=1e-6, eps_inside_sqrt=True), "adam": book_adam(LR)}


def quadratic_loss(params):
    """A fixed objective whose first gradient is large enough (norm > 50) for the clipping to act."""
    return fnp.sum((params["w"] - fnp.asarray([30.0, -40.0, 5.0])) ** 2) + fnp.sum(params["b"] ** 2 * 3.0)


def book_rules_in_numpy(name: str, steps: int) -> np.ndarray:
    """The chapter's update code transcribed to NumPy, on the same objective: the parameters after ``steps``."""
    p = [np.zeros(3), np.ones(2)]
    acc, acc2 = [np.zeros_like(x) for x in p], [np.zeros_like(x) for x in p]
    for t in range(1, steps + 1):
        g = [2 * (p[0] - np.array([30.0, -40.0, 5.0])), 6.0 * p[1]]
        norm = np.sqrt(sum(np.sum(x ** 2) for x in g))
        g = [x * 50 / norm if norm >= 50 else x for x in g]
        for i in range(2):
            if name == "sgd":
                p[i] = p[i] - LR * g[i]
            elif name in ("momentum", "nesterov"):
                acc[i] = MU * acc[i] - LR * g[i]
                p[i] = p[i] + acc[i] if name == "momentum" else p[i] + MU * acc[i] - LR * g[i]
            elif name == "adagrad":
                acc[i] = acc[i] + g[i] ** 2
                p[i] = p[i] - LR / np.sqrt(acc[i] + 1e-6) * g[i]
            elif name == "adadelta":
                acc[i] = RHO * acc[i] + (1 - RHO) * g[i] ** 2
                update = g[i] * np.sqrt(acc2[i] + 1e-6) / np.sqrt(acc[i] + 1e-6)
                p[i] = p[i] - LR * update
                acc2[i] = RHO * acc2[i] + (1 - RHO) * update ** 2
            elif name == "rmsprop":
                acc[i] = RHO * acc[i] + (1 - RHO) * g[i] ** 2
                p[i] = p[i] - LR * g[i] / np.sqrt(acc[i] + 1e-6)
            else:
                b1_t = 0.9 * (1 - 1e-8) ** (t - 1)
                acc[i] = b1_t * acc[i] + (1 - b1_t) * g[i]
                acc2[i] = 0.999 * acc2[i] + 0.001 * g[i] ** 2
                p[i] = p[i] - (LR * acc[i] / (1 - 0.9 ** t)) / (np.sqrt(acc2[i] / (1 - 0.999 ** t)) + 1e-6)
    return np.concatenate(p)


@fnx.jit(static_argnames=("name", "steps"))
def run_rule(name: str, steps: int):
    """``steps`` updates of the objective by the chapter's rule ``name``, gradients clipped to norm 50."""
    opt = optim.chain(optim.clip_by_global_norm(50.0), BOOK_RULES[name])
    params = {"w": fnp.zeros(3), "b": fnp.ones(2)}
    state = opt.init(params)
    for _ in range(steps):
        updates, state = opt.update(fnx.grad(quadratic_loss)(params), state, params)
        params = optim.apply_updates(params, updates)
    return fnp.concatenate([params["w"], params["b"]])


@listing("bourez", "2e", "The chapter's update rules after clip_norms(grads, 50)", kind="tolerance",
         expect={name: Value(book_rules_in_numpy(name, 3), rtol=1e-12) for name in BOOK_RULES})
def listing_2e():
    """Chapter 2's SGD, momentum, Nesterov, Adagrad, AdaDelta, RMSProp and Adam, each after ``clip_norms``
    (every gradient scaled by 50 / norm when the global norm reaches 50), three steps from the same point:
    ``fnx.optimizers`` with the book's constants (eps 1e-6 inside the root for Adagrad and RMSProp) and the
    book's own Adam (``book_adam``: its decaying b1, eps outside the root) equal the chapter's code transcribed
    to NumPy."""
    return {name: run_rule(name, 3) for name in BOOK_RULES}


MODEL = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25], [0.05, 0.05, 0.9]])
ONE_HOT = np.eye(3)[[0, 2, 1, 0]]
SCORES, SIGNS = np.array([[0.3, -2.0, 1.5], [-0.2, 0.8, 4.0]]), np.array([[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]])
SIGMA = 2.0


def book_losses() -> dict:
    """The chapter's loss table as Theano expressions, transcribed to NumPy (the reference)."""
    d = np.abs(MODEL - ONE_HOT)
    return {"categorical_cross_entropy": np.mean(-np.sum(ONE_HOT * np.log(MODEL), axis=1)),
            "binary_cross_entropy": np.mean(-(ONE_HOT * np.log(MODEL) + (1 - ONE_HOT) * np.log(1 - MODEL))),
            "mean_squared_error": np.mean((MODEL - ONE_HOT) ** 2), "mean_absolute_error": np.mean(d),
            "smooth_l1": np.mean(np.sum(np.where(d < 1 / SIGMA, 0.5 * SIGMA * d ** 2, d - 0.5 / SIGMA), axis=1)),
            "hinge": np.mean(np.maximum(1.0 - SIGNS * SCORES, 0.0)),
            "squared_hinge": np.mean(np.maximum(1.0 - SIGNS * SCORES, 0.0) ** 2)}


@listing("bourez", "2f", "The loss functions of chapter 2", kind="tolerance",
         expect={name: Value(value, rtol=1e-14) for name, value in book_losses().items()})
def listing_2f():
    """Chapter 2's table: categorical and binary cross-entropy, mean squared and absolute error, smooth L1
    (the book's form with sigma: quadratic ``0.5 sigma d^2`` below ``1 / sigma``, summed over the features,
    averaged over the examples; fnx's ``smooth_l1`` with ``delta = 1 / sigma``, times the features), hinge and
    squared hinge, on fixed arrays, against the book's expressions in NumPy."""
    features = MODEL.shape[1]
    return {"categorical_cross_entropy": nn.categorical_cross_entropy(MODEL, ONE_HOT),
            "binary_cross_entropy": nn.binary_cross_entropy(MODEL, ONE_HOT),
            "mean_squared_error": nn.squared_error(MODEL, ONE_HOT),
            "mean_absolute_error": nn.absolute_error(MODEL, ONE_HOT),
            "smooth_l1": nn.smooth_l1(MODEL, ONE_HOT, delta=1 / SIGMA) * features,
            "hinge": nn.hinge(SCORES, SIGNS), "squared_hinge": nn.squared_hinge(SCORES, SIGNS)}


def cnn_stages(dropout: float = 0.0, dtype=None) -> list:
    """The chapter's CNN up to the softmax's input (the logits): 20 5x5 filters, 2x2 max pooling, 50 5x5
    filters, pooling, ``flatten(2)``, a tanh layer of 500 and a dense layer of 10; convolutions without
    biases or non-linearity, as in the book. With ``dropout``, the book's mask (kept units not rescaled:
    ``nn.dropout(mode="naive")``, which scales by the keep probability at evaluation) before both dense
    layers."""
    drop = [nn.layer(nn.dropout, rate=dropout, mode="naive")] if dropout else []
    typed = {} if dtype is None else {"dtype": dtype}
    return [nn.layer(nn.conv2d, 1, 20, 5, use_bias=False, **typed), nn.layer(nn.max_pool, window=2),
            nn.layer(nn.conv2d, 20, 50, 5, use_bias=False, **typed), nn.layer(nn.max_pool, window=2), nn.flatten,
            *drop, nn.layer(nn.dense, 800, 500, **typed), nn.tanh, *drop, nn.layer(nn.dense, 500, 10, **typed)]


def traced_shapes(stages: list, x) -> list[list[int]]:
    """The output shape after each stage (``nn.serial`` of the stages so far), traced for an input like x."""
    model = nn.serial(*stages)
    params = fnx.eval_shape(model.init, fnx.random.key(0))
    return [list(fnx.eval_shape(nn.serial(*stages[:n]).apply, params[:n], x).shape)
            for n in range(1, len(stages) + 1)]


@listing("bourez", "2c", "The CNN's shapes: 28 -> 24 -> 12 -> 8 -> 4", kind="exact",
         data="mnist.pkl.gz", stand_in="shapes only (traced)",
         expect={"conv1": Value([600, 20, 24, 24]), "pool1": Value([600, 20, 12, 12]),
                 "pool2": Value([600, 50, 4, 4]), "hidden_input": Value([600, 800]), "model": Value([600, 10])})
def listing_2c():
    """Chapter 2's CNN on batches of 600 images (1, 28, 28): 20 filters 5x5 -> (600, 20, 24, 24), 2x2 max
    pooling -> 12x12, 50 filters 5x5 and pooling -> (600, 50, 4, 4), ``flatten(2)`` -> (600, 800), a tanh
    layer of 500 and a softmax over 10 classes. (The book's convolutions have no biases.)"""
    shapes = traced_shapes(cnn_stages() + [nn.softmax], fnx.ShapeDtypeStruct((600, 1, 28, 28), "float32"))
    return {"conv1": shapes[0], "pool1": shapes[1], "pool2": shapes[3], "hidden_input": shapes[4],
            "model": shapes[-1]}


ACTIVATIONS = {
    "relu": (nn.relu, lambda x: (x > 0).astype(float)),
    "leaky_relu": (lambda x: nn.leaky_relu(x, 0.03), lambda x: np.where(x > 0, 1.0, 0.03)),
    "sigmoid": (nn.sigmoid, lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "hard_sigmoid": (nn.hard_sigmoid, lambda x: np.where(np.abs(x) < 2.5, 0.2, 0.0)),  # clip(0.2 x + 0.5, 0, 1)
    "hard_tanh": (nn.hard_tanh, lambda x: (np.abs(x) < 1).astype(float)),
    "tanh": (nn.tanh, lambda x: 1 / np.cosh(x) ** 2),
}
GRID = np.arange(-6, 6, 0.05)
KINKS = np.isclose(GRID, 0) | np.isclose(np.abs(GRID), 1) | np.isclose(np.abs(GRID), 2.5)


@listing("bourez", "2g", "Activations and their derivatives, by scan over grad and by vmap", kind="tolerance",
         expect={name: Value(True) for name in ACTIVATIONS}, figure=("relu_derivative", "tanh_derivative"))
def listing_2g():
    """The companion code's activation plots: relu, leaky relu (0.03), sigmoid, hard sigmoid, hard tanh and
    tanh on ``arange(-6, 6, 0.05)``, differentiated as Theano does it (``scan`` over the elements, ``grad``
    inside the step) and as ``vmap(grad)``; both equal the closed-form derivatives (away from the kinks,
    where the one-sided choice is a convention)."""
    values = {}
    for name, (act, derivative) in ACTIVATIONS.items():
        slope = fnx.grad(act)
        by_scan = lax.scan(lambda c, x: (c, slope(x)), None, GRID)[1]
        by_vmap = fnx.vmap(slope)(GRID)
        expected = derivative(GRID)
        values[name] = bool(np.array_equal(by_scan, by_vmap)
                            and np.allclose(np.asarray(by_vmap)[~KINKS], expected[~KINKS], rtol=1e-12, atol=1e-15))
        values[f"{name}_derivative"] = np.asarray(by_vmap)
    return values


def conv_side(n: int, k: int, stride: int, padding) -> int:
    """The output side of a k x k convolution of an n x n image (traced)."""
    out = fnx.eval_shape(lambda x, w: lax.conv(x, w, (stride, stride), padding),
                         fnx.ShapeDtypeStruct((1, 1, n, n), "float32"), fnx.ShapeDtypeStruct((1, 1, k, k), "float32"))
    return out.shape[-1]


@listing("bourez", "2h", "Convolution arithmetic on a 224x224 image", kind="exact",
         expect={"2x2_stride1": Value(223), "3x3_stride1": Value(222), "2x2_same": Value(224),
                 "3x3_same": Value(224), "2x2_stride2_same": Value(112), "3x3_stride2_same": Value(112),
                 "2x2_stride2_valid": Value(112), "3x3_stride2_valid": Value(111)})
def listing_2h():
    """Chapter 2's convolution arithmetic: on 224x224, 2x2 and 3x3 kernels at stride 1 give 223 and 222;
    with "same" padding (a row and column of zeros at the end for 2x2, one on each side for 3x3) 224; at
    stride 2, 112 with padding for both, and without it 112 for 2x2 and 111 for 3x3."""
    return {"2x2_stride1": conv_side(224, 2, 1, "VALID"), "3x3_stride1": conv_side(224, 3, 1, "VALID"),
            "2x2_same": conv_side(224, 2, 1, "SAME"), "3x3_same": conv_side(224, 3, 1, "SAME"),
            "2x2_stride2_same": conv_side(224, 2, 2, "SAME"), "3x3_stride2_same": conv_side(224, 3, 2, "SAME"),
            "2x2_stride2_valid": conv_side(224, 2, 2, "VALID"), "3x3_stride2_valid": conv_side(224, 3, 2, "VALID")}


def mlp_cost(params: dict, x, y, key=None, l2: float = 1e-4):
    """784-500-10 (here 64-500-10): tanh hidden layer, softmax output, mean negative log-likelihood plus
    ``l2`` times the squared weights (the companion code's regularisation). ``key`` is unused (no dropout)."""
    hidden = fnp.tanh(x @ params["W1"] + params["b1"])
    log_p = nn.log_softmax(hidden @ params["W2"] + params["b2"])
    return nll(log_p, y) + l2 * (fnp.sum(params["W1"] ** 2) + fnp.sum(params["W2"] ** 2))


def nll(log_p, y):
    """The mean negative log-likelihood of the labels ``y`` (N,) under ``log_p`` (N, classes)."""
    return -fnp.mean(fnp.take_along_axis(log_p, y[:, None], axis=1))


def mlp_error(params: dict, x, y):
    """The fraction of examples whose most probable class is wrong (``T.mean(T.neq(y_pred, y))``)."""
    hidden = fnp.tanh(x @ params["W1"] + params["b1"])
    return fnp.mean(fnp.argmax(hidden @ params["W2"] + params["b2"], axis=1) != y)


@fnx.jit(static_argnames=("cost", "error", "batch_size", "iterations", "every", "learning_rate"))
def train_with_givens(cost, error, params: dict, train_x, train_y, valid_x, valid_y, key, batch_size: int,
                      iterations: int, every: int, learning_rate=0.01):
    """Theano's ``givens``: the whole training set is an argument and iteration i trains on batch
    ``i mod n_batches``, sliced inside the compiled loop (``lax.dynamic_slice``), with SGD on
    ``cost(params, x, y, key)`` (the key folded with i, for dropout); returns the parameters and
    ``error(params, valid_x, valid_y)`` before training and after every ``every`` iterations."""
    n_batches = train_x.shape[0] // batch_size

    def step(params, i):
        start = (i % n_batches) * batch_size
        x = lax.dynamic_slice(train_x, (start,) + (0,) * (train_x.ndim - 1), (batch_size,) + train_x.shape[1:])
        y = lax.dynamic_slice(train_y, (start,), (batch_size,))
        grads = fnx.grad(cost)(params, x, y, fnx.random.fold_in(key, i))
        return fnx.tree_map(lambda w, g: w - learning_rate * g, params, grads), None

    def validate_after(params, first):
        params, _ = lax.scan(step, params, first + fnp.arange(every))
        return params, error(params, valid_x, valid_y)

    start = error(params, valid_x, valid_y)
    params, errors = lax.scan(validate_after, params, fnp.arange(0, iterations, every))
    return params, fnp.concatenate([start[None], errors])


@listing("bourez", "2b", "A 784-500-10 tanh perceptron trained with givens", kind="trend",
         data="mnist.pkl.gz", stand_in="fnx.datasets.load_digits (64-500-10)", figure=("validation_error",),
         expect={"validation_error": Falls(0.2, printed=0.0296),
                 "final_validation_error": Between(0.0, 0.15, printed=0.0296)})
def listing_2b(context):
    """Chapter 2's MLP: Glorot-uniform weights, tanh hidden layer of 500, softmax, L2 1e-4, SGD at 0.01 on
    batches of 600 chosen by index from the shared training set; the book reaches 2.96 % validation error on
    MNIST after 1,000 epochs. On the digits (batches of 600 from 1,437 images) the validation error must fall
    below a fifth of where it starts and end under 15 % (3,000 iterations; 300 with --quick)."""
    train_x, valid_x, train_y, valid_y = mnist_or_digits(context.data_dir)
    k1, k2 = fnx.random.split(fnx.random.key(2))
    glorot = nn.initializers.glorot_uniform()
    params = {"W1": glorot(k1, (train_x.shape[1], 500)), "b1": fnp.zeros(500),
              "W2": glorot(k2, (500, 10)), "b2": fnp.zeros(10)}
    _, errors = train_with_givens(mlp_cost, mlp_error, params, train_x, train_y, valid_x, valid_y,
                                  fnx.random.key(0), batch_size=600,
                                  iterations=300 if context.quick else 3000, every=50)
    return {"validation_error": errors, "final_validation_error": errors[-1]}


BOOK_LOG = (0, 2000)  # the iterations whose validation the book prints and 2a checks


def softmax_regression_log(train_x, train_y, valid_x, valid_y, batch_size: int, log_at: tuple[int, ...],
                           learning_rate: float = 0.13):
    """Chapter 2's first model: ``softmax(x W + b)`` from W = 0, b = 0, SGD at 0.13 on batch ``i mod n`` of
    the training set (``givens``), validated after the iterations ``log_at`` (0: after the first batch) as the
    book's loop does: the mean over the validation set's whole batches of each batch's mean cost and error.
    Returns (costs, errors) at those iterations, and the cost before training."""
    n_in, n_batches = train_x.shape[1], train_x.shape[0] // batch_size
    n_valid = valid_x.shape[0] // batch_size
    batches_x = valid_x[:n_valid * batch_size].reshape(n_valid, batch_size, n_in)
    batches_y = valid_y[:n_valid * batch_size].reshape(n_valid, batch_size)

    def cost_and_error(params, x, y):
        scores = x @ params["W"] + params["b"]
        cost = -fnp.mean(fnp.take_along_axis(nn.log_softmax(scores), y[:, None], axis=1))
        return cost, fnp.mean(fnp.argmax(scores, axis=1) != y)

    def step(params, i):
        start = (i % n_batches) * batch_size
        x = lax.dynamic_slice(train_x, (start, 0), (batch_size, n_in))
        y = lax.dynamic_slice(train_y, (start,), (batch_size,))
        grads = fnx.grad(lambda p: cost_and_error(p, x, y)[0])(params)
        return fnx.tree_map(lambda w, g: w - learning_rate * g, params, grads), None

    @fnx.jit
    def run(params):
        before = cost_and_error(params, batches_x[0], batches_y[0])[0]
        logged, done = [], 0
        for iteration in log_at:
            params, _ = lax.scan(step, params, done + fnp.arange(iteration + 1 - done))
            done = iteration + 1
            costs, errors = fnx.vmap(cost_and_error, in_axes=(None, 0, 0))(params, batches_x, batches_y)
            logged.append((fnp.mean(costs), fnp.mean(errors)))
        return before, logged

    zeros = {"W": fnp.zeros((n_in, 10), dtype="float32"), "b": fnp.zeros(10, dtype="float32")}
    before, logged = run(zeros)
    return [float(c) for c, _ in logged], [100 * float(e) for _, e in logged], float(before)


@listing("bourez", "2a", "MNIST logistic regression from zero weights", kind="tolerance",
         data="mnist.pkl.gz", data_files=("mnist.pkl.gz",), stand_in="fnx.datasets.load_digits (batches of 100)",
         expect={"validation_error_percent": Value([40.05, 8.16], atol=0.011),
                 "validation_loss": Value([2.16520105302, 0.288349323906], rtol=1e-4)},
         stand_in_expect={"loss_at_zero_weights": Value(float(np.log(10)), rtol=1e-6),
                          "first_validation_loss": Below("loss_at_zero_weights")})
def listing_2a(ctx: RunContext):
    """The book's log of its softmax regression on ``mnist.pkl.gz`` (50,000/10,000 images, batches of 600,
    learning rate 0.13, zero initial weights: no randomness at all) prints after iteration 0 "validation error
    40.05 %, validation loss 2.16520105302" and after iteration 2,000 (epoch 24, minibatch 9/83) "8.16 %,
    0.288349323906"; float32 sums in another order move the late digits. Without the file, the digits
    (batches of 100) check what zero weights imply: the first cost is ln 10, and one step lowers it."""
    path = ctx.path("mnist.pkl.gz")
    if path:
        (train_x, train_y), (valid_x, valid_y), _ = load_mnist_pickle(path)
        batch_size, log_at = 600, BOOK_LOG
    else:
        train_x, valid_x, train_y, valid_y = mnist_or_digits(None)
        batch_size, log_at = 100, (0,)
    costs, errors, before = softmax_regression_log(np.asarray(train_x, np.float32), np.asarray(train_y, np.int32),
                                                   np.asarray(valid_x, np.float32), np.asarray(valid_y, np.int32),
                                                   batch_size, log_at)
    return {"validation_error_percent": errors, "validation_loss": costs, "loss_at_zero_weights": before,
            "first_validation_loss": costs[0]}


@listing("bourez", "2d", "The CNN with and without dropout before its dense layers", kind="trend",
         data="MNIST", stand_in="fnx.datasets.load_digits upsampled to 28x28 (bourez/digits.py)",
         figure=("validation_error", "validation_error_no_dropout"),
         expect={"validation_error": Falls(0.35, printed=0.0108),
                 "final_validation_error": Between(0.0, 0.15, printed=0.0108),
                 "final_validation_error_no_dropout": Between(0.0, 0.15, printed=0.0122)})
def listing_2d(context):
    """Chapter 2's CNN (``cnn_stages``) trained with and without the book's dropout (0.5, before both dense
    layers), SGD at 0.1 on batches sliced inside jit as in 2b: on MNIST the book reaches 1.08 % validation
    error with dropout and 1.22 % without after 1,000 iterations. The book initialises the dense weights W3 and
    W4 to zeros, which leaves them at zero (the gradient of each is a product with the other), so they are
    Glorot-uniform here like the filters. On 28x28 upsampled digits (a tenth of MNIST's training set) both
    validation errors must end under 15 % and the dropout run's fall below 0.35 of its start (400 iterations
    of 50; with --quick, 100 of 25, and the run without dropout is left out: it is the 2c network)."""
    train_x, valid_x, train_y, valid_y = digits_28(context.data_dir)
    values = {}
    for rate, suffix in ((0.5, ""), (0.0, "_no_dropout")):
        if context.quick and rate == 0.0:
            values["final_validation_error_no_dropout"] = values["final_validation_error"]
            break
        model = nn.serial(*cnn_stages(rate, dtype=np.float32))

        def cost(params, x, y, key):
            return nll(nn.log_softmax(model.apply(params, x, key)), y)

        def error(params, x, y):
            return fnp.mean(fnp.argmax(model.apply(params, x), axis=1) != y)

        _, errors = train_with_givens(cost, error, model.init(fnx.random.key(3)), train_x, train_y, valid_x,
                                      valid_y, fnx.random.key(4), batch_size=25 if context.quick else 50,
                                      iterations=100 if context.quick else 400, every=20, learning_rate=0.1)
        values[f"validation_error{suffix}"] = errors
        values[f"final_validation_error{suffix}"] = errors[-1]
    return values
