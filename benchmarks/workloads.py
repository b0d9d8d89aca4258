"""The jit benchmark workloads: their sizes, their data (fixed seeds, float32) and the issue's targets.

Each ``Workload`` pairs a hand-written NumPy function (``models_numpy``) with a builder of the same math for
fnx and JAX (``models_traced``). ``inputs(quick)`` makes the arguments as NumPy arrays (pytrees of them),
identical in every process; ``--quick`` sizes are tiny, for a smoke run and correctness check in CI.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import models_numpy
import models_traced

DTYPE = np.float32


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _normal(rng: np.random.Generator, shape: tuple, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(DTYPE)


def _one_hot(rng: np.random.Generator, shape: tuple, classes: int) -> np.ndarray:
    return np.eye(classes, dtype=DTYPE)[rng.integers(0, classes, shape)]


def _mlp_params(rng: np.random.Generator, sizes: tuple) -> list:
    """``[(w, b), ...]`` for layer sizes ``(inputs, hidden..., classes)``, He-scaled weights."""
    return [(_normal(rng, (m, n), np.sqrt(2 / m)), _normal(rng, (n,), 0.01)) for m, n in zip(sizes, sizes[1:])]


def _mlp_inputs(seed: int, sizes: tuple, batch_shape: tuple) -> tuple:
    rng = _rng(seed)
    params = _mlp_params(rng, sizes)
    return params, _normal(rng, batch_shape + (sizes[0],)), _one_hot(rng, batch_shape, sizes[-1])


def mlp_step_inputs(quick: bool) -> tuple:
    """MLP 784-512-512-10, batch 128 (quick: 12-16-16-4, batch 8)."""
    return _mlp_inputs(1, (12, 16, 16, 4) if quick else (784, 512, 512, 10), (8,) if quick else (128,))


def per_example_inputs(quick: bool) -> tuple:
    """MLP 784-128-10 over 128 examples (quick: 12-8-4 over 6)."""
    return _mlp_inputs(2, (12, 8, 4) if quick else (784, 128, 10), (6,) if quick else (128,))


def epoch_inputs(quick: bool) -> tuple:
    """60 batches of 128 for an MLP 784-256-10 (quick: 3 batches of 8, 12-8-4)."""
    return _mlp_inputs(3, (12, 8, 4) if quick else (784, 256, 10), (3, 8) if quick else (60, 128))


def elementwise_inputs(quick: bool) -> tuple:
    """1,000,000 values from a standard normal (quick: 1,000)."""
    return (_normal(_rng(4), (1_000 if quick else 1_000_000,)),)


def add_one_inputs(quick: bool) -> tuple:
    """10 values."""
    return (_normal(_rng(5), (10,)),)


def rnn_inputs(quick: bool) -> tuple:
    """Hidden 128, input 64, 100 steps, batch 32 (quick: 8, 4, 5 steps, 3)."""
    hidden, n_in, steps, batch = (8, 4, 5, 3) if quick else (128, 64, 100, 32)
    rng = _rng(6)
    params = {"wx": _normal(rng, (n_in, hidden), 1 / np.sqrt(n_in)),
              "wh": _normal(rng, (hidden, hidden), 1 / np.sqrt(hidden)), "b": _normal(rng, (hidden,), 0.1)}
    return params, _normal(rng, (steps, batch, n_in))


def lenet_inputs(quick: bool) -> tuple:
    """Batch 64 of 1x28x28, 20 channels of 5x5, dense to 10 classes (quick: batch 4 of 1x12x12, 3 channels)."""
    batch, size, channels, k, classes = (4, 12, 3, 5, 10) if quick else (64, 28, 20, 5, 10)
    pooled = (size - k + 1) // 2
    features = channels * pooled * pooled
    rng = _rng(7)
    params = {"conv_w": _normal(rng, (channels, 1, k, k), np.sqrt(2 / (k * k))),
              "conv_b": _normal(rng, (channels,), 0.01),
              "dense_w": _normal(rng, (features, classes), np.sqrt(1 / features)),
              "dense_b": _normal(rng, (classes,), 0.01)}
    return params, _normal(rng, (batch, 1, size, size)), _one_hot(rng, (batch,), classes)


@dataclass(frozen=True)
class Workload:
    """One benchmarked computation.

    ``target`` is the issue's bound on fnx/JAX (a ratio), or with ``target_seconds`` an absolute bound on
    fnx's time per call. Results are checked against the float64 NumPy result to ``tolerance`` (the largest
    difference relative to the largest magnitude of each output).
    """

    name: str
    description: str
    inputs: Callable[[bool], tuple]
    numpy_fn: Callable
    traced: Callable  # F -> jitted function
    target: float | None = None
    target_seconds: float | None = None
    tolerance: float = 1e-4


WORKLOADS = [
    # the MLP step comes first: its first call is then that of a fresh process, as the target says
    Workload("mlp_step", "MLP 784-512-512-10 train step, batch 128", mlp_step_inputs, models_numpy.mlp_step,
             models_traced.mlp_step, target=1.0),
    Workload("elementwise", "tanh(x)*sigmoid(x)+x*x-0.5*x, 1M", elementwise_inputs, models_numpy.elementwise,
             models_traced.elementwise, target=0.9),
    Workload("add_one", "per-call overhead: x + 1 on 10", add_one_inputs, models_numpy.add_one,
             models_traced.add_one, target_seconds=2.5e-6),
    Workload("rnn", "tanh RNN 128/64, 100 steps, b32, fwd+grad", rnn_inputs, models_numpy.rnn_value_and_grad,
             models_traced.rnn_value_and_grad, target=0.9),
    Workload("lenet", "LeNet conv 5x5x20, b64, fwd+grad", lenet_inputs, models_numpy.lenet_value_and_grad,
             models_traced.lenet_value_and_grad, target=0.6),
    Workload("per_example", "per-example grads 784-128-10, 128", per_example_inputs,
             models_numpy.per_example_grads, models_traced.per_example_grads, target=0.4),
    Workload("epoch", "epoch: 60 x 128, 784-256-10, one scan", epoch_inputs, models_numpy.epoch,
             models_traced.epoch, target=0.9, tolerance=1e-3),
]

BY_NAME = {w.name: w for w in WORKLOADS}

# the first-call targets of the MLP step, in seconds
FIRST_CALL_TARGETS = {"cold": 3.0, "warm": 0.5}


def as_float64(tree):
    """``tree`` (nested lists/tuples/dicts of arrays) with every array in float64: the reference's inputs."""
    return map_leaves(lambda a: np.asarray(a, np.float64), tree)


def map_leaves(fn: Callable, tree):
    """Apply ``fn`` to every array of a nested structure of lists, tuples and dicts."""
    if isinstance(tree, dict):
        return {k: map_leaves(fn, v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(map_leaves(fn, v) for v in tree)
    return fn(tree)


def leaves(tree) -> list[np.ndarray]:
    """The arrays of a nested structure (dicts by sorted key), as NumPy arrays: works for fnx and JAX outputs."""
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in leaves(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in leaves(item)]
    return [np.asarray(tree)]


def reference(workload: Workload, quick: bool) -> list[np.ndarray]:
    """The workload's result computed by the NumPy version in float64, as a flat list of arrays."""
    return leaves(workload.numpy_fn(*as_float64(workload.inputs(quick))))


def compare(result: list[np.ndarray], expected: list[np.ndarray], tolerance: float) -> str | None:
    """None if ``result`` (float32) matches ``expected`` leaf by leaf, else what differs."""
    if len(result) != len(expected):
        return f"{len(result)} outputs, expected {len(expected)}"
    for i, (got, want) in enumerate(zip(result, expected)):
        if got.shape != want.shape or got.dtype != DTYPE:
            return f"output {i} is {got.dtype}{list(got.shape)}, expected {np.dtype(DTYPE)}{list(want.shape)}"
        scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-30)
        error = float(np.max(np.abs(got - want), initial=0.0)) / scale
        if not error <= tolerance:
            return f"output {i} differs by {error:.2g} (relative to its largest value; tolerance {tolerance:g})"
    return None
