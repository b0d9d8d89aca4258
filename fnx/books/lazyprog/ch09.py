"""LazyProgrammer, chapter 9 (the unified view): logistic regression, a network, a CNN and an RNN are all
y = s(...) of their weights, trained by W <- W - a dJ/dW."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx import lax, random

from ..checks import Value
from ..registry import listing


def rnn_outputs(params, xs, h0):
    """h(t) = s(W_x x(t) + W_h h(t-1)), y(t) = s(W_o h(t)) over the sequence ``xs`` (T, D), by ``lax.scan``."""
    def step(h, x):
        h = nn.sigmoid(params["Wx"] @ x + params["Wh"] @ h)
        return h, nn.sigmoid(params["Wo"] @ h)
    return lax.scan(step, h0, xs)[1]


def rnn_unrolled(params, xs, h0):
    """The same recurrence as a Python loop (what BPTT differentiates through)."""
    h, ys = h0, []
    for x in xs:
        h = nn.sigmoid(params["Wx"] @ x + params["Wh"] @ h)
        ys.append(nn.sigmoid(params["Wo"] @ h))
    return fnp.stack(ys)


def rnn_setup():
    k = random.split(random.key(37), 4)
    params = {"Wx": random.normal(k[0], (4, 3)), "Wh": random.normal(k[1], (4, 4)) * 0.5,
              "Wo": random.normal(k[2], (2, 4))}
    return params, random.normal(k[3], (6, 3)), fnp.zeros(4)


@listing("lazyprog", "E37", "One form for every model: logistic, network, CNN, RNN", kind="tolerance",
         expect={"network_of_one_layer_is_logistic": Value(0.0, atol=1e-15),
                 "cnn_convolution_minus_numpy": Value(0.0, atol=1e-12),
                 "rnn_scan_minus_loop": Value(0.0, atol=1e-15), "rnn_grad_scan_minus_loop": Value(0.0, atol=1e-13)})
def example_37():
    """E37 (chapter 9): logistic y = s(W x); network y = s(W1 s(W2 x)); CNN y = s(W1 s(W2 * x)) with * a
    convolution; RNN h(t) = s(W_x x(t) + W_h h(t-1)), y(t) = s(W_o h(t)); each trained by W <- W - a dJ/dW.
    Checked here: the CNN's ``*`` (``lax.conv``, a cross-correlation, as in the deep-learning libraries)
    against NumPy; the RNN as ``lax.scan`` against its unrolled loop, values and gradients (backpropagation
    through time); a network whose inner layer is the identity is the logistic model."""
    k = random.split(random.key(38), 3)
    x, W = random.normal(k[0], (5,)), random.normal(k[1], (1, 5))
    logistic = nn.sigmoid(W @ x)
    network = nn.sigmoid(W @ (fnp.eye(5) @ x))
    image, kernel = random.normal(k[2], (1, 1, 6, 6)), fnp.asarray([[[[1.0, 0.0, -1.0]] * 3]])
    convolved = lax.conv(image, kernel, (1, 1), "VALID")[0, 0]
    img, ker = np.asarray(image[0, 0]), np.asarray(kernel[0, 0])
    by_numpy = np.array([[np.sum(img[i:i + 3, j:j + 3] * ker) for j in range(4)] for i in range(4)])
    params, xs, h0 = rnn_setup()
    loss_scan = lambda p: fnp.sum(rnn_outputs(p, xs, h0))  # noqa: E731
    loss_loop = lambda p: fnp.sum(rnn_unrolled(p, xs, h0))  # noqa: E731
    g_scan, g_loop = fnx.grad(loss_scan)(params), fnx.grad(loss_loop)(params)
    return {"network_of_one_layer_is_logistic": fnp.max(abs(network - logistic)),
            "cnn_convolution_minus_numpy": float(np.max(np.abs(np.asarray(convolved) - by_numpy))),
            "rnn_scan_minus_loop": fnp.max(abs(fnx.jit(rnn_outputs)(params, xs, h0) - rnn_unrolled(params, xs, h0))),
            "rnn_grad_scan_minus_loop": max(float(fnp.max(abs(g_scan[n] - g_loop[n]))) for n in params)}
