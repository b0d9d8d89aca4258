"""Recurrent cells and the sequence runners that scan them over time.

A cell is one time step, ``(new_carry, y) = cell(params, carry, x)``, with x of shape (batch..., in_features)
and y of shape (batch..., hidden). Like every layer it carries ``cell.init(key, in_features, hidden, ...) ->
params``, and also ``cell.initial_carry(params, batch_shape, dtype) -> carry`` (zeros). ``rnn`` runs a cell
over a sequence with ``fnx.lax.scan``; ``bidirectional`` runs one forward and one backward::

    params = nn.lstm.init(key, 100, 64)
    (h, c), ys = nn.rnn(nn.lstm, params, xs)          # xs (batch, time, 100) -> ys (batch, time, 64)

Weights follow Keras: ``w_x`` (in_features, gates * hidden) multiplies the input, ``w_h`` (hidden, gates *
hidden) the previous hidden state, one bias ``b`` (gates * hidden,); the gates are stacked along the last axis
in the order given per cell. Defaults: Glorot-uniform ``w_x``, orthogonal ``w_h``, zero ``b``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import lax
from .. import numpy as fnp
from .. import random
from ..core.errors import FnxTypeError
from ..core.tree import tree_leaves, tree_map
from . import initializers
from .layers import Params, dropout, with_init

_sigmoid = lax.sigmoid


def _cell_weights(key, in_features: int, hidden: int, gates: int, w_init, u_init, b_init, dtype) -> Params:
    """``{"w_x": (in_features, gates * hidden), "w_h": (hidden, gates * hidden), "b": (gates * hidden,)}``.

    The recurrent matrix of each gate is initialized on its own (an orthogonal matrix per gate).
    """
    w_init, u_init = w_init or initializers.glorot_uniform(), u_init or initializers.orthogonal()
    b_init = b_init or initializers.zeros()
    w_key, b_key, *u_keys = random.split(key, gates + 2)
    w_h = fnp.concatenate([u_init(k, (hidden, hidden), dtype) for k in u_keys], axis=1)
    return {"w_x": w_init(w_key, (in_features, gates * hidden), dtype), "w_h": w_h,
            "b": b_init(b_key, (gates * hidden,), dtype)}


def _hidden_zeros(params: Params, batch_shape: tuple = (), dtype=None):
    hidden = params["w_h"].shape[0]
    return fnp.zeros((*batch_shape, hidden), dtype=params["w_h"].dtype if dtype is None else dtype)


def _check_input(op: str, params: Params, x) -> None:
    if x.ndim < 1 or x.shape[-1] != params["w_x"].shape[0]:
        raise FnxTypeError(f"{op}: x of shape {tuple(x.shape)} should end with the {params['w_x'].shape[0]} "
                           f"input features of w_x {tuple(params['w_x'].shape)}")


# -- simple RNN ------------------------------------------------------------------------------------------

def _simple_rnn_init(key, in_features: int, hidden: int, *, w_init=None, u_init=None, b_init=None,
                     dtype=float) -> Params:
    """Parameters of ``simple_rnn``: ``w_x`` (in_features, hidden), ``w_h`` (hidden, hidden), ``b`` (hidden,).

    >>> simple_rnn.init(random.key(0), 3, 5)["w_h"].shape
    (5, 5)
    """
    return _cell_weights(key, in_features, hidden, 1, w_init, u_init, b_init, dtype)


@with_init(_simple_rnn_init, initial_carry=_hidden_zeros)
def simple_rnn(params: Params, carry, x, activation: Callable = fnp.tanh) -> tuple:
    """The Elman cell: ``h = activation(x @ w_x + h_prev @ w_h + b)``; returns ``(h, h)``.

    >>> params = simple_rnn.init(random.key(0), 3, 5)
    >>> h, y = simple_rnn(params, fnp.zeros((2, 5)), fnp.ones((2, 3)))
    >>> h.shape
    (2, 5)
    """
    _check_input("simple_rnn", params, x)
    h = activation(fnp.matmul(x, params["w_x"]) + fnp.matmul(carry, params["w_h"]) + params["b"])
    return h, h


# -- LSTM ------------------------------------------------------------------------------------------------

def _lstm_init(key, in_features: int, hidden: int, *, peepholes: bool = False, forget_bias: float = 1.0,
               w_init=None, u_init=None, b_init=None, dtype=float) -> Params:
    """Parameters of ``lstm``: ``w_x`` (in_features, 4 * hidden), ``w_h`` (hidden, 4 * hidden) and ``b``
    (4 * hidden,), gates in the order input, forget, candidate, output; the forget-gate bias starts at
    ``forget_bias`` (1, as Keras's ``unit_forget_bias``). ``peepholes=True`` adds the diagonal peephole
    weights ``w_ci``, ``w_cf``, ``w_co`` (hidden,), initialized to zero.

    >>> params = lstm.init(random.key(0), 100, 64)
    >>> sum(p.size for p in params.values())    # 4 * (64 * (100 + 64) + 64)
    42240
    """
    params = _cell_weights(key, in_features, hidden, 4, w_init, u_init, b_init, dtype)
    params["b"] = params["b"].at[hidden:2 * hidden].add(forget_bias)
    if peepholes:
        params.update({name: fnp.zeros(hidden, dtype=dtype) for name in ("w_ci", "w_cf", "w_co")})
    return params


def _lstm_carry(params: Params, batch_shape: tuple = (), dtype=None) -> tuple:
    h = _hidden_zeros(params, batch_shape, dtype)
    return h, h


@with_init(_lstm_init, initial_carry=_lstm_carry)
def lstm(params: Params, carry: tuple, x, activation: Callable = fnp.tanh,
         gate_activation: Callable = _sigmoid) -> tuple:
    """The LSTM cell (Hochreiter & Schmidhuber, with the forget gate); ``carry = (h, c)``, returns ``((h, c), h)``.

    With ``z = x @ w_x + h_prev @ w_h + b`` split into four blocks (i, f, g, o)::

        i = gate(z_i + w_ci * c_prev)      f = gate(z_f + w_cf * c_prev)      (peephole terms only if present)
        c = f * c_prev + i * activation(z_g)
        o = gate(z_o + w_co * c)           h = o * activation(c)

    Peepholes (Gers & Schmidhuber) are used when ``params`` has ``w_ci``, ``w_cf`` and ``w_co`` (made by
    ``lstm.init(..., peepholes=True)``). ``gate_activation`` is the sigmoid; old Keras used a hard sigmoid.

    >>> params = lstm.init(random.key(0), 3, 5)
    >>> (h, c), y = lstm(params, lstm.initial_carry(params, (2,)), fnp.ones((2, 3)))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """
    _check_input("lstm", params, x)
    h_prev, c_prev = carry
    z = fnp.matmul(x, params["w_x"]) + fnp.matmul(h_prev, params["w_h"]) + params["b"]
    z_i, z_f, z_g, z_o = fnp.split(z, 4, axis=-1)
    peep = "w_ci" in params
    if peep:
        z_i, z_f = z_i + params["w_ci"] * c_prev, z_f + params["w_cf"] * c_prev
    c = gate_activation(z_f) * c_prev + gate_activation(z_i) * activation(z_g)
    o = gate_activation(z_o + params["w_co"] * c if peep else z_o)
    h = o * activation(c)
    return (h, c), h


# -- GRU -------------------------------------------------------------------------------------------------

def _gru_init(key, in_features: int, hidden: int, *, w_init=None, u_init=None, b_init=None,
              dtype=float) -> Params:
    """Parameters of ``gru``: ``w_x`` (in_features, 3 * hidden), ``w_h`` (hidden, 3 * hidden), ``b``
    (3 * hidden,), gates in the order update, reset, candidate.

    >>> params = gru.init(random.key(0), 3, 5)
    >>> params["w_x"].shape
    (3, 15)
    """
    return _cell_weights(key, in_features, hidden, 3, w_init, u_init, b_init, dtype)


@with_init(_gru_init, initial_carry=_hidden_zeros)
def gru(params: Params, carry, x, activation: Callable = fnp.tanh, gate_activation: Callable = _sigmoid) -> tuple:
    """The GRU cell (Cho et al. 2014, reset gate applied before the recurrent product, as in Keras 1/2's
    default ``reset_after=False``); ``carry = h``, returns ``(h, h)``::

        z = gate(x @ W_z + h_prev @ U_z + b_z)        r = gate(x @ W_r + h_prev @ U_r + b_r)
        n = activation(x @ W_n + (r * h_prev) @ U_n + b_n)
        h = z * h_prev + (1 - z) * n

    where ``W_*``, ``U_*``, ``b_*`` are the column blocks of ``w_x``, ``w_h``, ``b``.

    >>> params = gru.init(random.key(0), 3, 5)
    >>> h, y = gru(params, fnp.zeros(5), fnp.ones(3))
    >>> h.shape
    (5,)
    """
    _check_input("gru", params, x)
    hidden = params["w_h"].shape[0]
    xz, xr, xn = fnp.split(fnp.matmul(x, params["w_x"]) + params["b"], 3, axis=-1)
    hz, hr = fnp.split(fnp.matmul(carry, params["w_h"][:, :2 * hidden]), 2, axis=-1)
    z, r = gate_activation(xz + hz), gate_activation(xr + hr)
    n = activation(xn + fnp.matmul(r * carry, params["w_h"][:, 2 * hidden:]))
    h = z * carry + (1 - z) * n
    return h, h


# -- sequence runners ------------------------------------------------------------------------------------

def _time_major(tree: Any, time_major: bool, axis: int) -> Any:
    """Move the time axis (``axis`` of batch-major arrays) to the front, unless already there."""
    return tree if time_major else tree_map(lambda a: fnp.moveaxis(a, axis, 0), tree)


def _step_mask(mask, xs, time_major: bool):
    """The mask as booleans shaped (time, batch...), checked against xs (batch..., time, features)."""
    mask = fnp.asarray(mask)
    if tuple(mask.shape) != tuple(xs.shape[:-1]):
        raise FnxTypeError(f"rnn: mask of shape {tuple(mask.shape)} should have the shape of xs "
                           f"{tuple(xs.shape)} without its feature axis")
    mask = mask if mask.dtype == np.dtype(bool) else fnp.not_equal(mask, 0)
    return _time_major(mask, time_major, -1)


def _variational(cell: Callable, params: Params, key, rate: float, recurrent_rate: float, batch_shape: tuple,
                 dtype) -> Callable:
    """``cell`` with time-constant dropout masks (Gal & Ghahramani 2016): one inverted-dropout mask on the
    input features and one on the hidden state, drawn once from ``key`` and reused at every step."""
    input_key, hidden_key = random.split(key)
    ones_x = fnp.ones((*batch_shape, params["w_x"].shape[0]), dtype=dtype)
    ones_h = fnp.ones((*batch_shape, params["w_h"].shape[0]), dtype=dtype)
    mask_x, mask_h = dropout(input_key, ones_x, rate), dropout(hidden_key, ones_h, recurrent_rate)

    def dropped(params, carry, x, **kwargs):
        carry = (carry[0] * mask_h, *carry[1:]) if isinstance(carry, tuple) else carry * mask_h
        return cell(params, carry, x * mask_x, **kwargs)
    return dropped


def rnn(cell: Callable, params: Params, xs, initial_carry: Any = None, mask=None, reverse: bool = False,
        time_major: bool = False, *, dropout: float = 0.0, recurrent_dropout: float = 0.0, key=None,
        **cell_kwargs) -> tuple:
    """Run ``cell`` over the time axis of ``xs``; returns ``(final_carry, ys)``.

    ``xs`` is (batch..., time, features), or (time, batch..., features) with ``time_major=True``; ys has the
    same layout with the cell's output features. ``initial_carry`` defaults to
    ``cell.initial_carry(params, batch_shape)`` (zeros). ``reverse=True`` reads the sequence from the last step
    to the first; ys stays in input order (``ys[t]`` is the output after reading ``xs[t:]``). ``mask``
    (batch..., time) marks real steps (True or nonzero); at padded steps the carry is kept unchanged and the
    output is zero, so the final carry is the one after the last real step, wherever the padding sits.
    ``cell_kwargs`` go to every cell call (e.g. ``gate_activation=``). One ``lax.scan``.

    Variational (time-constant) dropout, Gal & Ghahramani 2016, as Keras's ``dropout``/``recurrent_dropout``
    (Keras 1's ``dropout_W``/``dropout_U``; Ketkar 2017, listing 7-8; Bourez 2017, chapter 10): with a ``key``,
    ``dropout`` drops input features and ``recurrent_dropout`` drops units of the hidden state ``h`` fed
    back (the carry, or its first element ``h`` for ``lstm``'s ``(h, c)``), with **the same masks at every time
    step**, drawn once per call (one per sequence of the batch), kept units scaled by ``1 / (1 - rate)``.
    ``key=None`` is evaluation: no dropout. (Keras 1 drew a separate mask per gate; here one mask serves all
    gates, Keras 2's ``implementation=2``.)

    >>> params = gru.init(random.key(0), 3, 8)
    >>> h, ys = rnn(gru, params, fnp.ones((2, 10, 3)))
    >>> h.shape, ys.shape
    ((2, 8), (2, 10, 8))
    """
    if xs.ndim < 2:
        raise FnxTypeError(f"rnn: xs needs a time axis and a feature axis, got shape {tuple(xs.shape)}")
    xs_t = _time_major(xs, time_major, -2)
    if initial_carry is None:
        if not hasattr(cell, "initial_carry"):
            raise FnxTypeError("rnn: this cell has no initial_carry attribute; pass initial_carry=")
        dtype = fnp.result_type(xs, *tree_leaves(params))
        initial_carry = cell.initial_carry(params, tuple(xs_t.shape[1:-1]), dtype)
    if key is not None and (dropout or recurrent_dropout):
        cell = _variational(cell, params, key, dropout, recurrent_dropout, tuple(xs_t.shape[1:-1]),
                            fnp.result_type(xs, *tree_leaves(params)))

    if mask is None:
        def step(carry, x):
            return cell(params, carry, x, **cell_kwargs)
        carry, ys = lax.scan(step, initial_carry, xs_t, reverse=reverse)
    else:
        def step(carry, x_and_m):
            x, m = x_and_m
            new_carry, y = cell(params, carry, x, **cell_kwargs)
            keep = fnp.expand_dims(m, -1)
            new_carry = tree_map(lambda new, old: fnp.where(keep, new, old), new_carry, carry)
            return new_carry, tree_map(lambda out: fnp.where(keep, out, 0), y)
        masks = _step_mask(mask, xs, time_major)
        carry, ys = lax.scan(step, initial_carry, (xs_t, masks), reverse=reverse)
    return carry, ys if time_major else tree_map(lambda y: fnp.moveaxis(y, 0, -2), ys)


def _bidirectional_init(key, cell: Callable, in_features: int, hidden: int, **init_kwargs) -> Params:
    """Parameters of ``bidirectional``: ``{"forward": cell.init(...), "backward": cell.init(...)}``.

    >>> params = bidirectional.init(random.key(0), lstm, 100, 64)
    >>> sorted(params)
    ['backward', 'forward']
    """
    forward_key, backward_key = random.split(key)
    return {"forward": cell.init(forward_key, in_features, hidden, **init_kwargs),
            "backward": cell.init(backward_key, in_features, hidden, **init_kwargs)}


_MERGES = {"concat": lambda f, b: fnp.concatenate([f, b], axis=-1), "sum": lambda f, b: f + b,
           "mean": lambda f, b: (f + b) / 2, "mul": lambda f, b: f * b}


@with_init(_bidirectional_init)
def bidirectional(cell: Callable, params: Params, xs, initial_carry: tuple | None = None, mask=None,
                  time_major: bool = False, merge: str | None = "concat", **cell_kwargs) -> tuple:
    """Run ``cell`` forward with ``params["forward"]`` and backward with ``params["backward"]`` over ``xs``.

    Returns ``((forward_carry, backward_carry), ys)`` where ys merges the two output sequences (both in input
    order) with ``merge``: "concat" (last axis, forward first, as Keras's Bidirectional), "sum", "mean",
    "mul", or None for the pair ``(forward_ys, backward_ys)``. ``initial_carry`` is None or a
    (forward, backward) pair; ``mask``, ``time_major`` and the dropout arguments (``key``, ``dropout``,
    ``recurrent_dropout``; each direction draws masks of its own) are as in ``rnn``. The summary of a sequence is
    usually the two final hidden states: ``forward_ys[:, -1]`` and ``backward_ys[:, 0]``.

    >>> params = bidirectional.init(random.key(0), gru, 3, 4)
    >>> carries, ys = bidirectional(gru, params, fnp.ones((2, 6, 3)))
    >>> ys.shape
    (2, 6, 8)
    """
    if merge is not None and merge not in _MERGES:
        raise FnxTypeError(f"bidirectional: merge must be one of {sorted(_MERGES)} or None, got {merge!r}")
    forward_carry, backward_carry = (None, None) if initial_carry is None else initial_carry
    key = cell_kwargs.pop("key", None)  # dropout masks of their own for each direction
    forward_key, backward_key = (None, None) if key is None else random.split(key)
    forward_carry, forward_ys = rnn(cell, params["forward"], xs, forward_carry, mask, False, time_major,
                                    key=forward_key, **cell_kwargs)
    backward_carry, backward_ys = rnn(cell, params["backward"], xs, backward_carry, mask, True, time_major,
                                      key=backward_key, **cell_kwargs)
    ys = (forward_ys, backward_ys) if merge is None else _MERGES[merge](forward_ys, backward_ys)
    return (forward_carry, backward_carry), ys


__all__ = ["bidirectional", "gru", "lstm", "rnn", "simple_rnn"]
