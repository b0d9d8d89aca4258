"""The benchmark workloads written once for a JAX-style framework: fnx, or JAX itself.

Each builder takes ``F``, a namespace holding the framework's ``np`` (fnx.numpy or jax.numpy), ``lax``,
``jit``, ``grad``, ``value_and_grad``, ``vmap`` and ``tree_map`` (see ``worker.load_framework``), and
returns the jitted function that is timed. fnx and JAX thus run the very same code, and
``models_numpy.py`` computes the same math by hand.
"""
from __future__ import annotations

from functools import partial
from types import SimpleNamespace
from typing import Callable

from models_numpy import LEARNING_RATE


def cross_entropy(F: SimpleNamespace, logits, labels):
    """Mean softmax cross-entropy of ``logits`` (..., classes) against one-hot ``labels`` of the same shape."""
    shifted = logits - F.lax.stop_gradient(F.np.max(logits, axis=-1, keepdims=True))
    log_probs = shifted - F.np.log(F.np.sum(F.np.exp(shifted), axis=-1, keepdims=True))
    return -F.np.mean(F.np.sum(labels * log_probs, axis=-1))


def mlp_loss(F: SimpleNamespace, params: list, x, labels):
    """Cross-entropy of an MLP ``[(w, b), ...]`` with ReLU hidden layers; ``x`` is one example or a batch."""
    h = x
    for w, b in params[:-1]:
        h = F.np.maximum(h @ w + b, 0.0)
    w, b = params[-1]
    return cross_entropy(F, h @ w + b, labels)


def _sgd(F: SimpleNamespace, params, grads):
    return F.tree_map(lambda p, g: p - LEARNING_RATE * g, params, grads)


def _train_step(F: SimpleNamespace, params: list, x, labels):
    loss, grads = F.value_and_grad(partial(mlp_loss, F))(params, x, labels)
    return loss, _sgd(F, params, grads)


def mlp_step(F: SimpleNamespace) -> Callable:
    """``step(params, x, labels) -> (loss, new_params)``: value_and_grad and SGD, jitted."""
    return F.jit(partial(_train_step, F))


def epoch(F: SimpleNamespace) -> Callable:
    """``epoch(params, xs, labels) -> (final_params, losses)``: one training step per batch in one jitted scan."""
    def step(params, batch):
        loss, new_params = _train_step(F, params, *batch)
        return new_params, loss
    return F.jit(lambda params, xs, labels: F.lax.scan(step, params, (xs, labels)))


def per_example_grads(F: SimpleNamespace) -> Callable:
    """``f(params, x, labels)``: the gradient of each example's own loss, by ``vmap(grad)``, jitted."""
    return F.jit(F.vmap(F.grad(partial(mlp_loss, F)), in_axes=(None, 0, 0)))


def elementwise(F: SimpleNamespace) -> Callable:
    """``tanh(x) * sigmoid(x) + x * x - 0.5 * x``, jitted."""
    return F.jit(lambda x: F.np.tanh(x) * F.lax.logistic(x) + x * x - 0.5 * x)


def add_one(F: SimpleNamespace) -> Callable:
    """``x + 1``, jitted: on a small array its time is the per-call overhead."""
    return F.jit(lambda x: x + 1)


def _rnn_loss(F: SimpleNamespace, params: dict, xs):
    def step(h, x):
        h = F.np.tanh(x @ params["wx"] + h @ params["wh"] + params["b"])
        return h, h
    h0 = F.np.zeros((xs.shape[1], params["wh"].shape[0]), dtype=xs.dtype)
    _, hs = F.lax.scan(step, h0, xs)
    return F.np.mean(hs * hs)


def rnn_value_and_grad(F: SimpleNamespace) -> Callable:
    """``f(params, xs) -> (loss, grads)`` of a tanh RNN over ``xs`` (steps, batch, input) through scan, jitted."""
    return F.jit(F.value_and_grad(partial(_rnn_loss, F)))


def _lenet_loss(F: SimpleNamespace, params: dict, x, labels):
    z = F.lax.conv(x, params["conv_w"], (1, 1), "VALID") + params["conv_b"].reshape(1, -1, 1, 1)
    relu = F.np.maximum(z, 0.0)
    pooled = F.lax.reduce_window(relu, -F.np.inf, F.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    logits = pooled.reshape(x.shape[0], -1) @ params["dense_w"] + params["dense_b"]
    return cross_entropy(F, logits, labels)


def lenet_value_and_grad(F: SimpleNamespace) -> Callable:
    """``f(params, x, labels) -> (loss, grads)``: conv, ReLU, 2x2 max-pool, dense, cross-entropy; jitted."""
    return F.jit(F.value_and_grad(partial(_lenet_loss, F)))
