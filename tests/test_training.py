"""End to end: fnx.nn layers, fnx.optimizers and the shipped digits train a network to > 95% held-out
accuracy in seconds, eagerly (no jit), as the nn/optimizers/datasets issue asks."""
import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
import fnx.random as fr
from fnx.datasets import batches, load_digits, train_test_split


def init(key):
    k1, k2 = fr.split(key)
    return [nn.dense.init(k1, 64, 64), nn.dense.init(k2, 64, 10)]


def logits(params, x):
    return nn.dense(params[1], nn.relu(nn.dense(params[0], x)))


def loss(params, x, labels):
    return nn.sparse_softmax_cross_entropy(logits(params, x), labels)


def test_mlp_on_shipped_digits_reaches_95_percent():
    images, labels = load_digits(flat=True, scale=True)
    x_train, x_test, y_train, y_test = train_test_split(0, images, labels, test_size=0.25)
    params = init(fr.key(0))
    optimizer = optim.adam(1e-2)
    state = optimizer.init(params)
    grad_fn = fnx.value_and_grad(loss)
    first = None
    for epoch in range(8):
        for xb, yb in batches(fr.fold_in(fr.key(1), epoch), x_train, y_train, 64, drop_last=True):
            value, grads = grad_fn(params, xb, yb)
            first = float(value) if first is None else first
            updates, state = optimizer.update(grads, state, params)
            params = optim.apply_updates(params, updates)
    accuracy = float(nn.accuracy(logits(params, x_test), y_test))
    assert accuracy > 0.95, accuracy
    assert float(loss(params, x_train, y_train)) < first / 10
    assert nn.count_params(params) == 64 * 64 + 64 + 64 * 10 + 10
    per_example = fnx.vmap(lambda x, y: loss(params, x[None], y[None]))(x_test, y_test)
    np.testing.assert_allclose(fnp.mean(per_example), loss(params, x_test, y_test), rtol=1e-10)
