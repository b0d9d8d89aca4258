"""The demo that ``python -m fnx`` runs: train a small network on the digits that ship with fnx.

A 64 -> 64 -> 10 ReLU network (softmax cross-entropy) learns the 8x8 handwritten digits. The training step
is ``fnx.jit(fnx.value_and_grad(loss))`` followed by an Adam update; per-example losses on the held-out
set come from ``fnx.vmap``, which shows the hardest test images. Everything is pure functions over pytrees.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import fnx
import fnx.distributed as dist
import fnx.numpy as fnp
import fnx.optimizers as optim
import fnx.random as fr
from fnx.datasets import batches, load_digits, train_test_split
from fnx.progress import Progress, save_training_figure


def init_params(key, sizes=(64, 64, 10)) -> list:
    """He-initialized weights and zero biases for an MLP with layer ``sizes``: a list of dicts."""
    keys = fr.split(key, len(sizes) - 1)
    return [{"w": fr.normal(k, (a, b), dtype="float32") * np.float32(np.sqrt(2.0 / a)),
             "b": fnp.zeros(b, dtype="float32")} for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def predict(params: list, x):
    """Logits of shape (batch, 10) for inputs of shape (batch, 64)."""
    for layer in params[:-1]:
        x = fnp.maximum(x @ layer["w"] + layer["b"], 0.0)
    return x @ params[-1]["w"] + params[-1]["b"]


def cross_entropy(logits, labels):
    """Softmax cross-entropy of logits (..., 10) against integer labels (...)."""
    one_hot = labels[..., None] == fnp.arange(10)
    return fnp.logsumexp(logits, axis=-1) - fnp.sum(fnp.where(one_hot, logits, 0.0), axis=-1)


def example_loss(params: list, x, label):
    """Cross-entropy of one example: ``x`` of shape (64,), an integer ``label``."""
    return cross_entropy(predict(params, x[None, :])[0], label)


def loss(params: list, x, labels):
    """Mean cross-entropy over a batch."""
    return fnp.mean(cross_entropy(predict(params, x), labels))


optimizer = dist.data_parallel(optim.adam(1e-2))  # under mpiexec: gradients averaged over processes


@fnx.jit
def train_step(params, opt_state, x, labels):
    """One Adam step: returns the new parameters, optimizer state and the batch loss."""
    value, grads = fnx.value_and_grad(loss)(params, x, labels)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optim.apply_updates(params, updates), opt_state, dist.mean(value)


@fnx.jit
def evaluate(params, x, labels):
    """Accuracy and the per-example losses (computed with vmap) on a data set."""
    accuracy = fnp.mean(fnp.argmax(predict(params, x), axis=1) == labels)
    return accuracy, fnx.vmap(example_loss, in_axes=(None, 0, 0))(params, x, labels)


def main(epochs: int = 20, batch_size: int = 64, seed: int = 0, figure: str = "fnx-demo.png") -> float:
    """Train, show progress, save the figure at ``figure`` (unless empty), and return the test accuracy."""
    images, labels = load_digits(flat=True, scale=True, dtype="float32")
    x_train, x_test, y_train, y_test = train_test_split(seed, images, labels, test_size=0.25)
    key = fr.key(seed)
    params = dist.broadcast(init_params(key))
    opt_state = optimizer.init(params)
    print(f"fnx {fnx.__version__}: a 64-64-10 MLP on the {len(images)} shipped 8x8 digits "
          f"({len(x_train)} train, {len(x_test)} test)")
    start = time.perf_counter()
    curves: dict = {"train loss": [], "test loss": []}
    steps_per_epoch = len(x_train) // batch_size
    first = dist.world().rank == 0  # under mpiexec, only the first process reports
    with Progress(epochs * steps_per_epoch, "training", enabled=None if first else False) as bar:
        for epoch in range(epochs):
            total = 0.0
            for xb, yb in batches(fr.fold_in(key, epoch), x_train, y_train, batch_size, drop_last=True):
                params, opt_state, value = train_step(params, opt_state, *dist.shard(xb, yb))
                total += float(value)
                bar.update(epoch=epoch + 1, loss=float(value))
            accuracy, per_example = evaluate(params, x_test, y_test)
            curves["train loss"].append(total / steps_per_epoch)
            curves["test loss"].append(float(fnp.mean(per_example)))
            if epoch == 0:
                bar.write(f"  first epoch: {time.perf_counter() - start:.1f} s (its first steps run on NumPy while "
                          "the training step compiles in the background)")
            if epoch % 5 == 4 or epoch == epochs - 1:
                bar.write(f"  epoch {epoch + 1:2d}: train loss {curves['train loss'][-1]:.4f}, "
                          f"test accuracy {float(accuracy):.3f}")
    hardest = np.argsort(-np.asarray(per_example))[:8]
    print("hardest test images (per-example losses from vmap): " +
          ", ".join(f"#{i} label {int(y_test[i])} loss {float(per_example[i]):.2f}" for i in hardest[:3]))
    print(f"mean of per-example losses {float(fnp.mean(per_example)):.6f} = "
          f"batch loss {float(loss(params, x_test, y_test)):.6f}")
    print(f"final test accuracy: {float(accuracy):.3f} ({time.perf_counter() - start:.1f} s in all)")
    if figure and first:
        _report_figure(figure, curves, params, x_test, y_test, per_example, hardest)
    return float(accuracy)


def _report_figure(path: str, curves: dict, params: list, x_test, y_test, per_example, hardest) -> None:
    """Save the loss curves and the hardest test digits (label, prediction, loss) and say where."""
    predicted = np.asarray(fnp.argmax(predict(params, x_test[hardest]), axis=1))
    captions = [f"label {int(y_test[i])}, said {p}\nloss {float(per_example[i]):.2f}"
                for i, p in zip(hardest, predicted)]
    written = save_training_figure(path, curves, [np.asarray(x_test[i]).reshape(8, 8) for i in hardest], captions,
                                   title="fnx demo: a 64-64-10 MLP on the 8x8 digits")
    print(f"figure: {written}" if written else "figure: skipped (matplotlib is not installed: "
          "pip install 'fnx[demo]')")


def cli(argv: list | None = None) -> float:
    """``python -m fnx [--epochs N] [--figure PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m fnx", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--figure", default="fnx-demo.png", help="where to save the PNG ('' for none)")
    args = parser.parse_args(argv)
    return main(epochs=args.epochs, figure=args.figure)
