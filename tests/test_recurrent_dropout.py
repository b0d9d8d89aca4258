"""Variational (time-constant) dropout in nn.rnn (Gal & Ghahramani 2016): the same input and recurrent masks
at every step, recovered from cells built so that the masks show in the outputs; NumPy loops with those
masks; gradients by finite differences."""
import numpy as np
import pytest

import fnx.nn as nn
import fnx.numpy as fnp
import fnx.random as fr
from fnx.test_util import check_grads

B, T, F = 64, 5, 6


def identity_cell(w_h):
    return {"w_x": np.eye(F), "w_h": w_h, "b": np.zeros(F)}


def test_the_input_mask_is_the_same_at_every_step_and_scaled():
    ys = nn.rnn(nn.simple_rnn, identity_cell(np.zeros((F, F))), np.ones((B, T, F)), key=fr.key(0), dropout=0.25)[1]
    ys = np.asarray(ys)
    np.testing.assert_array_equal(ys, np.broadcast_to(ys[:, :1], ys.shape))  # constant over time
    kept = ys[:, 0] != 0
    np.testing.assert_allclose(ys[:, 0][kept], np.tanh(1 / 0.75), rtol=1e-14)  # inverted-dropout scaling
    assert 0.15 < 1 - kept.mean() < 0.35
    assert len({tuple(row) for row in kept}) > 1  # each sequence of the batch has its own mask


def test_the_recurrent_mask_multiplies_h_at_every_step_like_a_numpy_loop():
    rng = np.random.default_rng(0)
    params = {"w_x": rng.normal(size=(F, F)), "w_h": rng.normal(size=(F, F)) / 2, "b": rng.normal(size=F)}
    xs = rng.normal(size=(B, T, F))
    h, ys = nn.rnn(nn.simple_rnn, params, xs, key=fr.key(1), recurrent_dropout=0.5)
    # h_1 does not depend on the mask (h_0 = 0); from h_1 and h_2 solve for the mask m in
    # arctanh(h_2) - x_2 W_x - b = (h_1 * m) W_h
    ys = np.asarray(ys)
    masked = np.linalg.solve(params["w_h"].T, (np.arctanh(ys[:, 1]) - xs[:, 1] @ params["w_x"] - params["b"]).T).T
    mask = np.round(masked / ys[:, 0], 6)
    assert set(np.unique(mask)) <= {0.0, 2.0}
    state = np.zeros((B, F))
    for t in range(T):
        state = np.tanh(xs[:, t] @ params["w_x"] + (state * mask) @ params["w_h"] + params["b"])
        np.testing.assert_allclose(ys[:, t], state, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell", [nn.lstm, nn.gru])
def test_lstm_and_gru_drop_only_h_and_evaluation_has_no_dropout(cell):
    params = cell.init(fr.key(2), 3, 4)
    xs = np.random.default_rng(3).normal(size=(2, T, 3))
    plain = nn.rnn(cell, params, xs)
    np.testing.assert_array_equal(nn.rnn(cell, params, xs, dropout=0.5, recurrent_dropout=0.5)[1], plain[1])
    carry, ys = nn.rnn(cell, params, xs, key=fr.key(4), dropout=0.5, recurrent_dropout=0.5)
    assert not np.allclose(ys, plain[1])
    mask_x = np.asarray(nn.dropout(fr.split(fr.key(4))[0], fnp.ones((2, 3)), 0.5))
    mask_h = np.asarray(nn.dropout(fr.split(fr.key(4))[1], fnp.ones((2, 4)), 0.5))
    state = cell.initial_carry(params, (2,))
    for t in range(T):  # the cell by hand, with the masks applied outside it
        dropped = (state[0] * mask_h, state[1]) if isinstance(state, tuple) else state * mask_h
        state, y = cell(params, dropped, xs[:, t] * mask_x)
        np.testing.assert_allclose(ys[:, t], y, rtol=1e-12)


def test_gradients_through_masked_recurrences_match_finite_differences():
    params = nn.lstm.init(fr.key(5), 3, 2)
    xs = np.random.default_rng(6).normal(size=(2, 4, 3))

    def loss(p):
        return fnp.sum(nn.rnn(nn.lstm, p, xs, key=fr.key(7), dropout=0.3, recurrent_dropout=0.3)[1] ** 2)
    check_grads(loss, (params,), order=1)
    both = nn.bidirectional(nn.gru, nn.bidirectional.init(fr.key(8), nn.gru, 3, 2), xs, key=fr.key(9),
                            recurrent_dropout=0.5)[1]
    assert both.shape == (2, 4, 4)
