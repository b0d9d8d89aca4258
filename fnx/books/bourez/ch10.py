"""Bourez, chapter 10 (predicting time sequences with advanced RNNs): a word-level language model with
variational dropout, trained the Penn Treebank way, as pure fnx functions.

The book's Penn Treebank (10,000 words) is not shipped; fnx's generated corpus stands in (its sentences,
each ended by ``<eos>``, as one stream of word ids). The Theano idioms map as follows: the dropout noise
drawn once per sequence and passed to ``scan`` as non_sequences -> ``nn.rnn(..., dropout=, recurrent_dropout=,
key=)`` (the same masks at every step); ``ifelse(is_training, ...)`` -> a key (training) or none
(evaluation); the sticky hidden state ``y_0`` updated after each batch -> the state carried from window to
window (gradients stop at the window's start) and reset each epoch; the global-norm clip with ``ifelse`` ->
``optimizers.clip_by_global_norm``; ``softmax_w = embedding.T`` -> the same array used twice."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax
from fnx.text import Vocabulary, load_corpus

from ..checks import Between, Falls
from ..registry import listing

BATCH, STEPS, HIDDEN = 20, 20, 64
DROP_INPUT, DROP_STATE, DROP_OUTPUT = 0.25, 0.25, 0.25


def word_stream() -> tuple[np.ndarray, np.ndarray, int]:
    """The corpus as word ids, every sentence followed by ``<eos>`` (the PTB files' form), split 9:1 into
    training and validation streams; and the vocabulary size."""
    words = [w for line in load_corpus().splitlines() for w in line.split() + ["<eos>"]]
    vocabulary = Vocabulary.from_tokens(words)
    ids = np.asarray(vocabulary.encode(words))
    cut = len(ids) * 9 // 10
    return ids[:cut], ids[cut:], len(vocabulary)


def windows(ids: np.ndarray, batch: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The PTB reader: the stream cut into ``batch`` rows read side by side, then into windows of ``steps``
    words; returns inputs and next-word targets, each (windows, batch, steps)."""
    rows = ids[:len(ids) // batch * batch].reshape(batch, -1)
    count = (rows.shape[1] - 1) // steps
    cut = lambda start: rows[:, start:start + count * steps].reshape(batch, count, steps).transpose(1, 0, 2)
    return cut(0), cut(1)


def init(key, vocabulary: int, hidden: int = HIDDEN, scale: float = 0.1) -> dict:
    """The embedding (also the output layer's weights, tied), the simple RNN's weights, the output bias; all
    uniform in +-``scale`` (the book's ``init_scale``)."""
    k_embed, k_rnn = fnx.random.split(key)
    uniform = nn.initializers.uniform(-scale, scale)
    rnn = nn.simple_rnn.init(k_rnn, hidden, hidden, w_init=uniform, u_init=uniform)
    return {"embedding": uniform(k_embed, (vocabulary, hidden)), "rnn": rnn, "bias": fnp.zeros(vocabulary)}


def window_loss(params: dict, state, xs, ys, key=None):
    """The mean next-word cross-entropy over one window (batch, steps) starting from the hidden ``state``
    (batch, hidden), and the state after it. With a ``key``: variational dropout on the inputs and the
    recurrent state (one mask per sequence), and dropout on the outputs."""
    k_rnn, k_out = fnx.random.split(key) if key is not None else (None, None)
    inputs = params["embedding"][xs]
    state, hs = nn.rnn(nn.simple_rnn, params["rnn"], inputs, initial_carry=state, key=k_rnn,
                       dropout=DROP_INPUT, recurrent_dropout=DROP_STATE)
    if key is not None:
        hs = nn.dropout(k_out, hs, DROP_OUTPUT)
    logits = hs @ params["embedding"].T + params["bias"]
    losses = nn.sparse_softmax_cross_entropy_per_example(logits.reshape(-1, logits.shape[-1]), ys.reshape(-1))
    return fnp.mean(losses), state


def perplexity(params: dict, xs, ys):
    """exp(mean cross-entropy) over the windows (windows, batch, steps), the state carried along, no dropout."""
    def window(state, batch):
        loss, state = window_loss(params, state, *batch)
        return state, loss
    _, losses = lax.scan(window, fnp.zeros((xs.shape[1], HIDDEN)), (xs, ys))
    return fnp.exp(fnp.mean(losses))


@fnx.jit(static_argnames=("epochs",))
def train(params: dict, key, train_xs, train_ys, valid_xs, valid_ys, epochs: int):
    """``epochs`` passes of SGD (rate 1, global norm clipped to 10) over the training windows in order, the
    sticky state reset each epoch; returns the parameters and the training and validation perplexities
    before training and after each epoch."""
    opt = optim.chain(optim.clip_by_global_norm(10.0), optim.sgd(1.0))

    def window(carry, batch):
        params, opt_state, state, key = carry
        key, step_key = fnx.random.split(key)
        (_, state), grads = fnx.value_and_grad(window_loss, has_aux=True)(
            params, lax.stop_gradient(state), *batch, step_key)
        updates, opt_state = opt.update(grads, opt_state, params)
        return (optim.apply_updates(params, updates), opt_state, state, key), None

    def epoch(carry, epoch_key):
        params, opt_state = carry
        zeros = fnp.zeros((train_xs.shape[1], HIDDEN))
        (params, opt_state, _, _), _ = lax.scan(window, (params, opt_state, zeros, epoch_key),
                                                (train_xs, train_ys))
        return (params, opt_state), fnp.stack([perplexity(params, train_xs, train_ys),
                                               perplexity(params, valid_xs, valid_ys)])

    first = fnp.stack([perplexity(params, train_xs, train_ys), perplexity(params, valid_xs, valid_ys)])
    (params, _), curves = lax.scan(epoch, (params, opt.init(params)), fnx.random.split(key, epochs))
    return params, fnp.concatenate([first[None], curves]).T


@listing("bourez", "10", "A variational-dropout RNN language model: perplexity falls", kind="trend",
         data="Penn Treebank (ptb.train.txt, vocabulary 10,000)",
         stand_in="fnx.text.load_corpus (generated sentences; 87 ids with <eos>, <pad>, <unk>)",
         figure=("train_perplexity", "valid_perplexity"),
         expect={"valid_perplexity": Falls(0.25, printed=64),
                 "final_valid_perplexity": Between(1.0, 20.0, printed=64)})
def listing_10(context):
    """Chapter 10's simple-RNN language model with variational dropout (Gal & Ghahramani 2016): the book
    reports 15,203,150 parameters and, for its last model (a stacked recurrent highway network), a Penn
    Treebank perplexity of 64. Here a 64-unit tanh RNN with tied embeddings, dropout 0.25 on inputs, recurrent
    state and outputs, windows of 20 words in 20 parallel rows, the state carried across windows. The
    validation perplexity (no dropout) starts near the vocabulary size and must fall below a quarter of it,
    ending under 20 (5 epochs; with --quick, 2)."""
    train_ids, valid_ids, vocabulary = word_stream()
    params = init(fnx.random.key(10), vocabulary)
    _, (train_curve, valid_curve) = train(params, fnx.random.key(1), *windows(train_ids, BATCH, STEPS),
                                          *windows(valid_ids, BATCH, STEPS), epochs=2 if context.quick else 5)
    return {"train_perplexity": train_curve, "valid_perplexity": valid_curve,
            "final_valid_perplexity": valid_curve[-1]}
