"""Bourez, chapter 3 (encoding words into vectors): word2vec's continuous bag of words on fnx's shipped corpus
(the book trains on text8, 17 million words, which fnx does not download), as a pure fnx function."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx.text import Tokenizer, load_corpus

from ..checks import Between, Falls
from ..loops import minibatch_epochs
from ..registry import listing


def cbow_pairs(window: int = 2) -> tuple[np.ndarray, np.ndarray, int]:
    """(contexts (n, 2 window), targets (n,), vocabulary size): each word of each sentence with the
    ``window`` words on either side, for the words that have a full window."""
    tokenizer = Tokenizer()
    sentences = load_corpus().splitlines()
    tokenizer.fit_on_texts(sentences)
    contexts, targets = [], []
    for ids in tokenizer.texts_to_sequences(sentences):
        for i in range(window, len(ids) - window):
            contexts.append(ids[i - window:i] + ids[i + 1:i + window + 1])
            targets.append(ids[i])
    return np.array(contexts), np.array(targets), len(tokenizer.word_index) + 1


def cbow_loss(params: dict, contexts, targets):
    """The mean of the context words' input embeddings, scored against every output embedding, softmax
    cross-entropy with the centre word (``W_in[context].mean(axis=1)``, ``dot``, ``softmax``)."""
    hidden = fnp.mean(params["W_in"][contexts], axis=1)
    return nn.sparse_softmax_cross_entropy(hidden @ params["W_out"], targets)


@listing("bourez", "3", "Word2vec CBOW: the loss starts at ln V and falls", kind="trend",
         data="text8 (17,005,207 words)", stand_in="fnx.text.load_corpus (generated sentences)",
         figure=("loss",),
         expect={"initial_loss_minus_ln_v": Between(-0.01, 0.01, printed=11.2959747314),
                 "loss": Falls(0.7, printed=4.82731778347)})
def listing_3(context):
    """Chapter 3's CBOW: a window of two words either side, embeddings of 128, the mean of the context's
    input embeddings against the output embeddings, softmax cross-entropy. With small initial weights every
    word is equally likely, so the first loss is ln V (the book's 11.296 on text8; derived check D13); training
    brings it down (4.83 after 26 million steps in the book). Here: Adam, batches of 64, 5 epochs (1 with
    --quick) on the shipped corpus."""
    contexts, targets, vocabulary = cbow_pairs()
    k1, k2 = fnx.random.split(fnx.random.key(3))
    params = {"W_in": fnx.random.uniform(k1, (vocabulary, 128), minval=-0.01, maxval=0.01),
              "W_out": fnx.random.uniform(k2, (128, vocabulary), minval=-0.01, maxval=0.01)}
    initial = float(cbow_loss(params, contexts, targets))
    params, curve = minibatch_epochs(cbow_loss, params, contexts, targets, fnx.random.key(4),
                                     optimizer=optim.adam(0.01), batch_size=64, epochs=1 if context.quick else 5)
    return {"initial_loss_minus_ln_v": initial - np.log(vocabulary),
            "loss": np.concatenate([[initial], np.asarray(curve)])}
