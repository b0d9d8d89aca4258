"""Bourez, chapter 4 (generating text with recurrent networks): word-level RNN, LSTM and GRU language models
trained with truncated backpropagation through time, on fnx's shipped corpus (the book's tiny Shakespeare is
not downloaded), as pure fnx functions.

Theano compiles one function for every sentence length; fnx compiles per shape, so sentences are grouped by
length into buckets (``fnx.text.bucket_batches``): one compiled step per bucket, whatever the lengths."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax
from fnx.text import Tokenizer, bucket_batches, load_corpus

from ..checks import Falls, Value
from ..registry import listing

CELLS = {"rnn": nn.simple_rnn, "lstm": nn.lstm, "gru": nn.gru}
BUCKETS = (8, 16)


def sentences() -> tuple[list[list[int]], int]:
    """The corpus's sentences as word ids (from 1; 0 pads) and the vocabulary size with the padding id."""
    tokenizer = Tokenizer()
    lines = load_corpus().splitlines()
    tokenizer.fit_on_texts(lines)
    return tokenizer.texts_to_sequences(lines), len(tokenizer.word_index) + 1


def init(cell: str, vocabulary: int, key, embedding: int = 32, hidden: int = 64) -> dict:
    """The embedding ``U``, the cell's weights and the output layer ``V``."""
    k1, k2, k3 = fnx.random.split(key, 3)
    return {"U": fnx.random.normal(k1, (vocabulary, embedding)) * 0.1,
            "cell": CELLS[cell].init(k2, embedding, hidden), "V": nn.dense.init(k3, hidden, vocabulary)}


def next_word_loss(params: dict, ids, mask, cell: str, truncate: int = 10):
    """Cross-entropy of each next word given the words before it (real steps only), the recurrence scanned
    with ``truncate_gradient=truncate`` as the book's ``theano.scan``: gradients flow back 10 steps."""
    step_cell = CELLS[cell]
    batch = ids.shape[0]
    carry = step_cell.initial_carry(params["cell"], (batch,))

    def step(carry, x_and_m):
        x, m = x_and_m
        new_carry, y = step_cell(params["cell"], carry, params["U"][x])
        keep = m[:, None]
        return fnx.tree_map(lambda new, old: fnp.where(keep, new, old), new_carry, carry), y

    _, outputs = lax.scan(step, carry, (ids.T, mask.T), truncate_gradient=truncate)
    logits = nn.dense(params["V"], outputs[:-1])  # (time - 1, batch, vocabulary): predicts ids[:, 1:]
    targets, real = ids.T[1:], mask.T[1:]
    per_word = nn.sparse_softmax_cross_entropy_per_example(logits.reshape(-1, logits.shape[-1]),
                                                           targets.reshape(-1))
    return fnp.sum(per_word * real.reshape(-1)) / fnp.maximum(fnp.sum(real), 1)


def train(cell: str, epochs: int, count: int | None = None) -> tuple[list[float], int]:
    """Adam at 0.01 on batches of 32 of the first ``count`` sentences (all: None), bucketed by length; the
    mean loss of each epoch (after a first value before training) and the number of distinct batch shapes the
    jitted step saw."""
    data, vocabulary = sentences()
    data = data[:count]
    params = init(cell, vocabulary, fnx.random.key(4))
    opt = optim.adam(0.01)
    state = opt.init(params)

    @fnx.jit
    def step(params, state, ids, mask):
        loss, grads = fnx.value_and_grad(next_word_loss)(params, ids, mask, cell)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss

    first = next(bucket_batches(0, data, None, 32, BUCKETS, full_batches=True))
    curve, shapes = [float(next_word_loss(params, first[0], first[1], cell))], set()
    for epoch in range(epochs):
        losses = []
        for ids, mask, _ in bucket_batches(epoch, data, None, 32, BUCKETS, full_batches=True):
            params, state, loss = step(params, state, ids, mask)
            losses.append(float(loss))
            shapes.add(ids.shape)
        curve.append(float(np.mean(losses)))
    return curve, len(shapes)


@listing("bourez", "4", "Word-level RNN, LSTM and GRU with truncated backpropagation", kind="trend",
         data="tiny Shakespeare (the companion repository)", stand_in="fnx.text.load_corpus (generated sentences)",
         figure=("rnn_loss", "lstm_loss", "gru_loss"),
         expect={"rnn_loss": Falls(0.9), "lstm_loss": Falls(0.9), "gru_loss": Falls(0.9),
                 "compiled_shapes": Value(len(BUCKETS))})
def listing_4(context):
    """Chapter 4's three language models (the book prints no loss, only sample sentences; its curves were lost):
    each word embedded, a simple RNN, an LSTM or a GRU over the sentence with ``truncate_gradient=10``, a
    softmax over the vocabulary for the next word. On the shipped corpus every model's loss falls below 0.9 of
    its start (3 epochs; with --quick, 2 epochs of the first 320 sentences), and the step compiles once per
    length bucket."""
    values = {}
    for cell in CELLS:
        curve, shapes = train(cell, *((2, 320) if context.quick else (3, None)))
        values[f"{cell}_loss"] = np.asarray(curve)
        values["compiled_shapes"] = shapes
    return values
