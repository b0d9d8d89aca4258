"""Training loops the listings share, each one ``lax.scan`` under ``jit``: full-batch gradient descent (a
Theano ``function`` with ``updates=`` called in a loop; TensorFlow's ``sess.run(train_op)`` in a loop) and
shuffled minibatch epochs with an ``fnx.optimizers`` optimizer.

>>> import fnx.numpy as fnp
>>> w, losses = gradient_descent(lambda w: (w - 3.0) ** 2, fnp.asarray(0.0), steps=50, learning_rate=0.1)
>>> round(float(w), 4), bool(losses[-1] < losses[0])
(3.0, True)
"""
from __future__ import annotations

from typing import Any, Callable

import fnx
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax, random


def gradient_descent(loss: Callable, params: Any, steps: int, learning_rate: float) -> tuple[Any, Any]:
    """``steps`` of ``params -= learning_rate * grad(loss)(params)``; returns the final params and the loss
    before each step (shape (steps,))."""
    def step(p, _):
        value, g = fnx.value_and_grad(loss)(p)
        return fnx.tree_map(lambda w, dw: w - learning_rate * dw, p, g), value
    return lax.scan(step, params, None, length=steps)


def minibatch_epochs(loss: Callable, params: Any, X, Y, key, *, optimizer: optim.GradientTransformation,
                     batch_size: int, epochs: int, shuffle: bool = True, keyed: bool = False) -> tuple[Any, Any]:
    """``epochs`` passes over the rows of ``X`` (N, ...) and ``Y`` (N, ...) in minibatches of ``batch_size``
    (reshuffled each epoch from ``key`` when ``shuffle``; the last N mod batch_size rows of an epoch are
    left out, so every batch has one shape), one ``optimizer`` step on ``loss(params, xb, yb)`` per batch
    (``loss(params, xb, yb, key)`` with a key of its own per batch when ``keyed``, e.g. for dropout).
    Returns the final params and the mean minibatch loss of each epoch (shape (epochs,))."""
    n_batches = X.shape[0] // batch_size
    used = n_batches * batch_size

    def batch_step(carry, batch):
        p, state = carry
        value, g = fnx.value_and_grad(loss)(p, *(batch if keyed else batch[:2]))
        updates, state = optimizer.update(g, state, p)
        return (optim.apply_updates(p, updates), state), value

    def run(p, X, Y, keys):
        def epoch(carry, epoch_key):
            order = random.permutation(epoch_key, X.shape[0])[:used] if shuffle else fnp.arange(used)
            batches = tuple(fnp.reshape(A[order], (n_batches, batch_size) + A.shape[1:]) for A in (X, Y))
            batches += (random.split(random.fold_in(epoch_key, 1), n_batches),)
            carry, values = lax.scan(batch_step, carry, batches)
            return carry, fnp.mean(values)
        return lax.scan(epoch, (p, optimizer.init(p)), keys)

    (params, _), curve = fnx.jit(run)(params, X, Y, random.split(key, epochs))
    return params, curve
