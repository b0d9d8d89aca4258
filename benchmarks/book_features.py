"""What bucketing saves, and what fit costs over a hand-written jitted loop.

``python benchmarks/book_features.py bucketing [--per-length | --buckets]`` (run it with a fresh
``FNX_CACHE_DIR`` each time, so compiles are counted cold): one epoch of per-sentence SGD on a GRU over 120
sequences of 2-40 steps (Bourez 2017, chapter 4's setting), either jitting on each sequence's own length or on
``fnx.text.bucket_batches`` buckets (8, 16, 24, 32, 40), batch 1. Compiles run in this process
(``FNX_BACKGROUND_COMPILE=off``, so that CPU time counts them; the default compiles in a worker process while
the first calls run on NumPy). Prints the CPU seconds of the first epoch (compiles included) and of a second
one, the number of traces, and the first epoch's mean loss (close, not equal: the buckets visit the sequences
in another order). Measured 2026-12-06 on the shared 2-core machine (load ~15): buckets 56.4 s CPU, 5 traces;
per length 418.3 s CPU, 38 traces; the second epoch 0.06 s either way.

``python benchmarks/book_features.py fit``: ``fnx.training.fit`` against the same jitted step called in a
plain loop, timed alternately in one process, 15 rounds of one epoch (digits, 64-64-10 MLP, batch 32): the
median ratio of CPU times, fit / loop. Measured: 1.21 (quartiles 1.19-1.26), the loop's epoch 14-18 ms; before
fit drew an epoch's step keys in one call (one eager ``fold_in`` per step), 2.76.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import os  # noqa: E402

os.environ.setdefault("FNX_BACKGROUND_COMPILE", "off")
os.environ.setdefault("FNX_COMPILE_AHEAD", "0")

import numpy as np  # noqa: E402

import fnx  # noqa: E402
import fnx.nn as nn  # noqa: E402
import fnx.numpy as fnp  # noqa: E402
import fnx.random as fr  # noqa: E402


def bucketing(mode: str) -> None:
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, 8)) for n in rng.integers(2, 41, size=120)]
    targets = rng.normal(size=(120, 16))
    params = nn.gru.init(fr.key(0), 8, 16)
    traces = []

    def loss(p, xs, mask, y):
        traces.append(xs.shape)
        h = nn.rnn(nn.gru, p, xs, mask=mask)[0]
        return fnp.mean((h - y) ** 2)

    step = fnx.jit(fnx.value_and_grad(loss))

    def epoch(params):
        if mode == "--per-length":
            batches = ((s[None], np.ones((1, len(s)), bool), targets[i:i + 1]) for i, s in enumerate(seqs))
        else:
            from fnx.text import bucket_batches
            batches = bucket_batches(0, seqs, targets, 1, (8, 16, 24, 32, 40), shuffle=False)
        losses = []
        for xs, mask, y in batches:
            value, grads = step(params, xs, mask, y)
            params = fnx.tree_map(lambda p, g: p - 0.01 * g, params, grads)
            losses.append(float(value))
        return params, np.mean(losses)

    start = time.process_time()
    params, first_loss = epoch(params)
    first = time.process_time() - start
    start = time.process_time()
    epoch(params)
    print(f"{mode}: first epoch {first:.1f} s CPU, second {time.process_time() - start:.2f} s, {len(traces)} "
          f"traces, {len({len(s) for s in seqs})} distinct lengths, mean loss {first_loss:.6f}")


def fit_overhead(rounds: int = 15) -> None:
    import fnx.optimizers as optim
    from fnx.datasets import load_digits
    from fnx.optimizers import apply_updates
    from fnx.training import fit

    x, y = load_digits(flat=True, scale=True)
    x, y = x[:1792], y[:1792]  # 56 full batches of 32

    def model(p, x):
        return nn.dense(p[1], nn.relu(nn.dense(p[0], x)))

    k1, k2 = fr.split(fr.key(0))
    params = [nn.dense.init(k1, 64, 64), nn.dense.init(k2, 64, 10)]
    opt = optim.adam(1e-2)

    def step(p, s, xb, yb):
        value, g = fnx.value_and_grad(lambda p: nn.sparse_softmax_cross_entropy(model(p, xb), yb))(p)
        u, s = opt.update(g, s, p)
        return apply_updates(p, u), s, value
    jitted = fnx.jit(step)

    def loop():
        p, s = params, opt.init(params)
        order = np.asarray(fr.permutation(fr.key(1), len(x)))
        for i in range(0, len(x), 32):
            p, s, value = jitted(p, s, x[order[i:i + 32]], y[order[i:i + 32]])
            float(value)

    def with_fit():
        fit(model, params, opt, x, y, loss=nn.sparse_softmax_cross_entropy, epochs=1, verbose=0)

    loop(), with_fit()  # compile both
    ratios = []
    for r in range(rounds):
        times = {}
        for name, f in (("loop", loop), ("fit", with_fit)) if r % 2 == 0 else (("fit", with_fit), ("loop", loop)):
            start = time.process_time()
            f()
            times[name] = time.process_time() - start
        ratios.append(times["fit"] / times["loop"])
    q1, med, q3 = np.percentile(ratios, [25, 50, 75])
    print(f"fit / hand loop, CPU per epoch: median {med:.3f} (quartiles {q1:.3f}-{q3:.3f}); last loop epoch "
          f"{times['loop'] * 1e3:.1f} ms")


if __name__ == "__main__":
    if sys.argv[1] == "bucketing":
        bucketing(sys.argv[2] if len(sys.argv) > 2 else "--buckets")
    else:
        fit_overhead()
