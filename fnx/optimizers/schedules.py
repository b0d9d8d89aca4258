"""Learning-rate schedules: pure functions from the step count to a scalar.

A schedule is any callable ``schedule(count) -> scalar`` where ``count`` is the number of updates applied
so far (0 at the first update), a Python int or an integer array (traced under jit). Every optimizer accepts
a schedule wherever it accepts a learning rate. Book formulas and their spelling here:

- step decay, "halve every 10 epochs": ``step_decay(A, 10 * steps_per_epoch, 0.5)``;
- exponential ``A e^{-kt}``: ``exponential_decay(A, math.exp(-k))``;
- inverse time ``A / (1 + kt)`` (Keras's ``decay=k``): ``inverse_time_decay(A, k)``.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from .. import numpy as fnp

Schedule = Callable[[Any], Any]


def _positive(name: str, value) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")


def _float_count(count):
    return fnp.astype_float(fnp.asarray(count))


def constant_schedule(value: float) -> Schedule:
    """The schedule that is always ``value``.

    >>> constant_schedule(0.1)(7)
    Array(0.1, dtype=float64)
    """
    return lambda count: fnp.full_like(_float_count(count), value)


def step_decay(init_value: float, step_size: int, factor: float) -> Schedule:
    """``init_value * factor ** floor(count / step_size)``: multiply by ``factor`` every ``step_size`` steps.

    The book loop ``if epoch % 10 == 0: lr /= 2`` (epochs from 0) also halves at epoch 0; that is
    ``step_decay(A * 0.5, 10, 0.5)`` with the count in epochs.

    >>> [float(step_decay(1.0, 10, 0.5)(t)) for t in (0, 9, 10, 25)]
    [1.0, 1.0, 0.5, 0.25]
    """
    _positive("step_decay: step_size", step_size)
    return lambda count: init_value * factor ** fnp.floor(_float_count(count) / step_size)


def exponential_decay(init_value: float, decay_rate: float, transition_steps: int = 1,
                      staircase: bool = False) -> Schedule:
    """``init_value * decay_rate ** (count / transition_steps)`` (TensorFlow and Optax semantics).

    With ``staircase=True`` the exponent is floored, so the rate drops in steps. The book's ``A e^{-kt}``
    is ``exponential_decay(A, math.exp(-k))``.

    >>> float(exponential_decay(1.0, 0.5, transition_steps=2)(2))
    0.5
    """
    _positive("exponential_decay: transition_steps", transition_steps)

    def schedule(count):
        exponent = _float_count(count) / transition_steps
        return init_value * decay_rate ** (fnp.floor(exponent) if staircase else exponent)

    return schedule


def inverse_time_decay(init_value: float, decay_rate: float, transition_steps: int = 1,
                       staircase: bool = False) -> Schedule:
    """``init_value / (1 + decay_rate * count / transition_steps)``: the books' 1/t decay ``A / (1 + kt)``.

    Keras's ``lr`` with ``decay=k`` is ``inverse_time_decay(lr, k)`` (counted in iterations).

    >>> float(inverse_time_decay(1.0, 0.1)(10))
    0.5
    """
    _positive("inverse_time_decay: transition_steps", transition_steps)

    def schedule(count):
        t = _float_count(count) / transition_steps
        return init_value / (1.0 + decay_rate * (fnp.floor(t) if staircase else t))

    return schedule


def cosine_decay(init_value: float, decay_steps: int, alpha: float = 0.0) -> Schedule:
    """Half a cosine from ``init_value`` down to ``alpha * init_value`` over ``decay_steps``, then flat.

    ``init_value * ((1 - alpha) * (1 + cos(pi * min(count, decay_steps) / decay_steps)) / 2 + alpha)``.

    >>> float(cosine_decay(1.0, 10)(5))
    0.5
    """
    _positive("cosine_decay: decay_steps", decay_steps)

    def schedule(count):
        progress = fnp.minimum(_float_count(count), decay_steps) / decay_steps
        return init_value * ((1.0 - alpha) * 0.5 * (1.0 + fnp.cos(math.pi * progress)) + alpha)

    return schedule


def linear_warmup(schedule: Schedule | float, warmup_steps: int, init_value: float = 0.0) -> Schedule:
    """Rise linearly from ``init_value`` to ``schedule(0)`` over ``warmup_steps``, then follow ``schedule``
    (shifted, so it starts from its own step 0). A float ``schedule`` means a constant.

    >>> s = linear_warmup(cosine_decay(1.0, 100), warmup_steps=10)
    >>> [float(s(t)) for t in (0, 5, 10)]
    [0.0, 0.5, 1.0]
    """
    _positive("linear_warmup: warmup_steps", warmup_steps)
    after = schedule if callable(schedule) else constant_schedule(schedule)

    peak = after(0)

    def warmed(count):
        t = _float_count(count)
        rising = init_value + (peak - init_value) * (t / warmup_steps)
        return fnp.where(t < warmup_steps, rising, after(fnp.maximum(t - warmup_steps, 0.0)))

    return warmed


__all__ = ["Schedule", "constant_schedule", "cosine_decay", "exponential_decay", "inverse_time_decay",
           "linear_warmup", "step_decay"]
