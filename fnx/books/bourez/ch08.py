"""Bourez, chapter 8 (translating with encoding-decoding networks): a sequence-to-sequence LSTM translator
trained with masks on length buckets, and greedy decoding, as pure fnx functions.

The book trains on 10,000 WMT16 German-English sentence pairs (not shipped); the stand-in is a generated
language pair: fnx's corpus sentences and their "translations" into a toy language whose words are the
English words spelled backwards (``the old cat .`` -> ``eht dlo tac .``), a deterministic word-for-word
mapping between two vocabularies. The Theano idioms map as follows: the LSTM closure with its shared weights ->
``nn.lstm`` (one fused matrix of four gates) and its parameters; the mask that keeps the states when a
sentence has ended -> ``nn.rnn(..., mask=)``; batches of sentences padded to their bucket's length ->
``fnx.text.bucket_batches`` (one program per bucket length, not per sentence length); the prediction scan
with ``until`` the stop symbol -> a scan of fixed length feeding back its argmax (the words after the stop
symbol are ignored)."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax
from fnx.text import Vocabulary, bucket_batches, load_corpus

from ..checks import Between, Falls, Value
from ..registry import listing

BUCKETS, BATCH, HIDDEN, EMBED = (8, 12), 32, 96, 32
START = "<s>"


def parallel_corpus() -> tuple[list[np.ndarray], Vocabulary, Vocabulary]:
    """The sentence pairs, each a (length, 2) array of (source id, target id) per word (the toy language is
    word-for-word, so both sides have the same length and bucket together), and the two vocabularies (the
    target's has the start symbol)."""
    source = [line.split() for line in load_corpus().splitlines()]
    target = [[word[::-1] for word in words] for words in source]
    src_vocab = Vocabulary.from_tokens(w for s in source for w in s)
    tgt_vocab = Vocabulary.from_tokens([START] + [w for s in target for w in s])
    pairs = [np.stack([src_vocab.encode(s), tgt_vocab.encode(t)], axis=1) for s, t in zip(source, target)]
    return pairs, src_vocab, tgt_vocab


def init(key, source_size: int, target_size: int) -> dict:
    """Source and target embeddings, the encoder's and decoder's LSTMs and the output layer."""
    keys = fnx.random.split(key, 5)
    return {"src_embed": nn.embedding.init(keys[0], source_size, EMBED),
            "tgt_embed": nn.embedding.init(keys[1], target_size, EMBED),
            "encoder": nn.lstm.init(keys[2], EMBED, HIDDEN), "decoder": nn.lstm.init(keys[3], EMBED, HIDDEN),
            "out": nn.dense.init(keys[4], HIDDEN, target_size)}


def encode(params: dict, source, mask):
    """The encoder's final (h, c) after reading each source sentence (batch, length) backwards (the book's
    advice: the first words end up nearest the decoder), padded steps skipped."""
    carry, _ = nn.rnn(nn.lstm, params["encoder"], nn.embedding(params["src_embed"], source), mask=mask,
                      reverse=True)
    return carry


def loss(params: dict, pairs, mask, start: int):
    """The mean cross-entropy of each target word given the source and the target words before it (teacher
    forcing: the decoder reads ``<s>`` then the reference), over the real words of the batch."""
    source, target = pairs[..., 0], pairs[..., 1]
    inputs = fnp.concatenate([fnp.full((target.shape[0], 1), start, target.dtype), target[:, :-1]], axis=1)
    _, hs = nn.rnn(nn.lstm, params["decoder"], nn.embedding(params["tgt_embed"], inputs),
                   initial_carry=encode(params, source, mask), mask=mask)
    logits = nn.dense(params["out"], hs)
    per_word = nn.sparse_softmax_cross_entropy_per_example(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
    weights = mask.reshape(-1).astype(per_word.dtype)
    return fnp.sum(per_word * weights) / fnp.maximum(fnp.sum(weights), 1.0)


def translate(params: dict, source, mask, start: int, length: int):
    """Greedy decoding: from ``<s>`` and the encoder's state, ``length`` steps each feeding back its most
    probable word; returns the target ids (batch, length)."""
    def step(carry, _):
        state, word = carry
        state, h = nn.lstm(params["decoder"], state, nn.embedding(params["tgt_embed"], word))
        word = fnp.argmax(nn.dense(params["out"], h), axis=-1)
        return (state, word), word

    first = fnp.full((source.shape[0],), start, source.dtype)
    _, words = lax.scan(step, (encode(params, source, mask), first), None, length=length)
    return words.T


@fnx.jit(static_argnames=("start",))
def train(params: dict, epochs: tuple, test: tuple, start: int):
    """Adam (0.02) over the batches of every epoch (``epochs``: per epoch, per bucket, the batches
    (batches, BATCH, bucket, 2) and masks), bucket after bucket; returns the parameters, the mean loss of each
    epoch and the greedy word accuracy on ``test`` (per bucket: pairs (n, bucket, 2) and masks) after each epoch."""
    opt = optim.adam(0.02)

    def step(carry, batch):
        params, state = carry
        value, grads = fnx.value_and_grad(loss)(params, *batch, start)
        updates, state = opt.update(grads, state, params)
        return (optim.apply_updates(params, updates), state), value

    def accuracy(params):
        hits = sum(fnp.sum((translate(params, p[..., 0], m, start, p.shape[1]) == p[..., 1]) & m) for p, m in test)
        return hits / sum(fnp.sum(m) for _, m in test)

    carry, curve, scores = (params, opt.init(params)), [], []
    for buckets in epochs:
        values = []
        for batches in buckets:
            carry, losses = lax.scan(step, carry, batches)
            values.append(losses)
        curve.append(fnp.mean(fnp.concatenate(values)))
        scores.append(accuracy(carry[0]))
    return carry[0], fnp.stack(curve), fnp.stack(scores)


def stacked_batches(seed: int, pairs: list[np.ndarray]) -> tuple:
    """One epoch of ``bucket_batches`` (shuffled by ``seed``, last batches filled up), stacked per bucket:
    a tuple of (pairs (batches, BATCH, bucket, 2), masks (batches, BATCH, bucket))."""
    by_bucket: dict[int, list] = {}
    for padded, mask, _ in bucket_batches(seed, pairs, None, BATCH, BUCKETS, full_batches=True):
        by_bucket.setdefault(padded.shape[1], []).append((padded, mask))
    return tuple((np.stack([p for p, _ in b]), np.stack([m for _, m in b])) for _, b in sorted(by_bucket.items()))


@listing("bourez", "8a", "Sequence-to-sequence translation with masks and length buckets", kind="trend",
         data="WMT16 German-English (10,000 training pairs)",
         stand_in="fnx.text.load_corpus paired with its words spelled backwards (generated)",
         figure=("loss", "word_accuracy"),
         expect={"loss": Falls(0.5), "final_word_accuracy": Between(0.25, 1.0),
                 "padded_lengths": Value(list(BUCKETS))})
def listing_8a(context):
    """Chapter 8's encoder-decoder: an LSTM reads the source sentence (backwards), its final state starts an
    LSTM decoder trained to emit the translation word by word. The book prints only its preprocessing and
    timings (one epoch 446 s on its GPU, 4,297 s on CPU; no score). On the toy pair (1,800 training sentences
    of 6-11 words, 200 held out) the training loss must fall below half its first epoch's, and greedy decoding
    of the held-out sentences must get at least 25 % of their words right (chance is 1/87; 25 % is what
    the target language's word frequencies alone give, which a short run reaches; 10 epochs reach
    78 %) (with --quick, 5 epochs on 640 sentences). Every batch is padded to 8 or 12 words: two programs,
    whatever the sentence lengths."""
    pairs, src_vocab, tgt_vocab = parallel_corpus()
    train_pairs, test_pairs = pairs[:(640 if context.quick else 1800)], pairs[1800:]
    epochs = tuple(stacked_batches(epoch, train_pairs) for epoch in range(5 if context.quick else 10))
    test = tuple((p.reshape(-1, *p.shape[2:]), m.reshape(-1, m.shape[-1]))
                 for p, m in stacked_batches(0, test_pairs))
    params = init(fnx.random.key(8), len(src_vocab), len(tgt_vocab))
    _, curve, scores = train(params, epochs, test, tgt_vocab.encode([START])[0])
    return {"loss": curve, "word_accuracy": scores, "final_word_accuracy": scores[-1],
            "padded_lengths": sorted({p.shape[2] for epoch in epochs for p, _ in epoch})}
