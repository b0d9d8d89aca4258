"""The benchmark workloads in hand-written NumPy: forward pass and manual backward pass.

These are both the NumPy column of the benchmark table and (run in float64) the reference that every
framework's float32 result is checked against. They compute exactly the math of ``models_traced.py``.
Every function works in the dtype of its inputs. Labels are one-hot rows (each row sums to 1), which the
cross-entropy gradient below relies on.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

LEARNING_RATE = 0.1


def cross_entropy_and_grad(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean softmax cross-entropy of ``logits`` (batch, classes) against one-hot ``labels``, and its gradient.

    >>> loss, d = cross_entropy_and_grad(np.zeros((1, 2)), np.array([[1.0, 0.0]]))
    >>> round(float(loss), 4), d.tolist()
    (0.6931, [[-0.5, 0.5]])
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=-1, keepdims=True)
    batch = logits.shape[0]
    loss = -np.sum(labels * (shifted - np.log(total))) / batch
    return loss, (exp / total - labels) / batch


def _mlp_forward(params: list, x: np.ndarray) -> tuple[list, np.ndarray]:
    """The inputs of every layer (ReLU hidden layers) and the logits."""
    inputs = [x]
    for w, b in params[:-1]:
        inputs.append(np.maximum(inputs[-1] @ w + b, 0))
    w, b = params[-1]
    return inputs, inputs[-1] @ w + b


def _mlp_backward(params: list, inputs: list, dlogits: np.ndarray, per_example: bool) -> list:
    """Gradients ``[(dw, db), ...]`` from the gradient of the logits: summed over the batch, or one per example."""
    grads, d = [], dlogits
    for i in reversed(range(len(params))):
        a = inputs[i]
        dw = a[:, :, None] * d[:, None, :] if per_example else a.T @ d
        grads.append((dw, d if per_example else d.sum(axis=0)))
        if i:
            d = (d @ params[i][0].T) * (a > 0)  # a > 0 where the ReLU that produced a was active
    return grads[::-1]


def mlp_value_and_grad(params: list, x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, list]:
    """Loss and gradients of an MLP ``[(w, b), ...]`` with ReLU hidden layers and a softmax cross-entropy."""
    inputs, logits = _mlp_forward(params, x)
    loss, dlogits = cross_entropy_and_grad(logits, labels)
    return loss, _mlp_backward(params, inputs, dlogits, per_example=False)


def mlp_step(params: list, x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, list]:
    """One SGD training step: ``(loss, new_params)``."""
    loss, grads = mlp_value_and_grad(params, x, labels)
    return loss, [(w - LEARNING_RATE * dw, b - LEARNING_RATE * db) for (w, b), (dw, db) in zip(params, grads)]


def per_example_grads(params: list, x: np.ndarray, labels: np.ndarray) -> list:
    """The gradient of each example's own loss: ``[(dw, db), ...]`` with a leading axis of examples."""
    inputs, logits = _mlp_forward(params, x)
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    dlogits = exp / exp.sum(axis=-1, keepdims=True) - labels  # a batch of one per example: no division
    return _mlp_backward(params, inputs, dlogits, per_example=True)


def epoch(params: list, xs: np.ndarray, labels: np.ndarray) -> tuple[list, np.ndarray]:
    """SGD over the batches ``xs[i], labels[i]``: ``(final_params, losses)``."""
    losses = np.empty(len(xs), xs.dtype)
    for i in range(len(xs)):
        losses[i], params = mlp_step(params, xs[i], labels[i])
    return params, losses


def elementwise(x: np.ndarray) -> np.ndarray:
    """``tanh(x) * sigmoid(x) + x * x - 0.5 * x``."""
    return np.tanh(x) * (1 / (1 + np.exp(-x))) + x * x - 0.5 * x


def add_one(x: np.ndarray) -> np.ndarray:
    """``x + 1``."""
    return x + 1


def rnn_value_and_grad(params: dict, xs: np.ndarray) -> tuple[np.ndarray, dict]:
    """A tanh RNN from a zero state over ``xs`` (steps, batch, input); loss ``mean(h ** 2)`` over all states.

    Backpropagation through time: the input projections and the weight gradients are one matrix product
    each over all steps; only the recurrence is a Python loop.
    """
    wx, wh, b = params["wx"], params["wh"], params["b"]
    steps, batch, n_in = xs.shape
    hidden = wh.shape[0]
    projected = (xs.reshape(-1, n_in) @ wx).reshape(steps, batch, hidden) + b
    states = np.zeros((steps + 1, batch, hidden), xs.dtype)  # states[0] is the zero initial state
    for t in range(steps):
        states[t + 1] = np.tanh(projected[t] + states[t] @ wh)
    hs = states[1:]
    loss = np.mean(hs * hs)
    dhs = hs * (2 / hs.size)
    dpre = np.empty_like(hs)
    dh = np.zeros((batch, hidden), xs.dtype)
    for t in reversed(range(steps)):
        dpre[t] = (dh + dhs[t]) * (1 - hs[t] * hs[t])
        dh = dpre[t] @ wh.T
    dpre_flat = dpre.reshape(-1, hidden)
    grads = {"wx": xs.reshape(-1, n_in).T @ dpre_flat, "wh": states[:-1].reshape(-1, hidden).T @ dpre_flat,
             "b": dpre_flat.sum(axis=0)}
    return loss, grads


def lenet_value_and_grad(params: dict, x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, dict]:
    """Loss and gradients of conv (VALID, stride 1) + bias, ReLU, 2x2 max-pool, dense, softmax cross-entropy.

    ``x`` is (batch, channels, height, width), ``conv_w`` (out_channels, channels, k, k). The convolution is
    im2col + one matrix product, computed channels-last; the pooled features are flattened in
    (channel, row, column) order, as the traced model flattens its NCHW array.
    """
    w, dense_w = params["conv_w"], params["dense_w"]
    n = x.shape[0]
    c_out, c_in, k, _ = w.shape
    patches = sliding_window_view(x, (k, k), axis=(2, 3))  # (n, c_in, oh, ow, k, k)
    oh, ow = patches.shape[2:4]
    cols = np.ascontiguousarray(patches.transpose(0, 2, 3, 1, 4, 5)).reshape(n * oh * ow, c_in * k * k)
    z = (cols @ w.reshape(c_out, -1).T + params["conv_b"]).reshape(n, oh, ow, c_out)
    windows = np.maximum(z, 0).reshape(n, oh // 2, 2, ow // 2, 2, c_out)
    pooled = windows.max(axis=(2, 4))
    flat = pooled.transpose(0, 3, 1, 2).reshape(n, -1)
    loss, dlogits = cross_entropy_and_grad(flat @ dense_w + params["dense_b"], labels)
    dpooled = (dlogits @ dense_w.T).reshape(n, c_out, oh // 2, ow // 2).transpose(0, 2, 3, 1)
    # the pool passes each window's gradient to its maximum (ties only occur between ReLU zeros, which
    # the ReLU's own derivative then drops)
    at_max = windows == pooled[:, :, None, :, None, :]
    dz = (at_max * dpooled[:, :, None, :, None, :]).reshape(n, oh, ow, c_out) * (z > 0)
    dz_flat = dz.reshape(-1, c_out)
    grads = {"conv_w": (cols.T @ dz_flat).T.reshape(w.shape), "conv_b": dz_flat.sum(axis=0),
             "dense_w": flat.T @ dlogits, "dense_b": dlogits.sum(axis=0)}
    return loss, grads
