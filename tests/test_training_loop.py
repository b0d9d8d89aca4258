"""fnx.training: fit/evaluate against a hand-written NumPy loop, Keras's split and averaging conventions, and
the callbacks against Keras 2's documented rules (keras.callbacks.EarlyStopping, ReduceLROnPlateau)."""
import math

import numpy as np
import pytest

import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
import fnx.random as fr
from fnx.training import EarlyStopping, ReduceLROnPlateau, evaluate, fit, predict

RNG = np.random.default_rng(0)
X = RNG.normal(size=(50, 3))
Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * RNG.normal(size=(50, 1))
W0 = {"w": np.zeros((3, 1)), "b": np.zeros(1)}
SGD = optim.sgd(0.05)  # one optimizer object: fit reuses its compiled step across tests (same model and loss)


def linear(params, x):
    return x @ params["w"] + params["b"]


def numpy_sgd(params, x, y, lr, batch_size, epochs, lrs=None):
    """Plain minibatch SGD on the mean squared error, in-order batches; the per-epoch weighted mean loss."""
    w, b, losses = params["w"].copy(), params["b"].copy(), []
    for epoch in range(epochs):
        total, rate = 0.0, lr if lrs is None else lrs[epoch]
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            residual = xb @ w + b - yb
            total += len(xb) * np.mean(residual ** 2)
            w -= rate * 2 * xb.T @ residual / residual.size
            b -= rate * 2 * residual.sum(0) / residual.size
        losses.append(total / len(x))
    return w, b, losses


def test_fit_matches_a_numpy_sgd_loop_with_a_partial_last_batch():
    result = fit(linear, W0, SGD, X, Y, loss="mse", epochs=4, batch_size=16, shuffle=False, verbose=0)
    w, b, losses = numpy_sgd(W0, X, Y, 0.05, 16, 4)
    np.testing.assert_allclose(result.params["w"], w, rtol=1e-12)
    np.testing.assert_allclose(result.params["b"], b, rtol=1e-12)
    np.testing.assert_allclose(result.history["loss"], losses, rtol=1e-12)
    assert result.history["lr"] == [1.0] * 4


def test_validation_split_takes_the_last_rows_and_evaluate_weights_batches_by_size():
    result = fit(linear, W0, SGD, X, Y, loss="mse", metrics=["mae"], epochs=2, batch_size=10,
                 validation_split=0.2, verbose=0)
    cut = int(50 * 0.8)
    residual = linear(result.params, X[cut:]) - Y[cut:]
    np.testing.assert_allclose(result.history["val_loss"][-1], np.mean(residual ** 2), rtol=1e-12)
    np.testing.assert_allclose(result.history["val_mae"][-1], np.mean(np.abs(residual)), rtol=1e-12)
    scores = evaluate(linear, result.params, X[cut - 10:], Y[cut - 10:], "mse", ["mae"], batch_size=10)
    residual = np.vstack([linear(result.params, X[cut - 10:cut]) - Y[cut - 10:cut], residual])
    np.testing.assert_allclose([scores["loss"], scores["mae"]], [np.mean(residual ** 2), np.mean(np.abs(residual))],
                               rtol=1e-12)


def test_shuffling_is_reproducible_from_the_key_and_the_step_is_traced_once():
    traces = []

    def counted(params, x):
        traces.append(x.shape)
        return linear(params, x)

    runs = [fit(counted, W0, SGD, X, Y, loss="mse", epochs=5, batch_size=10, key=k,
                validation_data=(X[:20], Y[:20]), verbose=0) for k in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0].params["w"], runs[1].params["w"])
    assert not np.array_equal(runs[0].params["w"], runs[2].params["w"])
    assert len(traces) == 2  # the training step and the evaluation step, traced once for 3 fits of 5 epochs


def test_accuracy_by_name_follows_keras_binary_or_categorical_choice():
    labels = (X[:, 0] > 0).astype(int)
    probs_model = lambda p, x: nn.sigmoid(x @ p)  # noqa: E731
    w = np.array([[1.0], [0.0], [0.0]])
    scores = evaluate(probs_model, w, X, labels[:, None].astype(float), "binary_crossentropy", ["accuracy"],
                      batch_size=50, jit=False)
    assert scores["accuracy"] == 1.0
    two_class = lambda p, x: nn.softmax(fnp.concatenate([-x @ p, x @ p], axis=1))  # noqa: E731
    scores = evaluate(two_class, w, X, labels, "sparse_categorical_crossentropy", ["acc"], batch_size=50, jit=False)
    assert scores["acc"] == 1.0
    expected = np.mean(np.log1p(np.exp(-2 * np.abs(X[:, 0]))))  # -log of the true class's softmax, sigmoid(2|x|)
    np.testing.assert_allclose(scores["loss"], expected, rtol=1e-10)


def test_stochastic_models_get_a_key_in_training_and_none_in_evaluation():
    seen = []

    def model(params, x, key):
        seen.append(key is None)
        return linear(params, x) if key is None else linear(params, nn.dropout(key, x, 0.5))

    result = fit(model, W0, SGD, X, Y, loss="mse", epochs=2, batch_size=10, validation_split=0.2, stochastic=True,
                 verbose=0, jit=False)
    assert sorted(set(seen)) == [False, True] and all(np.isfinite(result.history["val_loss"]))
    np.testing.assert_allclose(predict(linear, result.params, X, batch_size=25), linear(result.params, X), rtol=1e-12)


def normalized_linear(params, state, x, train):
    """Batch normalization of the inputs, then a linear layer: the running statistics depend only on x."""
    h, state = nn.batch_norm(params["bn"], state, x, train=train)
    return linear(params["linear"], h), state


def test_model_state_threads_through_fit_as_numpys_running_averages_and_evaluation_uses_it():
    bn_params, bn_state = nn.batch_norm.init(None, 3)
    params = {"bn": bn_params, "linear": W0}
    result = fit(normalized_linear, params, SGD, X, Y, loss="mse", epochs=2, batch_size=16, shuffle=False,
                 validation_split=0.2, state=bn_state, verbose=0)
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(2):
        for start in range(0, 40, 16):  # the 40 training rows in order: batches of 16, 16 and 8
            batch = X[start:start + 16 if start + 16 <= 40 else 40]
            mean = 0.99 * mean + 0.01 * batch.mean(axis=0)
            var = 0.99 * var + 0.01 * batch.var(axis=0)
    np.testing.assert_allclose(result.state["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(result.state["var"], var, rtol=1e-12)
    p = result.params
    normalized = (X - mean) / np.sqrt(var + 1e-3) * np.asarray(p["bn"]["gamma"]) + np.asarray(p["bn"]["beta"])
    expected = linear(p["linear"], normalized)
    np.testing.assert_allclose(predict(normalized_linear, p, X, batch_size=25, state=result.state), expected,
                               rtol=1e-12)
    scores = evaluate(normalized_linear, p, X[40:], Y[40:], "mse", batch_size=7, state=result.state)
    np.testing.assert_allclose(scores["loss"], np.mean((np.asarray(expected)[40:] - Y[40:]) ** 2), rtol=1e-12)
    np.testing.assert_allclose(result.history["val_loss"][-1], scores["loss"], rtol=1e-12)
    assert result.history["loss"][-1] < result.history["loss"][0]


def test_a_stateful_stochastic_model_gets_the_state_then_a_key_and_its_gradient_is_the_parameters():
    calls = []

    def model(params, state, x, key, train):
        calls.append((train, key is None))
        return linear(params, x), state + 1  # counts the training steps

    result = fit(model, W0, SGD, X, Y, loss="mse", epochs=2, batch_size=10, shuffle=False, stochastic=True,
                 validation_split=0.2, state=np.zeros(()), verbose=0, jit=False)
    assert float(result.state) == 8  # 4 batches of 10 in each of 2 epochs; validation leaves it alone
    assert set(calls) == {(True, False), (False, True)}
    plain = fit(linear, W0, SGD, X, Y, loss="mse", epochs=2, batch_size=10, shuffle=False,
                validation_split=0.2, verbose=0, jit=False)
    np.testing.assert_allclose(result.params["w"], plain.params["w"], rtol=1e-12)
    assert plain.state is None


class FakeLoop:
    def __init__(self, lr=1.0):
        self.params, self.state, self.lr, self.stop_training = 0, None, lr, False


def run_callback(callback, values, monitor="val_loss", lr=1.0):
    loop = FakeLoop(lr)
    callback.on_train_begin(loop)
    lrs = []
    for epoch, value in enumerate(values):
        loop.params, loop.state = epoch, -epoch
        lrs.append(loop.lr)
        callback.on_epoch_end(epoch, {monitor: value}, loop)
        if loop.stop_training:
            break
    callback.on_train_end(loop)
    return epoch, loop, lrs


def test_early_stopping_counts_epochs_without_an_improvement_larger_than_min_delta():
    values = [1.0, 0.9, 0.95, 0.89, 0.96, 0.97, 0.5]
    epoch, loop, _ = run_callback(EarlyStopping(patience=2), values)
    assert (epoch, loop.stop_training) == (5, True)
    epoch, _, _ = run_callback(EarlyStopping(patience=2, min_delta=0.05), values)  # 0.89 is no longer better
    assert epoch == 3
    epoch, loop, _ = run_callback(EarlyStopping(patience=2, restore_best_weights=True), values)
    assert (loop.params, loop.state) == (3, -3)  # the parameters and model state of the epoch with 0.89
    epoch, _, _ = run_callback(EarlyStopping(monitor="val_acc", patience=1), [0.5, 0.6, 0.55], "val_acc")
    assert epoch == 2  # accuracies: larger is better ("auto" mode)
    epoch, _, _ = run_callback(EarlyStopping(patience=3, baseline=0.5), values)
    assert epoch == 2


def test_reduce_lr_on_plateau_follows_keras_counting_cooldown_and_min_lr():
    values = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    _, loop, lrs = run_callback(ReduceLROnPlateau(factor=0.5, patience=2), values)
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25] and loop.lr == 0.125
    _, loop, lrs = run_callback(ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_lr=0.2), [1.0] * 8)
    # Keras decrements the cooldown before testing it: a reduction every other epoch here
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2] and loop.lr == 0.2
    # Ghatak 2019, listing 6-12: Keras's defaults reduce Adam's 0.001 nine times to 1e-12.
    _, loop, _ = run_callback(ReduceLROnPlateau(), [1.0] * 91, lr=0.001)
    assert math.isclose(loop.lr, 1e-12, rel_tol=1e-9)


def test_fit_applies_the_reduced_learning_rate_in_the_next_epochs():
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0)  # never "improves"
    result = fit(linear, W0, SGD, X, Y, loss="mse", epochs=4, batch_size=10, shuffle=False,
                 learning_rate=0.05, callbacks=[plateau], verbose=0)
    lrs = [0.05, 0.05, 0.025, 0.0125]
    assert result.history["lr"] == lrs  # the first epoch sets best; the second is the first without improvement
    w, b, losses = numpy_sgd(W0, X, Y, None, 10, 4, lrs)
    np.testing.assert_allclose(result.params["w"], w, rtol=1e-12)
    np.testing.assert_allclose(result.history["loss"], losses, rtol=1e-12)


def test_early_stopping_ends_fit_and_bad_arguments_say_what_is_wrong():
    stop = EarlyStopping(monitor="loss", min_delta=100.0, patience=2)
    result = fit(linear, W0, SGD, X, Y, loss="mse", epochs=10, batch_size=10, callbacks=[stop], verbose=0)
    assert len(result.history["loss"]) == 3 and stop.stopped_epoch == 2
    with pytest.raises(KeyError, match="val_loss.*validation_split"):
        fit(linear, W0, SGD, X, Y, loss="mse", batch_size=10, callbacks=[EarlyStopping()], verbose=0)
    with pytest.raises(ValueError, match="unknown loss 'msee'"):
        fit(linear, W0, SGD, X, Y, loss="msee", verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        fit(linear, W0, SGD, X, Y, loss="mse", validation_split=1.5, verbose=0)


def test_adam_fit_reaches_the_noise_level_and_logs_lines(capsys):
    params = nn.dense.init(fr.key(0), 3, 1)
    result = fit(nn.dense, params, optim.adam(0.1), X, Y, loss="mse", epochs=30, batch_size=20,
                 validation_split=0.2, verbose=2, jit=False)
    assert result.history["val_loss"][-1] < 0.05 < result.history["val_loss"][0]
    assert "Epoch 30/30 - loss: " in capsys.readouterr().out
