"""Bourez, chapter 5 (sentiment analysis with a bidirectional LSTM in Keras): the model's parameter count, as a
pure fnx model traced for its shapes. Training it on the tweets waits on the text tools and the fit loop."""
from __future__ import annotations

import fnx
import fnx.nn as nn
import fnx.numpy as fnp

from ..checks import Value
from ..registry import listing


def final_states(params, xs, key=None):
    """The forward and backward LSTMs' last hidden states, concatenated (Keras's ``Bidirectional(LSTM(64))``)."""
    (forward, backward), _ = nn.bidirectional(nn.lstm, params, xs)
    return fnp.concatenate([forward[0], backward[0]], axis=-1)


@listing("bourez", "5", "Keras summary of the bidirectional LSTM", kind="exact",
         data="SemEval-2013 tweets", stand_in="shapes only (traced)",
         expect={"per_layer": Value([10000100, 84480, 387]), "total": Value(10084967), "output": Value([10, 3])})
def listing_5():
    """Embedding(100001, 100) -> Bidirectional(LSTM(64)) -> Dense(3) softmax over sequences of 30 word ids:
    10,000,100 + 84,480 + 387 = 10,084,967 parameters, and (10, 3) class probabilities for a batch of 10."""
    bi_lstm = nn.Layer(lambda key: nn.bidirectional.init(key, nn.lstm, 100, 64), final_states)
    model = nn.serial(nn.layer(nn.embedding, 100001, 100), bi_lstm, nn.layer(nn.dense, 128, 3), nn.softmax)
    shapes = fnx.eval_shape(model.init, fnx.random.key(0))
    out = fnx.eval_shape(model.apply, shapes, fnx.ShapeDtypeStruct((10, 30), "int64"))
    return {"per_layer": [nn.count_params(p) for p in shapes if nn.count_params(p)],
            "total": nn.count_params(shapes), "output": list(out.shape)}
